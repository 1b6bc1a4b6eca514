"""The activities' part of the progress summary."""

from __future__ import annotations

from bot.context import BaseContext
from bot.router import Router
from bot.summary import Period, SummaryChart, SummarySection
from handlers._common.formatting import hours_text, period_dates
from handlers.activities.vocabulary import AIMS, aim_label
from storage.activity_repo import ActivityRepo

router = Router()


@router.summary_section(order=20)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """Activities this period against the previous one, by collaboration aim."""
    assert ctx.network is not None
    t, repo = ctx.t, ctx.repo(ActivityRepo)
    now = await repo.totals(ctx.network.id, *period_dates(ctx, period.start, period.end), by="aim")
    before = await repo.totals(ctx.network.id, *period_dates(ctx, period.previous_start, period.previous_end),
                               by="aim")
    if not now and not before:
        return None
    current = {row.key: row for row in now}
    previous = {row.key: row for row in before}
    count = sum(r.count for r in now)
    lines = [
        t("Activities: {count} (previous period: {previous})", count=count, previous=sum(r.count for r in before)),
        t("Participants: {people} · hours: {hours}", people=f"{sum(r.participants for r in now):,}",
          hours=hours_text(t, sum(r.minutes for r in now))),
    ]
    chart: dict[str, tuple[float, float]] = {}
    for aim in AIMS:
        this_count = current[aim].count if aim in current else 0
        previous_count = previous[aim].count if aim in previous else 0
        chart[aim_label(t, aim)] = (float(this_count), float(previous_count))
        lines.append(f"• {aim_label(t, aim)}: {this_count} ({previous_count})")
    title = t("Activities by collaboration aim")
    return SummarySection(title=title, lines=lines,
                          charts=[SummaryChart(title, chart, unit=t("Number of activities"))])
