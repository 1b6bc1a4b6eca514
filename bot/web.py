"""The one web server of an EduNet process: webhooks, ``/healthz``, generated images."""

from __future__ import annotations

import logging
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
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def _healthz(self, _request: web.Request) -> web.Response:
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
