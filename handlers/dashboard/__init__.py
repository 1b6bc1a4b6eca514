"""The coordinator's web view (issue 16): ``/dashboard`` sends a one-time sign-in link; the pages are
served by ``edunet serve`` on the same aiohttp server as the webhooks (:func:`add_routes`).

``web`` holds the guard and the first pages; ``surveys_view``, ``meetings_view``, ``members_manage`` and
``reports_view`` add theirs; :data:`ROUTES` is every page with who may open it."""

from typing import Any

from bot.app import App
from handlers.dashboard import meetings_view, members_manage, panels, reports_view, surveys_view, web
from handlers.dashboard.command import router

ORDER = 44
ROUTES: tuple[web.Route, ...] = (web.ROUTES + surveys_view.ROUTES + meetings_view.ROUTES + members_manage.ROUTES
                                 + reports_view.ROUTES)


def add_routes(server: Any, app: App) -> None:
    web.add_routes(server, app, ROUTES)


__all__ = ["ORDER", "ROUTES", "add_routes", "panels", "router"]
