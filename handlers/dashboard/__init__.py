"""The coordinator's web view (issue 16): ``/dashboard`` sends a one-time sign-in link; the pages are
served by ``edunet serve`` on the same aiohttp server as the webhooks (:func:`add_routes`).

``web`` holds the guard and the first pages; ``surveys_view``, ``meetings_view``, ``members_manage`` and
``reports_view`` add theirs; :data:`ROUTES` is every page with who may open it.

The pages (aiohttp, Jinja2, the charts' helpers) are imported when the web server adds them, not when
the bot's features load: ``edunet console`` and the workers never serve them."""

from typing import Any

from bot.app import App
from handlers.dashboard.command import router

ORDER = 44


def routes() -> tuple[Any, ...]:
    """Every page (:class:`handlers.dashboard.web.Route`) with who may open it."""
    from handlers.dashboard import panels  # noqa: F401  (registers the overview's panels on web.OVERVIEW_PANELS)
    from handlers.dashboard import meetings_view, members_manage, reports_view, surveys_view, web

    return web.ROUTES + surveys_view.ROUTES + meetings_view.ROUTES + members_manage.ROUTES + reports_view.ROUTES


def add_routes(server: Any, app: App) -> None:
    from handlers.dashboard import web

    web.add_routes(server, app, routes())


def __getattr__(name: str) -> Any:  # ``ROUTES`` stays importable, built on first use
    if name == "ROUTES":
        return routes()
    raise AttributeError(name)


__all__ = ["ORDER", "ROUTES", "add_routes", "router"]
