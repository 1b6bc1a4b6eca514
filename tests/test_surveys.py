"""Surveys and polls, end to end through the console: creating, answering in groups and
privately, live counts, reminders, closing with results, the export, and bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.model import Button, Document, Image, Reply
from tests.conftest import Conversation

SURVEY_SCRIPT = [
    "alice@dm: /survey",
    "alice@dm: ความพึงพอใจของผู้ปกครอง 2569",
    "alice@dm: [Rating (5 levels)]",
    "alice@dm: ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด",
    "alice@dm: [Single choice]",
    "alice@dm: วันที่สะดวกประชุม",
    "alice@dm: วันเสาร์ | วันอาทิตย์ | เย็นวันธรรมดา",
    "alice@dm: [Free text]",
    "alice@dm: สิ่งที่อยากให้โรงเรียนพัฒนา",
    "alice@dm: [Done adding questions]",
    "alice@dm: [Parents]",
    "alice@dm: [All groups]",
]


@pytest.fixture(autouse=True)
def secret_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The server secret's file fallback, per test (never the developer's home)."""
    path = tmp_path / "secret.key"
    monkeypatch.delenv("EDUNET_SECRET_KEY", raising=False)
    monkeypatch.setenv("EDUNET_SECRET_KEY_FILE", str(path))
    return path


def capture(bot: Conversation) -> list[tuple[str, Reply]]:
    """Record every reply the console shows, with its chat (to read images and files)."""
    shown: list[tuple[str, Reply]] = []
    original = bot.console.show

    def show(chat: str, reply: Reply) -> None:
        shown.append((chat, reply))
        original(chat, reply)

    bot.console.show = show  # type: ignore[method-assign]
    return shown


async def create_survey(bot: Conversation, *, anonymous: bool = False, closes: str = "28/11/2569 18:00") -> str:
    await bot(*SURVEY_SCRIPT)
    await bot("alice@dm: [Anonymous]" if anonymous else "alice@dm: [Named]")
    preview = await bot(f"alice@dm: {closes}")
    assert "ตัวอย่าง: ความพึงพอใจของผู้ปกครอง 2569" in preview
    return preview + "\n" + await bot("alice@dm: [Publish]")


