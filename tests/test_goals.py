"""Goals with live targets and the term review, told in chat lines on both platforms: a coordinator sets
goals with three kinds of target (activities, resources delivered, a manual indicator), activities and
pledges move the bars without anyone typing a number, the indicator's owner reports its value, the goals
appear in the summary with a goals panel, and a term review compares two terms, records the Act, seeds the
next term and stays readable once closed."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bot.model import Document, Image
from storage.goals import goal_targets, goals, plan_tasks
from tests.support.activities import said, send
from tests.support.conversation import Conversation

GOAL = ('/setgoal ด้านบุคลากร "ครูได้รับการพัฒนา" กิจกรรม อบรม 24; รับมอบ 200,000 บาท; '
        'ตัวชี้วัด "โรงเรียนที่ใช้สื่อ AI" 40 โรงเรียน ผู้รายงาน 2')


async def network(bot: Conversation) -> None:
    """alice coordinates; bob (member 2) teaches at a school, pat is a partner, pim a parent."""
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("pat", "partner")
    await bot.add_member("pim", "parent")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")


async def fund_need_and_deliver(bot: Conversation, baht: str) -> None:
    """bob posts a funding need, pat pledges ``baht`` toward it, bob confirms the delivery."""
    await bot("bob@dm: /need", "bob@dm: [funding]", "bob@dm: ทุนจัดอบรมครู", "bob@dm: 100,000", "bob@dm: 15/1/2570",
              "bob@dm: [Post]")
    await bot("pat@dm: /pledge 1", f"pat@dm: {baht}", "pat@dm: [private sector]", "pat@dm: [Today]",
              "pat@dm: [Confirm pledge]")
    await bot("bob@dm: /pledges", "bob@dm: [#1]", "bob@dm: [Mark delivered]", "bob@dm: [Skip]")


async def test_goals_with_three_kinds_of_target_move_with_the_data_nobody_types(bot: Conversation) -> None:
    await network(bot)
    assert "ยังไม่มีเป้าหมายของปีการศึกษา 2569" in await bot("pim@dm: /goals")
    out = await bot(f"alice@dm: {GOAL}")
    assert "บันทึกเป้าหมาย 1 ของปีการศึกษา 2569 แล้ว" in out
    assert "1.1 จำนวนกิจกรรม (อบรม/ประชุมเชิงปฏิบัติการ): 0 จาก 24 ครั้ง · 0% · ช้ากว่าแผน (ควรถึง ณ วันนี้ 12)" in out
    assert "1.2 ทรัพยากรที่รับมอบ: 0 จาก 200,000 บาท" in out
    assert "1.3 โรงเรียนที่ใช้สื่อ AI: เป้าหมาย 40 โรงเรียน · ยังไม่มีข้อมูล" in out

    # Activities and a delivered pledge move the bars; nobody typed a number into the goals.
    for day in ("20/6/2569", "20/8/2569", "1/10/2569", "20/11/2569"):
        await bot(f'bob@dm: /log อบรม {day} "สื่อการสอน AI" 30 คน 3 ชม.')
    await bot('bob@dm: /log ประชุม 20/11/2569 "ประชุมเครือข่าย" 10 คน 1 ชม.')  # not a workshop: not counted
    await fund_need_and_deliver(bot, "60,000")
    out = await bot("pim@dm: /goals")
    assert "ผ่านไปแล้ว 52% ของปี" in out
    assert "1.1 จำนวนกิจกรรม (อบรม/ประชุมเชิงปฏิบัติการ): 4 จาก 24 ครั้ง · 17% · ช้ากว่าแผน" in out
    assert "1.2 ทรัพยากรที่รับมอบ: 60,000 จาก 200,000 บาท · 30% · ช้ากว่าแผน (ควรถึง ณ วันนี้ 104,110)" in out
    assert "1.1 จำนวนกิจกรรม (อบรม/ประชุมเชิงปฏิบัติการ) ▓▓░░░░░░░░ 17%" in out
    assert "[รายงาน" not in out and "[เพิ่มตัวชี้วัด]" not in out  # a parent reads, nothing more

    # The indicator's owner reports its value with the button; a parent cannot, by command or by button.
    assert "เฉพาะผู้รับผิดชอบตัวชี้วัดหรือผู้ประสานงานเท่านั้น" in await bot("pim@dm: /goals report 1.3 5")
    assert "นับจากข้อมูลในระบบโดยอัตโนมัติ" in await bot("bob@dm: /goals report 1.1 10")
    out = await bot("bob@dm: /goals")
    assert "[รายงาน 1.3]" in out and "[เพิ่มตัวชี้วัด]" not in out
    assert "ส่งค่าปัจจุบัน" in await bot("bob@dm: [รายงาน 1.3]")
    assert "กรุณาส่งเป็นตัวเลข" in await bot("bob@dm: ยี่สิบ")
    out = await bot("bob@dm: 22 โรงเรียนในอำเภอเมือง")
    assert "รายงานแล้ว: 1.3 ปัจจุบันเป็น 22 โรงเรียน" in out
    assert "1.3 โรงเรียนที่ใช้สื่อ AI: 22 จาก 40 โรงเรียน · 55% · ตามแผน" in out

    # Everyone reads; only coordinators edit.
    assert "บทบาทของคุณ: ครู" in await bot("bob@dm: /setgoal")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot("pim@teachers: /setgoal remove 1")
    assert "เป้าหมาย 1: ครูได้รับการพัฒนา" in await bot("pim@teachers: /goals")
    async with bot.app.db.transaction() as conn:
        kinds = (await conn.execute(sa.select(goal_targets.c.kind).order_by(goal_targets.c.position))).scalars().all()
    assert kinds == ["activities", "resources", "manual"]

    # The goals as CSV: the progress as it stands, computed the same way.
    outcome = await send(bot, "alice", text="/export goals")
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert document.filename == "goals-2569.csv" and rows[0][:3] == ["เป้าหมาย", "เป้าหมายความร่วมมือ", "ตัวชี้วัด"]
    assert rows[2] == ["1 ครูได้รับการพัฒนา", "การพัฒนาบุคลากร", "1.2 ทรัพยากรที่รับมอบ", "200000", "บาท", "60000", "30",
                       "104110", "ช้ากว่าแผน", "21/11/2569"]


async def test_a_goal_step_by_step_and_bad_input_get_clear_thai_answers(bot: Conversation) -> None:
    await network(bot)
    out = await bot("alice@dm: /setgoal")
    assert "เป้าหมายนี้อยู่ภายใต้เป้าหมายความร่วมมือด้านใด" in out and "[นวัตกรรมการเรียนรู้]" in out
    assert "กรุณาเลือกเป้าหมายความร่วมมือ" in await bot("alice@dm: ด้านอวกาศ")
    await bot("alice@dm: [นวัตกรรมการเรียนรู้]")
    out = await bot("alice@dm: ครูใช้สื่อดิจิทัลในชั้นเรียน")
    assert "เลือกประเภทตัวชี้วัด" in out and "[ทรัพยากรที่แจ้งสนับสนุน]" in out
    assert "ส่งรายละเอียดและค่าเป้าหมายของทั้งปี เช่น 500,000 บาท" in await bot("alice@dm: [ทรัพยากรที่แจ้งสนับสนุน]")
    assert "จำนวนต้องมากกว่าศูนย์" in await bot("alice@dm: 0 บาท")
    assert "“ดาวอังคาร” ไม่ใช่ประเภททรัพยากรหรือภาคส่วนที่มา" in await bot("alice@dm: ดาวอังคาร 5 บาท")
    out = await bot("alice@dm: เทคโนโลยี 30 เครื่อง")
    assert "ตัวชี้วัด: ทรัพยากรที่แจ้งสนับสนุน (เทคโนโลยี)" in out and "ค่าเป้าหมาย: 30 เครื่อง" in out
    out = await bot("alice@dm: [บันทึก]")
    assert "บันทึกเป้าหมาย 1 ของปีการศึกษา 2569 แล้ว" in out
    assert "1.1 ทรัพยากรที่แจ้งสนับสนุน (เทคโนโลยี): 0 จาก 30 เครื่อง" in out

    # One-line targets: each mistake says what was expected, and nothing is saved.
    assert "จำนวนจำนวนกิจกรรมต้องเป็นจำนวนเต็ม" in await bot("alice@dm: /setgoal target 1 กิจกรรม 2.5")
    assert "ค่าเฉลี่ยอยู่ระหว่าง 1 ถึง 5" in await bot("alice@dm: /setgoal target 1 ค่าเฉลี่ย 1 ข้อ 1 7")
    assert "ไม่มีแบบสำรวจ #1" in await bot("alice@dm: /setgoal target 1 คะแนนสำรวจ 1 ข้อ 1 4")
    assert "กรุณาขึ้นต้นตัวชี้วัดด้วยประเภท" in await bot("alice@dm: /setgoal target 1 อะไรก็ได้ 5")
    assert "ไม่มีเป้าหมาย 7" in await bot("alice@dm: /setgoal target 7 ประชุม 12")
    assert "ไม่มีสมาชิกหมายเลข 99" in await bot('alice@dm: /setgoal target 1 ตัวชี้วัด "ห้องเรียนดิจิทัล" 10 ห้อง ผู้รายงาน 99')
    out = await bot('alice@dm: /setgoal ด้านอวกาศ "ไปดาวอังคาร" ประชุม 3')
    assert "กรุณาระบุด้านของเป้าหมาย" in out and "ยังไม่มี" not in out
    out = await bot('alice@dm: /setgoal ด้านนวัตกรรม "ห้องเรียนดิจิทัล" ประชุม 12; กิจกรรม อวกาศ 3')
    assert "“อวกาศ” ไม่ใช่ประเภทกิจกรรมหรือด้านของเป้าหมาย" in out and "ยังไม่ได้บันทึกสิ่งใด" in out
    async with bot.app.db.transaction() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(goals))).scalar_one() == 1
    out = await bot("alice@dm: /setgoal target 1 ชั่วโมง ด้านนวัตกรรม 500")
    assert "เพิ่มตัวชี้วัด 1.2 แล้ว" in out and "1.2 ชั่วโมงกิจกรรม (นวัตกรรมการเรียนรู้): 0 จาก 500 ชั่วโมง" in out
    assert "ลบตัวชี้วัด 1.2 แล้ว" in await bot("alice@dm: /setgoal remove 1.2")
    assert "ลบเป้าหมาย 1 แล้ว" in await bot("alice@dm: /setgoal remove 1")
    assert "ยังไม่มีเป้าหมายของปีการศึกษา 2569" in await bot("alice@dm: /goals")
    assert "กรุณาระบุปีการศึกษาเป็นปีพุทธศักราช" in await bot("alice@dm: /goals 2026x")


async def test_goals_appear_in_the_summary_with_a_goals_panel(bot: Conversation, tmp_path: Path) -> None:
    await network(bot)
    await bot(f"alice@dm: {GOAL}")
    await bot('bob@dm: /log อบรม 20/11/2569 "สื่อการสอน AI" 30 คน 3 ชม.')
    outcome = await send(bot, "alice", text="/summary")
    out = said(outcome)
    assert "เป้าหมายปีการศึกษา 2569" in out
    assert "• 1 ครูได้รับการพัฒนา: 1.1 1/24 ครั้ง (ช้ากว่าแผน) · 1.2 0/200,000 บาท (ช้ากว่าแผน)" in out
    images = [r for r in outcome.replies if isinstance(r, Image)]
    assert images and images[0].alt_text.startswith("แผนภูมิ: เป้าหมายปีการศึกษา 2569")
    (tmp_path / "goals_panel.png").write_bytes(images[0].png)
    assert images[0].png.startswith(b"\x89PNG")
    # The goals alone are no news: a quiet period stays one line (and a quiet week is not pushed).
    out = await bot("alice@dm: /summary 1/10/2569-7/10/2569")
    assert "ช่วงนี้ยังไม่มีความเคลื่อนไหวใหม่" in out and "เป้าหมายปีการศึกษา" not in out
    # The weekly summary, pushed to the group on Monday 08:00, carries the same line per goal.
    out = await bot(":clock 2026-11-23 08:00")
    assert "bot@teachers → 📊" in out and "เป้าหมายปีการศึกษา 2569" in out
    assert "• 1 ครูได้รับการพัฒนา: 1.1 1/24 ครั้ง (ช้ากว่าแผน) · 1.2 0/200,000 บาท (ช้ากว่าแผน)" in out


async def test_a_term_review_compares_two_terms_and_stays_readable(bot: Conversation) -> None:
    await network(bot)
    await bot(f"alice@dm: {GOAL}")
    await bot('alice@dm: /setgoal ด้านนวัตกรรม "สื่อดิจิทัล" ประชุม 12')
    for day in ("20/6/2569", "20/8/2569", "1/10/2569"):  # term 1
        await bot(f'bob@dm: /log อบรม {day} "อบรมสื่อ" 30 คน 3 ชม.')
    await bot('bob@dm: /log อบรม 20/11/2569 "อบรมสื่อ" 20 คน 3 ชม.')  # term 2
    assert "บทบาทของคุณ: ครู" in await bot("bob@dm: /review 2569/1")
    out = await bot("alice@dm: /review 2569/1")
    assert "ทบทวนผลการดำเนินงานภาคเรียน 2569/1 (16 พ.ค. 2569 – 15 ต.ค. 2569) เทียบกับภาคเรียน 2568/2" in out
    assert "1.1 จำนวนกิจกรรม (อบรม/ประชุมเชิงปฏิบัติการ): 3 จาก 24 ครั้ง ในปีนี้ · ช้ากว่าแผน; ภาคเรียนนี้ 3" in out
    assert "• นวัตกรรมการเรียนรู้: 3 (0)" in out and "ผู้เข้าร่วม: 90 คน (ภาคเรียนก่อน 0 เปลี่ยนแปลง +90)" in out
    assert "[1 ปรับเป้า]" in out and "[ปิดการทบทวน]" in out

    # The Act: adjust goal 1 with a new task (by button), stop goal 2 (on one line).
    assert "ส่งค่าใหม่และเหตุผล" in await bot("alice@dm: [1 ปรับเป้า]")
    assert "กรุณาระบุค่าใหม่" in await bot("alice@dm: ครูติดสอบ")
    out = await bot("alice@dm: 1.1=12 ครูติดสอบปลายภาค งาน: อบรมเพิ่มช่วงปิดภาค")
    assert "บันทึกการปรับปรุง (Act) ของเป้าหมาย 1 ภาคเรียน 2569/1: ปรับเป้า ครูติดสอบปลายภาค" in out
    assert "ปรับ 1.1 เป็น 12" in out and "งานใหม่: อบรมเพิ่มช่วงปิดภาค" in out
    assert "เป้าหมาย 2 ไม่มีตัวชี้วัด 1.1" in await bot("alice@dm: /review 2569/1 act 2 ปรับ 1.1=3")
    assert "ยุติ" in await bot("alice@dm: /review 2569/1 act 2 ยุติ ไม่มีงบประมาณ")
    out = await bot("alice@dm: /review 2569/1 close")
    assert "ปิดการทบทวนภาคเรียน 2569/1 แล้ว" in out and "ตัวชี้วัด 1.1 เปลี่ยนเป็น 12 ครั้ง" in out
    assert "ยุติเป้าหมาย 2 แล้ว" in out and "เพิ่มงานใหม่ 1 งานสำหรับภาคเรียน 2569/2" in out
    assert "ปิดไปแล้ว" in await bot("alice@dm: /review 2569/1 close")
    assert "แก้ไขการปรับปรุง (Act) ไม่ได้" in await bot("alice@dm: /review 2569/1 act 1 ทำต่อ")

    # Term 2 is compared with term 1; the adjusted target and the stopped goal show.
    out = await bot("alice@dm: /review")
    assert "ภาคเรียน 2569/2 (1 พ.ย. 2569 – 31 มี.ค. 2570) เทียบกับภาคเรียน 2569/1" in out
    assert "4 จาก 12 ครั้ง ในปีนี้" in out and "ภาคเรียนนี้ 1 (ภาคเรียนก่อน 3 เปลี่ยนแปลง -2)" in out
    assert "ผู้เข้าร่วม: 20 คน (ภาคเรียนก่อน 90 เปลี่ยนแปลง -70)" in out
    assert "ยังไม่เสร็จ 1" in out and "การทบทวนที่ผ่านมา: 2569/1" in out
    assert "(ยุติตามผลการทบทวนภาคเรียน)" in await bot("alice@dm: /goals")

    # New data does not change the closed review: it reads as it was closed.
    await bot('bob@dm: /log อบรม 1/9/2569 "อบรมย้อนหลัง" 30 คน 3 ชม.')
    out = await bot("alice@dm: /review 2569/1")
    assert "ปิดการทบทวนเมื่อ 21 พ.ย. 2569" in out and "ภาคเรียนนี้ 3" in out and "ภาคเรียนนี้ 4" not in out
    assert "ปรับ 1.1 เป็น 12" in out and "[ปิดการทบทวน]" not in out
    async with bot.app.db.transaction() as conn:
        (task,) = (await conn.execute(sa.select(plan_tasks))).all()
    assert task.title == "อบรมเพิ่มช่วงปิดภาค" and str(task.due_on) == "2027-03-31"

    # The review as CSV: Thai headers, Buddhist-Era dates.
    assert "กรุณาส่งคำสั่งนี้ในแชตส่วนตัว" in await bot("alice@teachers: /export review 2569/1")
    outcome = await send(bot, "alice", text="/export review 2569/1")
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    assert document.filename == "review-2569-1.csv" and document.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0] == ["หมวด", "รายการ", "ภาคเรียนนี้", "ภาคเรียนก่อน", "เป้าหมายทั้งปี", "สะสมทั้งปี", "สถานะ",
                       "การตัดสินใจ", "หมายเหตุ"]
    assert rows[1][:2] == ["ภาคเรียน", "2569/1 (16/5/2569–15/10/2569)"]
    assert ["เป้าหมาย", "1 ครูได้รับการพัฒนา", "", "", "", "", "การพัฒนาบุคลากร", "ปรับเป้า",
            "ครูติดสอบปลายภาค"] in rows
    assert ["ตัวชี้วัด", "1.1 จำนวนกิจกรรม (อบรม/ประชุมเชิงปฏิบัติการ)", "3", "", "24", "3", "ช้ากว่าแผน", "",
            ""] in rows


async def test_the_last_term_s_review_carries_goals_into_the_next_year(bot: Conversation) -> None:
    await network(bot)
    await bot(f"alice@dm: {GOAL}")
    await bot(":clock 2027-04-02 09:00")
    await bot("alice@dm: /review act 1 ปรับ 1.2=250,000 เพิ่มภาคเอกชน")
    out = await bot("alice@dm: /review close")
    assert "ปิดการทบทวนภาคเรียน 2569/2 แล้ว" in out
    assert "เป้าหมาย 1 ดำเนินต่อในปีการศึกษา 2570 เป็นเป้าหมาย 2" in out
    out = await bot("alice@dm: /goals 2570")
    assert "เป้าหมาย 2: ครูได้รับการพัฒนา" in out and "0 จาก 250,000 บาท" in out and "0 จาก 24 ครั้ง" in out


async def test_buttons_of_another_network_change_nothing(bot: Conversation) -> None:
    await network(bot)
    await bot(f"alice@dm: {GOAL}")
    await bot("root@dm: /newnetwork เครือข่ายใต้")
    await bot(f"zed@dm: /join {bot.last_code()}")
    for payload in ("1|ggt|1", "1|grp|3", "1|rva|1|2|2569|1"):
        out = said(await send(bot, "zed", payload=payload))
        assert "ครูได้รับการพัฒนา" not in out and "โรงเรียนที่ใช้สื่อ AI" not in out
    async with bot.app.db.transaction() as conn:
        assert (await conn.execute(sa.select(goals.c.status))).scalars().all() == ["active"]


def meeting(title: str, when: str) -> list[str]:
    """alice calls a meeting in the teachers' group (a members' meeting unless a kind is tapped next)."""
    return [f"alice@teachers: /meeting {title}", f"alice@teachers: {when}", "alice@teachers: [1.5 ชั่วโมง]",
            "alice@teachers: ห้องประชุม 3", "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [กลุ่มนี้]"]


async def test_taps_on_came_move_an_attendance_target_and_the_review_shows_it_term_by_term(bot: Conversation) -> None:
    bot.clock.set(datetime(2026, 9, 1, 9, 0, tzinfo=ZoneInfo("Asia/Bangkok")))  # before anything: term 2569/1
    await network(bot)
    out = await bot('alice@dm: /setgoal ด้านประสิทธิภาพ "สมาชิกร่วมประชุมเครือข่าย" ปี 2569 ผู้เข้าประชุม 60; '
                    'ผู้เข้าประชุม มอบหมายงาน 20')
    assert "บันทึกเป้าหมาย 1 ของปีการศึกษา 2569 แล้ว" in out
    assert "1.1 จำนวนผู้เข้าประชุม: 0 จาก 60 คน-ครั้ง" in out
    assert "1.2 จำนวนผู้เข้าประชุม (ประชุมมอบหมายงาน): 0 จาก 20 คน-ครั้ง" in out
    out = await bot("alice@dm: /setgoal target 1 ผู้เข้าประชุม ประชุมใหญ่ 5")
    assert "“ประชุมใหญ่” ไม่ใช่ประเภทการประชุม" in out and "ประชุมมอบหมายงาน" in out
    assert "จำนวนจำนวนผู้เข้าประชุมต้องเป็นจำนวนเต็ม" in await bot("alice@dm: /setgoal target 1 เข้าประชุม 2.5")
    out = await bot("alice@dm: /setgoal target 1 ประชุม มอบหมายงาน 4")  # meetings held, of one kind
    assert "1.3 จำนวนการประชุม (ประชุมมอบหมายงาน): 0 จาก 4 ครั้ง" in out

    # A members' meeting in term 1: three members tap [มาแล้ว]; nobody types a number into the goals.
    await bot(*meeting("ประชุมสมาชิกภาคเรียนที่ 1", "8/9/2569 14:00"), "alice@teachers: [สร้าง]")
    await bot(":clock 2026-09-08 13:45")
    for present, user in enumerate(("bob", "pat", "pim"), start=1):
        assert f"มาประชุม {present} คน" in await bot(f"{user}@teachers: [มาแล้ว]")
    assert "บันทึกไว้แล้ว" in await bot("bob@teachers: [มาแล้ว]")  # twice is once
    out = await bot("pim@dm: /goals")
    assert "1.1 จำนวนผู้เข้าประชุม: 3 จาก 60 คน-ครั้ง" in out
    assert "1.2 จำนวนผู้เข้าประชุม (ประชุมมอบหมายงาน): 0 จาก 20 คน-ครั้ง" in out

    # An assignment meeting in term 2: bob taps, the coordinator ticks pat on the list; both targets move.
    await bot(":clock 2026-11-20 09:00")
    await bot(*meeting("มอบหมายงานภาคเรียนที่ 2", "23/11/2569 14:00"), "alice@teachers: [ประชุมมอบหมายงาน]",
              "alice@teachers: [สร้าง]")
    await bot(":clock 2026-11-23 14:05")
    await bot("bob@teachers: [มาแล้ว]")
    await bot("alice@dm: /meetings", "alice@dm: [#2 มอบหมายงานภาคเรี…]", "alice@dm: [เช็กชื่อผู้มาประชุม]")
    assert "2 คน" in await bot("alice@dm: [Pat]")
    out = await bot("bob@dm: /goals")
    assert "1.1 จำนวนผู้เข้าประชุม: 5 จาก 60 คน-ครั้ง" in out
    assert "1.2 จำนวนผู้เข้าประชุม (ประชุมมอบหมายงาน): 2 จาก 20 คน-ครั้ง" in out
    assert "1.1 จำนวนผู้เข้าประชุม ▓░░░░░░░░░ 8%" in out
    assert "1.3 จำนวนการประชุม (ประชุมมอบหมายงาน): 1 จาก 4 ครั้ง" in out

    # The review shows it term by term: term 2 against term 1, and term 1 against the year before.
    out = await bot("alice@dm: /review")
    assert "ภาคเรียน 2569/2 (1 พ.ย. 2569 – 31 มี.ค. 2570) เทียบกับภาคเรียน 2569/1" in out
    assert ("1.1 จำนวนผู้เข้าประชุม: 5 จาก 60 คน-ครั้ง ในปีนี้ · ช้ากว่าแผน; ภาคเรียนนี้ 2 "
            "(ภาคเรียนก่อน 3 เปลี่ยนแปลง -1)") in out
    assert ("1.2 จำนวนผู้เข้าประชุม (ประชุมมอบหมายงาน): 2 จาก 20 คน-ครั้ง ในปีนี้ · ช้ากว่าแผน; ภาคเรียนนี้ 2 "
            "(ภาคเรียนก่อน 0 เปลี่ยนแปลง +2)") in out
    out = await bot("alice@dm: /review 2569/1")
    assert "1.1 จำนวนผู้เข้าประชุม: 3 จาก 60 คน-ครั้ง ในปีนี้" in out and "ภาคเรียนนี้ 3" in out

    # The same figures in the goals' CSV, and in the summary's line for the goal.
    outcome = await send(bot, "alice", text="/export goals")
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[1][2:6] == ["1.1 จำนวนผู้เข้าประชุม", "60", "คน-ครั้ง", "5"]
    assert rows[2][2:6] == ["1.2 จำนวนผู้เข้าประชุม (ประชุมมอบหมายงาน)", "20", "คน-ครั้ง", "2"]
    await bot('bob@dm: /log อบรม 23/11/2569 "สื่อการสอน AI" 30 คน 3 ชม.')  # something new this week
    out = await bot("alice@dm: /summary")
    assert "• 1 สมาชิกร่วมประชุมเครือข่าย: 1.1 5/60 คน-ครั้ง (ช้ากว่าแผน) · 1.2 2/20 คน-ครั้ง (ช้ากว่าแผน)" in out
    async with bot.app.db.transaction() as conn:
        kinds = (await conn.execute(sa.select(goal_targets.c.kind, goal_targets.c.params)
                                    .order_by(goal_targets.c.position))).all()
    assert [(k, dict(p)) for k, p in kinds] == [("attendance", {}), ("attendance", {"meeting_kind": "assignment"}),
                                                ("meetings", {"meeting_kind": "assignment"})]


async def test_a_network_sets_its_own_academic_terms_and_goals_and_reviews_follow(bot: Conversation) -> None:
    await network(bot)
    await bot(f"alice@dm: {GOAL}")
    assert "16/5–15/10, 1/11–31/3" in await bot("alice@dm: /settings")
    assert "บทบาทของคุณ: ครู" in await bot("bob@dm: /settings terms 1/6-30/9 1/11-15/3")
    for bad in ("1/6", "31/2-15/3", "1/11-15/3 1/6-30/9 1/4-1/5", "ภาคแรก"):
        assert "วิธีใช้: /settings terms" in await bot(f"alice@dm: /settings terms {bad}"), bad
    out = await bot("alice@dm: /settings ภาคเรียน ๑/๖-๓๐/๙ 1/11-15/3")
    assert "บันทึกแล้ว" in out and "ภาคเรียนของปีการศึกษา (วัน/เดือน): 1/6–30/9, 1/11–15/3" in out
    assert "ปีการศึกษา 2569 (1 มิ.ย. 2569 – 31 พ.ค. 2570)" in await bot("pim@dm: /goals")
    out = await bot("alice@dm: /review")
    assert "ภาคเรียน 2569/2 (1 พ.ย. 2569 – 15 มี.ค. 2570) เทียบกับภาคเรียน 2569/1" in out
    assert "2569/1 (1 มิ.ย. 2569 – 30 ก.ย. 2569)" in await bot("alice@dm: /review 2569/1")
    await bot("alice@dm: /settings terms default")
    assert "ปีการศึกษา 2569 (16 พ.ค. 2569 – 15 พ.ค. 2570)" in await bot("pim@dm: /goals")
