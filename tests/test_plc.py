"""The PLC logbook (issue 15), told as a term of one PLC group on both platforms: a teacher
creates a group and invites teachers of two schools, three sessions are logged (in one line in
the group, step by step with a photo, in one line privately), members check in by tap or are
ticked by the facilitator, and each teacher's hours, the facilitator's and the coordinator's
views and the memo-ready exports (read back with openpyxl and csv) come out right. Bad input
gets a Thai message that says what was expected, and nothing is stored from it."""

from __future__ import annotations

import csv
import io
from typing import Any

import sqlalchemy as sa

from bot.model import Document
from storage.activities import activity_photos
from storage.plc import plc_attendance, plc_sessions
from tests.support.activities import said, send
from tests.support.conversation import Conversation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["ครั้งที่", "วันที่", "เวลาเริ่ม", "จำนวนชั่วโมง", "ขั้นตอน PLC", "หัวข้อ", "สมาชิกที่เข้าร่วม",
          "การสะท้อนผล", "กลุ่ม PLC", "ผู้อำนวยความสะดวก"]
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def school_network(bot: Conversation) -> None:
    """alice coordinates and works at หนองบัว; tina (facilitator) and kai teach there, ben teaches at
    วัดใหม่; pim is a parent. Member numbers: alice 1, tina 2, ben 3, kai 4, pim 5."""
    await bot.setup_network()
    for name in ("tina", "ben", "kai"):
        await bot.add_member(name, "teacher")
    await bot.add_member("pim", "parent")
    for name, school in (("alice", "โรงเรียนบ้านหนองบัว"), ("tina", "โรงเรียนบ้านหนองบัว"),
                         ("kai", "โรงเรียนบ้านหนองบัว"), ("ben", "โรงเรียนวัดใหม่")):
        await bot(f"{name}@dm: /org {school}")


async def group_with_members(bot: Conversation) -> None:
    out = await bot("tina@dm: /plc new ชุมชนการเรียนรู้ภาษาไทย ป.4")
    assert "สร้างกลุ่ม PLC 1 “ชุมชนการเรียนรู้ภาษาไทย ป.4” แล้ว" in out and "[เชิญครู]" in out
    out = await bot("tina@dm: /plc invite 3 4 5")
    assert "เชิญเข้ากลุ่ม PLC 1 แล้ว: Ben และ Kai" in out
    assert "กลุ่ม PLC มีเฉพาะครูและผู้ประสานงาน จึงไม่ได้เชิญ Pim" in out
    # The invitation arrives privately as a card; Ben joins by tapping it, Kai will join by checking in.
    assert "bot@dm:ben → คำเชิญเข้ากลุ่ม PLC: ชุมชนการเรียนรู้ภาษาไทย ป.4" in bot.transcript
    assert "คุณเข้าร่วมกลุ่ม PLC 1 “ชุมชนการเรียนรู้ภาษาไทย ป.4” แล้ว" in await bot("ben@dm: [เข้าร่วมกลุ่ม]")
    assert "คุณได้รับเชิญ" in await bot("kai@dm: /plc")


