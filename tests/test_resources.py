"""Needs, pledges and delivery: the main journey on both platforms, every refusal, network
isolation, the thank-you push, the summary section and the CSV exports."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

import handlers.resources as resources_module
from bot.model import Document
from bot.summary import SummaryChart
from storage.activities import activity_photos, needs, pledges
from storage.runtime import OutboxRepo
from tests.support.activities import bangkok_day, said, send, summary
from tests.support.conversation import Conversation

REPO = Path(__file__).resolve().parents[1]


async def network_with_people(bot: Conversation) -> None:
    """alice coordinates, bob teaches at a school, pat is a partner, pim a parent."""
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("pat", "partner")
    await bot.add_member("pim", "parent")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")


async def post_tablets_need(bot: Conversation, number: int = 1) -> None:
    await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ตสำหรับชั้น ป.6",
              "bob@dm: 40 เครื่อง", "bob@dm: 15/1/2570")
    assert f"ประกาศความต้องการ #{number} แล้ว" in await bot("bob@dm: [Post]")


async def table(bot: Conversation, which: sa.Table) -> list[dict]:  # type: ignore[type-arg]
    async with bot.app.db.transaction() as conn:
        return [dict(r._mapping) for r in (await conn.execute(sa.select(which).order_by(which.c.id))).all()]


async def test_a_school_posts_a_need_a_partner_and_a_parent_pledge_and_delivery_updates_progress(
        bot: Conversation) -> None:
    await network_with_people(bot)
    out = await bot("bob@dm: /need")
    assert "ต้องการทรัพยากรประเภทใด" in out and "[เงินทุน]" in out and "[บุคลากร/เวลาอาสาสมัคร]" in out
    await bot("bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ตสำหรับชั้น ป.6")
    assert "กรุณาระบุหน่วยด้วย" in await bot("bob@dm: 40")
    assert "ให้เลือกประเภท “เงินทุน”" in await bot("bob@dm: 40,000 บาท")
    assert "ต้องการภายในวันที่เท่าไร" in await bot("bob@dm: 40 เครื่อง")
    assert "เป็นวันที่ผ่านมาแล้ว" in await bot("bob@dm: 1/11/2569")
    out = await bot("bob@dm: 15/1/2570")
    assert "ต้องการ: 40 เครื่อง" in out and "ต้องการภายใน: 15 ม.ค. 2570" in out
    out = await bot("bob@dm: [Post]")
    assert "ประกาศความต้องการ #1 แล้ว" in out and "รับมอบแล้ว 0 เครื่อง จาก 40 เครื่อง ░░░░░░░░░░ 0%" in out

    # A partner pledges from /needs.
    out = await bot("pat@dm: /needs")
    assert "ความต้องการที่เปิดอยู่: 1 รายการ (เลยกำหนด 0)" in out and "[ร่วมสนับสนุน] [ผู้สนับสนุน]" in out
    assert "จำนวนกี่เครื่อง" in await bot("pat@dm: [Pledge]")
    assert "นับเป็นเครื่อง" in await bot("pat@dm: 30 boxes")
    assert "มาจากภาคส่วนใด" in await bot("pat@dm: 30")
    await bot("pat@dm: [private sector]")
    out = await bot("pat@dm: [In a week]")
    assert "กำหนดส่งมอบ: 28 พ.ย. 2569" in out and "แหล่งที่มา: ภาคเอกชน" in out
    out = await bot("pat@dm: [Confirm pledge]")
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว: 30 เครื่อง" in out and "ยอดที่แจ้งสนับสนุน 30 เครื่อง ▓▓▓▓▓▓▓▓░░ 75%" in out

    # A parent taps Pledge in the group: the conversation continues privately, the group sees nothing.
    await bot("pim@teachers: /needs")
    out = await bot("pim@teachers: [Pledge]")
    assert "(only pim sees) → ส่งข้อความส่วนตัวให้คุณแล้ว" in out
    assert "bot@dm:pim → หากต้องการสนับสนุน #1" in out
    await bot("pim@dm: [Pledge]", "pim@dm: ๑๕", "pim@dm: ผู้ปกครอง", "pim@dm: 30/11/2569")
    out = await bot("pim@dm: ยืนยัน")
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #2 แล้ว" in out
    assert "ยอดที่แจ้งสนับสนุนเกินความต้องการ 5 เครื่อง" in out and "ยอดที่แจ้งสนับสนุน 45 เครื่อง ▓▓▓▓▓▓▓▓▓▓ 112%" in out

    # The school confirms the partner's delivery; the partner is thanked with the progress.
    out = await bot("bob@dm: /pledges")
    assert "รอส่งมอบให้หน่วยงานของคุณ:" in out and "#1 · 30 เครื่อง · วัสดุอุปกรณ์ · ภาคเอกชน" in out
    await bot("bob@dm: [#1]")
    assert "เพิ่มบันทึกหรือรูปภาพ" in await bot("bob@dm: [Mark delivered]")
    out = await bot("bob@dm: ได้รับครบ 30 เครื่องแล้ว")
    assert "บันทึกการรับมอบ #1 แล้ว" in out
    assert "bot@dm:pat → ขอบคุณ Pat การสนับสนุน #1 (30 เครื่อง) ของคุณส่งมอบเรียบร้อยแล้ว" in out
    assert "รับมอบแล้ว 30 เครื่อง จาก 40 เครื่อง ▓▓▓▓▓▓▓▓░░ 75%" in out
    (first, second) = await table(bot, pledges)
    assert (first["status"], first["source_sector"], first["amount_x100"]) == ("delivered", "private", 3000)
    assert (second["status"], second["source_sector"], second["unit"]) == ("pledged", "individual", "เครื่อง")

    # The parent's delivery fulfils the need; it leaves /needs.
    await bot("alice@dm: /pledges", "alice@dm: [#2]", "alice@dm: [Mark delivered]")
    out = await bot("alice@dm: [Skip]")
    assert "ความต้องการ #1 ได้รับครบแล้ว 🎉" in out and "ได้รับครบแล้ว ✅" in out
    assert "bot@dm:pim → ขอบคุณ Pim" in out
    assert (await table(bot, needs))[0]["status"] == "fulfilled"
    assert "ขณะนี้ไม่มีความต้องการที่เปิดอยู่" in await bot("pat@dm: /needs")
    assert "ได้รับครบแล้ว" in await bot("pat@dm: /pledge 1")


async def test_a_standalone_pledge_of_money_with_bad_amounts_refused(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot("pim@dm: /pledge", "pim@dm: เงิน")
    assert "มากกว่าศูนย์" in await bot("pim@dm: 0")
    assert "มากกว่าศูนย์" in await bot("pim@dm: -500")
    assert "มากเกินไป" in await bot("pim@dm: 5,000,000,000,000 บาท")
    assert "มากเกินไป" in await bot("pim@dm: 2000 ล้านบาท")
    assert "เป็นตัวเลข" in await bot("pim@dm: ห้าร้อย")
    assert "ทศนิยมไม่เกิน 2 ตำแหน่ง" in await bot("pim@dm: 10.555")
    assert "นับเป็นบาท" in await bot("pim@dm: 500 dollars")
    assert "มาจากภาคส่วนใด" in await bot("pim@dm: ๑๒,๕๐๐ บาท")
    assert "กรุณากดเลือกภาคส่วน" in await bot("pim@dm: ดาวอังคาร")
    await bot("pim@dm: [individual/parent]")
    assert "เป็นวันที่ผ่านมาแล้ว" in await bot("pim@dm: เมื่อวาน")
    assert "หมายเหตุ" in await bot("pim@dm: 2026-12-01")
    out = await bot("pim@dm: ค่าอาหารกลางวัน")
    assert "จำนวน: 12,500 บาท" in out and "กำหนดส่งมอบ: 1 ธ.ค. 2569" in out
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว: 12,500 บาท" in await bot("pim@dm: [Confirm pledge]")
    assert "ปุ่มนี้หมดอายุแล้ว" in await bot("pim@dm: [Confirm pledge]")  # double tap
    (row,) = await table(bot, pledges)
    assert (row["need_id"], row["resource_type"], row["amount_x100"], row["unit"], row["note"]) == (
        None, "funding", 1_250_000, "THB", "ค่าอาหารกลางวัน")


async def test_who_may_post_confirm_and_cancel(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot.add_member("carol", "teacher")
    await bot("carol@dm: /org โรงเรียนอื่น")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot("pim@dm: /need")
    assert "แชตส่วนตัว" in await bot("bob@teachers: /need")
    await post_tablets_need(bot)
    await bot("pim@dm: /pledge 1", "pim@dm: 5", "pim@dm: [community]", "pim@dm: [Today]", "pim@dm: [Confirm pledge]")
    # Another school's teacher and the pledger cannot confirm delivery; no one else may cancel.
    assert "เฉพาะหน่วยงานที่ประกาศความต้องการหรือผู้ประสานงาน" in said(await send(bot, "carol", payload="1|pld|1"))
    assert "เฉพาะหน่วยงานที่ประกาศความต้องการหรือผู้ประสานงาน" in said(await send(bot, "pim", payload="1|pld|1"))
    assert "เฉพาะผู้แจ้งสนับสนุนหรือผู้ประสานงาน" in said(await send(bot, "pat", payload="1|plc|1"))
    out = await bot("carol@dm: /pledges")
    assert "รอส่งมอบให้หน่วยงานของคุณ:" in out and "ไม่มีรายการรอส่งมอบ" in out
    # Delivery confirmation only in private chats.
    assert "แชตส่วนตัว" in said(await send(bot, "bob", payload="1|pld|1", group="teachers"))
    # The pledger cancels; then it can be neither cancelled again nor delivered.
    out = await bot("pim@dm: /pledges", "pim@dm: [#1]")
    assert "[ยกเลิกการสนับสนุน]" in out and "[ยืนยันการรับมอบ]" not in out
    assert "ยกเลิกการแจ้งสนับสนุน #1 แล้ว" in await bot("pim@dm: [Cancel pledge]")
    assert "ถูกยกเลิกแล้ว" in await bot("pim@dm: [Cancel pledge]")
    assert "ถูกยกเลิกแล้ว" in said(await send(bot, "bob", payload="1|pld|1"))
    assert (await table(bot, pledges))[0]["status"] == "cancelled"


async def test_delivery_happens_once_with_one_thank_you_and_may_carry_a_photo(bot: Conversation) -> None:
    await network_with_people(bot)
    await post_tablets_need(bot)
    await bot("pat@dm: /pledge 1", "pat@dm: 10 เครื่อง", "pat@dm: [private sector]", "pat@dm: [Today]",
              "pat@dm: [Confirm pledge]")
    await bot("bob@dm: /pledges", "bob@dm: [#1]", "bob@dm: [Mark delivered]")
    photo = b"\xff\xd8\xff\xe0" + b"\x01" * 100
    text = said(await send(bot, "bob", photo=photo))
    assert "บันทึกการรับมอบ #1 แล้ว" in text and "รับมอบแล้ว 10 เครื่อง จาก 40 เครื่อง" in text
    # A second confirmation (another tab, a stale button) changes nothing and thanks no one again.
    assert "การสนับสนุน #1 รับมอบแล้ว" in said(await send(bot, "bob", payload="1|pld|1"))
    assert "การสนับสนุน #1 รับมอบแล้ว" in said(await send(bot, "alice", payload="1|pld|1"))
    async with bot.app.db.transaction() as conn:
        pushed = await OutboxRepo(conn).by_key("pledge:1:delivered")
        stored = (await conn.execute(sa.select(activity_photos))).all()
        outbox_rows = (await conn.execute(sa.text("SELECT count(*) FROM outbox WHERE key LIKE 'pledge:%'"))).scalar()
    assert pushed is not None and pushed.status == "sent" and outbox_rows == 1
    assert [(r.entity, r.entity_id, bytes(r.content)) for r in stored] == [("delivery", 1, photo)]
    assert "ขอบคุณ Pat" in bot.transcript


async def test_overdue_needs_and_pledges_are_flagged_for_coordinators(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot("bob@dm: /need", "bob@dm: [venue]", "bob@dm: ห้องประชุมสำหรับอบรมครู", "bob@dm: 1 ห้อง",
              "bob@dm: พรุ่งนี้", "bob@dm: [Post]")
    await post_tablets_need(bot, 2)
    await bot("pat@dm: /pledge 2", "pat@dm: 1", "pat@dm: [public sector]", "pat@dm: [Today]", "pat@dm: [Confirm pledge]")
    await bot(":clock +3d")
    out = await bot("alice@dm: /needs")
    assert "เลยกำหนด 1" in out
    assert out.index("ห้องประชุม") < out.index("แท็บเล็ต")  # most urgent first
    assert "ต้องการภายใน: 22 พ.ย. 2569 ⚠️ เลยกำหนด" in out
    out = await bot("alice@dm: /pledges")
    assert "รอส่งมอบทั้งเครือข่าย (เลยกำหนด 1):" in out and "⚠️ เลยกำหนด · Pat" in out
    out = await bot("pat@dm: /pledges")
    assert "การสนับสนุนของคุณ:" in out and "⚠️ เลยกำหนด" in out and "รอส่งมอบ" not in out


async def test_another_network_cannot_see_or_touch_needs_and_pledges(bot: Conversation) -> None:
    await network_with_people(bot)
    await post_tablets_need(bot)
    await bot("pat@dm: /pledge 1", "pat@dm: 10", "pat@dm: [private sector]", "pat@dm: [Today]", "pat@dm: [Confirm pledge]")
    await bot("zed@dm: /newnetwork เครือข่ายอื่น", "zed@dm: [Join as coordinator]")
    assert "ขณะนี้ไม่มีความต้องการที่เปิดอยู่" in await bot("zed@dm: /needs")
    assert "ไม่พบความต้องการ #1 ในเครือข่ายนี้" in await bot("zed@dm: /pledge 1")
    assert "ไม่พบการแจ้งสนับสนุนนี้ในเครือข่ายนี้" in said(await send(bot, "zed", payload="1|plo|1"))
    assert "ไม่พบการแจ้งสนับสนุนนี้ในเครือข่ายนี้" in said(await send(bot, "zed", payload="1|pld|1"))
    assert "ไม่พบการแจ้งสนับสนุนนี้ในเครือข่ายนี้" in said(await send(bot, "zed", payload="1|plc|1"))
    out = await bot("zed@dm: /pledges")
    assert "Pat" not in out and "ไม่มีรายการรอส่งมอบ" in out
    assert (await table(bot, pledges))[0]["status"] == "pledged"


async def test_summary_section_reports_pledged_vs_delivered_and_open_needs(bot: Conversation) -> None:
    await network_with_people(bot)
    await post_tablets_need(bot)
    await bot("pat@dm: /pledge 1", "pat@dm: 30", "pat@dm: [private sector]", "pat@dm: [Today]", "pat@dm: [Confirm pledge]")
    await bot("pim@dm: /pledge", "pim@dm: [funding]", "pim@dm: 2,500", "pim@dm: [individual/parent]",
              "pim@dm: [Today]", "pim@dm: [Skip]", "pim@dm: [Confirm pledge]")
    await bot("alice@dm: /pledges", "alice@dm: [#1]", "alice@dm: [Mark delivered]", "alice@dm: [Skip]")
    section = await summary(bot.app, resources_module.router, 1, bangkok_day(2026, 11, 16), bangkok_day(2026, 11, 23))
    assert section is not None and section.title == "การระดมทรัพยากร"
    assert "แจ้งความประสงค์สนับสนุนในช่วงนี้: 2 รายการ (ช่วงก่อนหน้า 0)" in section.lines
    assert "• เงินทุน / บุคคล/ผู้ปกครอง: ยอดที่แจ้งสนับสนุน 2,500 บาท รับมอบแล้ว 0" in section.lines
    assert "• วัสดุอุปกรณ์ / ภาคเอกชน: ยอดที่แจ้งสนับสนุน 30 เครื่อง รับมอบแล้ว 30 เครื่อง" in section.lines
    assert "ความต้องการที่เปิดอยู่: 1 (เลยกำหนด 0) · การสนับสนุนที่เลยกำหนดส่งมอบ: 0" in section.lines
    # pledges made against deliveries received in the period, per channel: one chart of counts
    assert section.charts == [SummaryChart("การสนับสนุนตามประเภททรัพยากร", {"เงินทุน": (1.0, 0.0), "วัสดุอุปกรณ์": (1.0, 1.0)},
                                           unit="จำนวนรายการ", kind="pledged")]
    assert section.progress == [("#1 แท็บเล็ตสำหรับชั้น ป.6 (โรงเรียนบ้านหนองบัว)", 30.0, 40.0)]
    # The following week: nothing pledged, but the need is still open (and reported).
    later = await summary(bot.app, resources_module.router, 1, bangkok_day(2026, 11, 23), bangkok_day(2026, 11, 30))
    assert later is not None and "แจ้งความประสงค์สนับสนุนในช่วงนี้: 0 รายการ (ช่วงก่อนหน้า 2)" in later.lines
    assert later.charts == []  # nothing pledged or delivered that week: no chart


async def test_summary_section_is_none_for_a_quiet_network(bot: Conversation) -> None:
    await network_with_people(bot)
    assert await summary(bot.app, resources_module.router, 1, bangkok_day(2026, 11, 16), bangkok_day(2026, 11, 23)) is None


async def test_export_sends_a_utf8_bom_csv_in_private_to_coordinators(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot('bob@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3h')
    await post_tablets_need(bot)
    await bot("pim@dm: /pledge 1", "pim@dm: 2", "pim@dm: [individual/parent]", "pim@dm: [Today]", "pim@dm: [Confirm pledge]")
    assert "บทบาทของคุณ: ครู" in await bot("bob@dm: /export activities")
    assert "แชตส่วนตัว" in await bot("alice@teachers: /export activities")
    assert "วิธีใช้: /export" in await bot("alice@dm: /export everything")
    outcome = await send(bot, "alice", text="/export activities เดือนนี้")
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    assert document.filename == "activities-20261101-20261130.csv" and document.mime_type == "text/csv"
    assert document.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["ลำดับ", "วันที่", "ชื่อกิจกรรม", "ประเภท"]
    assert rows[1][1:8] == ["20/11/2569", "สื่อการสอนด้วย AI", "อบรม/ประชุมเชิงปฏิบัติการ", "นวัตกรรมการเรียนรู้",
                            "โรงเรียนบ้านหนองบัว", "35", "3"]
    outcome = await send(bot, "alice", text="/export pledges")
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][2:9] == ["Pim", "วัสดุอุปกรณ์", "บุคคล/ผู้ปกครอง", "2", "เครื่อง", "21/11/2569",
                                                "แจ้งสนับสนุนแล้ว"]
    assert rows[1][11] == "แท็บเล็ตสำหรับชั้น ป.6"
    outcome = await send(bot, "alice", text="/export pledges ตุลาคม 2569")
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    assert len(list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))) == 1  # the header only


def test_the_pledges_csv_reads_as_thai_accounts_do() -> None:
    """Buddhist Era dates, "บาท" for baht, satang only when there are any, no ".00" on a count."""
    from datetime import date, datetime, timezone
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from bot.i18n import Translator
    from handlers.activities.export import pledges_csv

    row = {"id": 1, "number": 1, "created_at": datetime(2026, 11, 20, 3, 30, tzinfo=timezone.utc), "pledger_name": "Pim",
           "resource_type": "funding", "source_sector": "private", "amount": Decimal("2500.50"), "unit": "THB",
           "expected_date": date(2026, 11, 30), "status": "delivered",
           "delivered_at": datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc), "need_number": None,
           "need_description": None, "need_organisation": None, "note": None, "delivery_note": None}
    whole = {**row, "id": 2, "number": 2, "amount": Decimal("12000"), "unit": "THB"}

    def read(lang: str) -> list[list[str]]:
        content = pledges_csv(Translator(lang), [row, whole], ZoneInfo("Asia/Bangkok"))
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))

    thai = read("th")
    assert thai[1][1] == "20/11/2569 10:30" and thai[1][5:10] == ["2500.50", "บาท", "30/11/2569", "รับมอบแล้ว",
                                                                     "29/11/2569 17:00"]
    assert thai[2][5:7] == ["12000", "บาท"]
    assert read("en")[1][5:8] == ["2500.50", "THB", "2026-11-30"]


def test_edunet_export_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    script = tmp_path / "demo.txt"
    script.write_text("alice@dm: /newnetwork เครือข่ายทดสอบ\nalice@dm: [Join as coordinator]\n"
                      'alice@dm: /log ประชุมเครือข่าย วันนี้ "ประชุมวางแผน" 12 คน 2h\n', encoding="utf-8")
    run = [sys.executable, "-m", "edunet", "--database", url]
    done = subprocess.run([*run, "console", "--script", str(script)], cwd=REPO, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = tmp_path / "activities.csv"
    done = subprocess.run([*run, "export", "activities", "--period", "all", "--out", str(out)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"1 activities written to {out}" in done.stderr
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1][2:4] == ["ประชุมวางแผน", "ประชุมเครือข่าย"] and rows[1][6:8] == ["12", "2"]
    done = subprocess.run([*run, "export", "pledges", "--lang", "en"], cwd=REPO, capture_output=True, timeout=120)
    assert done.returncode == 0 and done.stdout.decode("utf-8-sig").startswith("No.,Pledged at,By")
    done = subprocess.run([*run, "export", "activities", "--period", "someday"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "cannot read the period" in done.stderr
    done = subprocess.run([*run, "export", "activities", "--network", "9"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "choose a network" in done.stderr
