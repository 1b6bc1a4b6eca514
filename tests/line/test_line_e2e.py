"""End to end over real HTTP: ``python -m edunet serve`` as a process, signed webhooks in,
FakeLineAPI recording (and, with ../shared present, validating) every request out."""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import (
    FakeLineAPI,
    RecordedRequest,
    event_redelivered,
    follow_event,
    join_event,
    member_joined_event,
    new_group_id,
    new_user_id,
    postback_event,
    sign,
    text_event,
)
from tests.line.harness import ADMIN, SECRET, TOKEN, LineBot, all_text, postback, walk

pytestmark = pytest.mark.slow

PARENT = "U" + "0a" * 16
HIDDEN = None  # a group member whose id LINE does not reveal


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    # Validation against LINE's spec when ../shared is present (contract tests); plain otherwise.
    async with FakeLineAPI(access_token=TOKEN, spec=load_line_spec()) as server:
        server.add_profile(ADMIN, "Alice", language="th")
        server.add_profile(PARENT, "Bob", language="th")
        yield server


@pytest.fixture
async def line(fake: FakeLineAPI, sqlite_url: str, tmp_path: Path) -> AsyncIterator[LineBot]:
    bot = LineBot(fake, sqlite_url, tmp_path)
    try:
        await bot.start()  # inside the try: a failed start still closes the session and stops the process
        yield bot
    finally:
        await bot.stop()
    assert bot.process is not None and bot.process.returncode == 0, bot.log[-3000:]


def data(messages: list[dict], action: str) -> str:
    """The postback data of the first button for ``action`` (payload ``1|action|...``)."""
    for text in re.findall(r"'data': '([^']*)'", str(messages)):
        if text.split("|")[1:2] == [action]:
            return text
    raise AssertionError(f"no {action} button in {messages}")


async def opening(line: LineBot, group: str) -> None:
    """Admin creates a network, joins as coordinator, the bot joins a group that gets linked,
    a parent registers by button."""
    fake = line.fake
    said = all_text(await line.send(text_event(ADMIN, "/newnetwork เครือข่ายทดสอบ", fake=fake)))
    assert "เครือข่ายทดสอบ" in said and re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said), said
    created = fake.replies[-1]["messages"]
    said = all_text(await line.send(postback_event(ADMIN, data(created, "joincode"), fake=fake)))
    assert "ผู้ประสานงาน" in said, said  # registered as a coordinator

    greeting = all_text(await line.send(join_event(group, fake=fake)))
    assert "/linkgroup" in greeting, greeting
    linked = await line.send(text_event(ADMIN, "/linkgroup", group, fake=fake))
    assert "เครือข่ายทดสอบ" in all_text(linked)
    said = all_text(await line.send(postback_event(PARENT, data(linked, "reg"), group, fake=fake)))
    assert "Bob" in said and "ผู้ปกครอง" in said, said


async def test_the_core_journey_over_real_http(line: LineBot) -> None:
    fake = line.fake
    group = new_group_id()
    await opening(line, group)
    assert [r.path for r in fake.requests if r.path.endswith("/reply")], "answers use reply tokens"
    assert fake.push_count == 0  # everything so far was free

    # New people join the group: one welcome with the Register button for the whole batch.
    newcomers = [new_user_id(), new_user_id()]
    welcome = await line.send(member_joined_event(group, newcomers, fake=fake))
    assert data(welcome, "reg") and len(fake.replies[-1]["messages"]) == 1

    # A group member LINE does not identify taps Register: ask them to add the bot as a friend.
    linked = fake.replies[-3]["messages"]
    said = await line.send(postback_event(HIDDEN, data(linked, "reg"), group, fake=fake))  # type: ignore[arg-type]
    assert "เพื่อน" in all_text(said), said
    assert any(n.get("type") == "uri" and "line.me" in n.get("uri", "") for n in _walk(said))

    # The parent adds the bot as a friend; the coordinator makes them a teacher: a push, with a retry key.
    await line.send(follow_event(PARENT, fake=fake))
    mark = len(fake.requests)
    members = all_text(await line.send(text_event(ADMIN, "/members", fake=fake)))
    number = re.search(r"(\d+)\. Bob", members)
    assert number, members
    await line.send(text_event(ADMIN, f"/role {number.group(1)} teacher", fake=fake))
    [push] = await line.wait_requests(PARENT, mark, count=1)
    assert push.path == "/v2/bot/message/push" and "ครู" in all_text(push.json["messages"])
    key = push.header("X-Line-Retry-Key")
    assert key and uuid.UUID(key)
    await line.wait_db("SELECT retry_key, status FROM outbox", [(key, "sent")])
    await line.wait_db(f"SELECT pushes, push_messages, recipients FROM delivery_stats "
                       f"WHERE platform_chat_id = '{PARENT}'", [(1, 1, 1)])

    # LINE redelivers an event: nothing changes, nothing is sent.
    event = text_event(ADMIN, f"/role {number.group(1)} partner", fake=fake)
    await line.send(event)
    await line.wait_requests(PARENT, mark, count=2)  # the second role-change push
    before, requests = line.db_fingerprint(), len(fake.requests)
    assert await line.post([event_redelivered(event)]) == 200
    await asyncio.sleep(0.5)
    assert line.db_fingerprint() == before and len(fake.requests) == requests
    assert line.db_rows(f"SELECT role FROM members WHERE platform_user_id = '{PARENT}'") == [("partner",)]
    assert fake.violations == []


