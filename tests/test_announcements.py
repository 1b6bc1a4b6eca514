"""Announcements (preview, confirm, audience, report) and /deliveries with dead letters."""

from __future__ import annotations

from bot.model import ChatKind, ChatRef, Event, EventKind, Sender
from bot.outbox import DeliveryError
from storage.delivery_stats import DeliveryStatsRepo
from storage.membership import ChatRepo
from tests.support.conversation import Conversation

PNG = b"\x89PNG\r\n\x1a\n" + b"1" * 64


class FlakyConsoleSender:
    """The console's sender, except for chats told to fail."""

    def __init__(self, inner, failing: dict[str, DeliveryError]) -> None:  # type: ignore[no-untyped-def]
        self.inner = inner
        self.failing = failing

    async def send(self, chat, replies, *, retry_key):  # type: ignore[no-untyped-def]
        if chat.platform_chat_id in self.failing:
            raise self.failing[chat.platform_chat_id]
        await self.inner.send(chat, replies, retry_key=retry_key)


async def network_with_groups(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@parents: /linkgroup")


def label(bot: Conversation) -> str:
    return "LINE" if bot.console.platform == "line" else "Telegram"


async def test_an_announcement_is_previewed_confirmed_and_sent_once_to_every_group(bot: Conversation) -> None:
    await network_with_groups(bot)
    assert "กรุณาส่งข้อความมา" in await bot("alice@dm: /announce")
    assert "แนบภาพ" in await bot("alice@dm: พรุ่งนี้หยุดเรียนเนื่องจากน้ำท่วม")
    out = await bot("alice@dm: [ไม่มีภาพ]")
    assert "ส่งถึงใคร" in out
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    assert "ตรวจสอบก่อนส่ง:" in out and "📢 ประกาศจากเครือข่าย “เครือข่ายทดสอบ”" in out
    assert f"จะส่งถึง 2 กลุ่ม: teachers [{label(bot)}] และ parents [{label(bot)}]" in out
    assert "bot@teachers" not in out  # nothing goes out before the confirmation
    out = await bot("alice@dm: [ส่ง]")
    assert "กำลังส่งประกาศ #1 ถึง 2 แชต" in out
    assert out.count("📢 ประกาศจากเครือข่าย “เครือข่ายทดสอบ”") == 2
    assert "bot@teachers → 📢" in out and "bot@parents → 📢" in out
    out = await bot("alice@dm: [ส่ง]")  # a double tap
    assert "📢" not in out
    out = await bot("alice@dm: [รายงานการส่ง]")
    assert "ส่งแล้ว 2 · รอส่ง 0 · ไม่สำเร็จ 0" in out
    assert f"• teachers [{label(bot)}]: ส่งแล้ว" in out and f"• parents [{label(bot)}]: ส่งแล้ว" in out


async def test_all_groups_means_both_platforms(line_bot: Conversation) -> None:
    bot = line_bot
    await bot.setup_network()
    await bot("alice@dm: /invite coordinator")
    code = bot.last_code()
    await bot(":platform telegram", f"somchai@dm: /join {code}", "somchai@dm: [Agree and register]", "somchai@staffroom: /linkgroup", ":platform line")
    await bot("alice@dm: /announce ปิดเทอม", "alice@dm: [ไม่มีภาพ]")
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    assert "จะส่งถึง 2 กลุ่ม: teachers [LINE] และ staffroom [Telegram]" in out
    out = await bot("alice@dm: [ส่ง]")
    assert "bot@teachers → 📢" in out and "bot@staffroom → 📢" in out


async def test_an_announcement_with_an_image_to_chosen_groups(line_bot: Conversation) -> None:
    bot = line_bot
    await network_with_groups(bot)
    await bot("alice@dm: /announce ประชุมผู้ปกครองวันศุกร์นี้")
    event = Event(platform="line", event_id="photo-1", chat=ChatRef("line", "alice", ChatKind.PRIVATE),
                  sender=Sender("alice", "Alice"), kind=EventKind.PHOTO, photo=PNG)
    before = len(bot.console.transcript)
    await bot.console._send_event(event, "dm:alice")  # the console has no photo directive
    assert "แนบภาพแล้ว" in "\n".join(bot.console.transcript[before:])
    await bot("alice@dm: [เลือกกลุ่ม]")
    out = await bot("alice@dm: [parents]")
    assert "✓ parents" in out
    out = await bot("alice@dm: [เสร็จแล้ว]")
    assert "จะส่งถึง 1 กลุ่ม: parents [LINE]" in out and "[image: ภาพประกอบประกาศ" in out
    out = await bot("alice@dm: [ส่ง]")
    assert "bot@parents → 📢" in out and "bot@parents → [image: ภาพประกอบประกาศ" in out
    assert "bot@teachers" not in out


async def test_an_announcement_by_role_goes_privately_and_counts_the_unreachable(bot: Conversation) -> None:
    await network_with_groups(bot)
    await bot.add_member("bob", "teacher")
    await bot.add_member("carol", "teacher")
    await bot.add_member("pim", "parent")
    async with bot.app.db.transaction() as conn:  # carol blocked the bot
        from storage.membership import MemberRepo

        await MemberRepo(conn).set_reachable_by_identity(bot.console.platform, "carol", False)
    await bot("alice@dm: /announce ส่งแผนการสอนภายในวันศุกร์", "alice@dm: [ไม่มีภาพ]", "alice@dm: [ตามบทบาท]")
    out = await bot("alice@dm: [ครู]")
    assert "จะส่งถึง สมาชิก 2 คน ทางแชตส่วนตัว" in out
    out = await bot("alice@dm: [ส่ง]")
    assert "bot@dm:bob → 📢" in out and "dm:pim" not in out and "dm:carol →" not in out
    assert "ส่งถึงสมาชิก 1 คนทางแชตส่วนตัวไม่ได้" in out
    assert "ข้อความส่วนตัว: ส่งแล้ว 1" in await bot("alice@dm: /announce report")


async def test_a_failing_group_reaches_dead_letter_and_is_reported(bot: Conversation) -> None:
    await network_with_groups(bot)
    senders = bot.console.dispatcher.senders
    platform = bot.console.platform
    senders[platform] = FlakyConsoleSender(senders[platform], {"group-parents": DeliveryError("502 Bad Gateway")})
    await bot("alice@dm: /announce ทดสอบ", "alice@dm: [ไม่มีภาพ]", "alice@dm: [ทุกกลุ่ม]")
    out = await bot("alice@dm: [ส่ง]")
    assert "bot@teachers → 📢" in out and "bot@parents" not in out
    out = await bot("alice@dm: /deliveries")
    assert f"• parents [{label(bot)}]: รอส่ง 1 · ไม่สำเร็จ 0" in out
    for _ in range(8):  # backoff 2 s, 4 s, 8 s ... until the last attempt
        await bot(":clock +10m")
    out = await bot("alice@dm: /deliveries")
    assert "ส่งไม่สำเร็จ 1" in out and "502 Bad Gateway" in out
    out = await bot("alice@dm: /announce report 1")
    assert "ส่งแล้ว 1 · รอส่ง 0 · ไม่สำเร็จ 1" in out and "parents" in out and "ส่งไม่สำเร็จ (502 Bad Gateway)" in out
    # Fixed: the coordinator retries the dead letters.
    senders[platform].failing.clear()
    out = await bot("alice@dm: /deliveries retry")
    assert "จะลองส่งข้อความที่ไม่สำเร็จใหม่ 1 รายการ" in out and "bot@parents → 📢" in out


async def test_a_group_that_removed_the_bot_is_stopped(bot: Conversation) -> None:
    await network_with_groups(bot)
    senders = bot.console.dispatcher.senders
    platform = bot.console.platform
    senders[platform] = FlakyConsoleSender(senders[platform], {
        "group-parents": DeliveryError("403 Forbidden: bot was kicked from the group chat", chat_gone=True)})
    await bot("alice@dm: /announce ทดสอบ", "alice@dm: [ไม่มีภาพ]", "alice@dm: [ทุกกลุ่ม]", "alice@dm: [ส่ง]")
    out = await bot("alice@dm: /deliveries")
    assert "(บอตส่งถึงกลุ่มนี้ไม่ได้)" in out and "chat gone" in out
    async with bot.app.db.transaction() as conn:
        chat = await ChatRepo(conn).by_platform_id(platform, "group-parents")
    assert chat is not None and not chat.active


async def test_only_coordinators_announce_and_only_in_private(bot: Conversation) -> None:
    await network_with_groups(bot)
    await bot.add_member("bob", "teacher")
    assert "ผู้ประสานงาน" in await bot("bob@dm: /announce hello")
    assert "แชตส่วนตัว" in await bot("alice@teachers: /announce hello")
    assert "ผู้ประสานงาน" in await bot("bob@dm: /deliveries")


async def test_the_report_waits_for_pending_pushes(bot: Conversation) -> None:
    await network_with_groups(bot)
    senders = bot.console.dispatcher.senders
    platform = bot.console.platform
    senders[platform] = FlakyConsoleSender(senders[platform], {
        "group-teachers": DeliveryError("429 Too Many Requests", retry_after=120)})
    await bot("alice@dm: /announce ทดสอบ", "alice@dm: [ไม่มีภาพ]", "alice@dm: [ทุกกลุ่ม]", "alice@dm: [ส่ง]")
    assert "ส่งแล้ว 1 · รอส่ง 1 · ไม่สำเร็จ 0" in await bot("alice@dm: /announce report")
    senders[platform].failing.clear()
    assert "bot@teachers → 📢" not in await bot(":clock +1m")  # retry_after is 2 minutes
    assert "bot@teachers → 📢" in await bot(":clock +1m")
    assert "ส่งแล้ว 2 · รอส่ง 0" in await bot("alice@dm: /announce report")


# ------------------------------------------------------------------ LINE cost estimate


async def set_line_group_size(bot: Conversation, title: str, members: int) -> None:
    """What the LINE adapter stores when it learns a group's member count."""
    async with bot.app.db.transaction() as conn:
        chat = await ChatRepo(conn).by_platform_id("line", f"group-{title}")  # the console's group ids
        assert chat is not None
        await DeliveryStatsRepo(conn, "line").set_group_size(chat.platform_chat_id, members, bot.clock.now())


async def test_the_preview_shows_the_estimated_line_message_count(line_bot: Conversation) -> None:
    bot = line_bot
    await network_with_groups(bot)
    await set_line_group_size(bot, "teachers", 12)
    await bot("alice@dm: /announce ประชุมผู้ปกครองวันศุกร์นี้", "alice@dm: [ไม่มีภาพ]")
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    # teachers: 12 members, parents: size not known yet (counted as 1); one push each.
    assert "ประมาณการค่าส่ง LINE: ใช้โควตาข้อความรายเดือนประมาณ 13 ข้อความ (ส่ง 2 ครั้ง" in out
    assert "ยังไม่ทราบจำนวนสมาชิกของกลุ่ม LINE 1 กลุ่ม" in out
    assert out.index("ประมาณการค่าส่ง LINE") < out.index("จะส่งถึง 2 กลุ่ม") < out.index("[ส่ง]")
    assert "bot@teachers" not in out  # still nothing sent before the confirmation


async def test_the_estimate_counts_only_the_chosen_groups_in_english(line_bot: Conversation) -> None:
    bot = line_bot
    await network_with_groups(bot)
    await set_line_group_size(bot, "teachers", 12)
    await set_line_group_size(bot, "parents", 30)
    await bot("alice@dm: /lang en", "alice@dm: /announce Sports day moved", "alice@dm: [No image]",
              "alice@dm: [Choose groups]", "alice@dm: [parents]")
    out = await bot("alice@dm: [Done]")
    assert "LINE cost estimate: about 30 message(s) from the monthly quota (1 push(es)" in out
    assert "not known yet" not in out


async def test_private_line_recipients_count_one_each(line_bot: Conversation) -> None:
    bot = line_bot
    await bot.setup_network()
    await bot.add_member("somchai", "teacher")
    await bot.add_member("malee", "teacher")
    await bot.add_member("pim", "parent")
    await bot("alice@dm: /announce ประชุมครู", "alice@dm: [ไม่มีภาพ]", "alice@dm: [ตามบทบาท]")
    out = await bot("alice@dm: [ครู]")
    assert "ประมาณ 2 ข้อความ (ส่ง 2 ครั้ง" in out


async def test_no_estimate_without_line_chats(bot: Conversation) -> None:
    await network_with_groups(bot)
    await bot("alice@dm: /announce ปิดเทอม", "alice@dm: [ไม่มีภาพ]")
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    assert ("ประมาณการค่าส่ง LINE" in out) == (bot.console.platform == "line")


async def test_mixed_platforms_estimate_only_the_line_groups(line_bot: Conversation) -> None:
    bot = line_bot
    await bot.setup_network()
    await bot("alice@dm: /invite coordinator")
    code = bot.last_code()
    await bot(":platform telegram", f"somchai@dm: /join {code}", "somchai@dm: [Agree and register]", "somchai@staffroom: /linkgroup", ":platform line")
    await set_line_group_size(bot, "teachers", 7)
    await bot("alice@dm: /announce ปิดเทอม", "alice@dm: [ไม่มีภาพ]")
    out = await bot("alice@dm: [ทุกกลุ่ม]")
    assert "ประมาณ 7 ข้อความ (ส่ง 1 ครั้ง" in out