async def three_sessions(bot: Conversation) -> None:
    """2 + 1.5 + 3 hours: Tina (who runs them) 6.5, Ben 6.5 (checked in three times), Kai 3.5
    (checked in once, ticked once, away once)."""
    # Session 1, logged in one line in the group chat at 09:00, starting 09:30: the card takes check-ins there.
    out = await bot('tina@teachers: /plc log 21/11/2569 09:30 2 ชม. ระบุปัญหา "นักเรียนอ่านจับใจความไม่ได้"')
    assert "บันทึกกิจกรรม PLC #1 แล้ว" in out and "ขั้นตอน PLC: 1. ระบุปัญหา" in out and "[เช็กอิน]" in out
    assert "ผู้เข้าร่วม (1 คน): Tina" in out
    await bot(":clock 2026-11-21 09:40")
    out = await bot("ben@teachers: [เช็กอิน]")
    assert "ผู้เข้าร่วม (2 คน): Tina และ Ben" in out
    assert "ผู้เข้าร่วม (3 คน): Tina Ben และ Kai" in await bot("kai@teachers: [เช็กอิน]")  # accepts the invitation
    assert "เฉพาะผู้ประสานงานและครูเท่านั้น" in await bot("pim@teachers: [เช็กอิน]")  # parents take no part
    # Session 2, step by step in a private chat, with a reflection and a photo.
    await bot(":clock 2026-11-24 08:00")
    assert "กิจกรรมเริ่มเมื่อใด" in await bot("tina@dm: /plc log")
    assert "กรุณาระบุเวลาที่เริ่มกิจกรรมด้วย" in await bot("tina@dm: 24/11/2569")
    assert "ใช้เวลานานเท่าใด" in await bot("tina@dm: 24/11/2569 15:30")
    assert "ตั้งแต่ 15 นาทีถึง 8 ชั่วโมง" in await bot("tina@dm: 12 ชม.")
    assert "หัวข้อของกิจกรรมคืออะไร" in await bot("tina@dm: [1.5 ชั่วโมง]")
    out = await bot("tina@dm: ออกแบบกิจกรรมอ่านเชิงวิเคราะห์")
    assert "[ออกแบบแผนการสอน]" in out and "[สอนและสังเกตการสอน]" in out and "[แลกเปลี่ยนและขยายผล]" in out
    assert "กรุณากดเลือกขั้นตอนใดขั้นตอนหนึ่ง" in await bot("tina@dm: ขั้นที่เก้า")
    assert "สะท้อนผลสั้น ๆ" in await bot("tina@dm: [ออกแบบแผนการสอน]")
    assert "ส่งรูปภาพกิจกรรม" in await bot("tina@dm: ใช้คำถามระดับวิเคราะห์ได้ดี ควรเพิ่มเวลาให้นักเรียนอภิปราย")
    outcome = await send(bot, "tina", photo=PHOTO)
    out = said(outcome)
    assert "ได้รับรูปภาพแล้ว" in out and "รูปภาพ: แนบแล้ว" in out and "ระยะเวลา: 1 ชั่วโมง 30 นาที" in out
    out = await bot("tina@dm: บันทึก")  # the draft card came with the photo, outside the console
    assert "บันทึกกิจกรรม PLC #2 แล้ว" in out and "การสะท้อนผล: ใช้คำถามระดับวิเคราะห์ได้ดี" in out
    assert "การเช็กอินกิจกรรม PLC #2 จะเปิดเวลา 24 พ.ย. 2569 15:00 น." in await bot("ben@dm: /plc checkin 2")
    await bot(":clock 2026-11-24 15:40")
    assert "เช็กอินกิจกรรม PLC #2 แล้ว (1.5 ชั่วโมง)" in await bot("ben@dm: /plc checkin")
    assert "คุณเช็กอินกิจกรรม PLC #2 แล้ว" in await bot("ben@dm: /plc checkin 2")
    await bot(":clock 2026-11-24 20:00")
    out = await bot("kai@dm: /plc checkin 2")
    assert "การเช็กอินกิจกรรม PLC #2 ปิดแล้วเมื่อ 24 พ.ย. 2569 18:00 น." in out
    assert "ผู้เข้าร่วมกิจกรรม PLC #2: Kai" in await bot("tina@dm: /plc present 2 4")  # the facilitator ticks him
    # Session 3, in one line privately, logged ahead; Ben checks in from the overview, Kai is away.
    out = await bot('tina@dm: /plc log 28/11/2569 13:00 3 ชม. สะท้อนผล "สะท้อนผลการสอนอ่านจับใจความ" | นักเรียนตอบคำถามได้ดีขึ้น')
    assert "บันทึกกิจกรรม PLC #3 แล้ว" in out and "การสะท้อนผล: นักเรียนตอบคำถามได้ดีขึ้น" in out
    await bot(":clock 2026-11-28 13:10")
    out = await bot("ben@dm: /plc")
    assert "[เช็กอิน #3 สะท้อนผล…]" in out
    assert "เช็กอินกิจกรรม PLC #3 แล้ว (3 ชั่วโมง)" in await bot("ben@dm: [เช็กอิน #3 สะท้อนผล…]")


