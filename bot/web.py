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
