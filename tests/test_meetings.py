"""Meetings: the guided flow, RSVPs, reminders at the right local time (and after downtime),
reschedule and cancel, the calendar file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar

from bot.model import Document
from storage.runtime import OutboxRepo, TaskRepo
from tests.support.conversation import Conversation

MEETING = ["alice@teachers: /meeting วางแผนภาคเรียน", "alice@teachers: 23/11/2569 14:00", "alice@teachers: [1.5 ชั่วโมง]",
           "alice@teachers: ห้องประชุม 3 โรงเรียนบ้านหนองบัว", "alice@teachers: งบประมาณ; กีฬาสี"]


async def create_meeting(bot: Conversation, targets: str = "[ทุกกลุ่ม]") -> str:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("alice@parents: /linkgroup")
    await bot(*MEETING, f"alice@teachers: {targets}")
    return await bot("alice@teachers: [สร้าง]")


async def task(bot: Conversation, key: str):  # type: ignore[no-untyped-def]
    async with bot.app.db.transaction() as conn:
        return await TaskRepo(conn).get(key)


def reminders(out: str, chat: str) -> int:
    return out.count(f"bot@{chat} → ⏰ เตือนความจำ")


async def test_a_coordinator_calls_a_meeting_and_members_answer_with_live_counts(bot: Conversation) -> None:
    out = await create_meeting(bot)
    assert "bot@teachers → 📅 วางแผนภาคเรียน" in out  # the card, here
    assert "bot@parents → 📅 วางแผนภาคเรียน" in out  # and pushed to the other group
    assert "23 พ.ย. 2569 14:00 น." in out and "1 ชั่วโมง 30 นาที" in out
    assert "สร้างการประชุม #1 และส่งถึง 2 กลุ่มแล้ว การเตือน: ก่อน 1 วันและก่อน 1 ชั่วโมง" in out
    out = await bot("bob@teachers: [ไป]")
    assert "ไป 1 · อาจจะไป 0 · ไม่ไป 0" in out
    out = await bot("bob@teachers: [อาจจะไป]")
    assert "ไป 0 · อาจจะไป 1 · ไม่ไป 0" in out
    out = await bot("bob@teachers: [อาจจะไป]")  # the same answer again changes nothing
    assert "อาจจะไป 1" not in out and "คำตอบของคุณ: อาจจะไป" in out
    out = await bot("stranger@parents: [ไป]")  # not registered: refused, nothing counted
    assert "ยังไม่ได้ลงทะเบียน" in out
    assert "ไป 0 · อาจจะไป 1" in await bot("bob@dm: /meetings", "bob@dm: [1]")


async def test_bad_meeting_input_gets_clear_messages(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@teachers: /meeting ประชุมครู")
    assert "กรุณาระบุเวลาด้วย" in await bot("alice@teachers: 23/11/2569")
    assert "อ่านวันและเวลานี้ไม่ออก" in await bot("alice@teachers: วันไหนก็ได้")
    assert "เวลานี้ผ่านไปแล้ว" in await bot("alice@teachers: 20/11/2569 14:00")
    await bot("alice@teachers: 23/11/2569 14:00")
    assert "5 นาทีถึง 24 ชั่วโมง" in await bot("alice@teachers: นานมาก")
    assert "ยังไม่ได้ลงทะเบียน" in await bot("bob@teachers: /meeting x")  # bob is not registered
    out = await bot("alice@teachers: 2 ชม.", "alice@teachers: ออนไลน์ https://meet.example/abc",
                    "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [กลุ่มนี้]")
    assert "2 ชั่วโมง" in out and "กลุ่มที่เชิญ: 1" in out


async def test_reminders_fire_once_at_the_right_local_time_to_groups_and_attendees(bot: Conversation) -> None:
    await create_meeting(bot)
    await bot("bob@teachers: [ไป]")
    out = await bot(":clock 2026-11-22 13:59")
    assert "เตือนความจำ" not in out
    out = await bot(":clock +1m")  # 14:00 Bangkok, one day before
    assert reminders(out, "teachers") == 1 and reminders(out, "parents") == 1 and reminders(out, "dm:bob") == 1
    assert "จะเริ่มในอีก 1 วัน (23 พ.ย. 2569 14:00 น.)" in out
    assert reminders(out, "dm:alice") == 0  # alice did not answer
    assert "เตือนความจำ" not in await bot(":clock +12h")
    out = await bot(":clock 2026-11-23 13:00")
    assert reminders(out, "teachers") == 1 and "จะเริ่มในอีก 1 ชั่วโมง" in out
    assert "เตือนความจำ" not in await bot(":clock +2d")
    assert (await task(bot, "meeting:1:remind:-1440m")).status == "done"


async def test_downtime_before_the_meeting_sends_late_and_a_superseded_reminder_is_dropped(bot: Conversation) -> None:
    await create_meeting(bot)
    # The bot was down from Saturday until Monday 13:30: both reminder times passed,
    # the meeting (14:00) has not started. One reminder goes now, saying it is late and how
    # long is left; the other, due meanwhile, is dropped as told already.
    out = await bot(":clock 2026-11-23 13:30")
    assert reminders(out, "teachers") == 1
    assert "เตือนความจำ (ส่งช้ากว่ากำหนด):" in out and "จะเริ่มในอีก 30 นาที" in out
    day_before = await task(bot, "meeting:1:remind:-1440m")
    assert day_before.status == "done" and "late" in (await note(bot, day_before.id))
    hour_before = await task(bot, "meeting:1:remind:-60m")
    assert hour_before.status == "dropped" and "superseded" in (await note(bot, hour_before.id))


async def test_a_reminder_a_few_seconds_late_is_sent_and_its_lateness_recorded(bot: Conversation) -> None:
    await create_meeting(bot)
    # An instance died holding the hour-before reminder; a survivor ran it 8 s late.
    await bot(":clock 2026-11-23 12:59")
    bot.app.clock.advance(timedelta(seconds=68))  # 13:00:08
    out = await bot(":clock +0m")
    assert reminders(out, "teachers") == 1 and "จะเริ่มในอีก 1 ชั่วโมง" in out
    assert "ส่งช้ากว่ากำหนด" not in out  # seconds late: the text is still true as it stands
    hour_before = await task(bot, "meeting:1:remind:-60m")
    assert hour_before.status == "done" and "8 s late" in (await note(bot, hour_before.id))


async def test_downtime_past_the_start_drops_reminders_and_records_why(bot: Conversation) -> None:
    await create_meeting(bot)
    out = await bot(":clock 2026-11-23 15:00")
    assert "เตือนความจำ" not in out
    hour_before = await task(bot, "meeting:1:remind:-60m")
    assert hour_before.status == "dropped" and "already started" in (await note(bot, hour_before.id))


async def note(bot: Conversation, task_id: int) -> str:
    import sqlalchemy as sa

    from storage.tables import scheduled_tasks

    async with bot.app.db.transaction() as conn:
        return (await conn.execute(sa.select(scheduled_tasks.c.note).where(scheduled_tasks.c.id == task_id))).scalar_one()


async def test_reschedule_tells_everyone_once_and_moves_the_reminders(bot: Conversation) -> None:
    await create_meeting(bot)
    await bot("bob@teachers: [ไป]")
    await bot("alice@dm: /meetings", "alice@dm: [1]")
    await bot("alice@dm: [เลื่อนนัด]")
    out = await bot("alice@dm: 25/11/2569 10:00")
    assert "เลื่อนการประชุม #1 เป็น 25 พ.ย. 2569 10:00 น. แล้ว จะแจ้ง 3 แชต" in out
    assert out.count("📅 เลื่อนการประชุม: วางแผนภาคเรียน") == 3  # two groups and bob
    assert "(เดิม 23 พ.ย. 2569 14:00 น.)" in out
    assert "เตือนความจำ" not in await bot(":clock 2026-11-22 14:00")  # the old reminder time
    out = await bot(":clock 2026-11-24 10:00")
    assert reminders(out, "teachers") == 1 and reminders(out, "dm:bob") == 1
    async with bot.app.db.transaction() as conn:
        assert await OutboxRepo(conn).by_key("meeting:1:v2:remind:-1440m:member:2") is not None


async def test_cancel_tells_everyone_once_and_removes_the_reminders(bot: Conversation) -> None:
    await create_meeting(bot)
    await bot("bob@teachers: [อาจจะไป]")
    await bot("alice@dm: /meetings", "alice@dm: [1]", "alice@dm: [ยกเลิกประชุม]")
    out = await bot("alice@dm: [ยืนยันยกเลิก]")
    assert out.count("❌ ยกเลิกการประชุม: วางแผนภาคเรียน") == 3
    assert "ปิดรับคำตอบแล้ว" in await bot("bob@teachers: [ไป]")
    assert "การประชุมนี้แก้ไขไม่ได้แล้ว" in await bot("alice@dm: [ยืนยันยกเลิก]")  # a double tap
    assert "เตือนความจำ" not in await bot(":clock +3d")
    assert (await task(bot, "meeting:1:remind:-60m")).status == "cancelled"
    assert "ยังไม่มีการประชุม" in await bot("bob@dm: /meetings")


async def test_the_calendar_file_is_a_valid_ics_in_utc(bot: Conversation) -> None:
    await create_meeting(bot)
    shown: list[object] = []
    original = bot.console.show

    def capture(chat_name: str, reply):  # type: ignore[no-untyped-def]
        shown.append((chat_name, reply))
        original(chat_name, reply)

    bot.console.show = capture  # type: ignore[method-assign]
    await bot("bob@dm: /meetings", "bob@dm: [1]")
    out = await bot("bob@dm: [ไฟล์ปฏิทิน]")
    assert "meeting-1.ics" in out
    chat, document = shown[-1]
    assert chat == "dm:bob" and isinstance(document, Document) and document.mime_type == "text/calendar"
    event = Calendar.from_ical(document.content).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "วางแผนภาคเรียน"
    assert event.decoded("DTSTART") == datetime(2026, 11, 23, 7, 0, tzinfo=timezone.utc)
    assert event.decoded("DTEND") == datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc)
    # Pressed in a group, the file goes to the member privately (through the outbox).
    out = await bot("bob@parents: [ไฟล์ปฏิทิน]")
    assert "bot@dm:bob → เปิดไฟล์นี้" in out and "bot@parents → เปิดไฟล์นี้" not in out
    assert isinstance(shown[-1][1], Document) and shown[-1][0] == "dm:bob"


async def test_reminder_offsets_are_a_network_setting(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /settings reminders 2h")
    assert "เตือนก่อนประชุม: 2 ชั่วโมง" in out
    await bot("alice@teachers: /meeting ประชุมด่วน", "alice@teachers: 21/11/2569 15:00", "alice@teachers: 60",
              "alice@teachers: ห้องสมุด", "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [กลุ่มนี้]")
    out = await bot("alice@teachers: [สร้าง]")
    assert "การเตือน: ก่อน 2 ชั่วโมง" in out
    assert "เตือนความจำ" not in await bot(":clock 2026-11-21 12:59")
    assert reminders(await bot(":clock +1m"), "teachers") == 1


async def test_networks_never_see_each_others_meetings(bot: Conversation) -> None:
    await create_meeting(bot)
    await bot("zed@dm: /newnetwork อีกเครือข่าย", "zed@dm: [Join as coordinator]")
    assert "ยังไม่มีการประชุม" in await bot("zed@dm: /meetings")
    out = await bot("zed@zgroup: /linkgroup", "zed@zgroup: /meeting ลับ", "zed@zgroup: 24/11/2569 09:00",
                    "zed@zgroup: 60", "zed@zgroup: ห้อง 1", "zed@zgroup: [ไม่มีวาระ]", "zed@zgroup: [ทุกกลุ่ม]")
    assert "กลุ่มที่เชิญ: 1" in out  # only its own group
    out = await bot("zed@zgroup: [สร้าง]")
    assert "bot@teachers" not in out and "bot@parents" not in out