async def test_three_sessions_give_each_teacher_the_right_hours(bot: Conversation) -> None:
    await school_network(bot)
    await group_with_members(bot)
    await three_sessions(bot)
    out = await bot("ben@dm: /plc hours")
    assert "ชั่วโมง PLC ของคุณ ปีการศึกษา 2569" in out and "จำนวนครั้งที่เข้าร่วม: 3" in out
    assert "ชั่วโมง: 6.5 ชั่วโมง" in out and "เป้าหมายต่อปี: 50 ชั่วโมง" in out
    assert "อีก 43.5 ชั่วโมง จะถึงเป้าหมาย" in out and "ชั่วโมง PLC ▓░░░░░░░░░ 13%" in out
    out = await bot("kai@dm: /plc hours")
    assert "ชั่วโมง: 3.5 ชั่วโมง" in out and "จำนวนครั้งที่เข้าร่วม: 2" in out
    # The facilitator sees the group's members; a school's coordinator sees the school's teachers only.
    out = await bot("tina@dm: /plc hours")
    assert "กลุ่ม PLC 1 “ชุมชนการเรียนรู้ภาษาไทย ป.4”: ชั่วโมงของสมาชิกปีการศึกษา 2569" in out
    assert "1. Tina — 6.5 ชั่วโมง" in out and "2. Ben — 6.5 ชั่วโมง" in out and "3. Kai — 3.5 ชั่วโมง" in out
    out = await bot("alice@dm: /plc hours")
    assert "ครูของ โรงเรียนบ้านหนองบัว: ชั่วโมง PLC ปีการศึกษา 2569" in out
    assert "Tina — 6.5 ชั่วโมง" in out and "Kai — 3.5 ชั่วโมง" in out and "Alice — 0 ชั่วโมง" in out
    assert "Ben" not in out  # another school's teacher
    # A coordinator changes the target; everyone's progress follows.
    assert "เป้าหมายชั่วโมง PLC ต่อปีตอนนี้คือ 25 ชั่วโมง" in await bot("alice@dm: /plc target 25")
    assert "เฉพาะผู้ประสานงานเท่านั้น" in await bot("tina@dm: /plc target 10")
    assert "ชั่วโมง PLC ▓▓▓░░░░░░░ 26%" in await bot("ben@dm: /plc hours")
    # The attendance behind the hours: who, how.
    async with bot.app.db.transaction() as conn:
        rows = (await conn.execute(sa.select(plc_attendance.c.session_id, plc_attendance.c.member_id,
                                             plc_attendance.c.how).order_by(plc_attendance.c.session_id,
                                                                            plc_attendance.c.member_id))).all()
        photos = (await conn.execute(sa.select(activity_photos.c.entity, activity_photos.c.entity_id,
                                               activity_photos.c.content))).all()
    assert [tuple(r) for r in rows] == [(1, 2, "facilitator"), (1, 3, "checkin"), (1, 4, "checkin"),
                                        (2, 2, "facilitator"), (2, 3, "checkin"), (2, 4, "ticked"),
                                        (3, 2, "facilitator"), (3, 3, "checkin")]
    assert [(r.entity, r.entity_id, bytes(r.content)) for r in photos] == [("plc", 2, PHOTO)]


def document_of(outcome: Any) -> Document:
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    return document


