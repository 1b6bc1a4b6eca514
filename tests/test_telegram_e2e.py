"""End to end over real HTTP: ``python -m edunet serve`` as a subprocess against the fake
Bot API on 127.0.0.1, in long-polling and in webhook mode.

The core scenario (joining, linking a group, redelivery, 429s, migration, blocking) and,
at the bottom, the issue's whole scenario with the features in one bot process: log an
activity, pledge toward a need, answer a poll by buttons, RSVP to a meeting and get its
reminder, and the weekly summary with its chart photo.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from storage.db import Database
from storage.membership import ChatRepo, MemberRepo
from storage.sent_messages import SentMessageRepo
from tests.fakes.telegram_api import FakeTelegramAPI, SentRecord
from tests.support.telegram import (ALICE, BOB, CAROL, GROUP, Served, button, codes, said, served, settled)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def chat_in_db(running: Served, chat_id: int):  # type: ignore[no-untyped-def]
    db = Database(running.database_url)
    try:
        async with db.transaction() as conn:
            return await ChatRepo(conn).by_platform_id("telegram", str(chat_id))
    finally:
        await db.dispose()


async def members_in_db(running: Served) -> list[str]:
    db = Database(running.database_url)
    try:
        async with db.transaction() as conn:
            return [f"{m.display_name}:{m.role}" for m in await MemberRepo(conn).list(1)]
    finally:
        await db.dispose()


async def opening(running: Served) -> None:
    """Alice (an admin) creates a network, joins with its invite code, links a group;
    Bob registers as a parent by the group's button."""
    fake = running.fake
    fake.user_sends_text(ALICE, ALICE, "/newnetwork เครือข่ายโรงเรียนริมน้ำ")
    await said(fake, ALICE, "เครือข่ายโรงเรียนริมน้ำ")
    [code] = codes(fake, ALICE)
    fake.user_sends_text(ALICE, ALICE, f"/join {code}")
    await said(fake, ALICE, "ก่อนเข้าร่วม")  # PDPA: the notice, then the consent button
    message_id, data = button(fake, ALICE, "ยินยอมและลงทะเบียน")
    fake.user_presses_button(ALICE, ALICE, message_id, data)
    await said(fake, ALICE, "ยินดีต้อนรับสู่")
    fake.bot_added_to_group(GROUP, ALICE)
    assert "/linkgroup" in await said(fake, GROUP, "สวัสดีทุกคน")
    fake.user_sends_text(ALICE, GROUP, "/linkgroup@EduNetTestBot")
    await said(fake, GROUP, "ประกาศและสรุปผล")
    message_id, data = button(fake, GROUP, "ลงทะเบียน")
    fake.user_presses_button(BOB, GROUP, message_id, data)
    await said(fake, GROUP, "Bob")
    await fake.wait_for(lambda: any(a["user_id"] == BOB for a in fake.callback_answers))
    # A bot may only write to people who started a private chat with it.
    fake.user_sends_text(BOB, BOB, "/start")
    await said(fake, BOB, "ยินดีต้อนรับกลับ")