async def test_coordinator_builds_a_survey_parents_answer_remind_close_results_export(bot: Conversation) -> None:
    shown = capture(bot)
    await bot.setup_network("alice", "parents")
    await bot.add_member("noi", "parent")  # can be reached privately
    await bot.add_member("dao", "parent")  # can be reached privately, never answers
    await bot("ploy@parents: [Register]")  # only in the group: the bot cannot write to her
    out = await create_survey(bot)
    # The preview shows every question as members will see it, with the Thai scale.
    assert "1. ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด (มาตราส่วนประมาณค่า 5 ระดับ)" in out
    assert "มากที่สุด | มาก | ปานกลาง | น้อย | น้อยที่สุด" in out
    assert "ปิดรับ: 28 พ.ย. 2569 18:00 น." in out
    assert "เผยแพร่แบบสำรวจหมายเลข 1" in out and "ส่งทางแชตส่วนตัวถึงผู้ตอบ 2 จาก 3 คน" in out
    assert "bot@parents → 📋 ความพึงพอใจของผู้ปกครอง 2569" in out and "ตอบแล้ว: 0/3" in out
    assert "bot@dm:noi → 📋 แบบสำรวจใหม่: ความพึงพอใจของผู้ปกครอง 2569" in out
    assert "bot@parents → 📋 ความพึงพอใจของผู้ปกครอง 2569\n    3/3" not in out  # free text is private only

    # pim is not registered: tapping in the group registers him as a parent and counts his answers.
    out = await bot("pim@parents: [มากที่สุด]")
    assert "Pim ลงทะเบียนเป็นผู้ปกครองของเครือข่ายทดสอบแล้ว" in out
    out = await bot("pim@parents: [วันอาทิตย์]")
    assert "(only pim sees) → บันทึกแล้ว: วันอาทิตย์ (ข้อ 2/3)" in out
    assert "มีตัวเลือกซ้ำ" not in out

    # noi answers privately, then changes her rating.
    out = await bot("noi@dm: [Answer]")
    assert "1/3. ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด" in out
    out = await bot("noi@dm: [มาก]")
    assert "บันทึกแล้ว: มาก" in out and "2/3. วันที่สะดวกประชุม" in out
    out = await bot("noi@dm: [วันเสาร์]")
    assert "3/3. สิ่งที่อยากให้โรงเรียนพัฒนา" in out
    out = await bot("noi@dm: อยากให้มีกิจกรรมกีฬาเพิ่ม")
    assert "บันทึกคำตอบแล้ว" in out and "ขอบคุณค่ะ" in out and "แก้ไขคำตอบได้จนถึง 28 พ.ย. 2569 18:00 น." in out
    out = await bot("noi@dm: [Change my answers]")
    assert "[✓ มาก]" in out  # her current answer is ticked
    assert "บันทึกแล้ว: ปานกลาง" in await bot("noi@dm: [ปานกลาง]")
    # A double tap on the same option changes nothing and says so.
    assert "คุณเลือก ปานกลาง ไว้แล้ว ไม่มีการเปลี่ยนแปลง" in await bot("noi@dm: [ปานกลาง]")

    # Counts: one throttled card update, not one message per tap.
    out = await bot(":clock +2m")
    assert out.count("bot@parents → 📋 ความพึงพอใจของผู้ปกครอง 2569") == 1 and "ตอบแล้ว: 2/4" in out
    assert await bot(":clock +2m") == "# clock: 2026-11-21 09:04 (Asia/Bangkok)"  # nothing new, nothing sent

    # The reminder, a day before closing: dao privately; the group for ploy, named (a named survey).
    out = await bot(":clock 2026-11-27 18:01")
    assert "bot@dm:dao → ⏰ แจ้งเตือน: กรุณาตอบ “ความพึงพอใจของผู้ปกครอง 2569”" in out
    assert "ยังไม่ได้ตอบ 2 จาก 4 คน" in out and "ยังไม่ได้ตอบ: Dao, Ploy" in out
    assert "bot@dm:noi" not in out and "bot@dm:pim" not in out
    assert "ดูผลถึงขณะนี้" not in await bot(":clock +1h")  # one reminder only

    # Closing: results to the group and to the coordinator.
    out = await bot(":clock 2026-11-28 18:00")
    assert "bot@parents → ผลสำรวจ: ความพึงพอใจของผู้ปกครอง 2569" in out
    assert "ผู้ตอบ: 2/4 (50%)" in out
    assert "ค่าเฉลี่ย 4.00 S.D. 1.41 (ระดับมาก)" in out  # 5 and 3
    assert "• มากที่สุด: 1 (50%)" in out and "• ปานกลาง: 1 (50%)" in out and "• มาก: 0 (0%)" in out
    assert "• วันเสาร์: 1 (50%)" in out and "• วันอาทิตย์: 1 (50%)" in out
    assert "• อยากให้มีกิจกรรมกีฬาเพิ่ม" in out
    assert "• ผู้ปกครอง: 2/4 (50%)" in out
    assert "bot@dm:alice → ผลสำรวจ: ความพึงพอใจของผู้ปกครอง 2569" in out
    charts = [r for chat, r in shown if chat == "parents" and isinstance(r, Image)]
    assert len(charts) == 1 and charts[0].png.startswith(b"\x89PNG")

    # Closed: no more answers, and nothing changes.
    assert "ปิดรับคำตอบแล้ว" in await bot("pim@parents: [วันเสาร์]")

    await bot("alice@dm: /exportsurvey 1")
    document = next(r for chat, r in reversed(shown) if isinstance(r, Document))
    assert document.filename == "survey-1.csv" and document.mime_type == "text/csv"
    assert document.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0] == ["ชุดคำตอบ", "หมายเลขสมาชิก", "ชื่อ", "บทบาท", "หน่วยงาน",
                       "1. ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด", "2. วันที่สะดวกประชุม",
                       "3. สิ่งที่อยากให้โรงเรียนพัฒนา"]
    assert rows[1:] == [["1", "2", "Noi", "ผู้ปกครอง", "", "3", "วันเสาร์", "อยากให้มีกิจกรรมกีฬาเพิ่ม"],
                        ["2", "5", "Pim", "ผู้ปกครอง", "", "5", "วันอาทิตย์", ""]]


async def test_results_any_time_and_export_are_for_coordinators_only(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("bob", "teacher")
    await create_survey(bot)
    await bot("pim@parents: [มาก]")
    out = await bot("alice@dm: /results 1")
    assert "ผลสำรวจถึงขณะนี้: ความพึงพอใจของผู้ปกครอง 2569" in out and "ค่าเฉลี่ย 4.00 S.D. 0.00" in out
    assert "1. ความพึงพอใจของผู้ปกครอง 2569 (แบบสำรวจ, เปิดรับถึง 28 พ.ย. 2569 18:00 น.)" in await bot(
        "alice@dm: /results")
    assert "เฉพาะผู้ประสานงาน" in await bot("bob@dm: /results 1")
    assert "เฉพาะผู้ประสานงาน" in await bot("bob@dm: /exportsurvey 1")
    assert "แชตส่วนตัว" in await bot("alice@parents: /exportsurvey 1")
    assert "ไม่มีแบบสำรวจหรือโพลหมายเลข 7" in await bot("alice@dm: /results 7")
    assert "วิธีใช้: /exportsurvey N" in await bot("alice@dm: /exportsurvey abc")
    assert "[file: survey-1.csv" in await bot("alice@dm: ส่งออกแบบสำรวจ 1")  # the Thai alias
