"""Resource mobilisation's part of the progress summary."""

from __future__ import annotations

from decimal import Decimal

from bot.context import BaseContext
from bot.i18n import Translator
from bot.router import Router
from bot.summary import Period, SummarySection
from handlers._common.formatting import amount_text
from handlers.resources.needs import NEEDS_SHOWN
from handlers.resources.vocabulary import RESOURCE_TYPES, sector_label, type_label
from storage.resource_repo import NeedRepo, PledgeRepo, PledgeTotal

router = Router()


def _totals_text(t: Translator, rows: list[PledgeTotal]) -> str:
    by_unit: dict[str, Decimal] = {}
    for row in rows:
        by_unit[row.unit] = by_unit.get(row.unit, Decimal(0)) + row.amount
    return ", ".join(amount_text(t, amount, unit) for unit, amount in sorted(by_unit.items())) or "0"


@router.summary_section(order=21)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """Pledged vs delivered by resource type and source sector; open and overdue needs as progress bars."""
    assert ctx.network is not None
    t, pledges, needs = ctx.t, ctx.repo(PledgeRepo), ctx.repo(NeedRepo)
    network_id = ctx.network.id
    pledged = await pledges.totals_pledged(network_id, period.start, period.end)
    delivered = await pledges.totals_delivered(network_id, period.start, period.end)
    previous = await pledges.totals_pledged(network_id, period.previous_start, period.previous_end)
    open_count, overdue_needs = await needs.count_open(network_id, ctx.today)
    if not (pledged or delivered or previous or open_count):
        return None
    lines = [t("Pledged this period: {count} pledges ({previous} in the previous period)",
               count=sum(r.count for r in pledged), previous=sum(r.count for r in previous))]
    groups = sorted({(r.resource_type, r.source_sector) for r in pledged + delivered},
                    key=lambda k: (list(RESOURCE_TYPES).index(k[0]) if k[0] in RESOURCE_TYPES else 99, k[1]))
    for resource_type, sector in groups:
        made = [r for r in pledged if (r.resource_type, r.source_sector) == (resource_type, sector)]
        done = [r for r in delivered if (r.resource_type, r.source_sector) == (resource_type, sector)]
        lines.append(t("• {type} / {sector}: pledged {pledged}, delivered {delivered}",
                       type=type_label(t, resource_type), sector=sector_label(t, sector),
                       pledged=_totals_text(t, made), delivered=_totals_text(t, done)))
    lines.append(t("Open needs: {open} ({overdue} overdue); overdue pledges: {late}", open=open_count,
                   overdue=overdue_needs, late=await pledges.count_overdue(network_id, ctx.today)))
    chart: dict[str, tuple[float, float]] = {}
    for code in RESOURCE_TYPES:
        this = sum(r.count for r in pledged if r.resource_type == code)
        before = sum(r.count for r in previous if r.resource_type == code)
        if this or before:
            chart[type_label(t, code)] = (float(this), float(before))
    progress = []
    for item in await needs.with_progress(await needs.open_needs(network_id, limit=NEEDS_SHOWN)):
        label = f"#{item.need.number} {item.need.description[:40]} ({item.need.organisation_name})"
        if item.need.needed_by < ctx.today:
            label += " " + t("⚠️ overdue")
        progress.append((label, float(item.delivered), float(item.need.target)))
    return SummarySection(title=t("Resource mobilisation"), lines=lines, chart=chart, progress=progress)