@pytest.mark.parametrize("processes", [1, 2], ids=["one process", "receiver and worker"])
async def test_core_scenario_over_long_polling(tmp_path: Path, processes: int) -> None:
    async with served(tmp_path, processes=processes) as running:
        fake = running.fake
        # Commands are registered with Thai and English descriptions, per scope.
        assert {c["command"] for c in fake.commands_for("all_private_chats", "th")} >= {"start", "join", "help"}
        assert "linkgroup" in {c["command"] for c in fake.commands_for("all_group_chats", "en")}

        await opening(running)
        answer = [a for a in fake.callback_answers if a["user_id"] == BOB][-1]
        assert answer["text"]  # the toast: registered as a parent
        assert await members_in_db(running) == ["Alice:coordinator", "Bob:parent"]

        # A redelivered update (same update_id) changes nothing.
        message_id, data = button(fake, GROUP, "ลงทะเบียน")
        press = fake.user_presses_button(CAROL, GROUP, message_id, data)
        await said(fake, GROUP, "Carol")
        sent_before = len(fake.texts_to(GROUP))
        fake.redeliver(press)
        await settled(fake, press)
        assert len(fake.texts_to(GROUP)) == sent_before
        assert await members_in_db(running) == ["Alice:coordinator", "Bob:parent", "Carol:parent"]

        # /cmd@EduNetTestBot works (above); /cmd@OtherBot is for someone else.
        other = fake.user_sends_text(ALICE, GROUP, "/members@OtherBot")
        await settled(fake, other)
        assert len(fake.texts_to(GROUP)) == sent_before
        fake.user_sends_text(ALICE, GROUP, "/members@EduNetTestBot")
        await said(fake, GROUP, "มีสมาชิก 3 คน")  # in a group a count; the roster is private

        # A role change is pushed privately to the member through the outbox.
        fake.user_sends_text(ALICE, ALICE, "/role 2 teacher")
        await said(fake, ALICE, "Bob")
        await said(fake, BOB, "ครู")

        # 429 with retry_after: the sender waits it out and the reply still arrives.
        fake.inject_error("sendMessage", 429, retry_after=1)
        started = time.monotonic()
        fake.user_sends_text(ALICE, ALICE, "/me")
        await said(fake, ALICE, "เครือข่ายโรงเรียนริมน้ำ\n")
        assert time.monotonic() - started >= 1
        statuses = [c.status for c in fake.calls if c.method == "sendMessage"]
        assert 429 in statuses and statuses[-1] == 200

        # The group becomes a supergroup: the link moves to the new id.
        before = await chat_in_db(running, GROUP)
        new_id = -1009876543210
        migration = fake.group_migrated(GROUP, new_id)
        await settled(fake, migration)
        after = await chat_in_db(running, new_id)
        assert after is not None and after.id == before.id and after.network_id == before.network_id
        fake.user_sends_text(ALICE, new_id, "/members")
        await said(fake, new_id, "มีสมาชิก 3 คน")
        fake.user_sends_text(ALICE, ALICE, "/members")
        await said(fake, ALICE, "Carol")

        # Bob blocks the bot: his chat is inactive, pushes to him stop.
        blocked = fake.block_bot(BOB)
        await settled(fake, blocked)
        assert not (await chat_in_db(running, BOB)).active
        fake.user_sends_text(ALICE, ALICE, "/role 2 parent")
        await said(fake, ALICE, "ผู้ปกครอง")
        await asyncio.sleep(0.5)
        assert not any("ผู้ปกครอง" in t for t in fake.texts_to(BOB)[-1:])
    assert running.process.returncode == 0, running.log()


async def test_outbox_push_is_retried_after_429(tmp_path: Path) -> None:
    async with served(tmp_path) as running:
        fake = running.fake
        await opening(running)
        # Carol (private) is a member too; a 429 on her push is retried after retry_after.
        fake.user_sends_text(ALICE, ALICE, "/invite teacher")
        await said(fake, ALICE, "/join")
        fake.user_sends_text(CAROL, CAROL, f"/join {codes(fake, ALICE)[-1]}")
        await said(fake, CAROL, "Before you join")
        message_id, data = button(fake, CAROL, "Agree and register")
        fake.user_presses_button(CAROL, CAROL, message_id, data)
        await said(fake, CAROL, "Welcome to")
        # Both first sends get 429: Alice's answer waits it out inline; Carol's push is
        # handed back to the outbox with retry_after and delivered on a later round. Each chat's
        # 429 is its own, so Alice's inline retry cannot take Carol's (whichever is sent first).
        fake.inject_error("sendMessage", 429, retry_after=1, chat_id=ALICE)
        fake.inject_error("sendMessage", 429, retry_after=1, chat_id=CAROL)
        fake.user_sends_text(ALICE, ALICE, "/role 3 partner")
        await said(fake, ALICE, "Carol")
        await said(fake, CAROL, "partner", timeout=15)
        assert sum("partner" in t for t in fake.texts_to(CAROL)) == 1
        assert [c.status for c in fake.calls if c.method == "sendMessage"].count(429) == 2
        carol = (await chat_in_db(running, CAROL)).id
        for _ in range(50):  # the dispatcher records the row as sent right after Telegram accepted it
            [push] = [r for r in await outbox_rows(running) if r.chat_id == carol]
            if push.status != "pending":
                break
            await asyncio.sleep(0.05)
        assert push.status == "sent" and push.attempts == 2 and "flood" in (push.last_error or "")


