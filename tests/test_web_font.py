"""Every page of the bot carries its Thai font: a browser with no Thai font of its own (a bare desktop, CI's
Chromium) shows Thai in Sarabun, not as boxes."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.web import FONT_CSS_PATH, WebServer
from tests.support.conversation import Conversation
from tests.test_dashboard_browser import signed_in_page, site  # noqa: F401  (the browser fixture)


async def client_of(server: WebServer) -> TestClient:
    client = TestClient(TestServer(server.app, host="127.0.0.1"))
    await client.start_server()
    return client


async def test_the_font_and_its_stylesheet_are_served_and_cached(tmp_path: Any) -> None:
    client = await client_of(WebServer(Settings(database_url=f"sqlite:///{tmp_path}/x.db")))
    try:
        css = await client.get(FONT_CSS_PATH)
        assert css.status == 200 and css.content_type == "text/css"
        text = await css.text()
        assert 'font-family:"Sarabun"' in text and "font-display:swap" in text
        for weight, name in (("400", "Sarabun-Regular.ttf"), ("600", "Sarabun-SemiBold.ttf")):
            assert f"font-weight:{weight}" in text and f"/fonts/{name}" in text
            font = await client.get(f"/fonts/{name}")
            assert font.status == 200 and font.headers["Content-Type"] == "font/ttf"
            assert "immutable" in font.headers["Cache-Control"]
            assert (await font.read())[:4] == b"\x00\x01\x00\x00"  # a TrueType file
    finally:
        await client.close()


@pytest.mark.parametrize("name", ["Sarabun-Thin.ttf", "..%2Fweb.py", "sarabun.ttf", "%2Fetc%2Fpasswd"])
async def test_nothing_else_is_served_from_the_font_folder(tmp_path: Any, name: str) -> None:
    client = await client_of(WebServer(Settings(database_url=f"sqlite:///{tmp_path}/x.db")))
    try:
        assert (await client.get(f"/fonts/{name}")).status == 404
    finally:
        await client.close()


async def test_a_page_shows_its_thai_in_sarabun(site: tuple[Conversation, str, Any]) -> None:  # noqa: F811
    bot, base, browser = site
    await bot.setup_network()
    page = await signed_in_page(bot, base, browser)
    loaded = await page.evaluate("""async () => {
        await document.fonts.ready;
        await document.fonts.load('16px Sarabun', 'ภาพรวม');
        return [...document.fonts].filter(f => f.family.includes('Sarabun') && f.status === 'loaded')
                                  .map(f => f.weight);
    }""")
    assert "400" in loaded, f"Sarabun was not loaded: {loaded}"
    family = await page.get_by_role("heading", name="ภาพรวม").evaluate("h => getComputedStyle(h).fontFamily")
    assert family.startswith('"Sarabun"') or family.startswith("Sarabun")
