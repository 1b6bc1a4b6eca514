"""Progress summaries: sections from any number of features, one card and a chart per measure,
a quiet period in one line naming it, the weekly push (configurable, coalesced, once per group)."""

from __future__ import annotations

import pytest

from bot.context import BaseContext
from bot.router import Router
from bot.summary import Period, SummaryChart, SummarySection
from handlers import build_router
from storage.membership import ChatRepo
from storage.runtime import OutboxRepo, TaskRepo
from tests.support.conversation import Conversation

PERIODS: list[Period] = []
fakes = Router()  # sections declared the way features declare theirs; swapped in per test


@fakes.summary_section(order=10)
async def activities_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    PERIODS.append(period)
    return SummarySection(title=ctx.t("Meetings") + " (fake)", lines=["กิจกรรม 5 ครั้ง (ก่อนหน้า 3)"],
                          charts=[SummaryChart("กิจกรรมตามสาระ", {"การอ่าน": (5.0, 3.0), "คณิตศาสตร์": (2.0, 4.0)},
                                               unit="ครั้ง"),
                                  SummaryChart("ทรัพยากร", {"เงินทุน": (2.0, 1.0)}, unit="รายการ", kind="pledged")],
                          progress=[("ทุนการศึกษา", 40_000, 100_000)])


@fakes.summary_section()
async def broken_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    import sqlalchemy as sa

    await ctx.conn.execute(sa.text("SELECT * FROM no_such_table"))  # poisons nothing: savepoint
    return None


@fakes.summary_section()
async def silent_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    return None


def only_sections(bot: Conversation, monkeypatch: pytest.MonkeyPatch, *providers: object) -> None:
    """The app's summary shows just these of the fake sections."""
    monkeypatch.setattr(bot.app.router, "summary_sections",
                        [r for r in fakes.summary_sections if r.provider in providers])


@pytest.fixture
def fake_sections(monkeypatch: pytest.MonkeyPatch, bot: Conversation):  # type: ignore[no-untyped-def]
    only_sections(bot, monkeypatch, broken_section, activities_section, silent_section)
    bot.tolerate("no_such_table")  # broken_section fails on purpose: the others still show
    PERIODS.clear()


async def weekly_rows(bot: Conversation) -> list[str]:
    import sqlalchemy as sa

    from storage.tables import outbox

    async with bot.app.db.transaction() as conn:
        return list((await conn.execute(sa.select(outbox.c.key).where(outbox.c.key.like("summary:%"))
                                         .order_by(outbox.c.id))).scalars())


async def test_summary_on_demand_is_one_card_and_a_chart_per_measure(bot: Conversation,
                                                                      fake_sections: None) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /summary")
    assert "📊 สรุปความคืบหน้า: เครือข่ายทดสอบ" in out
    assert "ช่วงเวลา: 16 พ.ย. 2569 – 22 พ.ย. 2569" in out  # "week": Monday to Sunday
    assert "กิจกรรม 5 ครั้ง (ก่อนหน้า 3)" in out and "ทุนการศึกษา ▓▓▓▓░░░░░░ 40%" in out
    assert out.count("[image: แผนภูมิ: กิจกรรมตามสาระ ช่วง 16–22 พ.ย. 2569") == 1
    assert out.count("[image: แผนภูมิ: ทรัพยากร ช่วง 16–22 พ.ย. 2569") == 1
    assert out.count("bot@dm:alice →") == 3  # card + a chart per measure, nothing else
    period = PERIODS[-1]
    assert period.end - period.start == period.previous_end - period.previous_start
    assert period.previous_end == period.start


async def test_summary_period_argument_and_bad_input(bot: Conversation, fake_sections: None) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /summary เดือนที่แล้ว")
    assert "ช่วงเวลา: 1 ต.ค. 2569 – 31 ต.ค. 2569" in out
    assert "อ่านช่วงเวลานี้ไม่ออก" in await bot("alice@dm: /summary เมื่อไหร่ก็ได้")


