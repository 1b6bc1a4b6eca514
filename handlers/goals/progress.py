"""The goals' progress as people see it: measured from the bot's data (never typed), assessed against
the share of the academic year elapsed, drawn as bars on a card per goal, one line per goal in the
summary, and a goals panel in the summary's charts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.academic import AcademicCalendar, Span
from bot.context import BaseContext
from bot.goals import Progress, assess
from bot.i18n import N_, Translator
from bot.model import Button, Card, ProgressBar
from bot.router import Router
from bot.summary import Period, SummaryChart, SummarySection
from handlers._common.formatting import period_dates
from handlers.activities import aim_label
from handlers.goals.vocabulary import rounded, target_title, unit_of, value_text
from storage.goals import Goal, GoalRepo, MeasureRepo, Target

router = Router()

PACE_NAMES = {"done": N_("reached"), "on_track": N_("on track"), "behind": N_("behind plan"),
              "no_data": N_("no data yet")}


def calendar(ctx: BaseContext) -> AcademicCalendar:
    return AcademicCalendar.from_settings(ctx.network.settings if ctx.network else None)


def ref(goal: Goal, target: Target) -> str:
    """A target's number as people type it: goal 1's second target is ``1.2``."""
    return f"{goal.number}.{target.position}"


@dataclass(frozen=True)
class GoalProgress:
    goal: Goal
    targets: list[Progress]


async def measure(ctx: BaseContext, goals: list[Goal], span: Span, on: date) -> list[GoalProgress]:
    """Every target of ``goals`` measured over ``span`` up to ``on`` and assessed against the share
    of ``span`` elapsed by then (activity and pledge totals are read once for all of them)."""
    assert ctx.network is not None
    repo = ctx.repo(MeasureRepo)
    targets = [t for g in goals for t in g.targets]
    totals = repo.period(ctx.network.id, span.start, min(span.end, on + timedelta(days=1)), tz=ctx.tz)
    measured = await repo.actuals(targets, totals, now=ctx.now) if targets else []
    share = span.elapsed_share(on)
    found = {t.id: assess(t, m, share) for t, m in zip(targets, measured)}
    return [GoalProgress(g, [found[t.id] for t in g.targets]) for g in goals]


async def year_progress(ctx: BaseContext, year: int) -> list[GoalProgress]:
    assert ctx.network is not None
    goals = await ctx.repo(GoalRepo).of_year(ctx.network.id, year)
    return await measure(ctx, goals, calendar(ctx).year(year), ctx.today)


def pace_text(t: Translator, progress: Progress) -> str:
    if progress.suppressed:
        return t("hidden (fewer than 5 answers)")
    return t(PACE_NAMES[progress.pace])


def target_line(t: Translator, goal: Goal, progress: Progress) -> str:
    """``1.1 กิจกรรม (อบรม/ฝึกอบรม): 10 จาก 24 ครั้ง · 42% · ตามแผน (ควรถึง 9)``."""
    target = progress.target
    head = f"{ref(goal, target)} {target_title(t, target.kind, target.params)}"
    if progress.actual is None:
        return f"{head}: {t('target')} {value_text(t, target.value, target.unit, target.kind)} · {pace_text(t, progress)}"
    done = t("{actual} of {target}", actual=value_text(t, progress.actual, ""),
             target=value_text(t, target.value, target.unit, target.kind))
    line = f"{head}: {done} · {progress.ratio * 100:.0f}% · {pace_text(t, progress)}" if progress.ratio is not None \
        else f"{head}: {done}"
    if progress.pace == "behind" and progress.expected is not None:
        line += " " + t("(expected by now: {value})", value=value_text(t, rounded(progress.expected, target.value), ""))
    return line


def goal_card(t: Translator, item: GoalProgress, buttons: list[list[Button]]) -> Card:
    goal = item.goal
    lines = [target_line(t, goal, p) for p in item.targets] or [t("No targets yet.")]
    bars = [ProgressBar(label=f"{ref(goal, p.target)} {target_title(t, p.target.kind, p.target.params)}"[:60],
                        value=float(p.actual or 0), total=float(p.target.value))
            for p in item.targets if p.actual is not None]
    title = t("Goal {n}: {title}", n=goal.number, title=goal.title)
    if goal.status == "stopped":
        title += " " + t("(stopped by the term review)")
    return Card(title=title, fields=[(t("Aim"), aim_label(t, goal.aim))], body="\n".join(lines), progress=bars,
                buttons=buttons, alt_text=title)


# ------------------------------------------------------------------ the summary


@router.summary_section(order=10)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """One line per goal of the academic year the period ends in, and a goals panel."""
    assert ctx.network is not None
    last_day = period_dates(ctx, period.start, period.end)[1] - timedelta(days=1)
    year = calendar(ctx).year_of(min(last_day, ctx.today))
    found = [g for g in await year_progress(ctx, year) if g.goal.status == "active" and g.goal.targets]
    if not found or not await anything_new(ctx, period):
        return None  # a quiet week stays quiet (and unpushed): the goals alone are no news
    t = ctx.t
    lines = []
    rows: dict[str, tuple[float, float]] = {}
    targets: dict[str, tuple[float, str]] = {}
    for item in found:
        parts = []
        for p in item.targets:
            amount = "-" if p.actual is None else value_text(t, p.actual, "")
            parts.append(f"{ref(item.goal, p.target)} {amount}/{value_text(t, p.target.value, p.target.unit, p.target.kind)} "
                         f"({pace_text(t, p)})")
            if p.actual is not None and len(rows) < 8:
                label = f"{ref(item.goal, p.target)} {target_title(t, p.target.kind, p.target.params)}"
                rows[label] = (float(p.actual), float(p.expected if p.expected is not None else p.target.value))
                unit = unit_of(t, p.target.kind, p.target.unit)
                targets[label] = (float(p.target.value), t("baht") if unit == "THB" else unit)
        lines.append(f"• {item.goal.number} {item.goal.title}: " + " · ".join(parts))
    title = t("Goals of academic year {year}", year=year)
    charts = [SummaryChart(title, rows, unit="", kind="goals", targets=targets)] if rows else []
    return SummarySection(title=title, lines=lines, charts=charts)


async def anything_new(ctx: BaseContext, period: Period) -> bool:
    """Activities or pledges in the period (from the per-day totals), or an indicator reported in it."""
    assert ctx.network is not None
    repo = ctx.repo(MeasureRepo)
    first, end = period_dates(ctx, period.start, period.end)
    totals = repo.period(ctx.network.id, first, end, tz=ctx.tz)
    return bool(await totals.activities() or await totals.pledges("pledged") or await totals.pledges("delivered")
                or await repo.reports_between(ctx.network.id, period.start, period.end))