def sheet_rows(content: bytes, sheet: int = 0) -> list[list[Any]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return [list(row) for row in book.worksheets[sheet].iter_rows(values_only=True)]


async def test_the_export_is_one_a_school_can_attach_to_its_memo(bot: Conversation) -> None:
    await school_network(bot)
    await group_with_members(bot)
    await three_sessions(bot)
    # A teacher's own logbook, XLSX by default: headings, the sessions in memo order, the total.
    document = document_of(await send(bot, "kai", text="/plc export"))
    assert document.filename == "plc-2569-teacher-4.xlsx" and document.mime_type == XLSX
    assert "บันทึกชั่วโมง PLC ของ Kai ปีการศึกษา 2569: 2 ครั้ง รวม 3.5 ชั่วโมง" in document.caption
    rows = sheet_rows(document.content)
    assert rows[0][0] == "บันทึกชั่วโมง PLC ของ Kai ปีการศึกษา 2569"
    assert rows[1][0] == "หน่วยงาน: โรงเรียนบ้านหนองบัว"
    assert rows[2][0] == "รวม 3.5 ชั่วโมง จากเป้าหมายต่อปี 50 ชั่วโมง"
    start = rows.index(HEADER)
    assert rows[start + 1] == [1, "21/11/2569", "09:30", 2, "1. ระบุปัญหา", "นักเรียนอ่านจับใจความไม่ได้",
                               "Tina Ben และ Kai", None, "ชุมชนการเรียนรู้ภาษาไทย ป.4", "Tina"]
    assert rows[start + 2][:6] == [2, "24/11/2569", "15:30", 1.5, "2. ออกแบบแผนการสอน",
                                   "ออกแบบกิจกรรมอ่านเชิงวิเคราะห์"]
    assert rows[start + 2][7] == "ใช้คำถามระดับวิเคราะห์ได้ดี ควรเพิ่มเวลาให้นักเรียนอภิปราย"
    assert rows[start + 3][:4] == ["รวม", "2 ครั้ง", None, 3.5]
    # CSV for Ben: UTF-8 with BOM, the same columns, three sessions, 6.5 hours.
    document = document_of(await send(bot, "ben", text="/plc export csv"))
    assert document.filename == "plc-2569-teacher-3.csv" and document.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert [r[1] for r in rows[1:4]] == ["21/11/2569", "24/11/2569", "28/11/2569"]
    assert [r[3] for r in rows[1:4]] == ["2", "1.5", "3"]
    assert [r[4] for r in rows[1:4]] == ["1. ระบุปัญหา", "2. ออกแบบแผนการสอน", "4. สะท้อนผล"]
    assert rows[3][6] == "Tina และ Ben" and rows[3][7] == "นักเรียนตอบคำถามได้ดีขึ้น"
    assert rows[4][:4] == ["รวม", "3 ครั้ง", "", "6.5"]
    # The school's logbook (coordinator): the sessions its teachers attended, and hours per teacher.
    document = document_of(await send(bot, "alice", text="/plc export school"))
    assert document.filename.startswith("plc-2569-school-") and document.filename.endswith(".xlsx")
    sessions = sheet_rows(document.content, 0)
    assert sessions[0][0] == "บันทึกกิจกรรม PLC ของ โรงเรียนบ้านหนองบัว ปีการศึกษา 2569"
    start = sessions.index(HEADER)
    assert [r[1] for r in sessions[start + 1:]] == ["21/11/2569", "24/11/2569", "28/11/2569"]
    teachers = sheet_rows(document.content, 1)
    header = teachers.index(["ลำดับ", "ครู", "จำนวนครั้งที่เข้าร่วม", "จำนวนชั่วโมง", "เป้าหมายต่อปี",
                             "ร้อยละของเป้าหมาย"])
    assert teachers[header + 1:] == [[1, "Alice", 0, 0, 50, 0], [2, "Tina", 3, 6.5, 50, 13], [3, "Kai", 2, 3.5, 50, 7]]
    document = document_of(await send(bot, "alice", text="/plc export school csv"))
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0] == HEADER and rows[4] == [] and rows[6] == ["1", "Alice", "0", "0", "50", "0"]
    # Exports go to private chats only; another teacher's logbook is the coordinator's to export.
    assert "กรุณาส่งคำสั่งนี้ในแชตส่วนตัวกับบอต" in await bot("alice@teachers: /plc export")
    assert "เฉพาะผู้ประสานงานเท่านั้น" in await bot("ben@dm: /plc export 4")
    assert "เฉพาะผู้ประสานงานเท่านั้น" in await bot("ben@dm: /plc export school")
    assert document_of(await send(bot, "alice", text="/plc export 3 csv")).filename == "plc-2569-teacher-3.csv"
    assert "กรุณาระบุปีการศึกษาเป็นปี พ.ศ." in await bot("ben@dm: /plc export 2026")
    assert "วิธีใช้: /plc export" in await bot("ben@dm: /plc export everything")