async def outbox_rows(running: Served) -> list:  # type: ignore[type-arg]
    import sqlalchemy as sa

    from storage.tables import outbox

    db = Database(running.database_url)
    try:
        async with db.transaction() as conn:
            return list((await conn.execute(sa.select(outbox))).all())
    finally:
        await db.dispose()


@pytest.mark.parametrize("processes", [1, 2], ids=["one process", "receiver and worker"])
async def test_core_scenario_over_webhook(tmp_path: Path, processes: int) -> None:
    async with served(tmp_path, webhook=True, processes=processes) as running:
        fake = running.fake
        config = fake.webhook.config
        assert config is not None and config.url == f"http://127.0.0.1:{running.port}/webhooks/telegram"
        assert config.secret_token == "e2e-secret_123"
        assert not [c for c in fake.calls if c.method.lower() == "getupdates"]

        # Anyone else posting to the webhook gets 403 and changes nothing.
        update = {"update_id": 1, "message": {"message_id": 1, "date": 0, "text": "/newnetwork Evil",
                                              "chat": {"id": ALICE, "type": "private", "first_name": "A"},
                                              "from": {"id": ALICE, "is_bot": False, "first_name": "A"}}}
        async with aiohttp.ClientSession() as session:
            for secret in (None, "wrong", "e2e-secret_12"):
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                async with session.post(config.url, json=update, headers=headers) as response:
                    assert response.status == 403
        assert await chat_in_db(running, ALICE) is None

        await opening(running)
        message_id, data = button(fake, GROUP, "ลงทะเบียน")
        press = fake.user_presses_button(BOB, GROUP, message_id, data)
        await fake.wait_for(lambda: len([a for a in fake.callback_answers if a["user_id"] == BOB]) == 2)
        sent_before = len(fake.texts_to(GROUP))
        fake.redeliver(press)
        await fake.wait_for(lambda: any(d.update_id == press for d in fake.webhook_deliveries[-1:]))
        await asyncio.sleep(0.3)
        assert len(fake.texts_to(GROUP)) == sent_before
        assert await members_in_db(running) == ["Alice:coordinator", "Bob:parent"]
        assert all(d.status == 200 for d in fake.webhook_deliveries)
    assert running.process.returncode == 0, running.log()


# ------------------------------------------------------------------ the whole scenario, with the features

BANGKOK = ZoneInfo("Asia/Bangkok")  # the network's time zone (the default EDUNET_TIMEZONE)


async def new_text(fake: FakeTelegramAPI, chat_id: int, before: int, *needles: str, timeout: float = 8.0) -> str:
    """Wait until a bot message after the first ``before`` in ``chat_id`` contains any of ``needles``."""

    def found() -> str | None:
        return next((t for t in fake.texts_to(chat_id)[before:] if any(n in t for n in needles)), None)

    return str(await fake.wait_for(found, timeout=timeout))


async def says(fake: FakeTelegramAPI, user_id: int, chat_id: int, text: str, *expect: str) -> str:
    """``user_id`` sends ``text`` in ``chat_id``; the bot's new message there containing one of ``expect``."""
    before = len(fake.texts_to(chat_id))
    fake.user_sends_text(user_id, chat_id, text)
    return await new_text(fake, chat_id, before, *expect)


async def taps(fake: FakeTelegramAPI, user_id: int, chat_id: int, label: str, *expect: str) -> tuple[int, str, str]:
    """``user_id`` taps the bot's latest button labelled ``label`` in ``chat_id``; (message id, callback
    data, the bot's new message there containing one of ``expect``, or "" when nothing is expected)."""
    before = len(fake.texts_to(chat_id))
    message_id, data = button(fake, chat_id, label)
    fake.user_presses_button(user_id, chat_id, message_id, data)
    return message_id, data, (await new_text(fake, chat_id, before, *expect) if expect else "")


