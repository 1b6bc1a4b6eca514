"""The web view inside LINE (LIFF) and announcements the coordinator shares into chats themselves.

The page hands over the LIFF ID token; the server asks LINE Login (here :class:`FakeLineLogin` on
127.0.0.1) who it belongs to and opens the same session a one-time link opens. Sharing records what
LINE tells: that it was sent, by whom, when — nothing is pushed or billed for it.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web import WebServer
from handlers.dashboard import add_routes
from storage.deliveries import DeliveryRepo
from tests.contracts.line_openapi import require_line_spec
from tests.fakes.line_login import FakeLineLogin
from tests.support.conversation import Conversation, make_conversation

CHANNEL = "1650000001"
LIFF_ID = "1650000001-AbCdEfGh"


@dataclass
class Liff:
    bot: Conversation
    client: TestClient
    login: FakeLineLogin


@pytest.fixture
async def liff(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Liff]:
    login = FakeLineLogin(channel_id=CHANNEL)
    await login.start()
    monkeypatch.setenv("LINE_LOGIN_CHANNEL_ID", CHANNEL)
    monkeypatch.setenv("LINE_LIFF_ID", LIFF_ID)
    monkeypatch.setenv("LINE_LOGIN_API_BASE_URL", login.url)
    bot, app = await make_conversation(sqlite_url, "line", public_url="http://edunet.test", secret_key="test-secret")
    login.clock = app.clock.now
    server = WebServer(app.settings)
    add_routes(server, app)
    client = TestClient(TestServer(server.app))
    await client.start_server()
    yield Liff(bot, client, login)
    await client.close()
    await app.close()
    await login.close()


async def open_in_line(client: TestClient, token: str, **extra: str) -> tuple[int, dict[str, str]]:
    """What the entry page's script does inside LINE: load the page, then post the LIFF ID token."""
    entry = await client.get("/dashboard")
    assert entry.status == 200, await entry.text()
    config = json.loads(re.search(r'id="inapp-config">(.*?)</script>', await entry.text(), re.S).group(1))  # type: ignore[union-attr]
    assert config["appId"] == LIFF_ID
    answer = await client.post(config["sessionUrl"], data={"token": token, "state": config["state"], **extra})
    return answer.status, await answer.json()


async def test_a_coordinator_opens_the_web_view_inside_line(liff: Liff) -> None:
    await liff.bot.setup_network()
    status, body = await open_in_line(liff.client, liff.login.issue("alice", name="Alice"))
    assert status == 200 and body["next"] == "/dashboard/n/1"
    assert liff.login.verified == [("alice", CHANNEL)]  # LINE Login was asked, with our channel id
    page = await liff.client.get("/dashboard/n/1")
    assert page.status == 200 and "เครือข่ายทดสอบ" in await page.text()


async def test_the_entry_page_loads_the_liff_sdk_it_may_load(liff: Liff) -> None:
    entry = await liff.client.get("/dashboard")
    text = await entry.text()
    assert 'src="https://static.line-scdn.net/liff/edge/2/sdk.js"' in text
    policy = entry.headers["Content-Security-Policy"]
    assert "script-src 'self' https://static.line-scdn.net;" in policy and "https://api.line.me" in policy
    assert "HttpOnly" in entry.headers["Set-Cookie"] and "SameSite=Lax" in entry.headers["Set-Cookie"]
    script = await liff.client.get("/dashboard/app/line/client.js")
    assert "liff.init({ liffId: config.appId })" in await script.text()


async def test_a_token_for_another_liff_app_is_refused(liff: Liff) -> None:
    await liff.bot.setup_network()
    status, body = await open_in_line(liff.client, liff.login.issue("alice", audience="1999999999"))
    assert status == 401 and "แอป LINE อื่น" in body["error"]
    assert (await liff.client.get("/dashboard/n/1")).status == 401


async def test_an_expired_token_is_refused(liff: Liff) -> None:
    await liff.bot.setup_network()
    token = liff.login.issue("alice", lifetime=timedelta(hours=1))
    await liff.bot(":clock +61m")
    status, body = await open_in_line(liff.client, token)
    assert status == 401 and "หมดอายุ" in body["error"]


async def test_someone_who_is_not_a_member_and_a_parent_are_refused(liff: Liff) -> None:
    await liff.bot.setup_network()
    await liff.bot.add_member("pat", "parent")
    for who in ("zed", "pat"):
        status, body = await open_in_line(liff.client, liff.login.issue(who))
        assert status == 403 and "ผู้ประสานงาน ครู และภาคีเครือข่าย" in body["error"], who
    assert (await liff.client.get("/dashboard/n/1")).status == 401


