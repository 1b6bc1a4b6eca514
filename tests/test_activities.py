"""The activities log: both ways of logging, groups, photos, listing, editing, deleting,
refusals, network isolation and the summary section."""

from __future__ import annotations

import sqlalchemy as sa

import handlers.activities as activities_module
from bot.summary import SummaryChart
from storage.activities import activities, activity_photos
from storage.runtime import AuditRepo
from tests.support.activities import bangkok_day, said, send, summary
from tests.support.conversation import Conversation


async def teacher(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")


async def rows(bot: Conversation) -> list[dict]:  # type: ignore[type-arg]
    async with bot.app.db.transaction() as conn:
        return [dict(r._mapping) for r in (await conn.execute(sa.select(activities).order_by(activities.c.id))).all()]


async def test_a_teacher_logs_an_activity_in_one_line(bot: Conversation) -> None:
    await teacher(bot)
    out = await bot('bob@dm: /log workshop 20/11/2569 "AI for classroom media" 35 people 3h')
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in out
    assert "ประเภท: อบรม/ประชุมเชิงปฏิบัติการ" in out and "เป้าหมายความร่วมมือ: นวัตกรรมการเรียนรู้" in out
    assert "วันที่: 20 พ.ย. 2569" in out and "ผู้เข้าร่วม: 35 คน" in out and "ระยะเวลา: 3 ชั่วโมง" in out
    assert "หน่วยงาน: โรงเรียนบ้านหนองบัว" in out
    # Thai words, Thai digits, a Gregorian year and no quotes work too.
    out = await bot("bob@dm: บันทึกกิจกรรม แลกเปลี่ยนเรียนรู้ ๑๘/๑๑/2026 PLC คณิตศาสตร์ ๑๒ คน 1.5 ชม.")
    assert "✅ บันทึกกิจกรรม #2 แล้ว" in out and "PLC คณิตศาสตร์" in out and "1.5 ชั่วโมง" in out
    (first, second) = await rows(bot)
    assert (first["category"], first["aim"], first["participants"], first["minutes"]) == ("workshop", "innovation",
                                                                                           35, 180)
    assert (second["category"], str(second["activity_date"]), second["participants"], second["minutes"]) == (
        "exchange", "2026-11-18", 12, 90)


async def test_the_thai_example_the_bot_shows_really_works(bot: Conversation) -> None:
    await teacher(bot)
    hint = await bot("bob@dm: /log อบรม")
    example = hint.split(": ", 1)[1].strip()
    assert example.startswith("/log อบรม")
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in await bot(f"bob@dm: {example}")


async def test_a_teacher_logs_an_activity_step_by_step(bot: Conversation) -> None:
    await teacher(bot)
    assert "กิจกรรมชื่ออะไร" in await bot("bob@dm: /log")
    assert "[แลกเปลี่ยนเรียนรู้]" in await bot("bob@dm: ชุมชนการเรียนรู้ทางวิชาชีพ")
    assert "จัดเมื่อวันที่เท่าไร" in await bot("bob@dm: [knowledge exchange]")
    assert "ไม่มีวันที่นี้" in await bot("bob@dm: 31/11/2569")
    assert "[โรงเรียนบ้านหนองบัว]" in await bot("bob@dm: [Yesterday]")
    assert "มีผู้เข้าร่วมกี่คน" in await bot("bob@dm: [โรงเรียนบ้านหนองบัว]")
    assert "จำนวนเต็ม" in await bot("bob@dm: many")
    assert "ระหว่าง 1 ถึง 100,000" in await bot("bob@dm: 0")
    assert "กี่ชั่วโมง" in await bot("bob@dm: 1,200")
    assert "มากกว่าศูนย์" in await bot("bob@dm: -2")
    assert "บันทึกเพิ่มเติม" in await bot("bob@dm: 2")
    assert "รูปภาพ" in await bot("bob@dm: ครูคณิต 4 โรงเรียนร่วมกัน")
    out = await bot("bob@dm: ข้าม")
    assert "วันที่: 20 พ.ย. 2569" in out and "ผู้เข้าร่วม: 1,200 คน" in out and "[บันทึก] [ยกเลิก]" in out
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in await bot("bob@dm: [Save]")
    # A double tap on Save: the flow is over, nothing is recorded twice.
    assert "ปุ่มนี้หมดอายุแล้ว" in await bot("bob@dm: [Save]")
    assert len(await rows(bot)) == 1
    (row,) = await rows(bot)
    assert row["notes"] == "ครูคณิต 4 โรงเรียนร่วมกัน" and row["organisation_id"] is not None


async def test_cancel_in_the_middle_saves_nothing(bot: Conversation) -> None:
    await teacher(bot)
    await bot("bob@dm: /log", "bob@dm: ทดลอง", "bob@dm: [network meeting]", "bob@dm: [Today]", "bob@dm: [Skip]",
              "bob@dm: [Skip]", "bob@dm: [Skip]", "bob@dm: [Skip]", "bob@dm: [Skip]")
    assert "ยกเลิกแล้ว" in await bot("bob@dm: [Cancel]")
    assert await rows(bot) == []


async def test_logging_in_a_group_confirms_in_one_short_message(bot: Conversation) -> None:
    await teacher(bot)
    out = await bot('bob@teachers: /log ประชุมเครือข่าย วันนี้ "วางแผนภาคเรียนที่ 2" 15 คน')
    assert out.count("bot@teachers") == 1 and "\n" not in out
    assert "✅ บันทึกแล้ว #1: วางแผนภาคเรียนที่ 2 (21 พ.ย. 2569)" in out
    out = await bot("bob@teachers: /log")
    assert out.count("bot@teachers") == 1 and "แชตส่วนตัว" in out


async def test_a_photo_is_stored_with_the_activity(bot: Conversation) -> None:
    await teacher(bot)
    await bot("bob@dm: /log", "bob@dm: เยี่ยมชมโรงเรียนต้นแบบ", "bob@dm: [joint academic activity]",
              "bob@dm: [Today]", "bob@dm: [Skip]", "bob@dm: 20", "bob@dm: 3", "bob@dm: [Skip]")
    photo = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    outcome = await send(bot, "bob", photo=photo)
    text = said(outcome)
    assert "ได้รับรูปภาพแล้ว" in text and "รูปภาพ: แนบแล้ว" in text
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in await bot("bob@dm: บันทึก")
    async with bot.app.db.transaction() as conn:
        stored = (await conn.execute(sa.select(activity_photos))).all()
    assert [(r.entity, r.entity_id, bytes(r.content)) for r in stored] == [("activity", 1, photo)]
    assert (await rows(bot))[0]["has_photo"] is True
    # A photo outside any flow is not mine to answer.
    assert said(await send(bot, "bob", photo=photo)) == ""


async def test_who_may_log_and_bad_one_line_input(bot: Conversation) -> None:
    await teacher(bot)
    await bot.add_member("pim", "parent")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot('pim@dm: /log อบรม วันนี้ "x"')
    assert "ขึ้นต้นด้วยประเภทกิจกรรม" in await bot('bob@dm: /log "x" 20/11/2569')
    assert "กรุณาระบุวันที่" in await bot('bob@dm: /log อบรม "x"')
    assert "พ.ศ. หรือ ค.ศ." in await bot('bob@dm: /log อบรม 20/11/69 "x"')
    assert "ยังไม่ถึง" in await bot('bob@dm: /log อบรม 20/11/2570 "x"')
    assert "เกิน 5 ปี" in await bot('bob@dm: /log อบรม 20/11/2560 "x"')
    assert "ชื่อกิจกรรม" in await bot("bob@dm: /log อบรม วันนี้")
    assert "ระหว่าง 1 ถึง" in await bot('bob@dm: /log อบรม วันนี้ "x" 0 คน')
    assert "มากกว่าศูนย์" in await bot('bob@dm: /log อบรม วันนี้ "x" 0h')
    assert "เกิน 500 ชั่วโมง" in await bot('bob@dm: /log อบรม วันนี้ "x" 900h')
    assert await rows(bot) == []


async def test_double_send_and_redelivery_never_create_two_records(bot: Conversation) -> None:
    await teacher(bot)
    line = 'bob@dm: /log อบรม วันนี้ "สื่อดิจิทัล" 10 คน'
    assert "✅" in await bot(line)
    assert await bot(":redeliver") == ""
    assert "ไม่บันทึกซ้ำ" in await bot(line)
    assert len(await rows(bot)) == 1
    await bot(":clock +1h")
    assert "✅" in await bot(line)  # later, the same title is a new activity
    assert len(await rows(bot)) == 2


async def test_listing_paginates_and_filters_by_scope_and_period(bot: Conversation) -> None:
    await teacher(bot)
    await bot.add_member("carol", "teacher")
    for day in range(1, 8):
        await bot(f'bob@dm: /log อบรม {day}/11/2569 "อบรมครั้งที่ {day}"')
    await bot('carol@dm: /log ประชุมเครือข่าย 10/10/2569 "ประชุมเดือนตุลา"')
    out = await bot("bob@dm: /activities")
    assert "หน้า 1 จาก 2 · ทั้งหมด 8 รายการ" in out and "#7 7 พ.ย. 2569" in out and "#3 " in out
    assert "#2 " not in out
    out = await bot("bob@dm: [Older ▶]")
    assert "หน้า 2 จาก 2" in out and "#8 10 ต.ค. 2569" in out
    out = await bot("bob@dm: /activities ตุลาคม 2569")
    assert "ทั้งหมด 1 รายการ" in out and "ประชุมเดือนตุลา" in out
    out = await bot("carol@dm: /activities")
    out = await bot("carol@dm: [Mine]")
    assert "กิจกรรมของฉัน" in out and "ทั้งหมด 1 รายการ" in out
    assert "ยังไม่ได้ระบุหน่วยงาน" in await bot("carol@dm: [My organisation]")
    assert "อ่านช่วงเวลาไม่ออก" in await bot("bob@dm: /activities sometime")


async def test_only_the_author_or_a_coordinator_edits_or_deletes_and_the_audit_log_keeps_it(
        bot: Conversation) -> None:
    await teacher(bot)
    await bot.add_member("carol", "teacher")
    await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" 10 คน')
    out = await bot("carol@dm: /activities", "carol@dm: [#1]")
    assert "[แก้ไข]" not in out
    refused = said(await send(bot, "carol", payload="1|acd|1"))
    assert "เฉพาะผู้บันทึกกิจกรรมนี้หรือผู้ประสานงาน" in refused
    assert "เฉพาะผู้บันทึกกิจกรรมนี้หรือผู้ประสานงาน" in said(await send(bot, "carol", payload="1|acx|1"))
    # The author edits the title and the date.
    await bot("bob@dm: /activities", "bob@dm: [#1]", "bob@dm: [Edit]")
    assert "กิจกรรมชื่ออะไร" in await bot("bob@dm: [Title]")
    assert "แก้ไขกิจกรรม #1 แล้ว" in await bot("bob@dm: สื่อการสอนออนไลน์")
    await bot("bob@dm: [Edit]", "bob@dm: [Date]")
    assert "ยังไม่ถึง" in await bot("bob@dm: พรุ่งนี้")
    assert "วันที่: 19 พ.ย. 2569" in await bot("bob@dm: 19/11/2569")
    # A coordinator deletes it.
    await bot("alice@dm: /activities", "alice@dm: [#1]", "alice@dm: [Delete]")
    assert "ลบกิจกรรม #1 แล้ว" in await bot("alice@dm: [Yes, delete]")
    assert "ไม่พบกิจกรรมนี้แล้ว" in await bot("alice@dm: [Yes, delete]")
    assert await rows(bot) == []
    async with bot.app.db.transaction() as conn:
        trail = await AuditRepo(conn).for_entity(1, "activity", 1)
    assert [(e["action"], e["member_id"]) for e in trail] == [("create", 2), ("update", 2), ("update", 2),
                                                              ("delete", 1)]
    assert trail[1]["details"] == {"title": "สื่อการสอนออนไลน์"}


async def test_another_network_cannot_see_or_touch_activities(bot: Conversation) -> None:
    await teacher(bot)
    await bot('bob@dm: /log อบรม วันนี้ "ของเครือข่ายแรก"')
    await bot("zed@dm: /newnetwork เครือข่ายอื่น", "zed@dm: [Join as coordinator]")
    out = await bot("zed@dm: /activities")
    assert "ของเครือข่ายแรก" not in out and "ทั้งหมด 0 รายการ" in out
    assert "ไม่พบกิจกรรมนี้แล้ว" in said(await send(bot, "zed", payload="1|aco|1"))
    assert "ไม่พบกิจกรรมนี้แล้ว" in said(await send(bot, "zed", payload="1|acx|1"))
    assert len(await rows(bot)) == 1


async def test_summary_section_compares_aims_with_the_previous_period(bot: Conversation) -> None:
    await teacher(bot)
    await bot('bob@dm: /log อบรม 20/11/2569 "AI" 30 คน 3h', 'bob@dm: /log แลกเปลี่ยนเรียนรู้ 19/11/2569 "PLC" 10 คน',
              'bob@dm: /log ประชุมเครือข่าย 18/11/2569 "ประชุม" 5 คน 1h',
              'bob@dm: /log พัฒนาบุคลากร 10/11/2569 "พัฒนาครู" 20 คน 6h')  # the week before
    section = await summary(bot.app, activities_module.router, 1, bangkok_day(2026, 11, 16), bangkok_day(2026, 11, 23))
    assert section is not None and section.title == "กิจกรรมตามเป้าหมายความร่วมมือ"
    [chart] = section.charts
    assert chart == SummaryChart("กิจกรรมตามเป้าหมายความร่วมมือ", {
        "ประสิทธิภาพและความยั่งยืน": (1.0, 0.0), "ความเสมอภาคทางการศึกษา": (0.0, 0.0),
        "นวัตกรรมการเรียนรู้": (2.0, 0.0), "การพัฒนาบุคลากร": (0.0, 1.0)}, unit="จำนวนกิจกรรม (ครั้ง)", kind="periods")
    assert "กิจกรรม: 3 ครั้ง (ช่วงก่อนหน้า: 1)" in section.lines
    assert "ผู้เข้าร่วม: 45 คน · เวลา: 4 ชั่วโมง" in section.lines
    english = await summary(bot.app, activities_module.router, 1, bangkok_day(2026, 11, 16), bangkok_day(2026, 11, 23),
                            lang="en")
    assert english is not None and english.charts[0].rows["learning innovation"] == (2.0, 0.0)
    # A period with nothing in it or before it has nothing to say.
    assert await summary(bot.app, activities_module.router, 1, bangkok_day(2025, 1, 8), bangkok_day(2025, 1, 15)) is None


async def test_a_huge_list_is_counted_only_up_to_a_cap(bot: Conversation, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(activities_module.listing, "COUNT_CAP", 6)
    await teacher(bot)
    for day in range(1, 10):
        await bot(f'bob@dm: /log อบรม {day}/11/2569 "อบรมครั้งที่ {day}"')
    out = await bot("bob@dm: /activities")
    assert "หน้า 1 จาก 2+ · ทั้งหมด 6+ รายการ" in out and "[เก่ากว่า ▶]" in out
    out = await bot("bob@dm: [Older ▶]")
    assert "#4 4 พ.ย. 2569" in out and "#1 1 พ.ย. 2569" in out and "ทั้งหมด 6+ รายการ" in out
    assert "[เก่ากว่า ▶]" not in out  # the last page, although the count stopped at the cap


async def test_english_card_values_and_buttons_are_capitalised(bot: Conversation) -> None:
    await teacher(bot)
    await bot("bob@dm: /lang en")
    out = await bot('bob@dm: /log workshop 20/11/2569 "AI" 30 people 3h')
    assert "Kind: Workshop/training" in out and "Aim: Learning innovation" in out and "Participants: 30 people" in out
    out = await bot("bob@dm: /log", "bob@dm: Reading camp")
    assert "[Workshop/training]" in out