async def answered(fake: FakeTelegramAPI, user_id: int, data: str, timeout: float = 8.0) -> str:
    """The toast of the answerCallbackQuery for ``user_id``'s tap on the button with ``data``."""
    answer = await fake.wait_for(
        lambda: next((a for a in fake.callback_answers if a["user_id"] == user_id and a["data"] == data), None),
        timeout=timeout)
    return str(answer["text"] or "")


def edits(fake: FakeTelegramAPI, chat_id: int, message_id: int) -> list[str]:
    """Texts (as users see them) of the bot's editMessageText calls on one message."""
    return [r.result["text"] for r in fake.sent
            if r.method == "editMessageText" and r.chat_id == chat_id and int(r.params["message_id"]) == message_id]


async def live_message(running: Served, chat_id: int, update_key: str) -> int | None:
    """The message id the bot keeps for ``update_key`` in a chat (the one it edits for updates)."""
    db = Database(running.database_url)
    try:
        async with db.transaction() as conn:
            chat = await ChatRepo(conn).by_platform_id("telegram", str(chat_id))
            return None if chat is None else await SentMessageRepo(conn).message_id(chat.id, update_key)
    finally:
        await db.dispose()


def photos(fake: FakeTelegramAPI, chat_id: int) -> list[SentRecord]:
    return [r for r in fake.sent if r.method == "sendPhoto" and r.chat_id == chat_id]


def next_minute(after: datetime) -> datetime:
    """The first whole minute at or after ``after`` (the weekly summary is set to the minute)."""
    whole = after.replace(second=0, microsecond=0)
    return whole if whole == after else whole + timedelta(minutes=1)


