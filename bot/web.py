"""The one web server of an EduNet process: webhooks, ``/healthz``, generated images, and the
Thai web font every page of the bot links (``/fonts/sarabun.css``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.config import Settings

log = logging.getLogger(__name__)


class WebServer:
    """An aiohttp application; adapters add their routes before :meth:`start`."""

    def __init__(self, settings: Settings, *, client_max_size: int = 1024 * 1024) -> None:
        self.settings = settings
        self.app = web.Application(client_max_size=client_max_size)
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get(FONT_CSS_PATH, _font_css)
        self.app.router.add_get("/fonts/{name}", _font_file)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        # Each returns None when healthy, else what is wrong (/healthz then answers 503 with it).
        self.health_checks: list[Callable[[], str | None]] = []

    async def _healthz(self, _request: web.Request) -> web.Response:
        problems = [problem for check in self.health_checks if (problem := check()) is not None]
        if problems:
            return web.json_response({"status": "unhealthy", "problems": problems}, status=503)
        return web.json_response({"status": "ok"})

    def add_route(self, method: str, path: str, handler) -> None:  # type: ignore[no-untyped-def]
        self.app.router.add_route(method, path, handler)

    def add_pages_on_first_use(self, prefix: str, mount: Callable[[Any], None]) -> None:
        """Serve every path under ``prefix`` by the routes ``mount(server)`` adds (``server.add_route``),
        called on the first request there: a process that may never be asked for those pages (the
        receiver of ``EDUNET_PROCESSES=2``, for the web view) does not load them at start."""
        self.app.router.register_resource(PagesOnFirstUse(prefix, mount))

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        server: Any = site._server  # aiohttp keeps the listening asyncio.Server here
        sockets = server.sockets if server else []
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.port
        log.info("web server listening on http://%s:%s", self.settings.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


class _Routes:
    """What ``mount`` sees of the server: ``add_route`` only."""

    def __init__(self, router: web.UrlDispatcher) -> None:
        self.router = router

    def add_route(self, method: str, path: str, handler) -> None:  # type: ignore[no-untyped-def]
        self.router.add_route(method, path, handler)


class PagesOnFirstUse(web.AbstractResource):
    """The paths under a prefix, routed by a router of their own that is built on the first request."""

    def __init__(self, prefix: str, mount: Callable[[Any], None]) -> None:
        super().__init__()
        self._prefix = prefix.rstrip("/")
        self._mount = mount
        self._router: web.UrlDispatcher | None = None

    def _routes(self) -> web.UrlDispatcher:
        if self._router is None:
            router = web.UrlDispatcher()
            self._mount(_Routes(router))
            router.freeze()
            self._router = router
            log.info("pages under %s loaded on their first request", self._prefix)
        return self._router

    async def resolve(self, request: web.Request) -> Any:
        if not self.raw_match(request.rel_url.path):
            return None, set()
        allowed: set[str] = set()
        for resource in self._routes().resources():
            match, methods = await resource.resolve(request)
            if match is not None:
                return match, methods
            allowed |= methods
        return None, allowed

    @property
    def canonical(self) -> str:
        return self._prefix

    def url_for(self, **kwargs: str) -> Any:
        from yarl import URL

        return URL.build(path=self._prefix)

    def add_prefix(self, prefix: str) -> None:
        self._prefix = prefix + self._prefix

    def get_info(self) -> Any:
        return {"prefix": self._prefix}

    def raw_match(self, path: str) -> bool:
        return path == self._prefix or path.startswith(self._prefix + "/")

    def __len__(self) -> int:
        return len(self._router.routes()) if self._router is not None else 0

    def __iter__(self) -> Any:
        return iter(self._router.routes() if self._router is not None else ())


# Pages are Thai first: they carry Sarabun (the font the charts use, from the fontpkg-sarabun wheel) so a
# browser without a Thai font (a bare desktop, a CI machine's Chromium) shows Thai, not boxes. A phone's own
# Sarabun is used where it has one; the text shows at once in the system font while the file loads.
FONT_CSS_PATH = "/fonts/sarabun.css"
FONT_LINK = f'<link rel="stylesheet" href="{FONT_CSS_PATH}">'
_FONT_WEIGHTS = {"Sarabun-Regular.ttf": 400, "Sarabun-SemiBold.ttf": 600}
_FONT_CACHE = "public, max-age=31536000, immutable"


@cache
def _font_folder() -> Path:
    import fontpkg_sarabun

    return Path(fontpkg_sarabun.__file__).resolve().parent / "files"


def font_css() -> str:
    """The ``@font-face`` rules for Sarabun at the weights the pages use."""
    return "".join(
        f'@font-face{{font-family:"Sarabun";font-style:normal;font-weight:{weight};font-display:swap;'
        f'src:local("Sarabun"),url("/fonts/{name}") format("truetype")}}\n'
        for name, weight in _FONT_WEIGHTS.items())


async def _font_css(_request: web.Request) -> web.Response:
    return web.Response(text=font_css(), content_type="text/css", charset="utf-8",
                        headers={"Cache-Control": "public, max-age=86400"})


async def _font_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in _FONT_WEIGHTS:  # only the listed files: the name never reaches the file system
        raise web.HTTPNotFound()
    return web.FileResponse(_font_folder() / name, headers={"Content-Type": "font/ttf",
                                                            "Cache-Control": _FONT_CACHE})
