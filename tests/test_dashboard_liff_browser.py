"""The web view inside LINE, in a real browser: Playwright driving Debian's Chromium, the LIFF SDK
(``@line/liff``) with LINE's official mock plugin (``@line/liff-mock``) in place of the LINE app, and
:class:`FakeLineLogin` in place of LINE Login.

The SDK and the mock come from npm (``tests/liff_fixture``: package.json + package-lock.json; ``.ci/run``
runs ``npm ci`` there, and these tests do it themselves when ``node_modules`` is missing and npm is
installed); esbuild bundles them with ``liff-with-mock.mjs`` into one script the test server serves as
``LINE_LIFF_SDK_URL``. Skipped with the reason when Chromium, Playwright or the npm packages are missing.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.web import WebServer
from handlers.dashboard import add_routes
from storage.deliveries import DeliveryRepo
from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_login import FakeLineLogin
from tests.support.conversation import Conversation, make_conversation
from tests.test_dashboard_browser import CHROMIUM, PHONE, _browser_or_skip, no_sideways_scroll, shots_dir

pytestmark = pytest.mark.slow

FIXTURE = Path(__file__).with_name("liff_fixture")
CHANNEL = "1650000001"
LIFF_ID = "1650000001-AbCdEfGh"
SDK_PATH = "/test-sdk/liff-with-mock.js"


@pytest.fixture(scope="session")
def liff_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The LIFF SDK + @line/liff-mock as one script (installed with npm ci when missing)."""
    modules = FIXTURE / "node_modules"
    needed = [modules / "@line" / "liff" / "package.json", modules / "@line" / "liff-mock" / "package.json",
              modules / ".bin" / "esbuild"]
    with open(FIXTURE / "package.json", "rb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # test workers running side by side (pytest -n) install once
        try:
            _install(modules, needed)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    out = tmp_path_factory.mktemp("liff") / "liff-with-mock.js"
    built = subprocess.run([str(modules / ".bin" / "esbuild"), "liff-with-mock.mjs", "--bundle", "--format=iife",
                            "--log-level=warning", f"--outfile={out}"], cwd=FIXTURE, capture_output=True, text=True,
                           timeout=120)
    assert built.returncode == 0, built.stderr
    return out


def _install(modules: Path, needed: list[Path]) -> None:
    if not all(p.exists() for p in needed):
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip(f"the LIFF SDK and @line/liff-mock are not installed and npm is missing: run `npm ci` in {FIXTURE}")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=FIXTURE, capture_output=True, text=True,
                              timeout=600)
        if done.returncode != 0 or not all(p.exists() for p in needed):
            pytest.skip(f"`npm ci` in {FIXTURE} failed (the npm registry is needed once): {done.stderr[-400:]}")


@dataclass
class Site:
    bot: Conversation
    base: str
    browser: Any
    login: FakeLineLogin


@pytest.fixture
async def site(sqlite_url: str, liff_bundle: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Site]:
    async_playwright = _browser_or_skip()
    login = FakeLineLogin(channel_id=CHANNEL)
    await login.start()
    monkeypatch.setenv("LINE_LOGIN_CHANNEL_ID", CHANNEL)
    monkeypatch.setenv("LINE_LIFF_ID", LIFF_ID)
    monkeypatch.setenv("LINE_LOGIN_API_BASE_URL", login.url)
    monkeypatch.setenv("LINE_LIFF_SDK_URL", SDK_PATH)  # same origin: the page's policy allows it as 'self'
    bot, app = await make_conversation(sqlite_url, "line", public_url="http://edunet.test", secret_key="test-secret")
    login.clock = app.clock.now
    server = WebServer(app.settings)
    add_routes(server, app)
    bundle = liff_bundle.read_text(encoding="utf-8")

    async def sdk(_request: web.Request) -> web.Response:
        return web.Response(text=bundle, content_type="text/javascript")

    server.add_route("GET", SDK_PATH, sdk)
    test_server = TestServer(server.app, host="127.0.0.1")
    await test_server.start_server()
    base = str(test_server.make_url("")).rstrip("/")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            yield Site(bot, base, browser, login)
        finally:
            await browser.close()
    await test_server.close()
    await app.close()
    await login.close()


async def in_line(site: Site, mock: dict[str, Any], **context: Any) -> Any:
    """A browser tab playing the LINE app: the mock answers with ``mock`` (getIDToken, shareTargetPicker…)."""
    page = await (await site.browser.new_context(**context)).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.errors = errors
    await page.add_init_script(f"window.__liffMock = {json.dumps(mock)};")
    return page


async def signed_in(site: Site, mock: dict[str, Any] | None = None, **context: Any) -> Any:
    page = await in_line(site, {"getIDToken": site.login.issue("alice", name="Alice"), **(mock or {})}, **context)
    await page.goto(site.base + "/dashboard")
    await page.wait_for_url(re.compile(r"/dashboard/n/1$"))
    return page


async def compose(page: Any, site: Site, text: str) -> None:
    await page.get_by_role("link", name="ประกาศ").click()
    await page.get_by_label("ข้อความ").fill(text)
    await page.get_by_label("ทุกกลุ่มที่เชื่อมไว้").check()
    await page.get_by_role("button", name="ดูตัวอย่าง").click()
    await page.wait_for_url(re.compile(r"/dashboard/n/1/announce/1$"))


