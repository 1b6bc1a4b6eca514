"""Free delivery first, as conversations (console driver): on a billed platform what is waiting for
a chat rides on the reply to its next event; /news asks for it; Telegram pushes at once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from storage.tables import outbox
from tests.support.conversation import Conversation, make_conversation


@pytest.fixture
async def billed_bot(sqlite_url: str) -> AsyncIterator[Conversation]:
    conversation, app = await make_conversation(sqlite_url, "line", billed_platforms=frozenset({"line"}))
    yield conversation
    await app.close()


async def delivered(bot: Conversation, prefix: str) -> list[tuple[str, str | None]]:
    async with bot.app.db.transaction() as conn:
        return [tuple(r) for r in (await conn.execute(
            sa.select(outbox.c.status, outbox.c.via).where(outbox.c.key.startswith(prefix))
            .order_by(outbox.c.id))).all()]


async def announce_free(bot: Conversation, text: str) -> None:
    await bot("alice@dm: /announce", f"alice@dm: {text}", "alice@dm: [ไม่มีภาพ]", "alice@dm: [ทุกกลุ่ม]")
    await bot("alice@dm: [1]")  # the first choice: deliver free as groups talk


async def test_a_group_message_carries_what_waits_once_per_interval(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await announce_free(bot, "ประชุมผู้ปกครองวันศุกร์")
    out = await bot("pim@teachers: สวัสดีค่ะ")  # any member's message is a free chance
    assert "bot@teachers → 📢 ประกาศจากเครือข่าย “เครือข่ายทดสอบ”" in out and "ประชุมผู้ปกครองวันศุกร์" in out
    assert await delivered(bot, "announce:1:") == [("sent", "reply")]
    await announce_free(bot, "งดเรียนวันจันทร์")
    assert "📢" not in await bot("pim@teachers: ขอบคุณค่ะ")  # within 30 minutes of the last catch-up
    assert "📢" not in await bot(":redeliver")  # a redelivered event carries nothing
    await bot(":clock +30m")
    assert "งดเรียนวันจันทร์" in await bot("noi@teachers: รับทราบค่ะ")
    assert await delivered(bot, "announce:2:") == [("sent", "reply")]


async def test_a_members_private_notifications_ride_on_their_next_private_message(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot.add_member("bob", "parent")
    await bot("alice@dm: /members")
    out = await bot("alice@dm: /role 2 teacher")
    assert "bot@dm:bob" not in out  # a digest: it waits for bob's next message
    out = await bot("bob@dm: /me")
    assert "bot@dm:bob → บทบาทของคุณในเครือข่าย “เครือข่ายทดสอบ” ตอนนี้คือ: ครู" in out
    assert await delivered(bot, "member:2:role:") == [("sent", "reply")]


async def test_news_delivers_what_waits_whatever_the_interval(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await bot.add_member("bob", "parent")
    assert "ยังไม่มีข่าวใหม่ที่รอส่งถึงคุณ" in await bot("bob@dm: ข่าวล่าสุด")
    await bot("alice@dm: /role 2 teacher")
    out = await bot("bob@dm: ข่าวล่าสุด")
    assert "ข่าวล่าสุด (รอส่ง 1 รายการ):" in out and "บทบาทของคุณใน" in out
    assert "ยังไม่มีข่าวใหม่ที่รอส่งถึงคุณ" in await bot("bob@dm: /news")


async def test_telegram_pushes_at_once_and_news_has_nothing_waiting(sqlite_url: str) -> None:
    bot, app = await make_conversation(sqlite_url, "telegram", billed_platforms=frozenset({"line"}))
    try:
        await bot.setup_network()
        await bot.add_member("bob", "parent")
        out = await bot("alice@dm: /role 2 teacher")
        assert "bot@dm:bob →" in out  # free to push: it goes now (09:00, outside quiet hours)
        assert "ยังไม่มีข่าวใหม่ที่รอส่งถึงคุณ" in await bot("bob@dm: /news")
    finally:
        await app.close()


async def test_deliveries_says_why_rows_wait(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    await announce_free(bot, "ประชุมผู้ปกครองวันศุกร์")
    out = await bot("alice@dm: /deliveries")
    assert "เหตุที่ยังรอส่ง:" in out and "รอส่งฟรีไปพร้อมการตอบครั้งถัดไปในแชต: 1" in out


async def test_coordinators_hear_when_the_monthly_quota_is_used_up(bot: Conversation) -> None:
    from bot.outbox import MONTHLY_LIMIT_TASK
    from storage.runtime import TaskRepo

    await bot.setup_network()
    async with bot.app.db.transaction() as conn:  # what the dispatcher does on LINE's 429 "monthly limit"
        now = bot.app.clock.now()
        await TaskRepo(conn).schedule(key=f"{MONTHLY_LIMIT_TASK}:1:x", kind=MONTHLY_LIMIT_TASK, run_at=now,
                                      payload={}, network_id=1, now=now)
    out = await bot(":clock +1m")
    assert "bot@dm:alice → ⚠️ โควตาข้อความ LINE ของเดือนนี้หมดแล้ว" in out


async def test_quota_shows_used_left_waiting_forecast_and_paid_plan_costs(billed_bot: Conversation) -> None:
    from bot.delivery_policy import QuotaReading

    bot = billed_bot
    await bot.setup_network()
    assert "LINE ยังไม่ได้แจ้งโควตาของเดือนนี้" in await bot("alice@dm: /quota")
    await announce_free(bot, "ประชุมผู้ปกครองวันศุกร์")
    bot.app.quotas["line"] = QuotaReading(limit=300, used=210, at=bot.app.clock.now())  # as LineSender records it
    out = await bot("alice@dm: /quota")
    assert "ข้อความ LINE เดือนนี้: ใช้ไป 210 จาก 300 คงเหลือ 90" in out
    assert "รอส่งฟรี: 1 รายการ" in out
    assert "ประมาณ 300 ข้อความ" in out  # 210 by the 21st of a 30-day month
    assert "Basic 1,280 ฿, Pro 1,780 ฿" in out
    await bot("alice@dm: /settings line-budget 250")
    assert "ใช้ไป 210 จาก 250 คงเหลือ 40" in await bot("alice@dm: /quota")
    assert "ยังไม่ได้ลงทะเบียน" in await bot("pim@teachers: /quota")  # coordinators only (the matrix checks roles)


async def test_the_catch_up_interval_is_a_network_setting(billed_bot: Conversation) -> None:
    bot = billed_bot
    await bot.setup_network()
    assert "ไม่เกินหนึ่งครั้งทุก 30 นาที" in await bot("alice@dm: /settings")  # the default
    assert "วิธีใช้: /settings catchup 30m" in await bot("alice@dm: /settings catchup 3d")  # at most 24 h
    assert "วิธีใช้: /settings catchup 30m" in await bot("alice@dm: /settings catchup 2m")  # at least 5 minutes
    assert "ไม่เกินหนึ่งครั้งทุก 2 ชั่วโมง" in await bot("alice@dm: /settings catchup 2h")
    await announce_free(bot, "ประชุมผู้ปกครองวันศุกร์")
    assert "ประชุมผู้ปกครองวันศุกร์" in await bot("pim@teachers: สวัสดีค่ะ")
    await announce_free(bot, "งดเรียนวันจันทร์")
    await bot(":clock +1h")
    assert "งดเรียนวันจันทร์" not in await bot("noi@teachers: รับทราบค่ะ")  # an hour: within the 2 hours
    await bot(":clock +1h")
    assert "งดเรียนวันจันทร์" in await bot("noi@teachers: ขอบคุณค่ะ")
    assert await delivered(bot, "announce:2:") == [("sent", "reply")]
    assert "ไม่เกินหนึ่งครั้งทุก 30 นาที" in await bot("alice@dm: /settings catchup default")