async def test_a_quiet_week_is_one_line(bot: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    only_sections(bot, monkeypatch, silent_section)
    await bot.setup_network()
    out = await bot("alice@dm: /summary")
    assert out.count("bot@dm:alice →") == 1 and "ช่วงนี้ยังไม่มีความเคลื่อนไหวใหม่ (16–22 พ.ย. 2569)" in out


async def test_a_quiet_period_names_the_period_it_covers(bot: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    only_sections(bot, monkeypatch, silent_section)
    await bot.setup_network()
    assert "📊 เครือข่ายทดสอบ: ช่วงนี้ยังไม่มีความเคลื่อนไหวใหม่ (1–30 พ.ย. 2569)" in await bot(
        "alice@dm: /summary เดือนนี้")
    assert "ช่วงนี้ยังไม่มีความเคลื่อนไหวใหม่ (1 ม.ค. – 31 ธ.ค. 2569)" in await bot("alice@dm: /summary ปีนี้")
    assert "ช่วงนี้ยังไม่มีความเคลื่อนไหวใหม่ (9–15 พ.ย. 2569)" in await bot("alice@dm: /summary สัปดาห์ที่แล้ว")
    out = await bot("alice@dm: /summary 30/11/2569-1/11/2569")
    assert "ช่วงเวลานี้สิ้นสุดก่อนวันเริ่มต้น กรุณาใส่วันที่เริ่มก่อน" in out and "อ่านช่วงเวลานี้ไม่ออก" not in out


async def test_a_quiet_week_is_not_pushed_to_groups(bot: Conversation, monkeypatch: pytest.MonkeyPatch) -> None:
    only_sections(bot, monkeypatch, silent_section)
    await bot.setup_network()
    assert "📊" not in await bot(":clock 2026-11-23 08:00")
    assert await weekly_rows(bot) == []
    async with bot.app.db.transaction() as conn:
        task = await TaskRepo(conn).get("summary:1:weekly")
    assert task is not None and task.status == "pending" and bot.app.clock.now() < task.run_at  # next Monday


async def test_with_no_feature_sections_at_all_it_still_works(bot: Conversation,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    only_sections(bot, monkeypatch)
    await bot.setup_network()
    assert "ช่วงนี้ยังไม่มีความเคลื่อนไหวใหม่ (16–22 พ.ย. 2569)" in await bot("alice@dm: /summary")


async def test_the_real_providers_include_the_meetings_section() -> None:
    names = [route.name for route in build_router().sections()]
    assert "handlers.meetings.manage" in names and "handlers.plan.tasks" in names


async def test_weekly_summary_goes_to_each_group_on_monday_0800_local_once(bot: Conversation,
                                                                          fake_sections: None) -> None:
    await bot.setup_network()
    await bot("alice@parents: /linkgroup")
    assert "📊" not in await bot(":clock 2026-11-23 07:59")
    out = await bot(":clock +1m")
    assert out.count("bot@teachers → 📊 สรุปความคืบหน้า") == 1 and out.count("bot@parents → 📊 สรุปความคืบหน้า") == 1
    assert out.count("[image:") == 4  # two measures' charts in each group
    assert "📊" not in await bot(":clock +6d23h59m")  # Monday 07:59 again
    assert await weekly_rows(bot) == ["summary:1:2026-11-16:chat:2", "summary:1:2026-11-16:chat:3"]
    out = await bot(":clock +1m")
    assert out.count("📊 สรุปความคืบหน้า") == 2


async def test_missed_weeks_coalesce_into_one_summary(bot: Conversation, fake_sections: None) -> None:
    await bot.setup_network()
    out = await bot(":clock 2026-12-16 10:00")  # down for three Mondays
    assert out.count("bot@teachers → 📊") == 1
    assert await weekly_rows(bot) == ["summary:1:2026-12-07:chat:2"]  # the latest complete week only
    async with bot.app.db.transaction() as conn:
        task = await TaskRepo(conn).get("summary:1:weekly")
    assert task is not None and task.status == "pending"
    assert bot.app.clock.now() < task.run_at  # the next Monday, not a backlog


async def test_the_schedule_is_configurable_and_can_be_switched_off(bot: Conversation, fake_sections: None) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /settings summary ศุกร์ 17:00")
    assert "สรุปรายสัปดาห์: ทุกวันศุกร์ เวลา 17:00 น." in out
    assert "📊" not in await bot(":clock 2026-11-23 09:00")
    out = await bot(":clock 2026-11-27 17:00")
    assert out.count("bot@teachers → 📊") == 1
    assert "สรุปรายสัปดาห์: ปิด" in await bot("alice@dm: /settings summary off")
    assert "📊" not in await bot(":clock +14d")
    assert "วิธีใช้: /settings summary" in await bot("alice@dm: /settings summary someday 25:00")


async def test_weekly_summary_only_for_its_own_network(bot: Conversation, fake_sections: None) -> None:
    await bot.setup_network()
    await bot("zed@dm: /newnetwork อีกเครือข่าย", "zed@dm: [Join as coordinator]", "zed@zgroup: /linkgroup")
    out = await bot(":clock 2026-11-23 08:00")
    assert "bot@teachers → 📊 สรุปความคืบหน้า: เครือข่ายทดสอบ" in out
    assert "bot@zgroup → 📊 สรุปความคืบหน้า: อีกเครือข่าย" in out
    assert "bot@zgroup → 📊 สรุปความคืบหน้า: เครือข่ายทดสอบ" not in out
    async with bot.app.db.transaction() as conn:
        zgroup = await ChatRepo(conn).by_platform_id(bot.console.platform, "group-zgroup")
        assert zgroup is not None
        assert await OutboxRepo(conn).by_key(f"summary:2:2026-11-16:chat:{zgroup.id}") is not None
