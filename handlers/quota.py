"""/quota (โควตา, coordinators): the month's billed messages on the platforms that bill pushes.

Used, what is left of the network's budget (/settings line-budget, capped by the account's limit),
what is waiting for a free chance, a forecast to the month's end at this pace, and what that would
cost on LINE's paid plans. The reading comes from the platform's sender (refreshed hourly).
"""

from __future__ import annotations

import calendar

from bot.context import MemberContext
from bot.delivery_policy import LINE_PLANS, Budget, WaitReason
from bot.i18n import N_
from bot.roles import Role
from bot.router import Router
from storage.deliveries import DeliveryRepo

ORDER = 45
router = Router()

WAITING = (WaitReason.FREE_CHANCE, WaitReason.BUDGET, WaitReason.MONTHLY_LIMIT)


@router.command("quota", "โควตา", roles={Role.COORDINATOR},
                help=N_("LINE messages this month: used, left, waiting, forecast, cost on paid plans"))
async def quota(ctx: MemberContext) -> None:
    t = ctx.t
    billed = sorted(ctx.app.billed_platforms)  # the platforms that bill pushes (today: LINE)
    if not billed:
        await ctx.reply(t("Pushes cost nothing here: every notification goes out when due."))
        return
    reading = ctx.app.quotas.get(billed[0])
    if reading is None:
        await ctx.reply(t("LINE has not reported this month's quota yet; it is read before the first push."))
        return
    own = ctx.network.settings.get("line_budget")
    limits = [v for v in (reading.limit, own if isinstance(own, int) else None) if v is not None]
    waiting = await ctx.repo(DeliveryRepo).waiting(ctx.network.id)
    today = ctx.today
    days = calendar.monthrange(today.year, today.month)[1]
    lines = []
    if limits:
        budget = Budget(limit=min(limits), used=reading.used)
        lines.append(t("LINE messages this month: {used} used of {limit}, {left} left.", used=reading.used,
                       limit=budget.limit, left=budget.remaining))
        forecast = budget.forecast(today.day, days)
    else:
        lines.append(t("LINE messages this month: {used} used (no monthly limit).", used=reading.used))
        forecast = Budget(limit=0, used=reading.used).forecast(today.day, days)
    lines.append(t("Waiting for a free chance: {n} notification(s).", n=sum(waiting.get(r.value, 0) for r in WAITING)))
    lines.append(t("Forecast to the end of the month at this pace: about {n} messages.", n=forecast))
    lines.append(t("On a paid plan that would cost about: {costs} a month (before VAT).", costs=", ".join(
        f"{plan.name} {t.number(plan.cost(forecast))} ฿" for plan in LINE_PLANS)))
    await ctx.reply("\n".join(lines))