async def test_bad_input_gets_a_clear_thai_message_and_stores_nothing(bot: Conversation) -> None:
    await school_network(bot)
    assert "คุณยังไม่ได้เป็นผู้อำนวยความสะดวกของกลุ่ม PLC ใด" in await bot('tina@dm: /plc log 21/11/2569 09:30 2 ชม. วางแผน "ก"')
    await group_with_members(bot)
    cases = {
        '/plc log 21/11/2569 2 ชม. วางแผน "การอ่าน"': "กรุณาระบุเวลาที่เริ่มกิจกรรมด้วย",
        '/plc log 21/11/2569 09:30 วางแผน "การอ่าน"': "กรุณาระบุระยะเวลา",
        '/plc log 21/11/2569 09:30 10 ชม. วางแผน "การอ่าน"': "ตั้งแต่ 15 นาทีถึง 8 ชั่วโมง",
        '/plc log 21/11/2569 09:30 -2 ชม. วางแผน "การอ่าน"': "ตั้งแต่ 15 นาทีถึง 8 ชั่วโมง",
        '/plc log 21/11/2569 09:30 2 ชม. "การอ่าน"': "กรุณาระบุขั้นตอน PLC (“ระบุปัญหา” “ออกแบบแผนการสอน”",
        '/plc log 21/11/2569 09:30 2 ชม. วางแผน ""': "หัวข้อในเครื่องหมายคำพูดว่างอยู่",
        '/plc log 31/2/2569 09:30 2 ชม. วางแผน "การอ่าน"': "ไม่มีวันที่นี้ กรุณาตรวจสอบวันและเดือน",
        '/plc log 21/11/2567 09:30 2 ชม. วางแผน "การอ่าน"': "ผ่านมาแล้วเกิน 400 วัน",
        '/plc log 21/3/2570 09:30 2 ชม. วางแผน "การอ่าน"': "อยู่ล่วงหน้าเกิน 60 วัน",
        '/plc log กลุ่ม 9 21/11/2569 09:30 2 ชม. วางแผน "การอ่าน"': "ไม่มีกลุ่ม PLC 9",
        "/plc invite abc": "กรุณาส่งหมายเลขสมาชิก เช่น /plc invite 5 7 (“abc” ไม่ใช่ตัวเลข)",
        "/plc invite 99": "ไม่มีสมาชิกหมายเลข 99",
        "/plc present": "กรุณาส่งหมายเลขกิจกรรม PLC",
        "/plc checkin 7": "ไม่มีกิจกรรม PLC 7",
        "/plc hours 2026": "กรุณาระบุปีการศึกษาเป็นปี พ.ศ.",
        "/plc new": "กรุณาตั้งชื่อกลุ่ม",
        "/plc fly": "ไม่รู้จักคำว่า “fly” หลัง /plc",
        "/plc new ชุมชนการเรียนรู้ภาษาไทย ป.4": "คุณเป็นผู้อำนวยความสะดวกของกลุ่ม PLC 1 “ชุมชนการเรียนรู้ภาษาไทย ป.4” อยู่แล้ว",
    }
    for text, expected in cases.items():
        out = await bot(f"tina@dm: {text}")
        assert expected in out, (text, out)
    for text, expected in {"/plc target 0": "ตั้งแต่ 1 ถึง 1000", "/plc target 99999999999": "ตั้งแต่ 1 ถึง 1000",
                           "/plc target ห้าสิบ": "ตั้งแต่ 1 ถึง 1000"}.items():
        assert expected in await bot(f"alice@dm: {text}"), text
    async with bot.app.db.transaction() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(plc_sessions))).scalar_one() == 0
    # Only the facilitator logs and ticks; only members check in; parents are not in PLC at all.
    assert "เฉพาะผู้อำนวยความสะดวกของกลุ่ม PLC 1 เท่านั้น" in await bot(
        'ben@dm: /plc log กลุ่ม 1 21/11/2569 09:30 2 ชม. วางแผน "การอ่าน"')
    out = await bot('tina@dm: /plc log 21/11/2569 09:30 2 ชม. วางแผน "การอ่าน"')
    assert "บันทึกกิจกรรม PLC #1 แล้ว" in out
    assert "บันทึกไว้แล้ว จึงไม่บันทึกซ้ำ" in await bot('tina@dm: /plc log 21/11/2569 09:30 2 ชม. วางแผน "การอ่าน"')
    assert "กิจกรรม PLC #1 ยังไม่เริ่ม" in await bot("tina@dm: /plc present 1 3")
    await bot(":clock 2026-11-21 09:35")
    assert "เฉพาะสมาชิกของกลุ่ม PLC นี้เท่านั้นที่เช็กอินได้" in await bot("alice@dm: /plc checkin 1")
    assert "เฉพาะผู้อำนวยความสะดวกของกลุ่ม PLC นี้เท่านั้นที่เช็กชื่อผู้เข้าร่วมได้" in await bot("ben@dm: /plc present 1 3")
    assert "ไม่ได้อยู่ในกลุ่ม PLC 1: 1" in await bot("tina@dm: /plc present 1 1")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot("pim@dm: /plc")


