"""XLSX reports of issue 16 beyond activities and pledges: a survey (anonymity kept), the year's meetings,
the term review and the SAR evidence pack per school, from the chat, the web view and the CLI; and the
overview's panels. Every workbook is read back: Thai intact, Buddhist-Era dates, number formats, a frozen
header and a chart on the summary sheet."""

from __future__ import annotations

import io
import re
from pathlib import Path

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.model import Document
from tests.support.conversation import Conversation, make_conversation
from tests.test_dashboard import csrf_of, link_in, needs_and_pledges, read_xlsx, sign_in, web_bot  # noqa: F401
from tests.test_dashboard_pages import MEETING
from tests.test_surveys import SECRETS, anonymous_survey_with_answers, capture

Site = tuple[Conversation, TestClient]


def documents(shown: list) -> list[Document]:  # type: ignore[type-arg]
    return [reply for _chat, reply in shown if isinstance(reply, Document)]


async def test_an_anonymous_survey_s_workbook_keeps_it_anonymous(bot: Conversation) -> None:
    await anonymous_survey_with_answers(bot)
    shown = capture(bot)
    out = await bot("alice@dm: /export survey 1 xlsx")
    assert "survey-1.xlsx" in out
    (document,) = documents(shown)
    book = load_workbook(io.BytesIO(document.content))
    assert book.sheetnames == ["สรุป", "ผลรายข้อ", "อัตราการตอบ", "ผู้ตอบ"]  # free text: under 5 answers, left out
    summary = book["สรุป"]
    assert summary["A1"].value == "ความพึงพอใจของผู้ปกครอง 2569" and summary._charts
    assert "2569" in summary["A2"].value and "ไม่ระบุชื่อ" in summary["A2"].value
    answers = [list(r) for r in book["ผู้ตอบ"].iter_rows(values_only=True)]
    assert book["ผู้ตอบ"].freeze_panes == "A2"
    assert not any(name in str(answers) for name in ("Noi", "Dao", "Mali", "Pim", "Ploy", "สมาชิก"))
    assert not any(secret in str(answers) for secret in SECRETS.values())
    assert len(answers) == 6 and "ซ่อนไว้" in str(answers[0])  # 5 responses; the 4-answer question is hidden
    assert sorted(r[1] for r in answers[1:]) == [2, 3, 4, 5, 5]  # the ratings, as the CSV has them
    results = [list(r) for r in book["ผลรายข้อ"].iter_rows(values_only=True)]
    assert any(r[1] == "มากที่สุด" and r[2] == 2 for r in results)
    assert book["ผลรายข้อ"].cell(2, 4).number_format == "0%"


async def test_a_survey_under_five_answers_gives_no_workbook(bot: Conversation) -> None:
    from tests.test_surveys import create_survey

    await bot.setup_network("alice", "parents")
    await create_survey(bot, anonymous=True)
    await bot("pim@parents: [Register]", "pim@parents: [มากที่สุด]")
    shown = capture(bot)
    assert "น้อยกว่า 5" in await bot("alice@dm: /export survey 1 xlsx")
    assert not documents(shown)


