"""The web view in a real browser: Playwright driving Debian's Chromium (``/usr/bin/chromium``; CI installs it
with apt-get, see ``.ci/run``). Skipped with the reason when Playwright or Chromium is missing.

Phone-width screenshots of every page go to ``EDUNET_SCREENSHOTS`` (default: the test's tmp dir) so a person
can look at them; each test checks the page does not scroll sideways at 360 px.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer

from bot.web import WebServer
from handlers.dashboard import add_routes
from tests.support.conversation import Conversation, make_conversation
from tests.test_dashboard import link_in, needs_and_pledges

CHROMIUM = os.environ.get("EDUNET_CHROMIUM", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}

pytestmark = pytest.mark.slow


def _browser_or_skip() -> Any:
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        pytest.skip("the python package playwright is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's (apt-get install -y chromium); "
                    "`playwright install` cannot download here")
    return async_playwright


@pytest.fixture
async def site(sqlite_url: str) -> AsyncIterator[tuple[Conversation, str, Any]]:
    async_playwright = _browser_or_skip()
    bot, app = await make_conversation(sqlite_url, "telegram", public_url="http://edunet.test",
                                       secret_key="test-secret")
    server = WebServer(app.settings)
    add_routes(server, app)
    test_server = TestServer(server.app, host="127.0.0.1")
    await test_server.start_server()
    base = str(test_server.make_url("")).rstrip("/")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield bot, base, browser
        finally:
            await browser.close()
    await test_server.close()
    await app.close()


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("EDUNET_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def signed_in_page(bot: Conversation, base: str, browser: Any, user: str = "alice", **context: Any) -> Any:
    page = await (await browser.new_context(accept_downloads=True, **context)).new_page()
    await page.goto(base + link_in(await bot(f"{user}@dm: /dashboard")))
    await page.get_by_role("button", name="เข้าสู่ระบบ").click()
    await page.wait_for_url(re.compile(r"/dashboard/n/\d+$"))
    return page


async def no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width}px wide at {PHONE['width']}px"


async def test_sign_in_by_link_and_see_the_overview_with_its_chart(site: tuple[Conversation, str, Any],
                                                                   tmp_path: Path) -> None:
    bot, base, browser = site
    await bot.setup_network()
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    page = await signed_in_page(bot, base, browser)
    assert await page.get_by_role("heading", name="ภาพรวม").is_visible()
    chart = page.locator("img.chart")
    await chart.wait_for()
    assert await chart.evaluate("img => img.complete && img.naturalWidth > 0"), "the chart image loaded"
    cookies = await page.context.cookies()
    session = next(c for c in cookies if c["name"] == "edunet_dashboard")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert await page.evaluate("document.cookie") == ""  # scripts cannot read the session


async def test_filter_the_pledge_ledger(site: tuple[Conversation, str, Any]) -> None:
    bot, base, browser = site
    await needs_and_pledges(bot)
    page = await signed_in_page(bot, base, browser)
    await page.get_by_role("link", name="ทะเบียนการสนับสนุน").click()
    assert await page.locator("tr[data-pledge]").count() == 2
    await page.get_by_label("สถานะ").select_option("pledged")
    await page.get_by_role("button", name="แสดง").click()
    await page.wait_for_url(re.compile(r"status=pledged"))
    assert await page.locator("tr[data-pledge]").count() == 1
    assert await page.locator('tr[data-pledge="2"]').is_visible()


async def test_change_a_member_s_role(site: tuple[Conversation, str, Any]) -> None:
    bot, base, browser = site
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    page = await signed_in_page(bot, base, browser)
    await page.get_by_role("link", name="สมาชิก").click()
    row = page.locator('tr[data-member="2"]')
    await row.locator("select").select_option("partner")
    await row.get_by_role("button", name="เปลี่ยนบทบาท").click()
    await page.wait_for_url(re.compile(r"done=2"))
    assert "ปรับปรุงข้อมูลสมาชิกหมายเลข 2 แล้ว" in await page.content()
    assert "Bob (ภาคีเครือข่าย)" in await bot("alice@dm: /members")


async def test_another_network_s_page_is_refused(site: tuple[Conversation, str, Any]) -> None:
    bot, base, browser = site
    await bot.setup_network()
    await bot("zed@dm: /newnetwork เครือข่ายปลายน้ำ", "zed@dm: [Join as coordinator]")
    page = await signed_in_page(bot, base, browser)
    response = await page.goto(base + "/dashboard/n/2/members")
    assert response is not None and response.status == 403
    text = await page.content()
    assert "หน้านี้เป็นของเครือข่ายอื่น" in text and "Zed" not in text and "ปลายน้ำ" not in text


async def test_export_an_xlsx_and_read_it_back(site: tuple[Conversation, str, Any]) -> None:
    from openpyxl import load_workbook

    bot, base, browser = site
    await needs_and_pledges(bot)
    page = await signed_in_page(bot, base, browser)
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="การสนับสนุน (XLSX)").click()
    download = await waiting.value
    assert download.suggested_filename == "pledges-2569.xlsx"
    book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))
    rows = [list(r) for r in book["รายการสนับสนุน"].iter_rows(values_only=True)]
    assert rows[0][0] == "ลำดับ" and rows[1][7] == "21/11/2569" and rows[2][4] == "ชุมชน"


async def test_phone_width_screenshots_of_every_page(site: tuple[Conversation, str, Any], tmp_path: Path) -> None:
    bot, base, browser = site
    await needs_and_pledges(bot)
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    page = await signed_in_page(bot, base, browser, viewport=PHONE, device_scale_factor=1, is_mobile=True,
                                has_touch=True)
    folder = shots_dir(tmp_path)
    for name, path in (("overview", ""), ("activities", "/activities"), ("needs", "/needs"), ("pledges", "/pledges"),
                       ("members", "/members"), ("deliveries", "/deliveries")):
        await page.goto(f"{base}/dashboard/n/1{path}")
        await page.wait_for_load_state("networkidle")
        await page.screenshot(path=str(folder / f"phone-{name}.png"), full_page=True)
        await no_sideways_scroll(page)
