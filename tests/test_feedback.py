"""What people are told (issue 13, behaviour 8): the school hears of deliveries toward its need,
the pledge's confirm button is not labelled like the start button, pledging more than the need
lacks is warned before confirming, a poll voter registered by the tap hears that the vote
counted, and /deliveries shows a group that removed the bot as unreachable."""

from __future__ import annotations

import re

from tests.test_resources import network_with_people, post_tablets_need
from tests.support.conversation import Conversation


async def test_the_confirm_button_is_not_the_start_button_and_over_pledging_is_warned(bot: Conversation) -> None:
    await network_with_people(bot)
    await post_tablets_need(bot)
    out = await bot("pat@dm: /pledge 1", "pat@dm: 30", "pat@dm: [private sector]", "pat@dm: [Today]")
    assert "[ยืนยันการสนับสนุน] [ยกเลิก]" in out and "[ร่วมสนับสนุน]" not in out
    assert "มากกว่าที่ยังขาดอยู่" not in out
    await bot("pat@dm: [Confirm pledge]")
    out = await bot("pim@dm: /pledge 1", "pim@dm: 15", "pim@dm: [individual/parent]", "pim@dm: [Today]")
    assert "⚠️ จำนวนนี้มากกว่าที่ยังขาดอยู่ (ขาด 10 เครื่อง จาก 40 เครื่อง)" in out
    assert "บันทึกการแจ้งความประสงค์สนับสนุน #2 แล้ว" in await bot("pim@dm: [Confirm pledge]")  # a warning, not a refusal


async def test_the_school_is_told_of_a_delivery_and_of_its_need_being_fulfilled(bot: Conversation) -> None:
    await network_with_people(bot)
    await post_tablets_need(bot)
    await bot("pat@dm: /pledge 1", "pat@dm: 40", "pat@dm: [private sector]", "pat@dm: [Today]",
              "pat@dm: [Confirm pledge]")
    # A coordinator confirms the delivery: the teacher who posted the need hears of it privately.
    out = await bot("alice@dm: /pledges", "alice@dm: [#1]", "alice@dm: [Mark delivered]", "alice@dm: [Skip]")
    assert "bot@dm:bob → มีการส่งมอบสำหรับความต้องการ #1 แท็บเล็ตสำหรับชั้น ป.6 ของคุณ: 40 เครื่อง" in out
    assert "ความต้องการ #1 ได้รับครบแล้ว" in out.split("bot@dm:bob →", 1)[1]


async def test_a_poll_voter_who_registers_under_the_notice_hears_that_the_vote_counted(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ภูเขา')
    out = await bot("noi@parents: [ทะเล]")  # not registered yet: the privacy notice first (PDPA), no vote
    assert "ประกาศเรื่องข้อมูลส่วนบุคคล" in out and "บันทึกคำตอบ" not in out
    assert "จำนวนผู้โหวต: 0" in await bot("alice@parents: /results 1")
    assert "Noi ลงทะเบียนเป็นผู้ปกครอง" in await bot("noi@parents: [Register]")
    assert "บันทึกการโหวตแล้ว: ทะเล" in await bot("noi@parents: [ทะเล]")  # her toast says it counted
    assert "จำนวนผู้โหวต: 1" in await bot("alice@parents: /results 1")


async def test_deliveries_shows_a_group_that_removed_the_bot(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@parents: /linkgroup")
    await bot(":kick parents")  # nothing was ever pushed there
    out = await bot("alice@dm: /deliveries")
    line = next(text for text in out.splitlines() if "parents" in text)
    assert "(บอตส่งถึงกลุ่มนี้ไม่ได้)" in line
    assert "(บอตส่งถึงกลุ่มนี้ไม่ได้)" not in next(text for text in out.splitlines() if "teachers" in text)


def example_in(out: str, after: str = "เช่น") -> str:
    """The date (and time) a prompt offers as its example: what follows ``after``."""
    match = re.search(after + r" (\d{1,2}/\d{1,2}/\d{4}(?: \d{1,2}:\d{2})?)", out)
    assert match, out
    return match.group(1)


async def test_prompt_examples_are_dates_to_come_whatever_the_day(bot: Conversation) -> None:
    await network_with_people(bot)
    await bot(":clock 2027-03-01 09:00")  # months after any date written into a prompt
    out = await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: แท็บเล็ต", "bob@dm: 40 เครื่อง")
    example = example_in(out)
    assert "ต้องการภายใน" in await bot(f"bob@dm: {example}")  # the example is accepted as it stands
    await bot("bob@dm: [Post]")
    out = await bot("pat@dm: /pledge 1", "pat@dm: 10", "pat@dm: [private sector]")
    assert "กำหนดส่งมอบ" in await bot(f"pat@dm: {example_in(out)}")
    await bot("pat@dm: [Cancel]")
    out = await bot("alice@teachers: /meeting ประชุมครู")
    assert "ประชุมนานเท่าไร" in await bot(f"alice@teachers: {example_in(out)}")
    out = await bot("alice@teachers: /cancel", 'alice@teachers: /poll "ไปไหนดี" ทะเล')
    assert "📊" in await bot(f'alice@teachers: /poll "ไปไหนดี" ทะเล | ภูเขา | ปิด {example_in(out, "ปิด")}')
