"""A digest nobody gave a free chance (issue 11): on LINE, with the real LineSender against a fake LINE
that bills per recipient, a quiet group's weekly summary is pushed at its last call, an hour before 24 h,
while the month's budget has room; when only the urgent reserve is left it waits for the group's next
message (free). On Telegram, which costs nothing, the same summary goes out when it is due."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from bench.line_free_plan import TOKEN, LineConsole, _NoWeb, line_id
from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.settings import LineSettings
from bot.clock import ManualClock
from bot.config import Settings
from edunet import build_app
from storage.tables import outbox
from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import FakeLineAPI
from tests.support.conversation import START, Conversation, make_conversation

TEACHERS = line_id("C", "teachers")
MEMBERS = 5  # one push to the group bills 5 messages
ACTIVITY = 'alice@dm: /log อบรม {day}/11/2569 "สื่อการสอนด้วย AI" 35 คน 3 ชม.'  # a quiet week is not summarised


@dataclass
class LineBot:
    bot: Conversation
    fake: FakeLineAPI


@pytest.fixture
async def line_billed(sqlite_url: str) -> AsyncIterator[LineBot]:
    """A LINE conversation through the real adapter and sender; LINE bills pushes (300 a month)."""
    clock = ManualClock(START)
    fake = await FakeLineAPI(TOKEN, spec=load_line_spec(), quota=300, clock=clock.now).start()
    fake.add_group(TEACHERS, "ครูวิชาการ", members=[line_id("U", "alice")] +
                   [line_id("U", f"t{i}") for i in range(MEMBERS - 1)])
    app = build_app(Settings(database_url=sqlite_url), clock=clock, operators_are_admins=True,
                    billed_platforms=frozenset({"line"}))
    await app.start()
    adapter = LineAdapter(app, LineSettings(channel_secret="test-secret", channel_access_token=TOKEN,
                                            api_base_url=fake.url, data_api_base_url=fake.url),
                          _NoWeb())  # type: ignore[arg-type]
    console = LineConsole(app, clock, adapter, fake)
    try:
        yield LineBot(Conversation(console, clock, app), fake)
    finally:
        await adapter.api.close()
        await app.close()
        await fake.close()


async def summaries(bot: Conversation) -> list[tuple[str, str | None, str | None]]:
    async with bot.app.db.transaction() as conn:
        return [tuple(r) for r in (await conn.execute(
            sa.select(outbox.c.status, outbox.c.via, outbox.c.wait_reason)
            .where(outbox.c.key.startswith("summary:")).order_by(outbox.c.id))).all()]


async def test_a_quiet_groups_digest_is_pushed_just_before_24_hours_while_the_budget_has_room(
        line_billed: LineBot) -> None:
    bot, fake = line_billed.bot, line_billed.fake
    await bot.setup_network()
    await bot(ACTIVITY.format(day=20))
    assert "📊" not in await bot(":clock 2026-11-23 08:00")  # queued: it waits for the group to talk
    assert "📊" not in await bot(":clock 2026-11-24 06:59")  # nobody did
    out = await bot(":clock +1m")  # its last call, an hour before 24 h: 5 of 300 used, so pushed
    assert "bot@teachers → 📊" in out
    assert await summaries(bot) == [("sent", "push", None)]
    assert fake.billed_by_month() == {"2026-11": MEMBERS}


async def test_with_only_the_urgent_reserve_left_the_digest_waits_for_a_free_reply(line_billed: LineBot) -> None:
    bot, fake = line_billed.bot, line_billed.fake
    await bot.setup_network()
    await bot(ACTIVITY.format(day=20))
    await bot(":clock 2026-11-23 08:00")
    assert "bot@teachers → 📊" in await bot(":clock 2026-11-24 07:00")  # the first week's, pushed (5)
    # A budget of 14: 9 left, 7 of them kept for urgent pushes (two to the group, at most half).
    assert "งบข้อความ LINE ต่อเดือน: 14 ข้อความ" in await bot("alice@dm: /settings line-budget 14")
    await bot(ACTIVITY.format(day=25))
    assert "📊" not in await bot(":clock 2026-11-30 08:00")
    assert "📊" not in await bot(":clock 2026-12-01 07:00")  # its last call: the reserve stays untouched
    assert await summaries(bot) == [("sent", "push", None), ("pending", None, "budget")]
    assert "📊" not in await bot(":clock 2026-12-01 12:00")  # asked again hourly: still no room
    out = await bot("t1@teachers: สวัสดีค่ะ")  # the group talks: the reply carries it, free
    assert "bot@teachers → 📊" in out
    assert await summaries(bot) == [("sent", "push", None), ("sent", "reply", None)]
    assert fake.billed_by_month() == {"2026-11": MEMBERS}


async def test_on_telegram_the_summary_goes_out_when_due(sqlite_url: str) -> None:
    bot, app = await make_conversation(sqlite_url, "telegram", billed_platforms=frozenset({"line"}))
    try:
        await bot.setup_network()
        await bot(ACTIVITY.format(day=20))
        assert "bot@teachers → 📊" in await bot(":clock 2026-11-23 08:00")  # free to push: at once
        assert await summaries(bot) == [("sent", "push", None)]
    finally:
        await app.close()
