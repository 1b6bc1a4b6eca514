"""Surveys and polls, end to end through the console: creating, answering in groups and
privately, live counts, reminders, closing with results, the export, and bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from bot.model import Button, Document, Image, Reply
from tests.support.conversation import Conversation

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
    assert "ตรวจสอบก่อนส่ง: ความพึงพอใจของผู้ปกครอง 2569" in preview
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
    assert "bot@parents → 📋 ความพึงพอใจของผู้ปกครอง 2569" in out and "ตอบแล้ว: 0/3 คน" in out
    assert "bot@dm:noi → 📋 แบบสำรวจใหม่: ความพึงพอใจของผู้ปกครอง 2569" in out
    assert "bot@parents → 📋 ความพึงพอใจของผู้ปกครอง 2569\n    3/3" not in out  # free text is private only

    # pim is not registered: a tap in the group shows the privacy notice first (PDPA: no consent, no
    # registration, no answer); once he taps Register under it, his taps count.
    out = await bot("pim@parents: [มากที่สุด]")
    assert "ประกาศเรื่องข้อมูลส่วนบุคคล" in out and "ลงทะเบียนเป็นผู้ปกครองของ" not in out
    out = await bot("pim@parents: [Register]", "pim@parents: [มากที่สุด]")
    assert "Pim ลงทะเบียนเป็นผู้ปกครองของเครือข่าย “เครือข่ายทดสอบ” แล้ว" in out
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
    assert "บันทึกคำตอบแล้ว" in out and "ขอบคุณที่ร่วมตอบ" in out and "แก้ไขคำตอบได้จนถึง 28 พ.ย. 2569 18:00 น." in out
    out = await bot("noi@dm: [Change my answers]")
    assert "[✓ มาก]" in out  # her current answer is ticked
    assert "บันทึกแล้ว: ปานกลาง" in await bot("noi@dm: [ปานกลาง]")
    # A double tap on the same option changes nothing and says so.
    assert "คุณเลือก ปานกลาง ไว้แล้ว ไม่มีการเปลี่ยนแปลง" in await bot("noi@dm: [ปานกลาง]")

    # Counts: one throttled card update, not one message per tap.
    out = await bot(":clock +2m")
    assert out.count("bot@parents → 📋 ความพึงพอใจของผู้ปกครอง 2569") == 1 and "ตอบแล้ว: 2/4 คน" in out
    assert await bot(":clock +2m") == "# clock: 2026-11-21 09:04 (Asia/Bangkok)"  # nothing new, nothing sent

    # The reminder, a day before closing: dao privately; the group for ploy, named (a named survey).
    out = await bot(":clock 2026-11-27 18:01")
    assert "bot@dm:dao → ⏰ แจ้งเตือน: กรุณาตอบ “ความพึงพอใจของผู้ปกครอง 2569”" in out
    assert "ยังไม่ได้ตอบ 2 จาก 4 คน" in out and "ยังไม่ได้ตอบ: Dao และ Ploy" in out
    assert "bot@dm:noi" not in out and "bot@dm:pim" not in out
    assert "ดูผลถึงขณะนี้" not in await bot(":clock +1h")  # one reminder only

    # Closing: results to the group and to the coordinator.
    out = await bot(":clock 2026-11-28 18:00")
    assert "bot@parents → ผลสำรวจ: ความพึงพอใจของผู้ปกครอง 2569" in out
    assert "ผู้ตอบ: 2/4 คน (ร้อยละ 50)" in out
    assert "ค่าเฉลี่ย 4.00 S.D. 1.41 (ระดับมาก)" in out  # 5 and 3
    assert "• มากที่สุด: 1 (50%)" in out and "• ปานกลาง: 1 (50%)" in out and "• มาก: 0 (0%)" in out
    assert "• วันเสาร์: 1 (50%)" in out and "• วันอาทิตย์: 1 (50%)" in out
    assert "• อยากให้มีกิจกรรมกีฬาเพิ่ม" in out
    assert "• ผู้ปกครอง: 2/4 (50%)" in out
    assert "bot@dm:alice → ผลสำรวจ: ความพึงพอใจของผู้ปกครอง 2569" in out
    # The weekly summary (Monday 08:00) brought its own charts to the group; two are the survey's:
    # the rating question's Likert chart and the choice question's counts.
    charts = [r for chat, r in shown if chat == "parents" and isinstance(r, Image) and "ผลสำรวจ" in r.alt_text]
    assert [c.alt_text.split(" · ")[1] for c in charts] == ["คำถามแบบมาตราส่วนประมาณค่า", "2. วันที่สะดวกประชุม"]
    assert all(c.png.startswith(b"\x89PNG") for c in charts)

    # Closed: no more answers, and nothing changes.
    assert "ปิดรับคำตอบแล้ว" in await bot("pim@parents: [วันเสาร์]")

    await bot("alice@dm: /export survey 1")  # the shared /export hands surveys to the survey feature
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
    await bot("pim@parents: [Register]", "pim@parents: [มาก]")
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


# ------------------------------------------------------------------ anonymity


SECRETS = {"noi": "ความลับของน้อย ขอครูประจำชั้นใหม่", "dao": "ความลับของดาว อาหารกลางวันไม่พอ"}


async def dump_database(bot: Conversation) -> dict[str, list[dict[str, object]]]:
    """Every row of every table, as the database holds it."""
    import sqlalchemy as sa

    import storage.all_tables  # noqa: F401
    from storage.tables import metadata

    found: dict[str, list[dict[str, object]]] = {}
    async with bot.app.db.transaction() as conn:
        for table in metadata.sorted_tables:
            found[table.name] = [dict(r) for r in (await conn.execute(sa.select(table))).mappings().all()]
    return found


def values_of(row: dict[str, object]) -> list[str]:
    """Every value in a row as text (JSON columns flattened), for substring scans."""
    import json

    return [json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, dict | list) else str(v)
            for v in row.values() if v is not None]


def recomputable_links(db: dict[str, list[dict[str, object]]], extra_keys: list[bytes], members: list,
                       survey: dict[str, object]) -> list[str]:
    """Voter keys someone could recompute for a member using only ``db`` contents (plus ``extra_keys``)
    as the HMAC key, or as a plain hash: each one would link a member to a response."""
    import hashlib
    import hmac

    voter_keys = {r["voter_key"] for r in db["survey_responses"]}
    candidates = {v.encode() for rows in db.values() for row in rows for v in values_of(row)} | set(extra_keys)
    links = []
    for member in members:
        message = f"edunet-survey-voter|{survey['network_id']}|{survey['id']}|{member['id']}".encode()
        if hashlib.sha256(message).hexdigest() in voter_keys:
            links.append(f"plain hash of member {member['id']}")
        for key in candidates:
            if hmac.new(key, message, hashlib.sha256).hexdigest() in voter_keys:
                links.append(f"member {member['id']} via key {key[:12]!r}")
    return links


async def anonymous_survey_with_answers(bot: Conversation) -> str:
    await bot.setup_network("alice", "parents")
    for user in ("noi", "dao", "mali"):
        await bot.add_member(user, "parent")
    await bot("ploy@parents: [Register]", "som@parents: [Register]")
    await create_survey(bot, anonymous=True)
    transcript = ""
    # In the group (pim registers under the notice; he changes his rating once).
    for line in ("pim@parents: [Register]", "pim@parents: [มากที่สุด]", "pim@parents: [วันเสาร์]", "pim@parents: [น้อย]",
                 "ploy@parents: [มาก]", "ploy@parents: [วันอาทิตย์]"):
        transcript += await bot(line)
    # Privately, with free text.
    for user, rating in (("noi", "มาก"), ("dao", "ปานกลาง")):
        transcript += await bot(f"{user}@dm: [Answer]", f"{user}@dm: [{rating}]", f"{user}@dm: [วันเสาร์]",
                                f"{user}@dm: {SECRETS[user]}")
    transcript += await bot("mali@dm: [Answer]", "mali@dm: [มากที่สุด]", "mali@dm: [Skip]", "mali@dm: [Skip]")
    # noi changes her answer; a second pass never creates a second response.
    transcript += await bot("noi@dm: [Change my answers]", "noi@dm: [มากที่สุด]")
    return transcript


async def test_the_database_holds_no_link_between_anonymous_answers_and_members(
        bot: Conversation, caplog: pytest.LogCaptureFixture, secret_key_file: Path) -> None:
    import logging

    from bot.server_key import server_key

    caplog.set_level(logging.DEBUG)
    out = await anonymous_survey_with_answers(bot)
    assert "บันทึกคำตอบแบบไม่ระบุชื่อแล้ว (ข้อ 1/3)" in out  # the group toast does not echo the choice
    assert "แบบสำรวจนี้ไม่ระบุชื่อ คำตอบของคุณถูกเก็บโดยไม่มีชื่อของคุณ" in out

    db = await dump_database(bot)
    (survey,) = db["surveys"]
    members = [m for m in db["members"] if m["role"] == "parent"]
    identities = {str(m["platform_user_id"]) for m in members} | {str(m["display_name"]) for m in members}
    identities |= {f"m{m['id']}" for m in members}

    responses, answers = db["survey_responses"], db["survey_answers"]
    assert len(responses) == 5  # once per member, whatever they changed
    assert all(r["member_id"] is None for r in responses)
    for row in responses + answers:
        assert not any(ident in value for ident in identities for value in values_of(row)), row
    assert sorted(a["text"] for a in answers if a["text"]) == sorted(SECRETS.values())
    # pim's change replaced his rating (น้อย = choice 3); noi's replaced hers (มากที่สุด = 0).
    rating_id = next(q["id"] for q in db["survey_questions"] if q["kind"] == "rating")
    assert sorted(a["choice"] for a in answers if a["question_id"] == rating_id) == [0, 0, 1, 2, 3]

    # No row anywhere holds both something identifying a member and an answer or response key.
    answer_marks = set(SECRETS.values()) | {str(r["id"]) for r in responses} | {str(r["voter_key"]) for r in responses}
    for table, rows in db.items():
        for row in rows:
            values = values_of(row)
            if any(mark in value for mark in answer_marks for value in values):
                assert table in ("survey_responses", "survey_answers"), (table, row)
    # The audit log records nothing about who answered an anonymous survey.
    assert not [a for a in db["audit_log"] if a["action"] == "answer"]

    # Nobody holding only the database can recompute a voter key: not as a plain hash, and not with any
    # value stored in the database as the HMAC key. The server key, which is not in the database, can:
    # that proves this check would find a link if the key were stored there.
    assert recomputable_links(db, [], members, survey) == []
    key = server_key(bot.app.settings)
    assert key == secret_key_file.read_text().strip().encode()
    assert not any(key.decode() in value for rows in db.values() for row in rows for value in values_of(row))
    assert len(recomputable_links(db, [key], members, survey)) == 5

    # Logs carry no answer.
    assert not any(secret in caplog.text for secret in SECRETS.values())

    # Results and the export are aggregate / nameless.
    out = await bot("alice@dm: /results 1")
    assert "ผู้ตอบ: 5/6 คน (ร้อยละ 83)" in out and "• ผู้ปกครอง: 5/6 (83%)" in out
    assert "ค่าเฉลี่ย 3.80 S.D. 1.30 (ระดับมาก)" in out  # 5, 5, 4, 3, 2
    # Questions with fewer than 5 answers (mali skipped 2 and 3) are suppressed, free text included.
    assert "2. วันที่สะดวกประชุม (เลือกตอบข้อเดียว · n = 4)\n       ซ่อนไว้ (ผู้ตอบน้อยกว่า 5 คน)" in out
    assert "• วันเสาร์" not in out and not any(secret in out for secret in SECRETS.values())
    shown = capture(bot)
    await bot("alice@dm: /exportsurvey 1")
    document = next(r for _chat, r in shown if isinstance(r, Document))
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["ชุดคำตอบ", "1. ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด"]
    assert len(rows) == 6 and not any(ident in cell for row in rows for cell in row for ident in identities)
    # Per question: the date (4 answers) keeps its column but no values; the free text is not in the rows.
    assert len(rows[0]) == 3 and rows[0][2].endswith("(ซ่อนไว้: ผู้ตอบน้อยกว่า 5 คน)")
    assert all(row[2] == "" for row in rows[1:])
    assert not any(secret in cell for row in rows for cell in row for secret in SECRETS.values())
    assert [r for _chat, r in shown if isinstance(r, Document)] == [document]  # 2 comments: not exported
    assert "ไม่ได้ส่งออกคำตอบแบบเขียนตอบ" in bot.transcript


async def test_anonymous_free_text_is_exported_apart_from_the_rows_and_shuffled(
        bot: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    import handlers.surveys.logic as logic

    await anonymous_survey_with_answers(bot)
    monkeypatch.setattr(logic, "MIN_CELL", 2)  # two comments are enough here, to see the separate table
    shown = capture(bot)
    await bot("alice@dm: /exportsurvey 1")
    answers, comments = [r for _chat, r in shown if isinstance(r, Document)]
    assert comments.filename == "survey-1-comments.csv"
    table = list(csv.reader(io.StringIO(comments.content.decode("utf-8-sig"))))
    assert table[0] == ["คำถาม", "คำตอบ"]
    assert sorted(text for _question, text in table[1:]) == sorted(SECRETS.values())
    assert all(question.startswith("3. ") for question, _text in table[1:])
    rows = list(csv.reader(io.StringIO(answers.content.decode("utf-8-sig"))))
    assert not any(secret in cell for row in rows for cell in row for secret in SECRETS.values())


async def test_anonymous_reminder_counts_without_names_and_small_results_are_suppressed(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("noi", "parent")
    await bot("ploy@parents: [Register]", "som@parents: [Register]")
    await create_survey(bot, anonymous=True)
    await bot("ploy@parents: [มาก]", "noi@dm: [Answer]", "noi@dm: [น้อย]")
    out = await bot(":clock 2026-11-27 18:01")
    assert "ยังไม่ได้ตอบ 1 จาก 3 คน" in out and "ยังไม่ได้ตอบ:" not in out  # som, counted, not named
    out = await bot("alice@dm: /results 1")
    assert "ผู้ตอบ: 2/3 คน (ร้อยละ 67)" in out
    assert "ซ่อนผลคำตอบ: แบบสำรวจไม่ระบุชื่อจะแสดงผลเมื่อมีผู้ตอบตั้งแต่ 5 คนขึ้นไป" in out
    assert "ค่าเฉลี่ย" not in out and "• มาก:" not in out and "[image" not in out
    assert "• ผู้ปกครอง: ซ่อนไว้ (ผู้ตอบน้อยกว่า 5 คน)" in out
    assert "ส่งออกคำตอบไม่ได้" in await bot("alice@dm: /exportsurvey 1")
    out = await bot(":clock 2026-11-28 18:00")
    assert "bot@parents → ผลสำรวจ: ความพึงพอใจของผู้ปกครอง 2569" in out and "ซ่อนผลคำตอบ" in out


def test_the_server_key_comes_from_the_setting_or_a_private_generated_file(tmp_path: Path) -> None:
    import os
    import stat

    from bot.config import Settings
    from bot.server_key import server_key

    assert server_key(Settings(secret_key="from-env")) == b"from-env"
    path = tmp_path / "keys" / "secret.key"
    first = server_key(Settings(secret_key_file=str(path)))
    assert path.exists() and len(first) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert server_key(Settings(secret_key_file=str(path))) == first  # stable across restarts


# ------------------------------------------------------------------ polls


async def test_a_quick_poll_counts_votes_throttles_updates_and_closes_at_its_deadline(bot: Conversation) -> None:
    shown = capture(bot)
    await bot.setup_network("alice", "parents")
    await bot.add_member("bob", "teacher")
    await bot("bob@parents: hello")  # bob is in the group
    out = await bot('bob@parents: /poll "ไปทัศนศึกษาที่ไหนดี" สวนสัตว์ | พิพิธภัณฑ์ | ทะเล | ปิด 22/11/2569 12:00')
    assert "bot@parents → 📊 ไปทัศนศึกษาที่ไหนดี" in out and "โพลหมายเลข: 1" in out
    assert "[สวนสัตว์]" in out and "[ทะเล]" in out and "เปิดรับถึง 22 พ.ย. 2569 12:00 น." in out
    # Unregistered parents get the privacy notice first, then vote with one tap; a vote can change; a
    # double tap changes nothing.
    assert "ประกาศเรื่องข้อมูลส่วนบุคคล" in await bot("pim@parents: [ทะเล]")
    assert "Pim ลงทะเบียนเป็นผู้ปกครอง" in await bot("pim@parents: [Register]")
    out = await bot("pim@parents: [ทะเล]")
    assert "บันทึกการโหวตแล้ว: สวนสัตว์" in await bot("pim@parents: [สวนสัตว์]")
    assert "บันทึกไว้แล้ว ไม่มีการเปลี่ยนแปลง" in await bot("pim@parents: [สวนสัตว์]")
    await bot("noi@parents: [Register]", "bob@parents: [Register]", "noi@parents: [ทะเล]", "bob@parents: [ทะเล]")
    cards_before = sum(1 for chat, r in shown if chat == "parents" and getattr(r, "update_key", None) == "poll:1")
    out = await bot(":clock +1m")
    updates = [r for chat, r in shown if chat == "parents" and getattr(r, "update_key", None) == "poll:1"]
    assert len(updates) == cards_before + 1  # four taps, one update, and it replaces the poll card
    assert "จำนวนผู้โหวต: 3 คน" in out and "สวนสัตว์ ▓▓▓░░░░░░░ 33%" in out and "ทะเล ▓▓▓▓▓▓▓░░░ 67%" in out
    assert await bot(":clock +5m") == "# clock: 2026-11-21 09:06 (Asia/Bangkok)"
    out = await bot(":clock 2026-11-22 12:00")
    assert "bot@parents → ผลสำรวจ: ไปทัศนศึกษาที่ไหนดี" in out and "จำนวนผู้โหวต: 3 คน" in out
    assert "• ทะเล: 2 (67%)" in out and "• สวนสัตว์: 1 (33%)" in out
    assert "ปิดรับคำตอบแล้ว" in await bot("noi@parents: [สวนสัตว์]")
    assert "ประกาศเรื่องข้อมูลส่วนบุคคล" in await bot("dao@parents: [ทะเล]")  # the closed poll records nothing
    out = await bot("alice@dm: /results 1")
    assert "ผลสำรวจ: ไปทัศนศึกษาที่ไหนดี" in out and "จำนวนผู้โหวต: 3 คน" in out and "• ทะเล: 2 (67%)" in out


async def test_poll_input_is_checked_and_options_that_do_not_fit_are_refused_or_numbered(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("bob", "teacher")
    await bot.add_member("noi", "parent")
    assert "วิธีใช้: /poll" in await bot("alice@parents: /poll")
    assert "คำถามว่างเปล่า" in await bot('alice@parents: /poll "" ก | ข')
    assert "อย่างน้อย 2 ตัวเลือก" in await bot('alice@parents: /poll "ไปไหนดี" ทะเล')
    eleven = " | ".join(f"ตัวเลือก{i}" for i in range(1, 12))
    out = await bot(f'alice@parents: /poll "เลือกวันไหนดี" {eleven}')
    assert "ตัวเลือกได้ไม่เกิน 10 ตัวเลือกต่อคำถาม" in out and "LINE แสดงได้ไม่เกิน 13 ปุ่ม" in out
    assert "ตัวเลือกซ้ำ" in await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ทะเล')
    assert "ผ่านไปแล้ว" in await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ภูเขา | ปิด 1/1/2569 10:00')
    assert "ระบุเวลาด้วย" in await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ภูเขา | ปิด 25/11/2569')
    assert "เฉพาะผู้ประสานงานและครู" in await bot('noi@parents: /poll "ไปไหนดี" ทะเล | ภูเขา')
    assert "ในกลุ่มแชต" in await bot('alice@dm: /poll "ไปไหนดี" ทะเล | ภูเขา')
    assert "📊" not in bot.transcript  # nothing was posted
    # Long options get numbered buttons (LINE labels hold 20 characters) and are listed in the text.
    out = await bot("alice@parents: /poll ควรจัดประชุมผู้ปกครองเมื่อไร | วันเสาร์แรกของเดือนหลังเลิกเรียน | "
                    "วันอาทิตย์ช่วงเช้าที่ศาลาประชาคมหมู่บ้าน")
    assert "1. วันเสาร์แรกของเดือนหลังเลิกเรียน" in out and "[1]" in out and "[2]" in out
    assert "บันทึกการโหวตแล้ว: วันอาทิตย์ช่วงเช้าที่ศาลาประชาคมหมู่บ้าน" in await bot("noi@parents: [2]")
    # Only its creator or a coordinator closes a poll.
    await bot('bob@parents: /poll "ชอบไหม" ชอบ | ไม่ชอบ')
    assert "โพลหมายเลข: 2" in bot.transcript
    assert "เฉพาะผู้สร้างหรือผู้ประสานงาน" in await bot("bob@parents: /closesurvey 1")
    out = await bot("bob@parents: /closesurvey 2")
    assert "ปิด “ชอบไหม” แล้ว" in out and "ผลสำรวจ: ชอบไหม" in out
    assert "ปิดไปแล้ว" in await bot("alice@parents: /closesurvey 2")


async def test_a_poll_needs_a_linked_group(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    out = await bot('alice@elsewhere: /poll "ไปไหนดี" ทะเล | ภูเขา')
    assert "ยังไม่ได้เชื่อมกับเครือข่ายของคุณ" in out and "📊" not in out


# ------------------------------------------------------------------ bad input


async def test_the_survey_flow_checks_every_step(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("bob", "teacher")
    assert "เฉพาะผู้ประสานงาน" in await bot("bob@dm: /survey")
    assert "แชตส่วนตัว" in await bot("alice@parents: /survey")
    await bot("alice@dm: /survey", "alice@dm: แบบสอบถาม")
    assert "กรุณากดปุ่มใดปุ่มหนึ่ง" in await bot("alice@dm: อะไรก็ได้")
    assert "เพิ่มคำถามครบแล้ว" not in await bot("alice@dm: [Single choice]")  # no "done" before a question
    assert "คำถามว่างเปล่า" in await bot("alice@dm: ")
    await bot("alice@dm: ไปไหนดี")
    assert "อย่างน้อย 2 ตัวเลือก" in await bot("alice@dm: ทะเล")
    eleven = " | ".join(f"ตัวเลือก {i}" for i in range(1, 12))
    assert "ไม่เกิน 10 ตัวเลือก" in await bot(f"alice@dm: {eleven}")
    assert "เพิ่มคำถามข้อที่ 1 แล้ว" in await bot("alice@dm: ทะเล | ภูเขา | น้ำตก")
    await bot("alice@dm: [Done adding questions]")
    assert "กรุณาระบุบทบาท" in await bot("alice@dm: นักเรียน")
    await bot("alice@dm: ผู้ปกครอง, ครู")
    assert "กรุณาส่งหมายเลขจากรายการ" in await bot("alice@dm: 7")
    await bot("alice@dm: 1", "alice@dm: [Anonymous]")
    assert "ผ่านไปแล้ว" in await bot("alice@dm: 1/11/2569 10:00")
    assert "ระบุเวลาด้วย" in await bot("alice@dm: 25/11/2569")
    assert "อ่านวันที่และเวลาไม่ออก" in await bot("alice@dm: สักวันหนึ่ง")
    out = await bot("alice@dm: พรุ่งนี้ 17:00")
    assert "สำหรับ: ครูและผู้ปกครอง" in out and "ไม่ระบุชื่อ: ใช่" in out and "ปิดรับ: 22 พ.ย. 2569 17:00 น." in out
    assert "ยกเลิกแล้ว" in await bot("alice@dm: [Cancel]")
    assert "ไม่มีแบบสำรวจหรือโพลใน 90 วัน" in await bot("alice@dm: /results")


async def test_answers_outside_the_rules_are_refused_and_change_nothing(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("bob", "teacher")
    await bot("bob@parents: hello")
    await create_survey(bot)
    # A teacher is not in a parents' survey audience.
    out = await bot("bob@parents: [มาก]")
    assert "สำหรับผู้ปกครอง คุณไม่อยู่ในกลุ่มผู้ตอบ จึงไม่ได้บันทึกคำตอบ" in out
    # Forged or stale buttons: malformed, out of range, unknown question, another network's survey.
    card = next(m for m in reversed(bot.console.history) if m.chat == "parents" and m.buttons)
    card.buttons += [Button("bad", payload="1|sv|x|1|0"), Button("range", payload="1|sv|1|1|9"),
                     Button("noq", payload="1|sv|1|9|0"), Button("text", payload="1|sv|1|3|0"),
                     Button("other", payload="1|sv|2|1|0"), Button("short", payload="1|sv|1")]
    await bot("pim@parents: [Register]")
    assert "ปุ่มนี้ไม่ถูกต้อง ไม่ได้บันทึกอะไร" in await bot("pim@parents: [bad]")
    assert "คำตอบนี้ไม่อยู่ในตัวเลือก ไม่ได้บันทึกอะไร" in await bot("pim@parents: [range]")
    assert "ไม่มีคำถามนี้ในแบบสำรวจ" in await bot("pim@parents: [noq]")
    assert "ไม่มีคำถามนี้ในแบบสำรวจ" in await bot("pim@parents: [text]")
    assert "ปุ่มนี้ไม่ถูกต้อง" in await bot("pim@parents: [short]")
    # Survey 2 belongs to another network: invisible from this one.
    await bot("zed@dm: /newnetwork เครือข่ายอื่น", "zed@dm: [Join as coordinator]", "zed@other: /linkgroup")
    await bot("zed@dm: /survey", "zed@dm: ของเครือข่ายอื่น", "zed@dm: [Rating (5 levels)]", "zed@dm: พอใจไหม",
              "zed@dm: [Done adding questions]", "zed@dm: [Everyone]", "zed@dm: [All groups]", "zed@dm: [Named]",
              "zed@dm: 28/11/2569 18:00", "zed@dm: [Publish]")
    assert "ไม่พบแบบสำรวจนี้" in await bot("pim@parents: [other]")
    assert "ไม่มีแบบสำรวจหรือโพลหมายเลข 2" in await bot("alice@dm: /results 2")
    assert "Alice" not in await bot("zed@dm: /results 1")
    out = await bot("alice@dm: /results 1")
    assert "ผู้ตอบ: 0/1 คน (ร้อยละ 0)" in out  # nothing above was recorded
    # Free text: empty and too long answers are refused, the flow waits for a real one.
    await bot.add_member("noi", "parent")  # joined after publishing: the group card's Answer sends it privately
    out = await bot("noi@parents: [Answer]")
    assert "(only noi sees) → ส่งคำถามไปที่แชตส่วนตัวของคุณแล้ว" in out and "bot@dm:noi → 📋 แบบสำรวจใหม่" in out
    assert "ส่งคำถามไปที่แชตส่วนตัวของคุณแล้วก่อนหน้านี้" in await bot("noi@parents: [Answer]")
    assert "ยังส่งข้อความส่วนตัวถึงคุณไม่ได้" in await bot("pim@parents: [Answer]")
    await bot("noi@dm: [Answer]", "noi@dm: [Skip]", "noi@dm: [Skip]")
    assert "กรุณาพิมพ์คำตอบ" in await bot("noi@dm:  ")
    assert "สั้นกว่า 1000 ตัวอักษร" in await bot("noi@dm: " + "ก" * 1001)
    assert "บันทึกคำตอบแล้ว" in await bot("noi@dm: ดีมาก")
    assert "คำตอบเหมือนเดิม" in await bot("noi@dm: [Change my answers]", "noi@dm: [Skip]", "noi@dm: [Skip]",
                                          "noi@dm: ดีมาก")
    # Closed by its coordinator: the text flow and buttons stop accepting answers.
    await bot("noi@dm: [Change my answers]", "noi@dm: [Skip]", "noi@dm: [Skip]")
    await bot("alice@dm: /closesurvey 1")
    assert "ปิดรับคำตอบแล้ว" in await bot("noi@dm: เปลี่ยนใจ")
    assert "ปิดรับคำตอบแล้ว" in await bot("noi@dm: [Change my answers]")
    assert "ไม่เข้าใจข้อความนี้" in await bot("noi@dm: เปลี่ยนใจอีก")  # the flow ended


async def test_multiple_choice_adds_idempotently_clears_and_moves_on(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("noi", "parent")
    await bot("alice@dm: /survey", "alice@dm: กิจกรรม", "alice@dm: [Multiple choice]",
              "alice@dm: กิจกรรมที่ลูกสนใจ", "alice@dm: กีฬา | ดนตรี | ศิลปะ", "alice@dm: [Done adding questions]",
              "alice@dm: [Everyone]", "alice@dm: [All groups]", "alice@dm: [Named]", "alice@dm: 28/11/2569 18:00",
              "alice@dm: [Publish]")
    out = await bot("noi@dm: [Answer]")
    assert "เลือกได้ทุกข้อที่ตรง" in out and "[ล้างตัวเลือกของฉัน] [ถัดไป]" in out
    assert "เพิ่มแล้ว ตัวเลือกของคุณ: กีฬา" in await bot("noi@dm: [กีฬา]")
    out = await bot("noi@dm: [ดนตรี]")
    assert "ตัวเลือกของคุณ: กีฬาและดนตรี" in out and "[✓ กีฬา]" in out and "[✓ ดนตรี]" in out
    assert "เลือกไว้แล้ว ตัวเลือกของคุณ: กีฬาและดนตรี" in await bot("noi@dm: [✓ ดนตรี]")  # a double tap
    out = await bot("noi@dm: [ล้างตัวเลือกของฉัน]")
    assert "ล้างตัวเลือกของคุณแล้ว" in out and "✓" not in out
    await bot("noi@dm: [ศิลปะ]")
    assert "ขอบคุณที่ร่วมตอบ" in await bot("noi@dm: [Next]")
    await bot("pim@parents: [Register]", "pim@parents: [กีฬา]", "pim@parents: [ศิลปะ]")
    assert "(only pim sees) → บันทึกไว้แล้ว ไม่มีการเปลี่ยนแปลง" in await bot("pim@parents: [ศิลปะ]")
    out = await bot("alice@dm: /results 1")
    assert "(เลือกได้หลายข้อ · n = 2)" in out
    assert "• กีฬา: 1 (50%)" in out and "• ดนตรี: 0 (0%)" in out and "• ศิลปะ: 2 (100%)" in out
    assert "ล้างตัวเลือกของคุณในข้อ 1 แล้ว" in await bot("pim@parents: [ล้างตัวเลือกของฉัน]")
    assert "• ศิลปะ: 1 (100%)" in await bot("alice@dm: /results 1")


# ------------------------------------------------------------------ summary and storage


async def test_summary_section_reports_response_rates_for_the_period(bot: Conversation) -> None:
    from datetime import datetime, timedelta, timezone

    from bot.context import BaseContext
    from bot.summary import Period
    from handlers.surveys.routes import summary_section
    from storage.membership import NetworkRepo

    await bot.setup_network("alice", "parents")
    await bot.add_member("noi", "parent")
    await bot("ploy@parents: [Register]")
    await create_survey(bot)
    await bot("noi@dm: [Answer]", "noi@dm: [มาก]")
    await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ภูเขา', "ploy@parents: [ทะเล]")

    async def section(start: datetime, end: datetime, network_id: int = 1):  # type: ignore[no-untyped-def]
        period = Period(start, end, start - (end - start), start)
        async with bot.app.db.transaction() as conn:
            network = await NetworkRepo(conn).get(network_id)
            assert network is not None
            return await summary_section(BaseContext(bot.app, conn, network, network.language), period)

    week = datetime(2026, 11, 16, tzinfo=timezone.utc)
    found = await section(week, week + timedelta(days=7))
    route = next(r for r in bot.app.router.summary_sections if r.provider is summary_section)
    assert found is not None and found.title == "แบบสำรวจและโพล" and route.order == 30
    assert found.lines == ["แบบสำรวจ “ความพึงพอใจของผู้ปกครอง 2569”: ตอบแล้ว 1/2 คน (ร้อยละ 50) "
                           "เปิดรับถึง 28 พ.ย. 2569 18:00 น.",
                           "โพล “ไปไหนดี”: โหวต 1 คน",
                           "อัตราการตอบเฉลี่ย: ร้อยละ 50 (ช่วงก่อนหน้า: ร้อยละ 0)"]
    assert found.progress == [("ความพึงพอใจของผู้ปกครอง 2569", 1.0, 2.0)]
    assert found.charts == []  # the rate is a line: one figure is no chart
    # Closed in a later period: still reported there, with the audience frozen at closing.
    await bot(":clock 2026-11-28 18:00", "alice@dm: /closesurvey 2")  # the poll had no deadline
    await bot("dao@parents: [Register]")  # joins after the close: not in the frozen audience
    later = await section(week + timedelta(days=7), week + timedelta(days=14))
    assert later is not None and "ตอบแล้ว 1/2 คน (ร้อยละ 50) ปิดแล้ว" in later.lines[0]
    assert "อัตราการตอบเฉลี่ย: ร้อยละ 50 (ช่วงก่อนหน้า: ร้อยละ 50)" in later.lines
    assert await section(week + timedelta(days=14), week + timedelta(days=21)) is None  # nothing open then
    assert await section(week - timedelta(days=7), week) is None  # nor before
    # Another network sees nothing of this one.
    await bot("zed@dm: /newnetwork เครือข่ายอื่น", "zed@dm: [Join as coordinator]")
    assert await section(week, week + timedelta(days=7), network_id=2) is None


async def test_survey_storage_on_both_engines(db_url: str) -> None:
    from datetime import datetime, timezone

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.all_tables  # noqa: F401
    from storage.db import Database
    from storage.membership import MemberRepo, NetworkRepo
    from storage.surveys import SurveyRepo
    from storage.tables import metadata

    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            # The migration creates exactly what the table definitions say.
            diff = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
            assert [d for d in diff if "survey" in repr(d)] == []
            a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=now)
            b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=now)
            member = await MemberRepo(conn).add(a.id, platform="line", platform_user_id="U1", display_name="Pim",
                                                role="parent", language="th", now=now)
            repo = SurveyRepo(conn)
            questions = [{"kind": "rating", "text": "พอใจไหม", "options": []},
                         {"kind": "multi", "text": "อะไรบ้าง", "options": ["ก", "ข"]}]
            first = await repo.create(a.id, kind="survey", title="S", anonymous=True, roles=["parent"],
                                      organisations=[], chats=[], chat_id=None, created_by=member.id,
                                      closes_at=now, questions=questions, now=now)
            other = await repo.create(b.id, kind="poll", title="P", anonymous=False, roles=[], organisations=[],
                                      chats=[], chat_id=None, created_by=None, closes_at=None,
                                      questions=questions[1:], now=now)
            assert (first.number, other.number) == (1, 1)  # numbered per network
            assert await repo.get(b.id, first.id) is None and await repo.by_number(b.id, 1) == other
            one = await repo.ensure_response(first, "k1", member.id)
            assert await repo.ensure_response(first, "k1", member.id) == one  # once per voter
            assert one.member_id is None and len(one.id) == 32  # anonymous: no member id, random id
            rating, multi = first.questions
            await repo.set_answer(first, one.id, rating, 1)
            await repo.set_answer(first, one.id, rating, 0)
            assert await repo.add_choice(first, one.id, multi, 1)
            assert not await repo.add_choice(first, one.id, multi, 1)  # a duplicate keeps the transaction usable
            assert [(a.question_id, a.choice) for a in await repo.all_answers(first)] == [(rating.id, 0),
                                                                                         (multi.id, 1)]
            assert await repo.all_answers(other) == [] and await repo.response_count(other) == 0
            assert await repo.close(a.id, first.id, audience_size=3, now=now)
            assert not await repo.close(a.id, first.id, audience_size=9, now=now)  # closing twice: no-op
            assert not await repo.close(b.id, first.id, audience_size=9, now=now)  # not across networks
            closed = await repo.get(a.id, first.id)
            assert closed is not None and closed.status == "closed" and closed.audience_size == 3
            assert [s.id for s in await repo.active_between(a.id, now, now)] == []
    finally:
        await db.dispose()


async def test_english_users_get_the_english_scale_and_export_survey_takes_the_shared_export_form(
        bot: Conversation) -> None:
    from handlers.surveys.routes import export_survey

    await bot.setup_network("alice", "parents")
    await bot.add_member("noi", "parent")
    await create_survey(bot)
    await bot("noi@dm: /lang en")
    out = await bot("noi@dm: [Answer]")
    assert "[Very high]" in out and "[Moderate]" in out and "[Very low]" in out and "[Skip]" in out
    assert "Saved: High" in await bot("noi@dm: [High]")
    await bot("alice@dm: /lang en")
    out = await bot("alice@dm: /results 1")
    assert "Results so far: ความพึงพอใจของผู้ปกครอง 2569" in out and "Mean 4.00, S.D. 0.00 (High)" in out
    # The shared `/export survey ID` (wired at merge) calls export_survey(ctx, "survey ID").
    route = bot.app.router.commands["exportsurvey"]
    original = route.handler

    async def shared_export(ctx):  # type: ignore[no-untyped-def]
        await export_survey(ctx, f"survey {ctx.args}")

    route.handler = shared_export
    try:
        assert "[file: survey-1.csv" in await bot("alice@dm: /exportsurvey 1")
    finally:
        route.handler = original


async def test_an_english_poll_in_a_thai_network_has_thai_card_chrome(bot: Conversation) -> None:
    """The card is read by the whole group: its labels follow the network's language, not the
    language of the coordinator who typed /poll; the question and options stay as written."""
    await bot.setup_network("alice", "parents")
    await bot("alice@dm: /lang en")
    out = await bot('alice@parents: /poll "Where shall we go?" Sea | Mountain')
    assert "Where shall we go?" in out and "[Sea]" in out and "[Mountain]" in out
    assert "โพลหมายเลข: 1" in out and "Poll no." not in out


async def test_the_term_review_shows_response_rates_and_means_and_hides_a_small_anonymous_one(
        bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot.add_member("noi", "parent")
    await bot("pim@parents: [Register]")
    await create_survey(bot)
    await bot("pim@parents: [มากที่สุด]", "noi@dm: [Answer]", "noi@dm: [น้อย]")  # 5 and 2
    await create_survey(bot, anonymous=True)
    await bot("pim@parents: [มาก]")
    out = await bot("alice@dm: /review")
    # Both still open: their response rates are of today's audience (the two parents).
    assert "• #1 ความพึงพอใจของผู้ปกครอง 2569: อัตราการตอบ 100%" in out
    assert "• #2 ความพึงพอใจของผู้ปกครอง 2569: อัตราการตอบ 50%" in out
    assert "ข้อ 1 ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด: 3.50" in out  # (5 + 2) / 2
    assert "ข้อ 1 ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด: ไม่แสดง (ผู้ตอบน้อยกว่า 5 คน)" in out  # #2, one answer
    assert out.count("ข้อ 1 ") == 2  # the rating questions only