async def test_the_facilitator_ticks_who_came_by_tapping_names(bot: Conversation) -> None:
    await school_network(bot)
    await group_with_members(bot)
    await bot('tina@dm: /plc log 21/11/2569 08:00 1 ชม. สอน "สังเกตการสอนอ่าน"')
    out = await bot("tina@dm: [เช็กชื่อผู้เข้าร่วม]")
    assert "ใครเข้าร่วมกิจกรรม PLC #1 “สังเกตการสอนอ่าน” บ้าง" in out and "[✓ 2 Tina]" in out and "[4 Kai]" in out
    out = await bot("tina@dm: [4 Kai]")
    assert "[✓ 4 Kai]" in out and "ขณะนี้ 2 คน" in out
    assert "[4 Kai]" in await bot("tina@dm: [✓ 4 Kai]")  # a second tap takes the tick back
    await bot("tina@dm: [3 Ben]")
    assert "ชั่วโมง: 1 ชั่วโมง" in await bot("ben@dm: /plc hours")
    assert "ชั่วโมง: 0 ชั่วโมง" in await bot("kai@dm: /plc hours")


async def test_invitations_by_tapping_names_and_joining(bot: Conversation) -> None:
    await school_network(bot)
    await bot("tina@dm: /plc new วงPLCวิทย์")
    out = await bot("tina@dm: [เชิญครู]")
    assert "1 Alice — โรงเรียนบ้านหนองบัว" in out and "3 Ben — โรงเรียนวัดใหม่" in out and "Pim" not in out
    assert "[1 Alice]" in out and "[4 Kai]" in out and "[2 Tina]" not in out  # the facilitator is in already
    assert "เชิญ Ben เข้ากลุ่ม PLC 1 แล้ว" in await bot("tina@dm: [3 Ben]")
    assert "อยู่ในกลุ่มหรือได้รับเชิญแล้ว: Ben" in await bot("tina@dm: /plc invite 3")
    assert "เฉพาะครูที่ผู้อำนวยความสะดวกเชิญเท่านั้น" in await bot("kai@dm: /plc join 1")
    assert "กรุณาส่งหมายเลขกลุ่ม" in await bot("ben@dm: /plc join สาม")
    assert "คุณเข้าร่วมกลุ่ม PLC 1 “วงPLCวิทย์” แล้ว" in await bot("ben@dm: /plc join กลุ่ม 1")
    assert "คุณอยู่ในกลุ่ม PLC 1 “วงPLCวิทย์” แล้ว" in await bot("ben@dm: [เข้าร่วมกลุ่ม]")
    out = await bot("ben@dm: /plc")
    assert "1 “วงPLCวิทย์” (ผู้อำนวยความสะดวก: Tina)" in out


async def test_the_invitation_is_a_timely_private_push(bot: Conversation) -> None:
    from storage.runtime import outbox

    await school_network(bot)
    await bot("tina@dm: /plc new วงวิทย์", "tina@dm: /plc invite 3")
    async with bot.app.db.transaction() as conn:
        (row,) = (await conn.execute(sa.select(outbox.c.urgency, outbox.c.deliver_by)
                                     .where(outbox.c.key == "plc:1:invite:3"))).all()
    assert row.urgency == "timely" and row.deliver_by is not None


