"""Pages loaded on their first request (``WebServer.add_pages_on_first_use``): what the receiving process
of ``EDUNET_PROCESSES=2`` does with the web view, so that a process nobody asks for pages stays small. A
browser must not tell the difference: the same pages, path parameters, 404 and 405."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.web import WebServer


async def test_pages_are_mounted_by_the_first_request_under_their_prefix_and_route_as_usual(tmp_path: Path) -> None:
    mounted: list[int] = []

    async def network_page(request: web.Request) -> web.Response:
        return web.Response(text=f"network {request.match_info['network_id']}")

    async def sign_in(_request: web.Request) -> web.Response:
        return web.Response(text="signed in")

    def mount(server: WebServer) -> None:
        mounted.append(1)
        server.add_route("GET", "/dashboard/n/{network_id}", network_page)
        server.add_route("POST", "/dashboard/login", sign_in)

    server = WebServer(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    server.add_pages_on_first_use("/dashboard", mount)
    client = TestClient(TestServer(server.app, host="127.0.0.1"))
    await client.start_server()
    try:
        assert (await client.get("/healthz")).status == 200
        assert (await client.get("/dashboardx")).status == 404  # not under the prefix
        assert mounted == []  # nothing asked for the pages yet
        page = await client.get("/dashboard/n/7")
        assert page.status == 200 and await page.text() == "network 7"
        assert (await client.post("/dashboard/login")).status == 200
        wrong = await client.get("/dashboard/login")
        assert wrong.status == 405 and wrong.headers["Allow"] == "POST"
        assert (await client.get("/dashboard/nothing-here")).status == 404
        assert mounted == [1]  # once
    finally:
        await client.close()