async def test_a_user_id_sent_by_the_page_is_never_believed(liff: Liff) -> None:
    await liff.bot.setup_network()
    await liff.bot.add_member("bob", "teacher")
    # Bob's own token, with Alice's LINE user id added by a tampered page: Bob's session, read-only
    status, body = await open_in_line(liff.client, liff.login.issue("bob"), user_id="alice", sub="alice")
    assert status == 200
    members = await liff.client.get("/dashboard/n/1/deliveries")
    assert members.status == 403  # a teacher's session, not the coordinator's
    # A made-up token opens nothing
    status, _body = await open_in_line(liff.client, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.")
    assert status == 401


async def test_a_sign_in_without_the_entry_page_s_state_is_refused(liff: Liff) -> None:
    await liff.bot.setup_network()
    answer = await liff.client.post("/dashboard/app/line/session", data={"token": liff.login.issue("alice"),
                                                                         "state": "made-up"})
    assert answer.status == 403 and not liff.login.verified


async def test_without_liff_settings_the_entry_says_it_is_not_set_up(sqlite_url: str) -> None:
    bot, app = await make_conversation(sqlite_url, "line", public_url="http://edunet.test", secret_key="s")
    server = WebServer(app.settings)
    add_routes(server, app)
    async with TestClient(TestServer(server.app)) as client:
        entry = await client.get("/dashboard")
        assert entry.status == 404 and "/dashboard" in await entry.text()
    await app.close()


async def signed_in_coordinator(liff: Liff) -> str:
    """A network with two LINE groups; Alice signed in through LIFF; a page's CSRF token."""
    await liff.bot.setup_network()
    await liff.bot("alice@parents: /linkgroup")
    status, _body = await open_in_line(liff.client, liff.login.issue("alice"))
    assert status == 200
    page = await (await liff.client.get("/dashboard/n/1/announce")).text()
    return re.search(r'name="csrf" value="([\w-]+)"', page).group(1)  # type: ignore[union-attr]


async def test_the_composer_checks_the_text_as_announce_does(liff: Liff) -> None:
    csrf = await signed_in_coordinator(liff)
    empty = await liff.client.post("/dashboard/n/1/announce", data={"csrf": csrf, "text": "  ", "audience": "all"})
    assert "กรุณาส่งข้อความยาว 1 ถึง 4000 ตัวอักษร" in await empty.text()
    none = await liff.client.post("/dashboard/n/1/announce", data={"csrf": csrf, "text": "x", "audience": "groups"})
    assert "กรุณาเลือกอย่างน้อยหนึ่งกลุ่ม" in await none.text() or "อย่างน้อย" in await none.text()
    forged = await liff.client.post("/dashboard/n/1/announce", data={"text": "x", "audience": "all"})
    assert forged.status == 403


async def test_a_shared_announcement_is_recorded_and_nothing_is_pushed(liff: Liff) -> None:
    csrf = await signed_in_coordinator(liff)
    composed = await liff.client.post("/dashboard/n/1/announce",
                                      data={"csrf": csrf, "text": "งดการเรียนการสอนวันศุกร์นี้", "audience": "all"})
    assert composed.status == 200 and str(composed.url).endswith("/dashboard/n/1/announce/1")
    page = await composed.text()
    assert "ส่งเข้ากลุ่มด้วยตัวฉันเอง" in page
    messages = json.loads(re.search(r'id="share-messages">(.*?)</script>', page, re.S).group(1))["messages"]  # type: ignore[union-attr]
    assert [m["type"] for m in messages] == ["flex"]
    assert "งดการเรียนการสอนวันศุกร์นี้" in json.dumps(messages, ensure_ascii=False)
    # The page reports what LINE said: sent
    answer = await liff.client.post("/dashboard/n/1/announce/1/shared", data={"csrf": csrf, "result": "sent"})
    assert answer.status == 200 and (await answer.json())["next"] == "/dashboard/n/1/announce/1?done=shared"
    again = await liff.client.post("/dashboard/n/1/announce/1/shared", data={"csrf": csrf, "result": "sent"})
    assert again.status == 409  # recorded once
    report = await liff.bot("alice@dm: /announce report 1")
    assert "ส่งแล้ว 0 · รอส่ง 0 · ไม่สำเร็จ 0" in report
    assert "Alice ส่งเข้าแชตที่เลือกเองด้วยหน้าต่างเลือกแชตของ LINE เมื่อ 21 พ.ย. 2569 09:00 น." in report
    assert "ไม่แจ้งบอตว่าส่งเข้าแชตใดบ้าง" in report
    async with liff.bot.app.db.transaction() as conn:
        assert await DeliveryRepo(conn).by_chat(1, key_prefix="announce:1:") == []
    assert "📢" not in liff.bot.transcript  # nobody got a push
    # The bot does not guess which chats were covered: the coordinator ticks those it should still deliver to
    shown = await (await liff.client.get("/dashboard/n/1/announce/1")).text()
    chats = dict((title, number) for number, title in re.findall(r'name="chat" value="(\d+)" > (\w+) \(LINE\)', shown))
    assert set(chats) == {"teachers", "parents"}
    rest = await liff.client.post("/dashboard/n/1/announce/1/rest", data={"csrf": csrf, "chat": chats["parents"]})
    assert rest.status == 200 and "บอตจะส่งให้แชตที่ท่านเลือกไว้" in await rest.text()
    out = await liff.bot("alice@parents: สวัสดีครับ")
    assert "bot@parents → 📢" in liff.bot.transcript and "bot@teachers → 📢" not in liff.bot.transcript, out
    assert "ส่งแล้ว 1 · รอส่ง 0" in await liff.bot("alice@dm: /announce report 1")


async def test_a_report_that_is_not_sent_records_nothing(liff: Liff) -> None:
    csrf = await signed_in_coordinator(liff)
    await liff.client.post("/dashboard/n/1/announce", data={"csrf": csrf, "text": "ประชุมครู", "audience": "all"})
    answer = await liff.client.post("/dashboard/n/1/announce/1/shared", data={"csrf": csrf, "result": "cancelled"})
    assert answer.status == 404
    assert "ไม่พบประกาศที่ส่งแล้ว" in await liff.bot("alice@dm: /announce report 1")


async def test_the_bot_can_still_send_a_composed_draft(liff: Liff) -> None:
    csrf = await signed_in_coordinator(liff)
    await liff.client.post("/dashboard/n/1/announce", data={"csrf": csrf, "text": "ประชุมครู", "audience": "all"})
    sent = await liff.client.post("/dashboard/n/1/announce/1/send", data={"csrf": csrf, "how": "now"})
    assert sent.status == 200 and "บอตกำลังส่งประกาศนี้" in await sent.text()
    out = await liff.bot("alice@dm: /deliveries")  # the console delivers what is due after each line
    assert "bot@parents → 📢" in out and "bot@teachers → 📢" in out
    assert "ส่งแล้ว 2 · รอส่ง 0" in await liff.bot("alice@dm: /announce report 1")


async def test_the_shared_card_is_a_flex_message_line_accepts(liff: Liff) -> None:
    spec = require_line_spec()
    csrf = await signed_in_coordinator(liff)
    await liff.client.post("/dashboard/n/1/announce", data={"csrf": csrf, "text": "ก" * 4000, "audience": "all"})
    page = await (await liff.client.get("/dashboard/n/1/announce/1")).text()
    messages = json.loads(re.search(r'id="share-messages">(.*?)</script>', page, re.S).group(1))["messages"]  # type: ignore[union-attr]
    for message in messages:
        assert spec.schema_errors("Message", message) == []
        assert not re.search(r'"type":\s*"postback"', json.dumps(message))  # the picker takes URI actions only


async def test_a_teacher_signed_in_through_line_cannot_announce(liff: Liff) -> None:
    await liff.bot.setup_network()
    await liff.bot.add_member("bob", "teacher")
    status, _body = await open_in_line(liff.client, liff.login.issue("bob"))
    assert status == 200
    page = await liff.client.get("/dashboard/n/1/announce")
    assert page.status == 403 and "เฉพาะผู้ประสานงาน" in await page.text()
    assert "/announce" not in await (await liff.client.get("/dashboard/n/1")).text()  # no link to it either


async def test_a_member_of_two_networks_opens_the_one_the_link_names(liff: Liff) -> None:
    await liff.bot.setup_network()
    await liff.bot("alice@dm: /newnetwork เครือข่ายปลายน้ำ", "alice@dm: [Join as coordinator]")
    status, body = await open_in_line(liff.client, liff.login.issue("alice"), next="/dashboard/n/1/announce")
    assert status == 200 and body["next"] == "/dashboard/n/1/announce"
    assert (await liff.client.get("/dashboard/n/1/announce")).status == 200


async def test_shares_are_stored_per_network_on_each_engine(db_url: str) -> None:
    from datetime import datetime, timezone

    from storage.announcement_shares import AnnouncementShareRepo
    from storage.db import Database
    from storage.meetings import AnnouncementRepo
    from storage.membership import MemberRepo, NetworkRepo

    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            ours = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=now)
            other = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=now)
            alice = await MemberRepo(conn).add(ours.id, platform="line", platform_user_id="U1", display_name="Alice",
                                               role="coordinator", language="th", now=now)
            ann = await AnnouncementRepo(conn).create(ours.id, text="x", created_by=alice.id, now=now)
            repo = AnnouncementShareRepo(conn)
            await repo.record(ours.id, ann.id, member_id=alice.id, platform="line", now=now)
        async with db.transaction() as conn:
            shares = await AnnouncementShareRepo(conn).of(ours.id, ann.id)
            assert [(s.member_id, s.platform, s.via, s.shared_at) for s in shares] == [(alice.id, "line", "share", now)]
            assert await AnnouncementShareRepo(conn).of(other.id, ann.id) == []
    finally:
        await db.dispose()
