"""Closed means closed (issue 13, behaviour 5): closed polls and cancelled meetings show their final
state without action buttons, a cancelled meeting's calendar file is a cancellation, and a calendar
file for a member the bot cannot reach privately is never posted into the group."""

from __future__ import annotations

from icalendar import Calendar

from bot.model import Document
from bot.payload import encode
from tests.support.activities import send
from tests.support.conversation import Conversation

MEETING = ["alice@teachers: /meeting วางแผนภาคเรียน", "alice@teachers: 23/11/2569 14:00", "alice@teachers: [1.5 ชั่วโมง]",
           "alice@teachers: ห้องประชุม 3", "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [ทุกกลุ่ม]",
           "alice@teachers: [สร้าง]"]


def capture_documents(bot: Conversation) -> list[tuple[str, Document]]:
    shown: list[tuple[str, Document]] = []
    original = bot.console.show

    def capture(chat_name: str, reply):  # type: ignore[no-untyped-def]
        if isinstance(reply, Document):
            shown.append((chat_name, reply))
        original(chat_name, reply)

    bot.console.show = capture  # type: ignore[method-assign]
    return shown


async def test_a_closed_polls_card_says_closed_and_has_no_vote_buttons(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ภูเขา | ปิด 22/11/2569 12:00', "pim@parents: [Register]",
              "pim@parents: [ทะเล]")
    out = await bot("alice@parents: /closesurvey 1")
    card = out[out.index("bot@parents → 📊 ไปไหนดี"):]
    card = card[:card.index("\nbot@")]
    assert "สถานะ: ปิดแล้ว" in card and "เปิดรับถึง" not in card
    assert "[ทะเล]" not in card and "[ภูเขา]" not in card
    assert "ผลสำรวจ: ไปไหนดี" in out


async def test_a_cancelled_meetings_calendar_file_is_a_cancellation(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot(*MEETING)
    documents = capture_documents(bot)
    await bot("bob@dm: /meetings", "bob@dm: [1]", "bob@dm: [ไฟล์ปฏิทิน]")
    published = Calendar.from_ical(documents[-1][1].content)
    assert str(published["METHOD"]) == "PUBLISH"
    await bot("alice@dm: /meetings", "alice@dm: [1]", "alice@dm: [ยกเลิกประชุม]", "alice@dm: [ยืนยันยกเลิก]")
    outcome = await send(bot, "bob", payload=encode("ics", 1))  # the old card's button
    (document,) = [r for r in outcome.replies if isinstance(r, Document)]
    cancellation = Calendar.from_ical(document.content)
    event = cancellation.walk("VEVENT")[0]
    assert str(cancellation["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(published.walk("VEVENT")[0]["SEQUENCE"])


async def test_a_calendar_file_is_never_posted_into_the_group(bot: Conversation) -> None:
    await bot.setup_network()
    await bot(*MEETING)
    await bot("pim@teachers: [Register]")  # registered in the group only: no private chat with the bot
    documents = capture_documents(bot)
    out = await bot("pim@teachers: [ไฟล์ปฏิทิน]")
    assert documents == [] and "เปิดแชตส่วนตัว" in out