async def test_the_migration_creates_what_the_tables_say(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.all_tables  # noqa: F401
    from storage.db import Database
    from storage.tables import metadata

    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    finally:
        await db.dispose()
    assert [d for d in diff if "plc_" in repr(d)] == []


async def test_hours_and_export_rows_on_both_engines_stay_in_their_network(db_url: str) -> None:
    """The ledger's SQL on SQLite and PostgreSQL: sums per member, the export's rows, and nothing of
    network B reachable with network A's id."""
    from datetime import date, datetime, timezone

    from storage.db import Database
    from storage.membership import MemberRepo, NetworkRepo
    from storage.plc import PlcGroupRepo, PlcSessionRepo

    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=now)
            b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=now)
            people = MemberRepo(conn)
            tina = await people.add(a.id, platform="line", platform_user_id="U1", display_name="Tina", role="teacher",
                                    language="th", now=now)
            ben = await people.add(a.id, platform="line", platform_user_id="U2", display_name="Ben", role="teacher",
                                   language="th", now=now)
            zed = await people.add(b.id, platform="line", platform_user_id="U3", display_name="Zed", role="teacher",
                                   language="th", now=now)
            groups, sessions = PlcGroupRepo(conn), PlcSessionRepo(conn)
            group = await groups.create(a.id, name="กลุ่มเอ", facilitator_id=tina.id, now=now)
            other = await groups.create(b.id, name="กลุ่มบี", facilitator_id=zed.id, now=now)
            assert await groups.invite(a.id, group.id, ben.id, by=tina.id, now=now)
            assert not await groups.invite(a.id, group.id, ben.id, by=tina.id, now=now)
            for day, minutes in ((date(2026, 11, 21), 120), (date(2026, 11, 24), 90)):
                session = await sessions.add(a.id, group_id=group.id, logged_by=tina.id, session_date=day,
                                             starts_at=now, minutes=minutes, topic=f"หัวข้อ {day.day}", step="plan",
                                             reflection=None, now=now)
                await sessions.mark(a.id, session.id, tina.id, "facilitator", now)
                await sessions.mark(a.id, session.id, ben.id, "ticked", now)
            theirs = await sessions.add(b.id, group_id=other.id, logged_by=zed.id, session_date=date(2026, 11, 21),
                                        starts_at=now, minutes=60, topic="ของบี", step="share", reflection=None,
                                        now=now)
            await sessions.mark(b.id, theirs.id, zed.id, "facilitator", now)
            found = await sessions.hours(a.id, date(2026, 5, 16), date(2027, 5, 16))
            assert [(h.display_name, h.sessions, h.minutes) for h in found] == [("Tina", 2, 210), ("Ben", 2, 210)]
            rows = await sessions.export_rows(a.id, date(2026, 5, 16), date(2027, 5, 16), member_id=ben.id)
            assert [(r["topic"], [x.display_name for x in r["attendees"]]) for r in rows] == [
                ("หัวข้อ 21", ["Tina", "Ben"]), ("หัวข้อ 24", ["Tina", "Ben"])]
            assert await groups.get(a.id, other.id) is None and await sessions.get(a.id, theirs.id) is None
            assert await sessions.by_number(b.id, 1) == theirs
            assert await sessions.attendees(a.id, theirs.id) == []
    finally:
        await db.dispose()


