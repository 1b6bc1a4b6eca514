"""The web view's survey, meeting and member-management pages (issue 16), told as a coordinator and a
teacher would use them after the chat has done its part: the same figures and rules as /results,
/meetings, /remove and /invite."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from tests.support.conversation import Conversation
from tests.test_dashboard import csrf_of, link_in, sign_in, web_bot  # noqa: F401  (web_bot is a fixture)
from tests.test_surveys import anonymous_survey_with_answers, create_survey

Site = tuple[Conversation, TestClient]

MEETING = ["alice@teachers: /meeting วางแผนภาคเรียน", "alice@teachers: 23/11/2569 14:00", "alice@teachers: [1.5 ชั่วโมง]",
           "alice@teachers: ห้องประชุม 3 โรงเรียนบ้านหนองบัว", "alice@teachers: งบประมาณ; กีฬาสี",
           "alice@teachers: [ทุกกลุ่ม]", "alice@teachers: [สร้าง]"]


async def test_an_anonymous_survey_shows_what_results_shows_and_hides_small_answers(web_bot: Site) -> None:
    bot, client = web_bot
    await anonymous_survey_with_answers(bot)
    chat = await bot("alice@dm: /results 1")
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    listing = await (await client.get("/dashboard/n/1/surveys")).text()
    assert "ความพึงพอใจของผู้ปกครอง 2569" in listing and "ไม่ระบุชื่อ" in listing
    page = await (await client.get("/dashboard/n/1/surveys/1")).text()
    # The rating question: 5 answers, so shown with the same mean as in the chat
    mean = re.search(r"ค่าเฉลี่ย (\d\.\d\d)", chat)
    assert mean and f"ค่าเฉลี่ย {mean.group(1)}" in page
    # The choice question has 4 answers and the free text 2: hidden, as in /results; no text shows
    assert page.count("ซ่อนไว้ (ผู้ตอบน้อยกว่า 5 คน)") >= 2
    from tests.test_surveys import SECRETS

    assert not any(secret in page for secret in SECRETS.values())
    assert "วันเสาร์" not in page  # a choice count under five would point at someone
    # No respondent's name appears anywhere on the survey's pages
    for name in ("Noi", "Dao", "Mali", "Pim", "Ploy"):
        assert name not in page
    chart = await client.get("/dashboard/n/1/surveys/1/charts/1.png")
    assert chart.status == 200 and (await chart.read()).startswith(b"\x89PNG")
    assert (await client.get("/dashboard/n/1/surveys/1/charts/9.png")).status == 404


async def test_an_anonymous_survey_under_five_answers_shows_no_figures(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network("alice", "parents")
    await create_survey(bot, anonymous=True)
    await bot("pim@parents: [Register]", "pim@parents: [มากที่สุด]")
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    page = await (await client.get("/dashboard/n/1/surveys/1")).text()
    assert "ซ่อนผลคำตอบ" in page and "มากที่สุด: 1" not in page
    assert (await client.get("/dashboard/n/1/surveys/1/charts/1.png")).status == 404


async def test_a_named_survey_shows_counts_and_teachers_cannot_open_surveys(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network("alice", "parents")
    await bot.add_member("bob", "teacher")
    await create_survey(bot)
    await bot("pim@parents: [Register]", "pim@parents: [มาก]", "pim@parents: [วันเสาร์]")
    await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    page = await (await client.get("/dashboard/n/1/surveys/1")).text()
    assert "วันเสาร์: 1 (100%)" in page and "มาก: 1 (100%)" in page
    assert "ภาพรวม" in page  # inside the site's frame
    overview = await (await client.get("/dashboard/n/1")).text()
    rates = re.search(r'<section class="card surveys">(.*?)</section>', overview, re.S)
    assert rates and "ความพึงพอใจของผู้ปกครอง 2569" in rates.group(1) and "1/1 (100%)" in rates.group(1)
    await client.post("/dashboard/logout", data={"csrf": csrf_of(page)})
    await sign_in(client, link_in(await bot("bob@dm: /dashboard")))
    refused = await client.get("/dashboard/n/1/surveys/1")
    assert refused.status == 403 and "วันเสาร์" not in await refused.text()


async def test_meetings_show_rsvp_attendance_and_minutes(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot(*MEETING)
    await bot("bob@teachers: [ไป]")
    await sign_in(client, link_in(await bot("bob@dm: /dashboard")))  # a teacher reads the meetings too
    page = await (await client.get("/dashboard/n/1/meetings")).text()
    assert "วางแผนภาคเรียน" in page and "ไป 1 · อาจจะไป 0 · ไม่ไป 0" in page and "23 พ.ย. 2569 14:00" in page
    await bot(":clock 2026-11-23 13:40", "bob@teachers: [มาแล้ว]")
    await bot(":clock 2026-11-23 16:00")
    await bot("alice@dm: /minutes 1", "alice@dm: จัดอบรมครูเรื่องสื่อ AI; ใช้งบกลางไม่เกิน 20,000 บาท",
              "alice@dm: [ข้าม]", "alice@dm: [บันทึก]")
    await sign_in(client, link_in(await bot("bob@dm: /dashboard")))  # the first session ended while idle
    page = await (await client.get("/dashboard/n/1/meetings")).text()
    assert "การประชุมที่จัดแล้ว" in page
    held = re.search(r'<tr data-meeting="1">(.*?)</tr>', page, re.S)
    assert held and "1/0/0" in held.group(1) and "<td data-label=\"มาประชุม\">1</td>" in held.group(1)
    one = await (await client.get("/dashboard/n/1/meetings/1")).text()
    assert "จัดอบรมครูเรื่องสื่อ AI" in one and "มาประชุม: 1" in one
    assert (await client.get("/dashboard/n/1/meetings/7")).status == 200  # "not found" page, not an error


async def test_the_coordinator_removes_and_invites_again_with_csrf(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    page = await sign_in(client, link_in(await bot("alice@dm: /dashboard")))
    forged = await client.post("/dashboard/n/1/members/2/remove", data={})
    assert forged.status == 403
    assert "Bob" in await bot("alice@dm: /members")
    # The last coordinator (herself) has no remove button; a forged post is refused by the same rule
    members = await (await client.get("/dashboard/n/1/members")).text()
    assert 'action="/dashboard/n/1/members/1/remove"' not in members
    assert 'action="/dashboard/n/1/members/2/remove"' in members
    removed = await client.post("/dashboard/n/1/members/2/remove", data={"csrf": csrf_of(page)})
    assert removed.status == 200 and "ลบสมาชิกหมายเลข 2 ออกจากเครือข่ายแล้ว" in await removed.text()
    assert "Bob" not in (await bot("alice@dm: /members")).split("ถูกลบ")[0]
    # Blocked, as after /remove: registering from a group is refused
    assert "ถูกลบออกจาก" in await bot("bob@teachers: /register")
    shown = await client.post("/dashboard/n/1/members/2/invite", data={"csrf": csrf_of(page), "role": "teacher"})
    text = await shown.text()
    code = re.search(r"<strong>([A-Z0-9]{4}-[A-Z0-9]{4})</strong>", text)
    assert shown.status == 200 and code and "ใช้ได้ 1 ครั้ง" in text
    assert shown.headers["Cache-Control"] == "no-store"
    assert code.group(1) not in bot.transcript  # shown on the page only, never in a chat
    await bot(f"bob@dm: /join {code.group(1)}", "bob@dm: [ยินยอมและลงทะเบียน]")
    assert "Bob (ครู)" in await bot("alice@dm: /members")


async def test_a_teacher_cannot_remove_or_invite(web_bot: Site) -> None:
    bot, client = web_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot.add_member("cara", "teacher")
    page = await sign_in(client, link_in(await bot("bob@dm: /dashboard")))
    assert "/remove" not in await (await client.get("/dashboard/n/1/members")).text()
    response = await client.post("/dashboard/n/1/members/3/remove", data={"csrf": csrf_of(page)})
    assert response.status == 403
    assert "Cara" in await bot("alice@dm: /members")
