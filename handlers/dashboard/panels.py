"""The overview's panels beyond the first ones: goals progress (when the network has goals), resources by
channel and by source sector (pledged against delivered), survey response rates (coordinators, as
/results), upcoming meetings and the LINE quota as /quota reads it (the app's quota cache, the network's
budget, what waits for a free chance, the month's forecast)."""

from __future__ import annotations

import calendar as month_calendar
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.delivery_policy import Budget, WaitReason
from handlers.dashboard.web import OVERVIEW_PANELS, PageRequest
from handlers.dashboard.webctx import web_context, year_bounds, year_of
from handlers.goals import target_line, year_progress
from handlers.resources import sector_label, type_label
from handlers.surveys import audience_count
from storage.deliveries import DeliveryRepo
from storage.meetings import MeetingRepo
from storage.resource_repo import PledgeRepo
from storage.surveys import SurveyRepo

WAITING = (WaitReason.FREE_CHANCE, WaitReason.BUDGET, WaitReason.MONTHLY_LIMIT)


async def goals_panel(page: PageRequest, year: int) -> list[dict[str, Any]]:
    """Each goal of the year with a line and a bar per target (the /goals figures); empty without goals."""
    ctx = web_context(page)
    shown = []
    for item in await year_progress(ctx, year):
        shown.append({"number": item.goal.number, "title": item.goal.title,
                      "targets": [{"line": target_line(ctx.t, item.goal, p), "pace": p.pace,
                                   "pct": 0 if p.ratio is None or p.suppressed else min(100, round(100 * p.ratio))}
                                  for p in item.targets]})
    return shown


def _baht(value: Any) -> Decimal:
    return Decimal(value) if value is not None else Decimal(0)


async def resources_panel(page: PageRequest, year: int) -> dict[str, list[dict[str, Any]]]:
    """Pledges of the academic year by channel (resource type) and by source sector: how many were pledged
    (not cancelled) and delivered, and their baht where counted in baht. Teachers and partners: toward
    their organisation's needs, or pledged by themselves."""
    t = page.t
    _year, start, end = year_bounds(page, year)
    repo = PledgeRepo(page.conn)
    if page.manages:
        found = await repo.status_totals(page.network.id, start, end)
    else:
        found = await repo.status_totals(page.network.id, start, end,
                                         toward_organisation=page.member.organisation_id, pledger_id=page.member.id)
    result: dict[str, list[dict[str, Any]]] = {}
    for column, label in (("resource_type", type_label), ("source_sector", sector_label)):
        groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"pledged": 0, "delivered": 0,
                                                                "pledged_baht": Decimal(0),
                                                                "delivered_baht": Decimal(0)})
        for total, status in found:
            group = groups[getattr(total, column)]
            baht = total.unit.upper() == "THB"
            group["pledged"] += total.count
            group["pledged_baht"] += _baht(total.amount) if baht else 0
            if status == "delivered":
                group["delivered"] += total.count
                group["delivered_baht"] += _baht(total.amount) if baht else 0
        result[column] = [{"label": label(t, code), "pledged": g["pledged"], "delivered": g["delivered"],
                           "pct": round(100 * g["delivered"] / g["pledged"]) if g["pledged"] else 0,
                           "pledged_baht": t.number(float(g["pledged_baht"])) if g["pledged_baht"] else "",
                           "delivered_baht": t.number(float(g["delivered_baht"])) if g["pledged_baht"] else ""}
                          for code, g in sorted(groups.items(), key=lambda item: -item[1]["pledged"])]
    return result


async def surveys_panel(page: PageRequest, year: int) -> list[dict[str, Any]]:
    """The year's surveys (not polls) with their response rates; coordinators only, as /results."""
    if not page.manages:
        return []
    _year, start, end = year_bounds(page, year)
    ctx = web_context(page)
    repo = SurveyRepo(page.conn)
    recent = [s for s in (await repo.active_between(page.network.id, start, end, with_questions=False))[-8:]
              if not s.is_poll]
    answered = await repo.response_counts(page.network.id, [s.id for s in recent])  # one query for them all
    shown = []
    for survey in recent:
        # The audience as /results counts it: frozen at closing, else the members it is for now.
        audience = survey.audience_size if survey.audience_size is not None else await audience_count(ctx, survey)
        responses = answered[survey.id]
        rate = round(100 * responses / audience) if audience else 0
        shown.append({"number": survey.number, "title": survey.title, "responses": responses,
                      "audience": audience or 0, "rate": rate, "open": survey.is_open})
    return shown


async def meetings_panel(page: PageRequest) -> list[dict[str, Any]]:
    tz = ZoneInfo(page.network.timezone)
    repo = MeetingRepo(page.conn)
    shown = []
    for m in await repo.upcoming(page.network.id, page.app.clock.now(), limit=5):
        counts = await repo.counts(page.network.id, m.id)
        shown.append({"number": m.number, "title": m.title, "when": page.t.datetime(m.starts_at.astimezone(tz)),
                      "yes": counts["yes"], "maybe": counts["maybe"], "no": counts["no"]})
    return shown


async def quota_panel(page: PageRequest) -> dict[str, Any] | None:
    """What /quota says, for coordinators: used, the limit (the account's, or the network's budget when
    lower), what is left, what waits for a free chance, and the forecast to the month's end."""
    billed = sorted(page.app.billed_platforms)
    if not page.manages or not billed:
        return None
    reading = page.app.quotas.get(billed[0])
    if reading is None:
        return None
    own = page.network.settings.get("line_budget")
    limits = [v for v in (reading.limit, own if isinstance(own, int) else None) if v is not None]
    today = page.app.clock.now().astimezone(ZoneInfo(page.network.timezone)).date()
    days = month_calendar.monthrange(today.year, today.month)[1]
    budget = Budget(limit=min(limits) if limits else 0, used=reading.used)
    waiting = await DeliveryRepo(page.conn).waiting(page.network.id)
    return {"used": reading.used, "limit": budget.limit if limits else None,
            "left": budget.remaining if limits else None, "forecast": budget.forecast(today.day, days),
            "waiting": sum(waiting.get(r.value, 0) for r in WAITING),
            "pct": min(100, round(100 * reading.used / budget.limit)) if limits and budget.limit else 0}


async def more_panels(page: PageRequest) -> dict[str, Any]:
    year = year_of(page)
    return {"goals": await goals_panel(page, year), "resources": await resources_panel(page, year),
            "survey_rates": await surveys_panel(page, year), "meetings": await meetings_panel(page),
            "quota_more": await quota_panel(page)}


OVERVIEW_PANELS.append(more_panels)