def _walk(messages: list[dict]) -> list[dict]:
    from tests.line.harness import walk

    return list(walk(messages))


async def test_forged_malformed_and_oversized_webhooks_touch_nothing(line: LineBot) -> None:
    fake = line.fake
    before, requests = line.db_fingerprint(), len(fake.requests)
    event = text_event(ADMIN, "/newnetwork Evil", fake=fake)
    from tests.fakes.line_api import webhook_body

    body = webhook_body([event])
    assert await line.post(body=body, signature=None) == 401
    assert await line.post(body=body, signature="bm90IHRoZSBzaWduYXR1cmU=") == 401
    assert await line.post(body=body, signature=sign(body, "another-secret")) == 401
    assert await line.post(body=body + b" ", signature=sign(body, SECRET)) == 401  # body changed after signing
    assert await line.post(body=b"{not json", signature=sign(b"{not json", SECRET)) == 400
    assert await line.post(body=b'{"events": "nope"}', signature=sign(b'{"events": "nope"}', SECRET)) == 400
    deep = b'{"events": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"  # once answered 500 (RecursionError)
    assert await line.post(body=deep, signature=sign(deep, SECRET)) == 400
    huge = b'{"events": [], "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    assert await line.post(body=huge, signature=sign(huge, SECRET)) == 413
    await asyncio.sleep(0.3)
    assert line.db_fingerprint() == before
    assert len(fake.requests) == requests
    # LINE's "verify" button posts an empty, signed event list: 200.
    assert await line.post([]) == 200


async def test_stale_or_rejected_reply_tokens_fall_back_to_a_push_and_429_is_honoured(line: LineBot) -> None:
    fake = line.fake
    # A token older than LINE's window is not even tried: the answer is pushed (with a retry key).
    stale = text_event(ADMIN, "/help", fake=fake, timestamp=int((time.time() - 120) * 1000))
    messages = await line.send(stale)
    assert "/help" in all_text(messages) or "/join" in all_text(messages)
    assert not [r for r in fake.requests if r.path.endswith("/reply")]
    assert fake.pushes[-1]["to"] == ADMIN

    # A reply token LINE rejects: the reply fails, the answer is pushed instead.
    mark = len(fake.requests)
    await line.send(text_event(ADMIN, "/help", reply_token="f" * 32))
    assert [r.status for r in fake.requests[mark:] if r.path.startswith("/v2/bot/message/")] == [400, 200]

    # A redelivery of an event we never saw (our first answer was lost) is handled, but its
    # reply token is not used: the answer is pushed.
    mark = len(fake.requests)
    await line.send(event_redelivered(text_event(ADMIN, "/help", fake=fake)))
    assert [r.path for r in fake.requests[mark:] if "/message/" in r.path] == ["/v2/bot/message/push"]

    # A 429 on the push: the outbox retries later with the same retry key, and it is delivered once.
    fake.inject_error("/v2/bot/message/push", 429, times=1)
    mark = len(fake.requests)
    late = text_event(ADMIN, "/start", fake=fake, timestamp=int((time.time() - 120) * 1000))
    assert await line.post([late]) == 200
    await line.wait_requests(ADMIN, mark, count=1, timeout=20)
    pushes = [r for r in fake.requests[mark:] if r.path == "/v2/bot/message/push"]
    assert [r.status for r in pushes] == [429, 200]
    assert pushes[0].header("X-Line-Retry-Key") == pushes[1].header("X-Line-Retry-Key")
    assert fake.violations == []


