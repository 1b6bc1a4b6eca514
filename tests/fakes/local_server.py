"""The lifecycle the fake platform servers share: an aiohttp app on 127.0.0.1, a random port."""

from __future__ import annotations

from typing import TypeVar

from aiohttp import web

Self = TypeVar("Self", bound="LocalServer")


class LocalServer:
    """Start with ``await server.start()`` or ``async with``; ``url`` is ``http://127.0.0.1:PORT``."""

    _runner: web.AppRunner | None = None
    _port: int | None = None

    def build_app(self) -> web.Application:
        raise NotImplementedError

    async def start(self: Self) -> Self:
        """Start listening on 127.0.0.1 (random port)."""
        self._runner = web.AppRunner(self.build_app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        """Stop the server."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self: Self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (use for both api and api-data hosts)."""
        if self._port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return f"http://127.0.0.1:{self._port}"
