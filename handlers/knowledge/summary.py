"""The practice library's part of the progress summary: the practices shared in the period."""

from __future__ import annotations

from bot.context import BaseContext
from bot.router import Router
from bot.summary import Period, SummarySection
from storage.knowledge import PracticeRepo

router = Router()

NAMED = 5  # one short section: the rest are counted


@router.summary_section(order=25)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """New practices of the period, by name; None when none was shared."""
    assert ctx.network is not None
    t = ctx.t
    found = await ctx.repo(PracticeRepo).created_between(ctx.network.id, period.start, period.end, limit=NAMED + 1)
    if not found:
        return None
    names = t.join(f"#{p.number} {p.title}" for p in found[:NAMED])
    lines = [t("New practices: {names}", names=names)]
    if len(found) > NAMED:
        lines.append(t("…and more: see /kb"))
    else:
        lines.append(t("Find them with /kb"))
    return SummarySection(title=t("Practice library"), lines=lines)
