"""The work plan and meetings that produce decisions (issue 14): a task assigned in a meeting's minutes
reaches its owner privately, is reminded before it is due, goes overdue into the summary and to the
coordinator, and is closed by a tap; attendance by tap is counted; the meeting's kind shows on its card.
Every test runs on LINE and on Telegram (the ``bot`` fixture)."""

from __future__ import annotations

import re
from datetime import datetime, timezone


from storage.db import Database
from storage.meetings import MeetingRepo
from storage.runtime import TaskRepo
from tests.support.conversation import Conversation

# Monday 23 November 2569, 14:00 Bangkok: an assignment meeting in the teachers' group.
MEETING = ["alice@teachers: /meeting มอบหมายงานภาคเรียน", "alice@teachers: 23/11/2569 14:00",
           "alice@teachers: [1.5 ชั่วโมง]", "alice@teachers: ห้องประชุม 3", "alice@teachers: [ไม่มีวาระ]",
           "alice@teachers: [กลุ่มนี้]"]


async def test_the_migration_creates_what_the_tables_say(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.all_tables  # noqa: F401
    from storage.tables import metadata

    async with db.transaction() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(
            MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    mine = ("meeting_attendance", "meeting_minutes", "plan_project_links", "'kind'")
    assert [d for d in diff if any(name in repr(d) for name in mine)] == []


async def test_attendance_and_task_counts_on_both_engines(db: Database) -> None:
    """The reads goal targets, PLC hours and the plan's cards use, scoped to one network."""
    from datetime import date, timedelta

    from storage.goals import PlanRepo
    from storage.membership import MemberRepo, NetworkRepo

    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    async with db.transaction() as conn:
        a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=now)
        b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=now)
        bob = await MemberRepo(conn).add(a.id, platform="line", platform_user_id="U1", display_name="Bob",
                                         role="teacher", language="th", now=now)
        meetings = MeetingRepo(conn)
        held = await meetings.create(a.id, title="ประชุมสมาชิก", starts_at=now + timedelta(days=1),
                                     duration_minutes=120, place="", agenda="", target_chat_ids=[], created_by=None,
                                     now=now, kind="members")
        other = await meetings.create(b.id, title="B", starts_at=now + timedelta(days=1), duration_minutes=60,
                                      place="", agenda="", target_chat_ids=[], created_by=None, now=now)
        assert await meetings.attend(a.id, held.id, bob.id, by=bob.id, now=now)
        assert not await meetings.attend(a.id, held.id, bob.id, by=None, now=now)  # once
        assert await meetings.attend(b.id, other.id, bob.id, by=None, now=now) is True
        month = (now - timedelta(days=20), now + timedelta(days=10))
        totals = await meetings.attendance_between(a.id, *month)
        assert (totals.meetings, totals.with_attendance, totals.attendances) == (1, 1, 1)
        assert await meetings.attended_minutes(a.id, *month) == 120
        assert await meetings.attended_minutes(a.id, *month, member_id=bob.id) == 120
        assert (await meetings.attendance_between(a.id, *month, kind="leaders")).meetings == 0
        assert await meetings.save_minutes(a.id, held.id, decisions=["ก"], project_id=None, recorded_by=None, now=now)
        assert not await meetings.save_minutes(a.id, held.id, decisions=[], project_id=None, recorded_by=None, now=now)
        assert (await meetings.minutes(a.id, held.id)).decisions == ["ก"]  # type: ignore[union-attr]
        assert await meetings.minutes(b.id, held.id) is None
        plan = PlanRepo(conn)
        project = await plan.create_project(a.id, title="โครงการ", goal_id=None, lead_organisation_id=None,
                                            starts_on=None, ends_on=None, created_by=None, now=now)
        today = date(2026, 12, 1)
        late = await plan.add_task(project, title="ช้า", due_on=date(2026, 11, 25), owner_member_id=bob.id,
                                   owner_organisation_id=None, created_by=None, now=now)
        await plan.add_task(project, title="ยังไม่ถึง", due_on=date(2026, 12, 25), owner_member_id=bob.id,
                            owner_organisation_id=None, created_by=None, now=now)
        done = await plan.add_task(project, title="เสร็จ", due_on=date(2026, 11, 30), owner_member_id=None,
                                   owner_organisation_id=None, created_by=None, now=now)
        await plan.set_status(done, "done", now=now, today=today)
        await plan.set_status(late, "blocked", now=now, today=today, reason="รองบ")
        counts = await plan.status_counts(a.id, project.id, today)
        assert (counts["total"], counts["done"], counts["blocked"], counts["todo"], counts["overdue"]) == (3, 1, 1, 1, 1)
        assert await plan.link_project(project, "activity", 5) and not await plan.link_project(project, "activity", 5)
        assert await plan.project_links(project) == [("activity", 5)]
        assert await plan.project_by_id(b.id, project.id) is None and await plan.task_by_id(b.id, late.id) is None