async def test_a_facilitator_of_two_groups_names_the_group_and_reflects_afterwards(bot: Conversation) -> None:
    await school_network(bot)
    await bot("tina@dm: /plc new วงภาษาไทย", "tina@dm: /plc new วงคณิต")
    assert "กรุณาระบุกลุ่ม เช่น /plc invite กลุ่ม 2 5 7" in await bot("tina@dm: /plc invite 3")
    assert "เชิญเข้ากลุ่ม PLC 2 แล้ว: Ben" in await bot("tina@dm: /plc invite กลุ่ม 2 3")
    out = await bot("tina@dm: /plc log")
    assert "กลุ่ม PLC ใดที่พบกัน" in out and "[1 วงภาษาไทย]" in out and "[2 วงคณิต]" in out
    assert "กรุณากดเลือกกลุ่ม PLC ของคุณ" in await bot("tina@dm: 7")
    assert "กิจกรรมเริ่มเมื่อใด" in await bot("tina@dm: [2 วงคณิต]")
    await bot("tina@dm: 21/11/2569 08:00", "tina@dm: [2 ชั่วโมง]", "tina@dm: เศษส่วน ป.5", "tina@dm: [ระบุปัญหา]",
              "tina@dm: [ข้าม]", "tina@dm: [ข้าม]")
    out = await bot("tina@dm: [บันทึก]")
    assert "บันทึกกิจกรรม PLC #1 แล้ว" in out and "กลุ่ม PLC: 2 วงคณิต" in out and "การสะท้อนผล" not in out
    assert "เฉพาะผู้อำนวยความสะดวกของกลุ่ม PLC นี้เท่านั้น" in await bot("ben@dm: /plc reflect 1 ดีมาก")
    assert "กรุณาส่งหมายเลขกิจกรรมและการสะท้อนผล" in await bot("tina@dm: /plc reflect 1")
    out = await bot("tina@dm: /plc reflect 1 นักเรียนสับสนเรื่องตัวส่วน จะใช้สื่อรูปภาพครั้งหน้า")
    assert "การสะท้อนผล: นักเรียนสับสนเรื่องตัวส่วน จะใช้สื่อรูปภาพครั้งหน้า" in out
    # Hours are personal: asked in a group, the bot answers privately only.
    assert "กรุณาส่งคำสั่งนี้ในแชตส่วนตัวกับบอต" in await bot("tina@teachers: /plc hours")
    assert "ชั่วโมง PLC ของคุณ" not in await bot("tina@teachers: /plc")


async def test_a_session_logged_afterwards_takes_ticks_not_check_ins(bot: Conversation) -> None:
    await school_network(bot)
    await group_with_members(bot)
    out = await bot('tina@dm: /plc log 20/11/2569 14:00 1 ชม. สอน "ย้อนหลัง"')
    assert "กิจกรรมนี้จบแล้ว จึงปิดการเช็กอินด้วยการกดปุ่ม" in out
    assert "ปิดการเช็กอินด้วยการกดปุ่มแล้วเมื่อ 20 พ.ย. 2569 16:00 น." in out and "[เช็กอิน]" not in out
    assert "การเช็กอินกิจกรรม PLC #1 ปิดแล้ว" in await bot("ben@dm: /plc checkin 1")
    assert "ผู้เข้าร่วมกิจกรรม PLC #1: Ben" in await bot("tina@dm: /plc present 1 3")
    assert "ชั่วโมง: 1 ชั่วโมง" in await bot("ben@dm: /plc hours")


async def test_every_plc_message_is_a_valid_line_request(line_bot: Conversation) -> None:
    """The cards, lists and files above as LINE renders them, checked against LINE's API description."""
    from bot.adapters.line.render import RenderOptions, render_requests
    from bot.i18n import Translator
    from tests.contracts.line_openapi import require_line_spec

    spec = require_line_spec()
    bot = line_bot
    await school_network(bot)
    await bot("tina@dm: /plc new ชุมชนการเรียนรู้ภาษาไทย ป.4")
    outcomes = [await send(bot, "tina", text=text) for text in (
        "/plc invite", "/plc invite 3 4 5", '/plc log 21/11/2569 08:30 2 ชม. วางแผน "การอ่านจับใจความ ป.4"',
        "/plc present 1", "/plc present 1 3", "/plc hours", "/plc export", "/plc export csv", "/plc log", "/plc")]
    outcomes.append(await send(bot, "ben", text="/plc"))
    outcomes.append(await send(bot, "ben", text="/plc checkin 1", group="teachers"))

    async def publish(content: bytes, mime: str, filename: str, kind: str) -> str:
        return f"https://edunet.example/media/{kind}-{len(content)}.bin"

    for outcome in outcomes:
        assert outcome.replies, outcome
        for private in (True, False):
            requests = await render_requests(outcome.replies, RenderOptions(Translator("th"), private, publish))
            for messages in requests:
                assert spec.schema_errors("PushMessageRequest", {"to": "U" + "a1" * 16, "messages": messages}) == []
