"""Urgency on every push (issue 11): each feature declares the class of what it queues, quiet hours
hold reminders and digests on every platform, and on a billed platform what can wait, waits for a
free chance (a newer row of the same topic replaces an older one still waiting)."""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from storage.runtime import TaskRepo
from storage.tables import outbox
from tests.support.conversation import BANGKOK, Conversation, make_conversation

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
PUSH_CALLS = {"push", "push_member", "push_network_groups", "tell_everyone"}
MEETING = ["alice@teachers: /meeting วางแผนภาคเรียน", "alice@teachers: 23/11/2569 14:00", "alice@teachers: [1.5 ชั่วโมง]",
           "alice@teachers: ห้องประชุม 3", "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [ทุกกลุ่ม]",
           "alice@teachers: [สร้าง]"]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BANGKOK)


@pytest.fixture
async def billed_bot(sqlite_url: str) -> AsyncIterator[Conversation]:
    """A LINE conversation where LINE bills every push, as in production."""
    conversation, app = await make_conversation(sqlite_url, "line", billed_platforms=frozenset({"line"}))
    yield conversation
    await app.close()


async def rows(bot: Conversation, prefix: str) -> list[Any]:
    async with bot.app.db.transaction() as conn:
        return list((await conn.execute(
            sa.select(outbox.c.key, outbox.c.urgency, outbox.c.deliver_by, outbox.c.topic, outbox.c.wait_reason,
                      outbox.c.not_before, outbox.c.status)
            .where(outbox.c.key.startswith(prefix)).order_by(outbox.c.id))).all())