async def meeting_with_bob(bot: Conversation, kind: str = "[ประชุมมอบหมายงาน]") -> str:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")  # member 2
    await bot(*MEETING)
    return await bot(f"alice@teachers: {kind}", "alice@teachers: [สร้าง]")


async def minutes(bot: Conversation, items: str) -> str:
    return await bot("alice@dm: /minutes 1", "alice@dm: จัดอบรมครูเรื่องสื่อ AI; ใช้งบกลางไม่เกิน 20,000 บาท",
                     f"alice@dm: {items}", "alice@dm: [บันทึก]")


async def test_the_meeting_kind_is_chosen_on_the_preview_and_shown_on_the_card(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot(*MEETING)
    assert "ประชุมสมาชิก" in out  # the default, marked on the preview
    out = await bot("alice@teachers: [ประชุมผู้บริหาร]")
    assert "✓ ประชุมผู้บริหาร" in out
    out = await bot("alice@teachers: [สร้าง]")
    assert "bot@teachers → 📅 มอบหมายงานภาคเรียน" in out and "ประเภท: ประชุมผู้บริหาร" in out
    async with bot.app.db.transaction() as conn:
        meeting = await MeetingRepo(conn).by_number(1, 1)
    assert meeting is not None and meeting.kind == "leaders"


async def test_attendance_by_tap_is_counted_only_during_the_meeting(bot: Conversation) -> None:
    await meeting_with_bob(bot)
    await bot.add_member("cara", "teacher")
    out = await bot("bob@teachers: [มาแล้ว]")  # two days early
    assert "ลงชื่อมาประชุมได้ตั้งแต่ 30 นาทีก่อนเริ่มประชุม" in out
    await bot(":clock 2026-11-23 13:40")
    out = await bot("bob@teachers: [มาแล้ว]")
    assert "มาประชุม 1 คน" in out
    assert "บันทึกไว้แล้ว" in await bot("bob@teachers: [มาแล้ว]")  # twice is once
    # The coordinator ticks cara on the list.
    await bot(":clock 2026-11-23 14:10")
    out = await bot("alice@dm: /minutes")
    assert "บันทึกการประชุมครั้งใด" in out and "[#1 มอบหมายงาน" in out
    out = await bot("alice@dm: /meetings", "alice@dm: [1]")
    assert "ประชุมที่ผ่านมา" in out and "มาประชุม 1 คน" in out
    out = await bot("alice@dm: [เช็กชื่อผู้มาประชุม]")
    assert "1 คน" in out and "[✓ Bob]" in out and "[Cara]" in out
    out = await bot("alice@dm: [Cara]")
    assert "2 คน" in out and "[✓ Cara]" in out
    out = await bot("alice@dm: [✓ Cara]", "alice@dm: [Cara]")  # a mistake, unticked and ticked again
    assert "[✓ Cara]" in out
    async with bot.app.db.transaction() as conn:
        meeting = await MeetingRepo(conn).by_number(1, 1)
    assert meeting is not None
    from bot.payload import encode
    from tests.support.activities import said, send

    out = said(await send(bot, "bob", payload=encode("mttick", meeting.id, 2)))  # bob is no coordinator
    assert "เฉพาะ" in out
    await bot(":clock 2026-11-23 16:30")  # the window has closed: a tap is refused, nothing counted
    assert "ลงชื่อมาประชุมได้ตั้งแต่" in await bot("cara@teachers: [มาแล้ว]")
    async with bot.app.db.transaction() as conn:
        repo = MeetingRepo(conn)
        assert await repo.attendance_count(1, meeting.id) == 2
        totals = await repo.attendance_between(1, datetime(2026, 11, 1, tzinfo=timezone.utc),
                                               datetime(2026, 12, 1, tzinfo=timezone.utc))
        assert (totals.meetings, totals.with_attendance, totals.attendances) == (1, 1, 2)
        # 2 attendances of a 90-minute meeting: the hours PLC logbooks read
        assert await repo.attended_minutes(1, datetime(2026, 11, 1, tzinfo=timezone.utc),
                                           datetime(2026, 12, 1, tzinfo=timezone.utc)) == 180
        assert await repo.attended_minutes(1, datetime(2026, 11, 1, tzinfo=timezone.utc),
                                           datetime(2026, 12, 1, tzinfo=timezone.utc), member_id=2) == 90
        assigned = await repo.attendance_between(1, datetime(2026, 11, 1, tzinfo=timezone.utc),
                                                 datetime(2026, 12, 1, tzinfo=timezone.utc), kind="leaders")
        assert assigned.meetings == 0


async def test_a_task_from_the_minutes_reaches_its_owner_is_reminded_goes_overdue_and_is_closed_by_tap(
        bot: Conversation) -> None:
    out = await meeting_with_bob(bot)
    assert "ประเภท: ประชุมมอบหมายงาน" in out
    await bot("bob@teachers: [ไป]")
    assert "บันทึกการประชุมได้เมื่อการประชุมเริ่มแล้ว" in await bot("alice@dm: /minutes 1")
    await bot(":clock 2026-11-23 14:05")
    await bot("bob@teachers: [มาแล้ว]")
    out = await bot("alice@dm: /minutes 1", "alice@dm: จัดอบรมครูเรื่องสื่อ AI; ใช้งบกลางไม่เกิน 20,000 บาท")
    out = await bot("alice@dm: จัดอบรมครู | 9 | 30/11/2569")  # no member 9: said so, nothing stored
    assert "บรรทัดที่ 1: ไม่มีสมาชิกหมายเลข 9" in out
    out = await bot("alice@dm: จัดอบรมครู 2 30/11/2569")
    assert "งาน | ผู้รับผิดชอบ | กำหนดส่ง" in out
    out = await bot("alice@dm: จัดอบรมครู | 2 | 30/11/2569")
    assert "1. จัดอบรมครูเรื่องสื่อ AI" in out and "• จัดอบรมครู — Bob — ภายใน 30 พ.ย. 2569" in out
    out = await bot("alice@dm: [บันทึก]")
    assert "บันทึกการประชุม #1 แล้ว: มติ 2 ข้อ และงาน 1 งาน ส่งถึงผู้เข้าประชุมทางแชตส่วนตัว 1 คน" in out
    assert "บันทึกงาน #1 แล้ว ส่งการ์ดงานถึง Bob ทางแชตส่วนตัวแล้ว" in out
    # bob gets the card privately, with its buttons, and the minutes; the group gets neither.
    assert "bot@dm:bob → 📌 งานที่ได้รับมอบหมาย" in out and "📌 งาน #1: จัดอบรมครู" in out
    assert "bot@dm:bob → 📝 บันทึกการประชุม: มอบหมายงานภาคเรียน" in out
    assert "bot@teachers → 📌" not in out and "bot@teachers → 📝" not in out
    assert "เริ่มแล้ว" in out and "ติดขัด…" in out
    assert "งานจากการประชุม #1: มอบหมายงานภาคเรียน" in await bot("bob@dm: /plan")
    # bob starts it
    out = await bot("bob@dm: [เริ่มแล้ว]")
    assert "กำลังดำเนินการ" in out
    # the reminder: 09:00 the day before it is due, privately
    assert "⏰" not in await bot(":clock 2026-11-29 08:59")
    out = await bot(":clock +1m")
    assert out.count("bot@dm:bob → ⏰ เตือนความจำ: งาน #1 “จัดอบรมครู” ครบกำหนดส่ง 30 พ.ย. 2569") == 1
    # overdue: the day after, bob and the coordinator hear of it; /tasks puts it first; the summary names it
    out = await bot(":clock 2026-12-01 09:00")
    assert "bot@dm:bob → ⚠️ งาน #1 “จัดอบรมครู” เลยกำหนดแล้ว" in out
    assert "bot@dm:alice → ⚠️ งานเลยกำหนด: งาน #1 “จัดอบรมครู” (ผู้รับผิดชอบ Bob กำหนดส่ง 30 พ.ย. 2569)" in out
    out = await bot("bob@dm: /tasks")
    assert "⚠️ #1 จัดอบรมครู — Bob — กำหนดส่ง 30 พ.ย. 2569 (กำลังดำเนินการ เลยกำหนด 1 วัน)" in out
    out = await bot(":clock 2026-12-07 08:00")  # the weekly summary, Monday 08:00, in the group
    assert "bot@teachers → 📊" in out and "⚠️ เลยกำหนด: #1 จัดอบรมครู — Bob — กำหนดส่ง 30 พ.ย. 2569" in out
    # bob closes it with a tap on the card
    out = await bot("bob@dm: /tasks", "bob@dm: [#1 จัดอบรมครู]", "bob@dm: [เสร็จแล้ว]")
    assert "เสร็จแล้ว เมื่อ 7 ธ.ค. 2569" in out
    assert "งานที่ยังไม่เสร็จของคุณ: ไม่มี" in await bot("bob@dm: /tasks")
    assert "งาน #1 เสร็จแล้ว" in await bot("bob@dm: [เสร็จแล้ว]")  # the old card's button changes nothing
    out = await bot("alice@dm: /summary week")
    assert "งานที่เสร็จ: 1 (ตรงเวลา 0) · ยังไม่เสร็จ 0 · เลยกำหนด 0" in out and "⚠️ เลยกำหนด" not in out


async def test_blocked_asks_why_and_tells_the_coordinator(bot: Conversation) -> None:
    await meeting_with_bob(bot)
    await bot(":clock 2026-11-23 15:00")
    await minutes(bot, "ขอใช้ห้องประชุมเขต | 2 | 10/12/2569")
    out = await bot("bob@dm: [ติดขัด…]")
    assert "ติดขัดเรื่องใด" in out
    out = await bot("bob@dm: รอหนังสืออนุมัติจากเขต")
    assert "แจ้งผู้ประสานงานแล้ว" in out and "สิ่งที่ติดขัด: รอหนังสืออนุมัติจากเขต" in out
    assert "bot@dm:alice → ⛔ งาน #1 “ขอใช้ห้องประชุมเขต” ติดขัด (แจ้งโดย Bob ): รอหนังสืออนุมัติจากเขต" in out
    # someone else cannot change bob's task
    await bot.add_member("cara", "teacher")
    async with bot.app.db.transaction() as conn:
        from storage.goals import PlanRepo

        task = await PlanRepo(conn).task(1, 1)
    assert task is not None and task.status == "blocked"
    from bot.payload import encode
    from tests.support.activities import said, send

    out = said(await send(bot, "cara", payload=encode("tks", task.id, "d")))
    assert "เฉพาะผู้รับผิดชอบงานหรือผู้ประสานงาน" in out


async def test_a_reminder_due_in_quiet_hours_goes_out_just_before_they_begin(bot: Conversation) -> None:
    await meeting_with_bob(bot)
    await bot("alice@dm: /settings quiet 20:00-09:30")  # 09:00 is quiet in this network
    await bot(":clock 2026-11-23 15:00")
    await minutes(bot, "ส่งรายงาน | 2 | 10/12/2569")
    async with bot.app.db.transaction() as conn:
        reminder = await TaskRepo(conn).get("task:1:remind")
    assert reminder is not None and reminder.run_at == datetime(2026, 12, 8, 12, 59, tzinfo=timezone.utc)  # 19:59
    assert "⏰" not in await bot(":clock 2026-12-08 19:58")
    out = await bot(":clock +1m")
    assert "bot@dm:bob → ⏰ เตือนความจำ: งาน #1 “ส่งรายงาน” ครบกำหนดส่ง 10 ธ.ค. 2569" in out


async def test_a_reminder_that_runs_after_the_due_date_is_dropped_for_the_overdue_notice(bot: Conversation) -> None:
    await meeting_with_bob(bot)
    await bot(":clock 2026-11-23 15:00")
    await minutes(bot, "ส่งรายงาน | 2 | 30/11/2569")
    out = await bot(":clock 2026-12-02 10:00")  # the bot was down from before the reminder until after the due date
    assert "⏰" not in out and out.count("bot@dm:bob → ⚠️ งาน #1 “ส่งรายงาน” เลยกำหนดแล้ว") == 1
    async with bot.app.db.transaction() as conn:
        assert (await TaskRepo(conn).get("task:1:remind")).status == "dropped"  # type: ignore[union-attr]


async def test_done_cancels_the_follow_up(bot: Conversation) -> None:
    await meeting_with_bob(bot)
    await bot(":clock 2026-11-23 15:00")
    await minutes(bot, "ส่งรายงาน | 2 | 10/12/2569")
    await bot("bob@dm: [เสร็จแล้ว]")
    async with bot.app.db.transaction() as conn:
        assert (await TaskRepo(conn).get("task:1:remind")).status == "cancelled"  # type: ignore[union-attr]
        assert (await TaskRepo(conn).get("task:1:overdue")).status == "cancelled"  # type: ignore[union-attr]
    assert "⏰" not in await bot(":clock 2026-12-12 10:00")


async def test_a_project_and_a_task_owned_by_an_organisation_and_what_was_done_for_it(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")
    await bot.add_member("pim", "parent")
    await bot("pim@dm: /org โรงเรียนบ้านหนองบัว")
    assert "ยังไม่มีโครงการ" in await bot("bob@dm: /plan")
    assert "[สร้างโครงการ]" not in await bot("bob@dm: /plan")
    out = await bot("alice@dm: /plan", "alice@dm: [สร้างโครงการ]", "alice@dm: ห้องเรียนดิจิทัล",
                    "alice@dm: [ข้าม]", "alice@dm: โรงเรียนบ้านหนองบัว", "alice@dm: 1/12/2569-31/3/2570")
    assert "หน่วยงานหลัก: โรงเรียนบ้านหนองบัว" in out and "1 ธ.ค. 2569" in out
    out = await bot("alice@dm: [บันทึก]")
    assert "สร้างโครงการ #1 แล้ว" in out
    out = await bot("alice@dm: [เพิ่มงาน]", "alice@dm: จัดซื้อแท็บเล็ต", "alice@dm: โรงเรียนไม่มีชื่อ")
    assert "ไม่ใช่หมายเลขสมาชิก" in out
    out = await bot("alice@dm: โรงเรียนบ้านหนองบัว", "alice@dm: 1/1/2569")
    assert "ผ่านมาแล้ว" in out
    out = await bot("alice@dm: 15/1/2570", "alice@dm: [บันทึก]")
    # the organisation's contact (bob: its first member who is not a parent) gets the card
    assert "bot@dm:bob → 📌 งานที่ได้รับมอบหมาย" in out and "bot@dm:pim" not in out
    assert "โรงเรียนบ้านหนองบัว (ผู้ประสาน: Bob )" in out
    assert "#1 จัดซื้อแท็บเล็ต" in await bot("pim@dm: /tasks org")
    assert "งานที่ยังไม่เสร็จของคุณ: ไม่มี" in await bot("pim@dm: /tasks")  # the organisation's, not hers
    assert "#1 จัดซื้อแท็บเล็ต" in await bot("alice@dm: /tasks", "alice@dm: [ทั้งหมด]")
    assert "กรุณาพิมพ์ /tasks หรือ /tasks org หรือ /tasks all" in await bot("pim@dm: /tasks อะไรก็ได้")
    assert "คุณยังไม่ได้ระบุหน่วยงาน" in await bot("alice@dm: /tasks org")
    # an activity logged for it shows on the plan
    out = await bot('bob@dm: /log อบรม 20/11/2569 "อบรมใช้แท็บเล็ต" 12 คน 2 ชม. งาน#1')
    assert "บันทึกว่าทำเพื่องาน #1 “จัดซื้อแท็บเล็ต” แล้ว" in out
    out = await bot('bob@dm: /log อบรม 20/11/2569 "อบรมซ้ำ" 12 คน งาน#7')
    assert "ไม่มีงาน #7" in out and "บันทึกกิจกรรม #2" not in out  # refused whole, nothing stored
    out = await bot('bob@dm: /log อบรม 20/11/2569 "ทบทวนงาน #1 ของปีก่อน" 5 คน')  # in the title: not a link
    assert "ทบทวนงาน #1 ของปีก่อน" in out and "ทำเพื่องาน" not in out
    out = await bot('bob@dm: /log ประชุม 21/11/2569 "ชี้แจงโครงการ" 30 คน โครงการ#1')  # for the project as a whole
    assert "บันทึกว่าทำเพื่อโครงการ #1 “ห้องเรียนดิจิทัล” แล้ว" in out
    # a delivery confirmed with the task in its note
    await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ตสำหรับชั้น ป.6",
              "bob@dm: 40 เครื่อง", "bob@dm: 15/1/2570", "bob@dm: [Post]")
    await bot("alice@dm: /pledge 1", "alice@dm: 10 เครื่อง", "alice@dm: [private sector]", "alice@dm: [Today]",
              "alice@dm: [Confirm pledge]")
    out = await bot("bob@dm: /pledges", "bob@dm: [#1]", "bob@dm: [Mark delivered]")
    assert "งาน#3 หรือ โครงการ#2" in out  # the note may name the plan
    assert "ไม่มีงาน #9" in await bot("bob@dm: ได้รับแล้ว งาน#9")  # asked again, nothing stored
    out = await bot("bob@dm: ได้รับแล้ว งาน#1")
    assert "บันทึกการรับมอบ #1 แล้ว" in out and "บันทึกว่าทำเพื่องาน #1 “จัดซื้อแท็บเล็ต” แล้ว" in out
    out = await bot("bob@dm: /plan 1")
    assert "สิ่งที่ทำแล้ว: กิจกรรม #3 กิจกรรม #1 และการส่งมอบตามรายการสนับสนุน #1" in out
    out = await bot("bob@dm: /plan 99")
    assert "ไม่มีโครงการ #99" in out


async def test_tasks_lists_overdue_first_mine_and_all(bot: Conversation) -> None:
    await meeting_with_bob(bot)
    await bot(":clock 2026-11-23 15:00")
    await minutes(bot, "ส่งรายงานภาคเรียน | 2 | 20/12/2569; จองห้องอบรม | 2 | 30/11/2569")
    await bot("alice@dm: /plan", "alice@dm: [สร้างโครงการ]", "alice@dm: ห้องสมุด", "alice@dm: [ข้าม]",
              "alice@dm: [ข้าม]", "alice@dm: [ข้าม]", "alice@dm: [บันทึก]", "alice@dm: [เพิ่มงาน]",
              "alice@dm: จัดหนังสือ", "alice@dm: 1", "alice@dm: 5/12/2569", "alice@dm: [บันทึก]")
    await bot(":clock 2026-12-02 10:00")  # task 2 is overdue; 1 and 3 are not yet due
    out = await bot("bob@dm: /tasks")
    assert "งานที่ยังไม่เสร็จของคุณ (2 งาน เลยกำหนด 1)" in out
    mine = [line.strip() for line in out.splitlines() if "— Bob —" in line]
    assert [re.search(r"#\d+", line)[0] for line in mine] == ["#2", "#1"], mine  # type: ignore[index]
    assert mine[0].startswith("⚠️ #2 จองห้องอบรม") and "เลยกำหนด 2 วัน" in mine[0]
    out = await bot("alice@dm: /tasks all")
    everyone = [line.strip() for line in out.splitlines() if "กำหนดส่ง" in line]
    assert [re.search(r"#\d+", line)[0] for line in everyone] == ["#2", "#3", "#1"], everyone  # type: ignore[index]
    assert everyone[0].startswith("⚠️") and not any(line.startswith("⚠️") for line in everyone[1:])