async def test_the_year_s_meetings_as_a_workbook_from_the_chat_and_the_web(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot(*MEETING, "bob@teachers: [ไป]")
    await bot(":clock 2026-11-23 13:40", "bob@teachers: [มาแล้ว]", ":clock 2026-11-23 16:00")
    await bot("alice@dm: /minutes 1", "alice@dm: จัดอบรมครูเรื่องสื่อ AI; ใช้งบกลาง", "alice@dm: [ข้าม]",
              "alice@dm: [บันทึก]")
    shown = capture(bot)
    assert "meetings-2569.xlsx" in await bot("alice@dm: /export meetings")
    (document,) = documents(shown)
    sheets = read_xlsx(document.content)
    assert list(sheets) == ["สรุป", "การประชุม", "มติที่ประชุม"]
    row = sheets["การประชุม"][1]
    assert row[:5] == [1, "23/11/2569", "14:00", "ประชุมสมาชิก", "วางแผนภาคเรียน"]
    assert row[6] == 1.5 and row[7] == 1 and row[10] == 1 and row[11] == 2
    assert sheets["มติที่ประชุม"][1][4] == "จัดอบรมครูเรื่องสื่อ AI"
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    response = await client.get("/dashboard/n/1/reports/meetings.xlsx")
    assert response.status == 200 and read_xlsx(await response.read())["การประชุม"][1][1] == "23/11/2569"


async def test_the_term_review_as_a_workbook(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot('alice@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    await bot('alice@dm: /setgoal ด้านบุคลากร "ครูได้รับการพัฒนา" กิจกรรม อบรม 24')
    shown = capture(bot)
    assert "review-2569-2.xlsx" in await bot("alice@dm: /export review 2569/2 xlsx")  # 20/11 is in term 2
    (document,) = documents(shown)
    book = load_workbook(io.BytesIO(document.content))
    assert book.sheetnames == ["สรุป", "การทบทวนภาคเรียน", "ค่าเป้าหมาย"]
    targets = [list(r) for r in book["ค่าเป้าหมาย"].iter_rows(values_only=True)]
    assert targets[1][0] == "1.1" and targets[1][1] == "ครูได้รับการพัฒนา" and targets[1][4] == 24
    assert targets[1][5] == 1  # the activity logged counts, as a number
    summary = [list(r) for r in book["สรุป"].iter_rows(values_only=True)]
    assert any(r[0] == "นวัตกรรมการเรียนรู้" and r[1] == 1 for r in summary) and book["สรุป"]._charts
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    response = await client.get("/dashboard/n/1/reports/review.xlsx")  # this term
    assert response.status == 200 and "review-2569-2.xlsx" in response.headers["Content-Disposition"]


async def school_year(bot: Conversation) -> None:
    """Bob's school: an activity, a need met by Pat's delivery, a meeting Bob attended; Cara's school: an
    activity of its own."""
    await needs_and_pledges(bot)  # bob (teacher) at โรงเรียนบ้านหนองบัว; pat delivered 10 tablets
    await bot('bob@dm: /log อบรม 20/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.')
    await bot.add_member("cara", "teacher")
    await bot("cara@dm: /org โรงเรียนวัดป่า", 'cara@dm: /log อบรม 19/11/2569 "กิจกรรมของโรงเรียนอื่น" 10 คน 1 ชม.')
    await bot(*MEETING)
    await bot(":clock 2026-11-23 13:40", "bob@teachers: [มาแล้ว]", ":clock 2026-11-23 15:00")
    await bot("bob@dm: /plc new กลุ่มวิทยาศาสตร์", 'bob@dm: /plc log 20/11/2569 15:30 2 ชม. วางแผน "การอ่านจับใจความ ป.4"',
              "bob@dm: /plc present 1 2")


def evidence_rows(content: bytes) -> list[list[object]]:
    return read_xlsx(content)["หลักฐานตามลำดับรายงาน"][1:]


async def test_the_sar_pack_of_a_school_in_the_order_of_the_report(web_bot: Site) -> None:
    bot, client = web_bot
    await school_year(bot)
    page = await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    sar = await (await client.get("/dashboard/n/1/sar")).text()
    school = re.search(r'data-school="(\d+)">\s*<td>โรงเรียนบ้านหนองบัว', sar)
    assert school, sar
    response = await client.get(f"/dashboard/n/1/sar/{school.group(1)}.xlsx?year=2569")
    assert response.status == 200
    content = await response.read()
    sheets = read_xlsx(content)
    assert list(sheets)[:3] == ["สรุป", "หลักฐานตามลำดับรายงาน", "กิจกรรม"]
    assert "ทรัพยากรที่ได้รับ" in sheets and "การประชุม" in sheets and "แนวปฏิบัติที่แบ่งปัน" in sheets
    rows = evidence_rows(content)
    titles = [r[3] for r in rows]
    assert "สื่อการสอนด้วย AI" in titles and "วางแผนภาคเรียน" in titles and "กิจกรรมของโรงเรียนอื่น" not in titles
    received = next(r for r in rows if r[5] == "ทรัพยากรที่ได้รับ")
    assert received[0].startswith("มาตรฐานที่ 2") and received[1] == "D · ดำเนินการ" and "10" in received[4]
    activity = next(r for r in rows if r[3] == "สื่อการสอนด้วย AI")
    assert activity[0].startswith("มาตรฐานที่ 3") and activity[2] == "20/11/2569"
    meeting = next(r for r in rows if r[3] == "วางแผนภาคเรียน")
    assert meeting[1] == "P · วางแผน" and "1 คน" in meeting[4]
    plc = next(r for r in rows if r[3] == "การอ่านจับใจความ ป.4")  # the PLC step "plan" → standard 3, Plan
    assert plc[0].startswith("มาตรฐานที่ 3") and plc[1] == "P · วางแผน" and "ผู้เข้าร่วม 1 คน" in plc[4]
    order = [(r[0][:12], "PDCA".index(r[1][0])) for r in rows]
    assert order == sorted(order)  # standard 1, 2, 3; Plan, Do, Check, Act within each
    assert load_workbook(io.BytesIO(content))["สรุป"]._charts
    # The coordinator maps meetings to standard 1, Check: the next pack follows
    changed = await client.post("/dashboard/n/1/sar/mapping", data={"csrf": csrf_of(page), "meeting": "1:C"})
    assert changed.status == 200 and "บันทึกการจับคู่แล้ว" in await changed.text()
    again = evidence_rows(await (await client.get(f"/dashboard/n/1/sar/{school.group(1)}.xlsx")).read())
    meeting = next(r for r in again if r[3] == "วางแผนภาคเรียน")
    assert meeting[0].startswith("มาตรฐานที่ 1") and meeting[1] == "C · ตรวจสอบ"
    assert again.index(meeting) < again.index(next(r for r in again if r[3] == "สื่อการสอนด้วย AI"))


async def test_a_teacher_downloads_only_their_own_school_s_pack(web_bot: Site) -> None:
    bot, client = web_bot
    await school_year(bot)
    page = await sign_in(client, link_in(await bot("bob@dm: /dashboard")))
    sar = await (await client.get("/dashboard/n/1/sar")).text()
    assert "โรงเรียนบ้านหนองบัว" in sar and "โรงเรียนวัดป่า" not in sar and "<select" not in sar
    ids = dict((name, number) for number, name in re.findall(r'data-school="(\d+)">\s*<td>([^<]+)', sar))
    own = await client.get(f"/dashboard/n/1/sar/{ids['โรงเรียนบ้านหนองบัว']}.xlsx")
    assert own.status == 200 and own.content_type.endswith("sheet")
    for other in ("1", "2", "3", "4"):
        if other == ids["โรงเรียนบ้านหนองบัว"]:
            continue
        refused = await client.get(f"/dashboard/n/1/sar/{other}.xlsx")
        assert refused.status == 200 and "เฉพาะของหน่วยงานของท่าน" in await refused.text()
    forged = await client.post("/dashboard/n/1/sar/mapping", data={"csrf": csrf_of(page), "meeting": "1:C"})
    assert forged.status == 403


async def test_the_sar_pack_from_the_chat_and_the_cli(sqlite_url: str, tmp_path: Path) -> None:
    from handlers.reports import run_cli_report

    bot, app = await make_conversation(sqlite_url, "line")
    try:
        await school_year(bot)
        shown = capture(bot)
        out = await bot("alice@dm: /export sar หนองบัว 2569")
        assert "หลักฐานประกอบ SAR ของ โรงเรียนบ้านหนองบัว ปีการศึกษา 2569" in out
        (document,) = documents(shown)
        assert "สื่อการสอนด้วย AI" in str(evidence_rows(document.content))
        assert "ต้องการของโรงเรียนใด" in await bot("alice@dm: /export sar")  # alice has no organisation
        settings = app.settings
    finally:
        await app.close()
    target = tmp_path / "sar.xlsx"
    assert await run_cli_report(settings, "sar", network_id=None, out=str(target), lang=None, year=2569, term=None,
                                number=None, school="โรงเรียนบ้านหนองบัว") == 0
    rows = evidence_rows(target.read_bytes())
    assert any(r[3] == "สื่อการสอนด้วย AI" and r[2] == "20/11/2569" for r in rows)
    meetings = tmp_path / "meetings.xlsx"
    assert await run_cli_report(settings, "meetings", network_id=None, out=str(meetings), lang=None, year=2569,
                                term=None, number=None, school=None) == 0
    assert read_xlsx(meetings.read_bytes())["การประชุม"][1][1] == "23/11/2569"


async def test_the_overview_shows_goals_resources_and_meetings(web_bot: Site) -> None:
    bot, client = web_bot
    await needs_and_pledges(bot)
    await bot('alice@dm: /setgoal ด้านบุคลากร "ครูได้รับการพัฒนา" กิจกรรม อบรม 24')
    await bot(*MEETING)
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    page = await (await client.get("/dashboard/n/1")).text()
    assert "1. ครูได้รับการพัฒนา" in page and "0 จาก 24" in page.replace("\u00a0", " ")
    channel = re.search(r'data-by="resource_type">(.*?)</section>', page, re.S)
    assert channel and "วัสดุอุปกรณ์" in channel.group(1)
    figures = re.sub(r"<[^>]+>", " ", channel.group(1).split("</thead>")[1])  # each figure with its label
    assert re.search(r"วัสดุอุปกรณ์\s+2\s+1\b", figures), figures
    sector = re.search(r'data-by="source_sector">(.*?)</section>', page, re.S)
    assert sector and "ภาคเอกชน" in sector.group(1) and "ชุมชน" in sector.group(1)
    assert "#1 วางแผนภาคเรียน" in page and "23 พ.ย. 2569 14:00" in page
    assert "อัตราการตอบแบบสำรวจ" not in page  # no survey this year: no empty panel


async def test_the_sar_pack_shows_each_survey_with_the_school_s_own_response_rate(bot: Conversation) -> None:
    """Six parents of Bob's school and one of another: five of the school and the other school's one answer
    an anonymous survey. Bob's pack shows his school's rate (five of six; its voter keys checked for the
    school's members only), the other school's pack hides its one answer (under five), and both show what
    /results shows of each school."""
    from tests.test_surveys import SURVEY_SCRIPT

    await bot.setup_network("alice", "parents")
    parents = ["noi", "dao", "mali", "ploy", "som", "pim"]
    for user in [*parents, "kan"]:
        await bot.add_member(user, "parent")
    for user in parents:
        await bot(f"{user}@dm: /org โรงเรียนบ้านหนองบัว")
    await bot("kan@dm: /org โรงเรียนวัดป่า")
    await bot(*SURVEY_SCRIPT[:-1], "alice@dm: [All organisations]", SURVEY_SCRIPT[-1], "alice@dm: [Anonymous]",
              "alice@dm: 28/11/2569 18:00")
    assert "เผยแพร่แบบสำรวจหมายเลข 1" in await bot("alice@dm: [Publish]")
    for user in [*parents[:5], "kan"]:
        await bot(f"{user}@dm: [Answer]", f"{user}@dm: [มาก]", f"{user}@dm: [วันเสาร์]", f"{user}@dm: [Skip]")
    results = await bot("alice@dm: /results 1")
    assert "โรงเรียนบ้านหนองบัว" in results and "5/6" in results, results

    def survey_rows(content: bytes) -> list[list[object]]:
        sheet = read_xlsx(content)["แบบสำรวจผู้มีส่วนได้ส่วนเสีย"]
        assert sheet[0][6] == "อัตราการตอบของโรงเรียน"
        return sheet[1:]

    shown = capture(bot)
    await bot("alice@dm: /export sar หนองบัว 2569", "alice@dm: /export sar วัดป่า 2569")
    ours, theirs = (survey_rows(d.content) for d in documents(shown))
    assert [r[3] for r in ours] == ["1. ท่านพึงพอใจการสื่อสารของโรงเรียนเพียงใด", "2. วันที่สะดวกประชุม",
                                    "3. สิ่งที่อยากให้โรงเรียนพัฒนา"]
    assert {r[6] for r in ours} == {0.83}  # round(100 * 5 / 6) %, as /results rounds it
    assert ours[0][4] == 6 and "มาก" in str(ours[0][5])  # six answers in all, kan's among them
    assert [r[3] for r in theirs] == [r[3] for r in ours] and {r[6] for r in theirs} == {None}  # 1 answer: hidden
