"""The coordinator's web view (issue 16): ``/dashboard`` sends a one-time sign-in link; the pages are
served by ``edunet serve`` on the same aiohttp server as the webhooks (:func:`add_routes`)."""

from handlers.dashboard.command import router
from handlers.dashboard.web import ROUTES, add_routes

ORDER = 44
__all__ = ["ORDER", "ROUTES", "add_routes", "router"]