async def test_sign_in_inside_line_with_the_liff_mock(site: Site) -> None:
    await site.bot.setup_network()
    page = await signed_in(site)
    assert await page.get_by_role("heading", name="ภาพรวม").is_visible()
    assert site.login.verified == [("alice", CHANNEL)]  # the ID token went to LINE Login, with our channel
    session = next(c for c in await page.context.cookies() if c["name"] == "edunet_dashboard")
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert page.errors == []


async def test_a_token_for_another_channel_is_refused_in_the_browser(site: Site, tmp_path: Path) -> None:
    await site.bot.setup_network()
    page = await in_line(site, {"getIDToken": site.login.issue("alice", audience="1999999999")}, viewport=PHONE,
                         device_scale_factor=1, is_mobile=True, has_touch=True)
    await page.goto(site.base + "/dashboard")
    status = page.locator("#inapp-status")
    await status.filter(has_text="แอป LINE อื่น").wait_for()
    await page.screenshot(path=str(shots_dir(tmp_path) / "phone-liff-refused.png"), full_page=True)
    await no_sideways_scroll(page)
    assert page.url.endswith("/dashboard")
    assert not [c for c in await page.context.cookies() if c["name"] == "edunet_dashboard"]


async def test_the_coordinator_shares_an_announcement_and_nothing_is_billed(site: Site, tmp_path: Path) -> None:
    await site.bot.setup_network()
    await site.bot("alice@parents: /linkgroup")
    page = await signed_in(site, {"shareTargetPicker": {"status": "success"}}, viewport=PHONE, device_scale_factor=1,
                           is_mobile=True, has_touch=True)
    await compose(page, site, "งดการเรียนการสอนวันศุกร์นี้ เนื่องจากน้ำท่วม")
    await page.get_by_role("button", name="ส่งเข้ากลุ่มด้วยตัวฉันเอง").click()
    await page.wait_for_url(re.compile(r"done=shared"))
    assert await page.get_by_text("ส่งเข้ากลุ่มแล้ว บอตไม่ได้ส่งและไม่เสียโควตาข้อความ").is_visible()
    await page.screenshot(path=str(shots_dir(tmp_path) / "phone-announce-shared.png"), full_page=True)
    await no_sideways_scroll(page)
    shared = json.loads(await page.evaluate("sessionStorage.getItem('liffShared')"))
    assert len(shared) == 1 and shared[0]["options"] == {"isMultiple": True}
    messages = shared[0]["messages"]
    assert [m["type"] for m in messages] == ["flex"]
    assert "งดการเรียนการสอนวันศุกร์นี้" in json.dumps(messages, ensure_ascii=False)
    spec = load_line_spec()
    if spec is not None:  # LINE's OpenAPI spec beside the project (../shared/contracts)
        assert [spec.schema_errors("Message", m) for m in messages] == [[]]
    report = await site.bot("alice@dm: /announce report 1")
    assert "ส่งแล้ว 0 · รอส่ง 0 · ไม่สำเร็จ 0" in report and "Alice ส่งเข้าแชตที่เลือกเอง" in report
    async with site.bot.app.db.transaction() as conn:
        assert await DeliveryRepo(conn).by_chat(1, key_prefix="announce:1:") == []
    assert "📢" not in site.bot.transcript
    assert page.errors == []


async def test_closing_the_chat_picker_records_nothing(site: Site) -> None:
    await site.bot.setup_network()
    page = await signed_in(site, {"shareTargetPicker": False})  # LIFF resolves a closed picker with a falsy value
    await compose(page, site, "ประชุมครูวันจันทร์")
    await page.get_by_role("button", name="ส่งเข้ากลุ่มด้วยตัวฉันเอง").click()
    await page.locator("#inapp-status").filter(has_text="ปิดหน้าต่างเลือกแชต").wait_for()
    assert page.url.endswith("/dashboard/n/1/announce/1")
    assert await page.get_by_role("button", name="ส่งเข้ากลุ่มด้วยตัวฉันเอง").is_enabled()  # may try again
    assert "ไม่พบประกาศที่ส่งแล้ว" in await site.bot("alice@dm: /announce report 1")
    async with site.bot.app.db.transaction() as conn:
        assert await DeliveryRepo(conn).by_chat(1, key_prefix="announce:1:") == []


async def test_phone_width_screenshots_of_the_composer(site: Site, tmp_path: Path) -> None:
    await site.bot.setup_network()
    await site.bot("alice@parents: /linkgroup")
    page = await signed_in(site, viewport=PHONE, device_scale_factor=1, is_mobile=True, has_touch=True)
    folder = shots_dir(tmp_path)
    await page.goto(f"{site.base}/dashboard/n/1/announce")
    await page.screenshot(path=str(folder / "phone-announce-compose.png"), full_page=True)
    await no_sideways_scroll(page)
    await page.get_by_label("ข้อความ").fill("ขอเชิญผู้ปกครองร่วมประชุมวันศุกร์ที่ 27 พ.ย. 2569 เวลา 15.00 น. "
                                            "ที่ห้องประชุมโรงเรียน")
    await page.get_by_label("เลือกกลุ่ม").check()
    await page.get_by_label("parents (LINE)").check()
    await page.get_by_role("button", name="ดูตัวอย่าง").click()
    await page.wait_for_url(re.compile(r"/announce/1$"))
    await page.get_by_role("button", name="ส่งเข้ากลุ่มด้วยตัวฉันเอง").wait_for()
    await page.screenshot(path=str(folder / "phone-announce-share.png"), full_page=True)
    await no_sideways_scroll(page)
