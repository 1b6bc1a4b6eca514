"""The survey, meeting, member-management and SAR pages in a real browser (Chromium via Playwright, as
tests/test_dashboard_browser.py): remove and invite again by clicking, the SAR pack downloaded and read
back, and screenshots of every new or changed page at phone width (390 px) and on a desktop, none of
which scrolls sideways. ``EDUNET_SCREENSHOTS=DIR`` keeps the PNGs."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.support.conversation import Conversation
from tests.test_dashboard_browser import shots_dir, signed_in_page, site  # noqa: F401  (site is a fixture)
from tests.test_surveys import anonymous_survey_with_answers

pytestmark = pytest.mark.slow

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PAGES = (("overview", ""), ("surveys", "/surveys"), ("survey", "/surveys/1"), ("meetings", "/meetings"),
         ("meeting", "/meetings/1"), ("members", "/members"), ("sar", "/sar"))


async def a_term_of_work(bot: Conversation) -> None:
    """An anonymous survey with five answers, a teacher's school with an activity and a need, a meeting
    with its minutes, a removed member."""
    await anonymous_survey_with_answers(bot)  # network with the "parents" group; alice coordinates
    await bot.add_member("bob", "teacher")
    await bot.add_member("cara", "teacher")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัวทองพัฒนาวิทยาคาร")
    await bot('bob@dm: /log อบรม 20/11/2569 "การใช้สื่อปัญญาประดิษฐ์ในห้องเรียนวิทยาศาสตร์ระดับประถมศึกษา" 35 คน 3 ชม.')
    await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ตสำหรับชั้นประถมศึกษาปีที่ 6 ห้อง 1 และ 2",
              "bob@dm: 40 เครื่อง", "bob@dm: 15/1/2570", "bob@dm: [Post]")
    await bot("alice@parents: /meeting ประชุมวางแผนการพัฒนาคุณภาพการศึกษาภาคเรียนที่ 2 ปีการศึกษา 2569",
              "alice@parents: 23/11/2569 14:00", "alice@parents: [1.5 ชั่วโมง]",
              "alice@parents: ห้องประชุม 3 โรงเรียนบ้านหนองบัวทองพัฒนาวิทยาคาร", "alice@parents: งบประมาณ; กีฬาสี")
    await bot("alice@parents: [กลุ่มนี้]", "alice@parents: [สร้าง]", "bob@parents: [ไป]")
    await bot(":clock 2026-11-23 13:40", "bob@parents: [มาแล้ว]", ":clock 2026-11-23 16:00")
    await bot("alice@dm: /minutes 1", "alice@dm: จัดอบรมครูเรื่องสื่อ AI ให้ครบทุกโรงเรียนภายในเดือนมกราคม; ใช้งบกลาง",
              "alice@dm: [ข้าม]", "alice@dm: [บันทึก]")
    await bot.add_member("pat", "partner")
    await bot("pat@dm: /pledge 1", "pat@dm: 10 เครื่อง", "pat@dm: [private sector]", "pat@dm: [Today]",
              "pat@dm: [Confirm pledge]")
    if "ข้าม" in await bot("bob@dm: /pledges", "bob@dm: [#1]", "bob@dm: [Mark delivered]"):
        await bot("bob@dm: [Skip]")
    await bot('alice@dm: /setgoal ด้านบุคลากร "ครูได้รับการพัฒนาด้านการใช้สื่อดิจิทัลในการจัดการเรียนรู้" '
              'กิจกรรม อบรม 24; รับมอบ 200,000 บาท')
    await bot("alice@parents: /meeting ประชุมติดตามผลการดำเนินงานเครือข่าย", "alice@parents: 30/11/2569 09:00",
              "alice@parents: [1 ชั่วโมง]", "alice@parents: ออนไลน์", "alice@parents: [ไม่มีวาระ]",
              "alice@parents: [กลุ่มนี้]", "alice@parents: [สร้าง]")


async def no_sideways_scroll(page: Any, width: int) -> None:
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px"


async def test_remove_and_invite_again_by_clicking(site: tuple[Conversation, str, Any], tmp_path: Path) -> None:
    bot, base, browser = site
    await a_term_of_work(bot)
    page = await signed_in_page(bot, base, browser, viewport=PHONE, is_mobile=True, has_touch=True)
    await page.goto(f"{base}/dashboard/n/1/members")
    cara = page.locator('tr[data-member]', has_text="Cara")
    await cara.get_by_role("button", name="ลบออก").click()
    await page.wait_for_url(re.compile(r"removed=\d+"))
    assert "ออกจากเครือข่ายแล้ว" in await page.content()
    await page.locator("tr[data-removed]", has_text="Cara").get_by_role("button", name="เชิญใหม่").click()
    code = await page.locator(".code strong").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    await page.screenshot(path=str(shots_dir(tmp_path) / "phone-invite.png"), full_page=True)
    await no_sideways_scroll(page, PHONE["width"])
    assert code not in bot.transcript


async def test_download_the_sar_pack_and_read_it_back(site: tuple[Conversation, str, Any]) -> None:
    bot, base, browser = site
    await a_term_of_work(bot)
    page = await signed_in_page(bot, base, browser, user="bob")  # a teacher, for his own school
    await page.goto(f"{base}/dashboard/n/1/sar")
    async with page.expect_download() as waiting:
        await page.get_by_role("link", name="ดาวน์โหลด (XLSX)").first.click()
    download = await waiting.value
    book = load_workbook(io.BytesIO(Path(await download.path()).read_bytes()))
    rows = [list(r) for r in book["หลักฐานตามลำดับรายงาน"].iter_rows(values_only=True)]
    assert rows[0][:2] == ["มาตรฐาน SAR", "ขั้นตอน PDCA"]
    activity = next(r for r in rows if str(r[3]).startswith("การใช้สื่อปัญญาประดิษฐ์"))
    assert activity[2] == "20/11/2569" and activity[0].startswith("มาตรฐานที่ 3")
    assert book["หลักฐานตามลำดับรายงาน"].freeze_panes == "A2"


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_screenshots_of_every_new_page(site: tuple[Conversation, str, Any], tmp_path: Path, size: str) -> None:
    bot, base, browser = site
    await a_term_of_work(bot)
    viewport = PHONE if size == "phone" else DESKTOP
    extra: dict[str, Any] = {"is_mobile": True, "has_touch": True} if size == "phone" else {}
    page = await signed_in_page(bot, base, browser, viewport=viewport, device_scale_factor=1, **extra)
    folder = shots_dir(tmp_path)
    for name, path in PAGES:
        response = await page.goto(f"{base}/dashboard/n/1{path}")
        assert response is not None and response.status == 200, name
        await page.wait_for_load_state("networkidle")
        await page.screenshot(path=str(folder / f"{size}-{name}.png"), full_page=True)
        await no_sideways_scroll(page, viewport["width"])