def push_calls() -> list[tuple[str, int, ast.Call]]:
    found = []
    for path in sorted(HANDLERS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                if name in PUSH_CALLS:
                    found.append((str(path.relative_to(HANDLERS.parent)), node.lineno, node))
    return found


def test_every_push_a_feature_queues_declares_its_urgency() -> None:
    calls = push_calls()
    missing = [f"{path}:{line}" for path, line, call in calls if not any(k.arg == "urgency" for k in call.keywords)]
    assert not missing, f"push calls without urgency=: {missing}"
    # The features that queue pushes (a new one shows up here and must be thought about).
    assert {path for path, _, _ in calls} == {
        "handlers/_private.py", "handlers/announcements.py", "handlers/knowledge/offers.py",
        "handlers/knowledge/questions.py", "handlers/meetings/cards.py", "handlers/meetings/create.py",
        "handlers/meetings/manage.py", "handlers/meetings/minutes.py", "handlers/membership.py",
        "handlers/plan/cards.py", "handlers/plan/tasks.py", "handlers/plc/groups.py",
        "handlers/resources/delivery.py", "handlers/resources/pledges.py", "handlers/summary.py",
        "handlers/surveys/routes.py", "handlers/surveys/service.py"}


async def test_meeting_rows_are_timely_until_the_meeting_and_a_late_cancellation_is_urgent(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@parents: /linkgroup")
    await bot(*MEETING)
    card = (await rows(bot, "meeting:1:card:"))[0]
    assert card.urgency == "timely" and card.deliver_by == local(2026, 11, 23, 14, 0)
    await bot(":clock 2026-11-22 14:00")  # the 1-day reminder
    reminder = (await rows(bot, "meeting:1:v1:remind:-1440m:chat:"))[0]
    assert reminder.urgency == "timely" and reminder.deliver_by == local(2026, 11, 23, 14, 0)
    await bot("alice@dm: /meetings", "alice@dm: [1]", "alice@dm: [ยกเลิกประชุม]", "alice@dm: [ยืนยันยกเลิก]")
    assert {r.urgency for r in await rows(bot, "meeting:1:cancelled:")} == {"urgent"}  # within 24 h


async def test_a_cancelled_meetings_reminders_still_waiting_for_a_free_reply_are_not_sent(
        billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot("alice@parents: /linkgroup")
    await bot(*MEETING)
    await bot(":clock 2026-11-22 14:00")  # the 1-day reminder waits for the groups' next message
    assert {r.status for r in await rows(bot, "meeting:1:v1:remind:-1440m:chat:")} == {"pending"}
    await bot("alice@dm: /meetings", "alice@dm: [1]", "alice@dm: [ยกเลิกประชุม]", "alice@dm: [ยืนยันยกเลิก]")
    assert {r.status for r in await rows(bot, "meeting:1:v1:remind:")} == {"superseded"}
    out = await bot("pim@parents: สวัสดีค่ะ")
    assert "⏰" not in out and "📅 วางแผนภาคเรียน" not in out  # neither the reminder nor the card
    assert "ถูกแทนที่ด้วยฉบับใหม่กว่าก่อนส่ง (ไม่ได้ส่ง)" in await bot("alice@dm: /deliveries")


async def test_moving_a_meeting_days_ahead_is_timely(bot: Conversation) -> None:
    await bot.setup_network()
    await bot(*MEETING)
    await bot("alice@dm: /meetings", "alice@dm: [1]", "alice@dm: [เลื่อนนัด]", "alice@dm: 30/11/2569 14:00")
    moved = await rows(bot, "meeting:1:v2:moved:")
    assert moved and {r.urgency for r in moved} == {"timely"}
    assert moved[0].deliver_by == local(2026, 11, 23, 14, 0)  # before the old time: nobody comes in vain


async def test_a_reminder_due_in_quiet_hours_runs_just_before_they_begin(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@teachers: /meeting ประชุมเช้า", "alice@teachers: 23/11/2569 07:30", "alice@teachers: [1 ชั่วโมง]",
              "alice@teachers: ห้อง 1", "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [กลุ่มนี้]",
              "alice@teachers: [สร้าง]")
    async with bot.app.db.transaction() as conn:
        hour_before = await TaskRepo(conn).get("meeting:1:remind:-60m")
        day_before = await TaskRepo(conn).get("meeting:1:remind:-1440m")
    assert hour_before is not None and hour_before.run_at == local(2026, 11, 22, 20, 59)  # not 06:30
    assert day_before is not None and day_before.run_at == local(2026, 11, 22, 7, 30)


async def test_quiet_hours_hold_a_digest_on_both_platforms(bot: Conversation) -> None:
    await bot.setup_network()
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')  # a quiet week is not pushed at all
    await bot("alice@dm: /settings summary mon 22:00")
    assert "📊" not in await bot(":clock 2026-11-23 22:00")
    row = (await rows(bot, "summary:"))[0]
    assert row.urgency == "digest" and row.topic == "summary:chat:2"
    assert row.wait_reason == "quiet_hours" and row.not_before == local(2026, 11, 24, 7, 0)
    assert "📊" not in await bot(":clock 2026-11-24 06:59")
    assert "bot@teachers → 📊" in await bot(":clock +1m")


async def test_with_quiet_hours_off_a_digest_goes_at_once(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /settings quiet off")
    assert "ช่วงเวลางดส่ง (ไม่ส่งการเตือนและข่าวสรุป): ปิด" in out
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')  # a quiet week is not pushed at all
    await bot("alice@dm: /settings summary mon 22:00")
    assert "bot@teachers → 📊" in await bot(":clock 2026-11-23 22:00")


async def test_quiet_hours_and_line_budget_settings(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /settings")
    assert "ช่วงเวลางดส่ง (ไม่ส่งการเตือนและข่าวสรุป): 21:00-07:00" in out
    assert "งบข้อความ LINE ต่อเดือน: ตามโควตารายเดือนของบัญชี" in out
    assert "ช่วงเวลางดส่ง (ไม่ส่งการเตือนและข่าวสรุป): 22:30-06:00" in await bot("alice@dm: /settings quiet 22.30-06:00")
    assert "วิธีใช้: /settings quiet" in await bot("alice@dm: /settings quiet 25:00-07:00")
    assert "งบข้อความ LINE ต่อเดือน: 250 ข้อความ" in await bot("alice@dm: /settings line-budget ๒๕๐")
    assert "วิธีใช้: /settings line-budget" in await bot("alice@dm: /settings line-budget lots")
    assert "ตามโควตารายเดือนของบัญชี" in await bot("alice@dm: /settings line-budget default")


async def test_on_a_billed_platform_a_digest_waits_for_a_free_chance(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')  # a quiet week is not pushed at all
    assert "📊" not in await bot(":clock 2026-11-23 08:00")
    row = (await rows(bot, "summary:"))[0]
    assert row.urgency == "digest" and row.status == "pending"
    # Its last call: an hour before its latest delivery (24 h after it was queued).
    assert row.wait_reason == "free_chance" and row.not_before == local(2026, 11, 24, 7, 0)


async def test_a_newer_row_of_a_topic_supersedes_the_older_pending_one(db_url: str) -> None:
    from storage.db import Database
    from storage.membership import ChatRepo, NetworkRepo
    from storage.runtime import OutboxRepo

    now = local(2026, 11, 23, 8, 0)
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=now)
            chat = await ChatRepo(conn).upsert("line", "C1", "group", "teachers", now=now)
            other = await ChatRepo(conn).upsert("line", "C2", "group", "parents", now=now)
            repo = OutboxRepo(conn)
            for key, chat_id, topic in (("week1:c1", chat.id, "summary:chat:1"), ("week1:c2", other.id, "summary:chat:1"),
                                        ("counts", chat.id, "survey:1:counts"), ("week2:c1", chat.id, "summary:chat:1")):
                assert await repo.enqueue(key=key, network_id=network.id, chat_id=chat_id, messages=[], now=now,
                                          urgency="digest", topic=topic)
            assert not await repo.enqueue(key="week2:c1", network_id=network.id, chat_id=chat.id, messages=[],
                                          now=now, urgency="digest", topic="summary:chat:1")  # a duplicate: no-op
        async with db.transaction() as conn:
            status = dict((await conn.execute(sa.select(outbox.c.key, outbox.c.status))).all())
        # Only the same chat's older row of the same topic goes; other chats and topics stay.
        assert status == {"week1:c1": "superseded", "week1:c2": "pending", "counts": "pending", "week2:c1": "pending"}
    finally:
        await db.dispose()


async def test_the_announcement_preview_offers_free_delivery_on_a_billed_platform(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot("alice@dm: /announce", "alice@dm: ประชุมผู้ปกครองวันศุกร์", "alice@dm: [ไม่มีภาพ]")
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    assert "ส่งฟรีเมื่อกลุ่มมีการสนทนา (ภายใน 22 พ.ย. 2569 09:00 น.)" in out
    assert "[ส่งทันที (ใช้ประมาณ 1 ข้อความ)]" in out and "[ยกเลิก]" in out  # LINE has not told the quota yet
    out = await bot("alice@dm: [ส่งฟรีเมื่อกลุ่มมีการสนทนา (ภายใน 22 พ.ย. 2569 09:00 น.)]")
    assert "bot@teachers → 📢" not in out  # it waits for the group's next message
    row = (await rows(bot, "announce:1:"))[0]
    assert row.urgency == "timely" and row.deliver_by == local(2026, 11, 22, 9, 0)
    assert row.wait_reason == "free_chance" and row.not_before == local(2026, 11, 22, 8, 50)
    assert "bot@teachers → 📢" in await bot(":clock 2026-11-22 08:50")  # no free chance came: pushed in time


async def test_the_push_now_choice_says_what_it_uses_of_what_is_left(billed_bot: Conversation) -> None:
    from bot.delivery_policy import QuotaReading

    bot = billed_bot
    await bot.setup_network()
    bot.app.quotas["line"] = QuotaReading(limit=300, used=120, at=bot.app.clock.now())  # as LineSender records it
    await bot("alice@dm: /announce", "alice@dm: ประชุมผู้ปกครองวันศุกร์", "alice@dm: [ไม่มีภาพ]")
    assert "[ส่งทันที (ใช้ 1 จาก 180 ข้อความที่เหลือ)]" in await bot("alice@dm: [ทุกกลุ่ม]")
    assert "bot@teachers → 📢" in await bot("alice@dm: [ส่งทันที (ใช้ 1 จาก 180 ข้อความที่เหลือ)]")
    assert {r.urgency for r in await rows(bot, "announce:1:")} == {"urgent"}


async def test_send_pushes_an_announcement_at_once(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@dm: /announce", "alice@dm: ประชุมผู้ปกครองวันศุกร์", "alice@dm: [ไม่มีภาพ]")
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    assert "ส่งฟรีเมื่อกลุ่มมีการสนทนา" not in out  # pushes cost nothing here
    assert "bot@teachers → 📢" in await bot("alice@dm: [ส่ง]")
    assert {r.urgency for r in await rows(bot, "announce:1:")} == {"urgent"}


async def test_live_poll_counts_are_digests_one_topic_per_card(bot: Conversation) -> None:
    await bot.setup_network()
    await bot('alice@teachers: /poll "ไปทัศนศึกษาที่ไหนดี" สวนสัตว์ | พิพิธภัณฑ์ | ปิด 22/11/2569 12:00')
    await bot("pim@teachers: [Register]", "pim@teachers: [สวนสัตว์]")  # registered under the privacy notice
    await bot(":clock +1m")
    counts = [r for r in await rows(bot, "poll:1:") if ":counts:" in r.key]
    assert counts and {(r.urgency, r.topic) for r in counts} == {("digest", "survey:1:counts:chat:2")}


def test_the_delivery_time_of_every_class_is_after_it_was_due() -> None:
    """A guard on the arithmetic the rows above rely on (bot/delivery_policy.py has the full tests)."""
    from bot.delivery_policy import QuietHours, Urgency, deadline_for, push_time

    now = local(2026, 11, 23, 22, 0)
    quiet = QuietHours.parse("21:00-07:00")
    for urgency in Urgency:
        deadline = deadline_for(urgency, now, None)
        at = push_time(urgency, now=now, due=now, deadline=deadline, quiet=quiet, tz=BANGKOK, billed=False)
        assert at is not None and now <= at <= now + timedelta(hours=9)


async def test_a_live_count_still_waiting_when_the_poll_closes_is_replaced_by_the_results(
        billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot('alice@teachers: /poll "ไปทัศนศึกษาที่ไหนดี" สวนสัตว์ | พิพิธภัณฑ์ | ปิด 22/11/2569 12:00')
    await bot("pim@teachers: [Register]", "pim@teachers: [สวนสัตว์]")
    await bot(":clock +1m")  # the live count waits for a free reply in the group (nobody writes there)
    assert [r.status for r in await rows(bot, "poll:1:") if ":counts:" in r.key] == ["pending"]
    await bot(":clock 2026-11-22 12:01")  # the poll closes: its results carry the final card
    counts = [r for r in await rows(bot, "poll:1:") if ":counts:" in r.key]
    results = await rows(bot, "survey:1:results:chat:")
    assert [r.status for r in counts] == ["superseded"]
    assert [(r.urgency, r.topic) for r in results] == [("digest", "survey:1:counts:chat:2")]


async def test_with_no_free_chance_before_the_meeting_the_groups_reminders_are_pushed_just_before_it(
        billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot("alice@parents: /linkgroup")
    await bot(*MEETING)  # in the teachers' group, for every group: the parents' group never writes
    out = await bot(":clock 2026-11-23 13:49")
    assert "bot@parents" not in out  # the card and both reminders wait for a free reply there
    out = await bot(":clock +1m")  # ten minutes before the meeting (its deadline): pushed
    assert "bot@parents → 📅 วางแผนภาคเรียน" in out
    assert "bot@parents → ⏰ เตือนความจำ (ส่งช้ากว่ากำหนด): “วางแผนภาคเรียน” จะเริ่มในอีก 11 นาที" in out
    assert [r.status for r in await rows(bot, "meeting:1:") if r.status == "pending"] == []