async def test_serve_refuses_an_http_public_url_without_the_development_flag(
        fake: FakeLineAPI, sqlite_url: str, tmp_path: Path) -> None:
    bot = LineBot(fake, sqlite_url, tmp_path, EDUNET_ALLOW_HTTP_PUBLIC_URL="0")
    with pytest.raises(AssertionError, match="exited"):
        await bot.start(timeout=20)
    await bot.stop()
    assert "https" in bot.log and "EDUNET_ALLOW_HTTP_PUBLIC_URL" in bot.log


# ------------------------------------------------------------------ the whole network, as LINE users


BANGKOK = ZoneInfo("Asia/Bangkok")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def button_data(messages: list[dict], pattern: str) -> str:
    """The postback data of the first button (Flex or quick reply) whose data matches ``pattern``."""
    for node in walk(messages):
        if node.get("type") == "postback" and re.fullmatch(pattern, str(node.get("data"))):
            return str(node["data"])
    raise AssertionError(f"no button with data {pattern!r} in {json.dumps(messages, ensure_ascii=False)[:1500]}")


def be_date(day: date) -> str:
    """d/m/yyyy in the Buddhist Era, as a Thai user types it."""
    return f"{day.day}/{day.month}/{day.year + 543}"


async def test_the_network_scenario_over_line(line: LineBot) -> None:
    """Join with an invite code, link a group, log an activity, pledge toward a need, answer a poll by
    buttons, RSVP to a meeting, and receive its reminder and the weekly summary with its chart photo:
    signed webhooks in, LINE's API out (checked against its spec), Thai UI, one bot process."""
    fake = line.fake

    async def answer(event: dict[str, Any]) -> list[dict[str, Any]]:
        """Post one event; the messages of the bot's *reply* to it (scheduled pushes to the same
        chat, such as the reminder, may arrive meanwhile and are not mistaken for the answer)."""
        chat = event["source"].get("groupId") or event["source"]["userId"]
        since = len(fake.requests)
        assert await line.post([event]) == 200

        def replied() -> list[dict[str, Any]]:
            return [m for r in line.delivered(chat, since) if r.path.endswith("/reply") for m in r.json["messages"]]
        try:
            return await fake.wait_for(replied, timeout=10)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n--- serve log ---\n{line.log[-4000:]}") from None

    async def say(user: str, text: str, group: str | None = None) -> list[dict[str, Any]]:
        return await answer(text_event(user, text, group, fake=fake))

    async def tap(user: str, data: str, group: str | None = None) -> list[dict[str, Any]]:
        return await answer(postback_event(user, data, group, fake=fake))

    def pushed(chat: str, needle: str, since: int = 0) -> list[RecordedRequest]:
        return [r for r in line.delivered(chat, since)
                if r.path == "/v2/bot/message/push" and needle in all_text(r.json["messages"])]

    # The administrator creates the network and joins it as coordinator with its invite code.
    created = all_text(await say(ADMIN, "/newnetwork เครือข่ายทดสอบ"))
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", created)
    assert code, created
    notice = await say(ADMIN, f"/join {code.group(0)}")  # PDPA: the notice, then the consent button
    assert "ประกาศเรื่องข้อมูลส่วนบุคคล" in all_text(notice)
    assert "ผู้ประสานงาน" in all_text(await tap(ADMIN, postback(notice, "ยินยอมและลงทะเบียน")))
    # A teacher invite; Bob adds the bot as a friend and joins with that code.
    invited = all_text(await say(ADMIN, "/invite teacher"))
    teacher_code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", invited)
    assert teacher_code, invited
    await answer(follow_event(PARENT, fake=fake))
    notice = await say(PARENT, f"/join {teacher_code.group(0)}")
    joined = all_text(await tap(PARENT, postback(notice, "ยินยอมและลงทะเบียน")))
    assert "เครือข่ายทดสอบ" in joined and "ครู" in joined, joined
    assert "โรงเรียนบ้านหนองบัว" in all_text(await say(PARENT, "/org โรงเรียนบ้านหนองบัว"))

    # The bot is added to a group; the coordinator links it.
    group = new_group_id()
    assert "/linkgroup" in all_text(await answer(join_event(group, fake=fake)))
    assert "เครือข่ายทดสอบ" in all_text(await say(ADMIN, "/linkgroup", group))
    mark = len(fake.requests)

    # Bob logs yesterday's workshop in one line (so it falls in the weekly summary's last week).
    yesterday = datetime.now(BANGKOK).date() - timedelta(days=1)
    logged = all_text(await say(PARENT, f'/log workshop {be_date(yesterday)} "สื่อการสอน AI" 35 people 3h'))
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in logged and "ผู้เข้าร่วม\n35" in logged, logged

    # The weekly summary and the meeting's reminder fall due at the same minute, the first whole
    # minute after the meeting flow and the RSVP are surely done: the summary at HH:MM today, the
    # meeting at HH:MM + 5 min with a 5-minute reminder (reminders already due at creation are skipped).
    due = (datetime.now(BANGKOK) + timedelta(seconds=8)).replace(second=0, microsecond=0) + timedelta(minutes=1)
    said = all_text(await say(ADMIN, f"/settings summary {WEEKDAYS[due.weekday()]} {due:%H:%M}"))
    assert "บันทึกแล้ว" in said and f"{due:%H:%M}" in said, said
    assert "5 นาที" in all_text(await say(ADMIN, "/settings reminders 5m"))

    # The coordinator calls a meeting in the group, step by step, with the buttons the bot sends.
    starts = due + timedelta(minutes=5)
    assert "เมื่อไร" in all_text(await say(ADMIN, "/meeting ประชุมวางแผน", group))
    asked = await say(ADMIN, f"{starts:%Y-%m-%d %H:%M}", group)
    asked = await tap(ADMIN, postback(asked, "1 ชั่วโมง"), group)
    asked = await say(ADMIN, "ห้องประชุม 3", group)
    asked = await tap(ADMIN, postback(asked, "ไม่มีวาระ"), group)
    preview = await tap(ADMIN, postback(asked, "กลุ่มนี้"), group)
    made = await tap(ADMIN, postback(preview, "สร้าง"), group)
    shown = all_text(made)
    assert "📅 ประชุมวางแผน" in shown and "ไป 0 · อาจจะไป 0 · ไม่ไป 0" in shown, shown
    assert "สร้างการประชุม #1" in shown and "ก่อน 5 นาที" in shown, shown
    assert made[0]["type"] == "flex"

    # Bob taps Going on the card in the group: the card comes back with the count.
    going = all_text(await tap(PARENT, button_data(made, r"1\|rsvp\|1\|y"), group))
    assert "ไป 1 · อาจจะไป 0 · ไม่ไป 0" in going, going
    assert datetime.now(BANGKOK) < due, "the meeting steps took longer than the margin before the due minute"

    # While the minute runs: Bob posts a need privately; its card shows the progress bar.
    asked = await say(PARENT, "/need")
    asked = await tap(PARENT, postback(asked, "วัสดุอุปกรณ์"))
    await say(PARENT, "แท็บเล็ตสำหรับชั้น ป.6")
    await say(PARENT, "40 เครื่อง")
    preview = await say(PARENT, be_date(datetime.now(BANGKOK).date() + timedelta(days=60)))
    posted = all_text(await tap(PARENT, postback(preview, "ประกาศ")))
    assert "ประกาศความต้องการ #1 แล้ว" in posted and "0 เครื่อง จาก 40 เครื่อง" in posted, posted

    # The coordinator pledges from /needs with the card's Pledge button: the progress moves.
    needs = await say(ADMIN, "/needs")
    asked = await tap(ADMIN, postback(needs, "ร่วมสนับสนุน"))
    assert "จำนวนกี่เครื่อง" in all_text(asked), all_text(asked)
    asked = await say(ADMIN, "30")
    asked = await tap(ADMIN, postback(asked, "ภาคเอกชน"))
    preview = await tap(ADMIN, postback(asked, "ภายใน 1 สัปดาห์"))
    pledged = all_text(await tap(ADMIN, postback(preview, "ยืนยันการสนับสนุน")))
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว: 30 เครื่อง" in pledged, pledged
    assert "ยอดที่แจ้งสนับสนุน 30 เครื่อง" in pledged and "75%" in pledged, pledged

    # Bob asks the group a quick poll; two members vote by tapping its buttons (silent in a group;
    # the coordinator changes his mind once); the coordinator asks for the counts.
    poll = await say(PARENT, '/poll "ไปทัศนศึกษาที่ไหนดี" สวนสัตว์ | พิพิธภัณฑ์ | ทะเล', group)
    assert "ไปทัศนศึกษาที่ไหนดี" in all_text(poll) and poll[0]["type"] == "flex", poll
    sea, zoo = postback(poll, "ทะเล"), postback(poll, "สวนสัตว์")
    for user, choice in ((PARENT, sea), (ADMIN, zoo), (ADMIN, sea)):
        assert await line.post([postback_event(user, choice, group, fake=fake)]) == 200
    await line.wait_db("SELECT count(*) FROM survey_responses", [(2,)])
    results = all_text(await say(ADMIN, "/results 1", group))
    assert "จำนวนผู้โหวต\n2" in results and "• ทะเล: 2 (100%)" in results, results
    assert "• สวนสัตว์: 0 (0%)" in results, results  # the changed vote moved

    # The reminder: pushed to the group and privately to Bob, who is going (not to the coordinator,
    # who did not answer), each with a retry key.
    try:
        await fake.wait_for(lambda: pushed(group, "⏰", mark) and pushed(PARENT, "⏰", mark), timeout=100)
        summaries = await fake.wait_for(lambda: pushed(group, "สรุปความคืบหน้า", mark), timeout=30)
    except TimeoutError as exc:
        raise AssertionError(f"{exc}\n--- serve log ---\n{line.log[-4000:]}") from None
    for reminder in (*pushed(group, "⏰", mark), *pushed(PARENT, "⏰", mark)):
        text = all_text(reminder.json["messages"])
        assert "⏰ เตือนความจำ: “ประชุมวางแผน” จะเริ่มในอีก" in text and "ห้องประชุม 3" in text, text
        assert uuid.UUID(reminder.header("X-Line-Retry-Key") or "")
        assert button_data(reminder.json["messages"], r"1\|rsvp\|1\|y")  # answer right from the reminder
    assert not pushed(ADMIN, "⏰", mark)

    # The weekly summary: one push to the group, a Flex card and the chart as an image message
    # whose URLs our server serves as PNG. The group's reminder falls due the same minute: when the
    # dispatcher finds both rows due at once (it often does on a busy machine), outbox batching puts
    # them into one push, as designed (one billed message), so the reminder's card may ride along.
    [summary] = summaries
    assert uuid.UUID(summary.header("X-Line-Retry-Key") or "")
    card, image = [m for m in summary.json["messages"] if "⏰" not in all_text([m])]
    text = all_text([card])
    assert card["type"] == "flex" and "📊 สรุปความคืบหน้า: เครือข่ายทดสอบ" in text, text
    assert "กิจกรรม: 1 ครั้ง" in text and "ผู้เข้าร่วม: 35 คน" in text, text  # Bob's workshop
    assert "ประชุมวางแผน (ไป 1 คน)" in text, text  # the upcoming meeting, with Bob going
    assert image["type"] == "image"
    async with aiohttp.ClientSession() as session:
        for url in (image["originalContentUrl"], image["previewImageUrl"]):
            assert url.startswith(f"{line.url}/media/"), url
            async with session.get(url) as response:
                body = await response.read()
                assert response.status == 200 and response.content_type == "image/png", url
                assert body.startswith(b"\x89PNG\r\n\x1a\n"), url

    # Everything was delivered exactly once, and every request matched LINE's spec.
    await line.wait_db("SELECT count(*) FROM outbox WHERE status <> 'sent'", [(0,)])
    assert len(pushed(group, "⏰", mark)) == 1 and len(pushed(PARENT, "⏰", mark)) == 1
    assert fake.violations == []
