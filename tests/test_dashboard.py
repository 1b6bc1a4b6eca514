"""The coordinator's web view: /dashboard sends a one-time link; the link opens a browser session on the
bot's own web server; pages refuse whoever may not see them (another network, a role, a stale form)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.web import WebServer
from handlers.dashboard import ROUTES, add_routes
from tests.support.conversation import Conversation, make_conversation

PUBLIC = "http://edunet.test"


@pytest.fixture(params=[("line", "at start"), ("telegram", "at start"), ("line", "on first use")],
                ids=["line", "telegram", "line-pages-on-first-use"])
async def web_bot(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[tuple[Conversation, TestClient]]:
    """The bot and a browser on its web server; "on first use": mounted as a receiving process of
    ``EDUNET_PROCESSES=2`` mounts it, its pages loaded by the first request under /dashboard."""
    from edunet.serve import add_web_view

    platform, mounted = request.param
    bot, app = await make_conversation(sqlite_url, platform, public_url=PUBLIC, secret_key="test-secret")
    server = WebServer(app.settings)
    add_web_view(server, app, on_first_use=mounted == "on first use")
    client = TestClient(TestServer(server.app))
    await client.start_server()
    yield bot, client
    await client.close()
    await app.close()


def link_in(text: str) -> str:
    links = re.findall(r"http://edunet\.test(/dashboard/login\?t=[\w-]+)", text)
    assert links, f"no sign-in link in: {text}"
    return links[-1]


async def sign_in(client: TestClient, path: str) -> str:
    """Open the link and press “เข้าสู่ระบบ”, as a browser would; the page it lands on."""
    shown = await client.get(path)
    assert shown.status == 200, await shown.text()
    token = re.search(r'name="t" value="([\w-]+)"', await shown.text())
    assert token
    response = await client.post("/dashboard/login", data={"t": token.group(1)})
    assert response.status == 200
    return await response.text()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([\w-]+)"', page)
    assert found, page
    return found.group(1)


async def test_the_link_signs_in_once_and_shows_the_network(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    out = await bot("alice@dm: /dashboard")
    assert "ใช้ได้ครั้งเดียว" in out and "10 นาที" in out
    path = link_in(out)
    page = await sign_in(client, path)
    assert "เครือข่ายทดสอบ" in page and "ภาพรวม" in page and "ปีการศึกษา 2569" in page
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/dashboard/n/1"))
    assert "edunet_dashboard" in cookie
    # The same link again: used up (another browser, or someone who saw it)
    again = await client.get(path)
    assert again.status == 410 and "หมดอายุ" in await again.text()


async def test_a_link_expires_after_ten_minutes(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    path = link_in(await bot("alice@dm: /dashboard"))
    await bot(":clock +11m")
    response = await client.get(path)
    assert response.status == 410


async def test_the_session_ends_after_half_an_hour_idle(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    await bot(":clock +25m")
    assert (await client.get("/dashboard/n/1/members")).status == 200  # in use: the idle clock restarts
    await bot(":clock +25m")
    assert (await client.get("/dashboard/n/1")).status == 200
    await bot(":clock +31m")
    response = await client.get("/dashboard/n/1")
    assert response.status == 401 and "/dashboard" in await response.text()


async def test_in_a_group_the_link_goes_to_the_private_chat(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, _client = web_bot
    await bot.setup_network()
    out = await bot("alice@teachers: /dashboard")
    group_lines = [line for line in out.splitlines() if "edunet.test" in line and "teachers" in line]
    assert not group_lines, out
    assert "ส่งให้ทางแชตส่วนตัว" in out or "แชตส่วนตัว" in out
    assert "edunet.test/dashboard/login" in bot.transcript


async def test_the_coordinator_changes_a_role_with_the_form(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    page = await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    members = await (await client.get("/dashboard/n/1/members")).text()
    assert "Bob" in members
    changed = await client.post("/dashboard/n/1/members/2/role", data={"role": "partner", "csrf": csrf_of(page)})
    assert changed.status == 200 and "สมาชิกหมายเลข 2" in await changed.text()
    out = await bot("alice@dm: /members")
    assert re.search(r"Bob \(ภาคีเครือข่าย\)", out), out
    # A form without its token (a page of another site posting here) changes nothing
    forged = await client.post("/dashboard/n/1/members/2/role", data={"role": "coordinator"})
    assert forged.status == 403
    assert "ผู้ประสานงาน" not in re.findall(r".*Bob.*", await bot("alice@dm: /members"))[0]


async def test_the_last_coordinator_keeps_the_role(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    page = await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    response = await client.post("/dashboard/n/1/members/1/role", data={"role": "teacher", "csrf": csrf_of(page)})
    assert "ต้องมีผู้ประสานงานอย่างน้อย 1 คน" in await response.text()
    assert (await client.get("/dashboard/n/1/members")).status == 200  # still a coordinator


async def test_a_teacher_sees_their_organisation_read_only(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("cat", "teacher")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว", "cat@dm: /org โรงเรียนวัดใหม่")
    page = await sign_in(client, link_in(await bot("bob@dm: /dashboard")))
    members = await (await client.get("/dashboard/n/1/members")).text()
    assert "Bob" in members and "Cat" not in members and "<select" not in members
    refused = await client.post("/dashboard/n/1/members/2/role", data={"role": "coordinator", "csrf": csrf_of(page)})
    assert refused.status == 403 and "ผู้ประสานงาน" in await refused.text()


async def test_a_parent_gets_no_link(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, _client = web_bot
    await bot.setup_network()
    await bot.add_member("pim", "parent")
    out = await bot("pim@dm: /dashboard")
    assert "edunet.test" not in out


async def test_another_networks_pages_are_refused(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot("zed@dm: /newnetwork เครือข่ายปลายน้ำ", "zed@dm: [Join as coordinator]")
    page = await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    for route in ROUTES:
        path = "/dashboard/n/2" + route.path.replace("{number}", "1").replace("{kind}", "activities").replace("{id}", "1")
        response = await (client.get(path) if route.method == "GET"
                          else client.post(path, data={"role": "teacher", "csrf": csrf_of(page)}))
        assert response.status == 403, (route, response.status)
        assert "ปลายน้ำ" not in await response.text()
    assert "Zed" not in await (await client.get("/dashboard/n/1/members")).text()


async def test_every_route_refuses_without_a_session(web_bot: tuple[Conversation, TestClient]) -> None:
    _bot, client = web_bot
    for route in ROUTES:
        path = "/dashboard/n/1" + route.path.replace("{number}", "1").replace("{kind}", "activities").replace("{id}", "1")
        response = await (client.get(path) if route.method == "GET" else client.post(path, data={}))
        assert response.status == 401, route


async def needs_and_pledges(bot: Conversation) -> None:
    """bob's school needs 40 tablets; pat pledges 10 (delivered), pim 5 (waiting)."""
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("pat", "partner")
    await bot.add_member("pim", "parent")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")
    await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ตสำหรับชั้น ป.6",
              "bob@dm: 40 เครื่อง", "bob@dm: 15/1/2570", "bob@dm: [Post]")
    await bot("pat@dm: /pledge 1", "pat@dm: 10 เครื่อง", "pat@dm: [private sector]", "pat@dm: [Today]",
              "pat@dm: [Confirm pledge]")
    if "ข้าม" in await bot("bob@dm: /pledges", "bob@dm: [#1]", "bob@dm: [Mark delivered]"):
        await bot("bob@dm: [Skip]")  # no note or photo
    await bot("pim@dm: /pledge 1", "pim@dm: 5", "pim@dm: [community]", "pim@dm: [Today]", "pim@dm: [Confirm pledge]")