async def test_scenario_from_invite_code_to_weekly_summary_over_telegram(tmp_path: Path) -> None:
    """The issue's scenario in one bot process, as Telegram users do it: join with an invite
    code, link a group, log an activity, pledge toward a need, answer a poll by buttons,
    RSVP to a meeting and get its reminder, and the weekly summary with its chart photo.
    The waits (the poll's count refresh, throttled to a minute; the reminder; the summary
    at the next whole minute) overlap with the other steps."""
    async with served(tmp_path) as running:
        fake = running.fake
        await opening(running)  # Alice joined by invite code and linked the group; Bob registered and /start-ed
        await says(fake, ALICE, ALICE, "/role 2 teacher", "Bob")
        await said(fake, BOB, "ครู")

        # -- a poll in the group, answered by buttons: a toast per tap, the count edited in place later
        poll = await says(fake, ALICE, GROUP, '/poll "ไปทัศนศึกษาที่ไหนดี" สวนสัตว์ | พิพิธภัณฑ์ | ทะเล',
                          "📊 ไปทัศนศึกษาที่ไหนดี")
        assert "โพลหมายเลข: 1" in poll and "จำนวนผู้โหวต: 0 คน" in poll
        poll_id, bob_vote, _ = await taps(fake, BOB, GROUP, "ทะเล")
        voted_at = time.monotonic()
        assert "บันทึกการโหวตแล้ว: ทะเล" in await answered(fake, BOB, bob_vote)
        # Carol (English) is not registered: her tap gets the privacy notice in the group (PDPA: no consent,
        # no registration, no vote); she taps Register under it, and then her tap counts.
        await taps(fake, CAROL, GROUP, "สวนสัตว์", "To register as a parent")
        _, _, registered = await taps(fake, CAROL, GROUP, "Register", "Carol")
        assert "registered as a parent" in registered
        _, carol_vote, _ = await taps(fake, CAROL, GROUP, "สวนสัตว์")
        assert await answered(fake, CAROL, carol_vote)
        assert button(fake, GROUP, "ทะเล")[0] == poll_id and edits(fake, GROUP, poll_id) == []  # throttled

        # -- log an activity (Bob, a teacher, in one line), dated yesterday so this week's summary counts it
        logged = await says(fake, BOB, BOB, '/log อบรม เมื่อวาน "สื่อการสอนดิจิทัล" 35 คน 3h', "บันทึกกิจกรรม")
        assert "✅ บันทึกกิจกรรม #1 แล้ว" in logged and "สื่อการสอนดิจิทัล" in logged
        assert "ผู้เข้าร่วม: 35 คน" in logged and "ระยะเวลา: 3 ชั่วโมง" in logged

        # -- the weekly summary (Monday 08:00 by default): the coordinator moves it to a minute from now. At
        # least 30 s ahead: the meeting and the need below (a dozen steps) must exist when it is built, and a
        # slot 5 s ahead came before them on a busy CI machine.
        slot = next_minute(datetime.now(BANGKOK) + timedelta(seconds=30))
        saved = await says(fake, ALICE, ALICE, f"/settings summary {slot:%a} {slot:%H:%M}".lower(), "บันทึกแล้ว")
        assert f"เวลา {slot:%H:%M} น." in saved

        # -- a meeting one hour and 25 s from now: its one-hour reminder is due in 25 s (the one-day
        # reminder is already past at creation, so it is not scheduled at all)
        await says(fake, ALICE, ALICE, "/meeting ประชุมวางแผนภาคเรียน", "ประชุมเมื่อไร")
        starts = datetime.now(BANGKOK) + timedelta(hours=1, seconds=25)
        reminder_due = time.monotonic() + 25
        await says(fake, ALICE, ALICE, f"{starts:%Y-%m-%d %H:%M:%S}", "ประชุมนานเท่าไร")
        await taps(fake, ALICE, ALICE, "1 ชั่วโมง", "ประชุมที่ไหน")
        await says(fake, ALICE, ALICE, "ห้องประชุม 3 โรงเรียนบ้านหนองบัว", "วาระการประชุม")
        await taps(fake, ALICE, ALICE, "ไม่มีวาระ", "เชิญกลุ่มใดบ้าง")
        _, _, preview = await taps(fake, ALICE, ALICE, "ทุกกลุ่ม", "กลุ่มที่เชิญ: 1")
        assert "ห้องประชุม 3" in preview
        _, _, created = await taps(fake, ALICE, ALICE, "สร้าง", "สร้างการประชุม #1")
        assert "ส่งถึง 1 กลุ่มแล้ว" in created and "การเตือน: ก่อน 1 ชั่วโมง" in created
        card = await said(fake, GROUP, "📅 ประชุมวางแผนภาคเรียน")
        assert "ไป 0 · อาจจะไป 0 · ไม่ไป 0" in card
        # The fake shows the card before the bot has even read Telegram's answer; a person takes
        # longer to tap than the bot takes to note which message is the live card.
        card_id = button(fake, GROUP, "ไป")[0]
        await fake.wait_for(lambda: live_message(running, GROUP, "meeting:1"), timeout=8)
        assert await live_message(running, GROUP, "meeting:1") == card_id
        card_id, going, _ = await taps(fake, BOB, GROUP, "ไป")
        assert await answered(fake, BOB, going) == "คำตอบของคุณ: ไป"
        await fake.wait_for(lambda: any("ไป 1 · อาจจะไป 0 · ไม่ไป 0" in e for e in edits(fake, GROUP, card_id)))
        assert sum("📅 ประชุมวางแผนภาคเรียน" in t for t in fake.texts_to(GROUP)) == 1  # edited, not sent again

        # -- Bob's school posts a need; Alice pledges toward it, starting from the group's /needs
        needed_by = datetime.now(BANGKOK).date() + timedelta(days=60)
        await says(fake, BOB, BOB, "/need", "หน่วยงานใดต้องการ")
        await says(fake, BOB, BOB, "โรงเรียนบ้านหนองบัว", "ประเภทใด")
        await taps(fake, BOB, BOB, "วัสดุอุปกรณ์", "แท็บเล็ต", "ประโยค")
        await says(fake, BOB, BOB, "แท็บเล็ตสำหรับชั้น ป.6", "หน่วย")
        await says(fake, BOB, BOB, "40 เครื่อง", "ภายในวันที่")
        await says(fake, BOB, BOB, f"{needed_by.day}/{needed_by.month}/{needed_by.year + 543}", "ต้องการ: 40 เครื่อง")
        _, _, posted = await taps(fake, BOB, BOB, "ประกาศ", "ประกาศความต้องการ #1 แล้ว")
        assert "รับมอบแล้ว 0 เครื่อง จาก 40 เครื่อง" in posted

        # (the weekly summary may arrive meanwhile and names the need too: wait for the list itself)
        before = len(fake.texts_to(GROUP))
        fake.user_sends_text(ALICE, GROUP, "/needs")
        listed = str(await fake.wait_for(lambda: next(
            (t for t in fake.texts_to(GROUP)[before:] if "#1 แท็บเล็ตสำหรับชั้น ป.6" in t and "สรุปความคืบหน้า" not in t),
            None), timeout=8.0))
        assert "ยอดที่แจ้งสนับสนุน 0 เครื่อง" in listed
        before = len(fake.texts_to(ALICE))
        _, pledge_in_group, _ = await taps(fake, ALICE, GROUP, "ร่วมสนับสนุน")
        assert "ส่งข้อความส่วนตัวให้คุณแล้ว" in await answered(fake, ALICE, pledge_in_group)
        await new_text(fake, ALICE, before, "#1 แท็บเล็ตสำหรับชั้น ป.6")  # continued privately
        await taps(fake, ALICE, ALICE, "ร่วมสนับสนุน", "จำนวนกี่เครื่อง")
        await says(fake, ALICE, ALICE, "30", "ภาคส่วนใด")
        await taps(fake, ALICE, ALICE, "ภาคเอกชน", "คาดว่าจะส่งมอบวันที่เท่าไร")
        await taps(fake, ALICE, ALICE, "ภายใน 1 สัปดาห์", "แหล่งที่มา: ภาคเอกชน")
        before = len(fake.texts_to(ALICE))
        _, _, thanked = await taps(fake, ALICE, ALICE, "ยืนยันการสนับสนุน", "บันทึกการแจ้งความประสงค์สนับสนุน #1")
        assert "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว: 30 เครื่อง" in thanked
        progress = await new_text(fake, ALICE, before, "ยอดที่แจ้งสนับสนุน 30 เครื่อง")
        assert "75%" in progress and "รับมอบแล้ว 0 เครื่อง จาก 40 เครื่อง" in progress

        # -- the meeting's reminder: in the group, and privately to Bob, who is going
        wait = max(0.0, reminder_due - time.monotonic()) + 15
        reminder = await said(fake, GROUP, "⏰ เตือนความจำ", timeout=wait)
        assert "ประชุมวางแผนภาคเรียน" in reminder and "1 ชั่วโมง" in reminder
        assert "ประชุมวางแผนภาคเรียน" in await said(fake, BOB, "⏰ เตือนความจำ")
        assert not any("⏰ เตือนความจำ" in t for t in fake.texts_to(ALICE))  # she did not answer

        # -- the poll's count, refreshed once a minute at most, by editing the poll card
        wait = max(0.0, voted_at + 60 - time.monotonic()) + 15
        await fake.wait_for(lambda: any("จำนวนผู้โหวต: 2 คน" in e for e in edits(fake, GROUP, poll_id)), timeout=wait)
        assert sum("📊 ไปทัศนศึกษาที่ไหนดี" in t for t in fake.texts_to(GROUP)) == 1
        current = next(m for m in fake.messages_to(GROUP) if m["message_id"] == poll_id)["text"]
        assert "ทะเล" in current and "50%" in current

        # -- the weekly summary at its slot: the card, then its chart as an uploaded PNG
        wait = max(0.0, (slot - datetime.now(BANGKOK)).total_seconds()) + 15
        summary = await said(fake, GROUP, "📊 สรุปความคืบหน้า: เครือข่ายโรงเรียนริมน้ำ", timeout=wait)
        assert "กิจกรรมตามเป้าหมายความร่วมมือ" in summary and "ประชุมวางแผนภาคเรียน" in summary
        [chart] = await fake.wait_for(lambda: photos(fake, GROUP))
        assert (chart.file_bytes or b"").startswith(b"\x89PNG") and chart.result["photo"]
    assert running.process.returncode == 0, running.log()