async def test_the_needs_board_shows_progress_bars(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await needs_and_pledges(bot)
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    page = await (await client.get("/dashboard/n/1/needs")).text()
    assert "แท็บเล็ตสำหรับชั้น ป.6" in page and "15 ม.ค. 2570" in page
    assert 'aria-label="25%"' in page and 'aria-label="38%"' in page  # 10 of 40 delivered, 15 pledged


async def test_the_pledge_ledger_filters_by_status_and_sector(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await needs_and_pledges(bot)
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    everything = await (await client.get("/dashboard/n/1/pledges")).text()
    assert everything.count("data-pledge=") == 2 and "21 พ.ย. 2569" in everything
    waiting = await (await client.get("/dashboard/n/1/pledges?status=pledged")).text()
    assert 'data-pledge="2"' in waiting and 'data-pledge="1"' not in waiting and "รอส่งมอบ" in waiting
    private = await (await client.get("/dashboard/n/1/pledges?sector=private")).text()
    assert 'data-pledge="1"' in private and 'data-pledge="2"' not in private


async def test_the_overview_chart_is_a_png(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    page = await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    assert 'src="/dashboard/n/1/charts/aims.png"' in page and "ผู้เข้าร่วม 35 คน" in page
    chart = await client.get("/dashboard/n/1/charts/aims.png")
    assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")


async def test_the_activities_list_shows_photos_and_keeps_to_the_organisation(
        web_bot: tuple[Conversation, TestClient]) -> None:
    from tests.support.activities import send

    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("cat", "teacher")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว", "cat@dm: /org โรงเรียนวัดใหม่")
    await bot("bob@dm: /log", "bob@dm: เยี่ยมชมโรงเรียนต้นแบบ", "bob@dm: [joint academic activity]",
              "bob@dm: [Today]", "bob@dm: [Skip]", "bob@dm: 20", "bob@dm: 3", "bob@dm: [Skip]")
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    await send(bot, "bob", photo=photo)
    assert "บันทึกกิจกรรม #1 แล้ว" in await bot("bob@dm: บันทึก")
    await bot('cat@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    page = await (await client.get("/dashboard/n/1/activities")).text()
    assert "เยี่ยมชมโรงเรียนต้นแบบ" in page and "สื่อการสอนด้วย AI" in page and "21 พ.ย. 2569" in page
    assert page.count('class="photo"') == 1
    shown = await client.get("/dashboard/n/1/activities/1/photo")
    assert shown.status == 200 and await shown.read() == photo
    await client.post("/dashboard/logout", data={"csrf": csrf_of(page)})
    assert (await client.get("/dashboard/n/1/activities")).status == 401  # signed out
    await sign_in(client, link_in(await bot("cat@dm: /dashboard")))
    page = await (await client.get("/dashboard/n/1/activities")).text()
    assert "สื่อการสอนด้วย AI" in page and "เยี่ยมชมโรงเรียนต้นแบบ" not in page
    assert (await client.get("/dashboard/n/1/activities/1/photo")).status == 404  # bob's school's photo


async def test_deliveries_show_what_waits_for_a_free_chance(sqlite_url: str) -> None:
    bot, app = await make_conversation(sqlite_url, "line", billed_platforms=frozenset({"line"}), public_url=PUBLIC,
                                       secret_key="test-secret")
    server = WebServer(app.settings)
    add_routes(server, app)
    client = TestClient(TestServer(server.app))
    await client.start_server()
    try:
        await bot.setup_network()
        await bot.add_member("bob", "teacher")
        await bot("alice@dm: /role 2 partner")  # bob is told with digest urgency: it waits for a free chance
        await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
        page = await (await client.get("/dashboard/n/1/deliveries")).text()
        free = re.search(r'class="reason">([^<]*ถัดไป[^<]*|[^<]*ฟรี[^<]*): (\d+)<', page)
        assert free and int(free.group(2)) >= 1, page
        await sign_in(client, link_in(await bot("bob@dm: /dashboard")))
        assert (await client.get("/dashboard/n/1/deliveries")).status == 403
    finally:
        await client.close()
        await app.close()


def read_xlsx(content: bytes) -> dict[str, list[list[object]]]:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


async def test_the_coordinator_downloads_the_pledges_as_xlsx(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await needs_and_pledges(bot)
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    response = await client.get("/dashboard/n/1/export/pledges.xlsx")
    assert response.status == 200 and "pledges-2569.xlsx" in response.headers["Content-Disposition"]
    sheets = read_xlsx(await response.read())
    assert list(sheets) == ["สรุป", "รายการสนับสนุน"]
    assert sheets["สรุป"][0][0] == "การสนับสนุนของ เครือข่ายทดสอบ"
    ledger = sheets["รายการสนับสนุน"]
    assert ledger[0][:3] == ["ลำดับ", "เวลาที่แจ้งสนับสนุน", "โดย"]
    assert ledger[1][2] == "Pat" and ledger[1][5] == 10 and ledger[1][7] == "21/11/2569"
    assert ledger[1][8] == "รับมอบแล้ว" and ledger[2][4] == "ชุมชน"


async def test_a_teacher_cannot_download_the_network_s_file(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await sign_in(client, link_in(await bot("bob@dm: /dashboard")))
    assert (await client.get("/dashboard/n/1/export/activities.xlsx")).status == 403


async def test_activities_xlsx_from_the_cli_keeps_thai_and_be_dates(sqlite_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from handlers.activities import run_cli_export

    bot, app = await make_conversation(sqlite_url, "telegram")
    try:
        await bot.setup_network()
        await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    finally:
        await app.close()
    out = tmp_path / "activities.xlsx"
    assert await run_cli_export(sqlite_url, "activities", period="all", network_id=None, out=str(out), lang=None,
                                fmt="xlsx") == 0
    from openpyxl import load_workbook

    book = load_workbook(out)
    sheet = book["กิจกรรม"]
    assert sheet.freeze_panes == "A2"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[1][1] == "20/11/2569" and rows[1][2] == "สื่อการสอนด้วย AI" and rows[1][6] == 35 and rows[1][7] == 3
    assert sheet.cell(2, 7).number_format == "#,##0"
    summary = book["สรุป"]
    assert summary._charts, "the summary sheet has its chart"
    assert [r for r in summary.iter_rows(values_only=True) if r[0] == "การพัฒนาบุคลากร" or (r[1] == 1)]


async def test_export_xlsx_in_the_chat(bot: Conversation) -> None:
    await bot.setup_network()
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    out = await bot("alice@dm: /export activities this month xlsx")
    assert "activities-20261101-20261130.xlsx" in out, out
    assert "1 รายการ" in out


def test_every_route_declares_who_may_use_it() -> None:
    for route in ROUTES:
        assert route.roles, route
        if route.method == "POST":
            assert {r.value for r in route.roles} == {"coordinator"}, route


async def test_without_a_public_url_the_bot_says_so(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /dashboard")
    assert "EDUNET_PUBLIC_URL" in out and "/dashboard/login" not in out


def test_every_string_of_the_templates_has_a_thai_translation() -> None:
    from bot.i18n import catalog
    from handlers.dashboard.web import TEMPLATES

    thai = catalog("th")
    ids = {m for path in TEMPLATES.glob("*.html") for m in re.findall(r'\bt\("([^"]+)"', path.read_text())}
    assert ids and not sorted(i for i in ids if i not in thai)


async def test_the_session_cookie_is_httponly_samesite_and_scoped(web_bot: tuple[Conversation, TestClient]) -> None:
    bot, client = web_bot
    await bot.setup_network()
    path = link_in(await bot("alice@dm: /dashboard"))
    shown = await client.get(path)
    token = re.search(r'name="t" value="([\w-]+)"', await shown.text())
    assert token
    response = await client.post("/dashboard/login", data={"t": token.group(1)}, allow_redirects=False)
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/dashboard" in cookie
    assert "Secure" not in cookie  # the public URL is http here; an https one makes it Secure
