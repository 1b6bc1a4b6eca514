"""Progress summaries: /summary [period] on demand, and one weekly push per linked group
(default Monday 08:00 in the network's time zone, set with /settings summary).

Sections come from every feature's ``@router.summary_section`` (see bot/summary.py);
this module only assembles them into one compact card and a chart per measure. A quiet period
is one line naming it on demand, and no push at all in the weekly summary. /settings also holds
the meetings' reminder offsets, the quiet hours and the LINE monthly budget (bot/delivery_policy.py).
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.academic import AcademicCalendar, AcademicInputError, calendar_text, parse_calendar
from bot.args import parse_whole
from bot.catchup import catchup_minutes
from bot.charts import GoalRow, activities_by_aim, goal_progress, resources_by_channel
from bot.context import BaseContext, Context, MemberContext, TaskContext
from bot.dates import DateInputError, from_thai_digits, parse_period, parse_time
from bot.delivery_policy import QuietHours, Urgency
from bot.i18n import N_, Translator
from bot.model import Card, EventKind, Image, ProgressBar, Reply, Text
from bot.roles import Role
from bot.router import Router, SectionRoute
from bot.summary import Period, SummaryChart, SummarySection
from handlers._common.groups import duration_text
from handlers._common.parsing import date_error
from handlers.meetings import reminder_offsets
from storage.deliveries import TaskOutcomeRepo
from storage.membership import ChatRepo, Network, NetworkRepo

log = logging.getLogger(__name__)

ORDER = 40
MOST_CHARTS = 4  # with the card, the five messages a LINE push may carry
router = Router()

COORDINATOR = {Role.COORDINATOR}
# LINE's largest plan (Pro) holds 35,000 messages a month before overage; a budget is at most a few times that.
MAX_LINE_BUDGET = 1_000_000
# The catch-up interval (bot/catchup.py): at most one free catch-up reply per chat this often.
MAX_CATCHUP_MINUTES = 24 * 60
WEEKLY_KIND = "summary_weekly"
DEFAULT_SCHEDULE = {"enabled": True, "weekday": 0, "time": "08:00"}
WEEKDAYS: dict[str, int] = {}
for _index, _words in enumerate((
        ("mon", "monday", "จันทร์", "จ."), ("tue", "tuesday", "อังคาร", "อ."), ("wed", "wednesday", "พุธ", "พ."),
        ("thu", "thursday", "พฤหัส", "พฤหัสบดี", "พฤ."), ("fri", "friday", "ศุกร์", "ศ."),
        ("sat", "saturday", "เสาร์", "ส."), ("sun", "sunday", "อาทิตย์", "อา."))):
    for _word in _words:
        WEEKDAYS[_word] = _index
WEEKDAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
                 N_("Sunday"))



# ------------------------------------------------------------------ collecting sections


async def collect_sections(ctx: BaseContext, period: Period,
                           routes: list[SectionRoute] | None = None) -> list[SummarySection]:
    """Ask each declared section (default: every feature's, in card order); one that fails
    is logged and left out (its queries run in a savepoint, so the transaction stays usable)."""
    sections = []
    for route in ctx.app.router.sections() if routes is None else routes:
        try:
            async with ctx.conn.begin_nested():
                section = await route.provider(ctx, period)
        except Exception:
            log.exception("summary section of %s failed; left out", route.name)
            continue
        if section is not None:
            sections.append(section)
    return sections


def local_dates(period: Period, tz: ZoneInfo, *, previous: bool = False) -> tuple[date, date]:
    """The first and last local day of the period (or of the one before it), both included."""
    start, end = (period.previous_start, period.previous_end) if previous else (period.start, period.end)
    return start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()


def period_label(t: Translator, period: Period, tz: ZoneInfo) -> str:
    first, last = local_dates(period, tz)
    return t.date(first) if first == last else f"{t.date(first)} – {t.date(last)}"


def chart_image(t: Translator, network: Network, period: Period, chart: SummaryChart, tz: ZoneInfo) -> Image:
    """One measure's chart, titled with the network and the period (BE dates in Thai)."""
    span = t.date_range(*local_dates(period, tz))
    title = f"{network.name} · {span}"
    if chart.kind == "goals":
        png = goal_progress(title, [GoalRow(label, actual, chart.targets[label][0], expected, chart.targets[label][1])
                                    for label, (actual, expected) in chart.rows.items()], t=t, subtitle=chart.measure)
    elif chart.kind == "pledged":
        png = resources_by_channel(title, chart.rows, pledged=t("Pledged"), delivered=t("Delivered"),
                                   unit=chart.unit, money=False, subtitle=chart.measure)
    else:
        png = activities_by_aim(title, {label: (int(now), int(before)) for label, (now, before) in chart.rows.items()},
                                this_period=span, previous_period=t.date_range(*local_dates(period, tz, previous=True)),
                                unit=chart.unit, subtitle=chart.measure)
    return Image(png=png, alt_text=t("Chart: {measure}, {period}", measure=chart.measure, period=span))


def quiet_line(t: Translator, network: Network, period: Period, tz: ZoneInfo) -> Text:
    return Text(t("📊 {network}: nothing new in this period ({period}).", network=network.name,
                  period=t.date_range(*local_dates(period, tz))))


def render_summary(t: Translator, network: Network, period: Period, sections: list[SummarySection],
                   tz: ZoneInfo) -> list[Reply]:
    """One compact card plus one chart per measure (a LINE push holds at most five messages, so
    at most four charts); a quiet period is a single line naming the period."""
    if not sections:
        return [quiet_line(t, network, period, tz)]
    label = period_label(t, period, tz)
    blocks = []
    for section in sections:
        blocks.append("\n".join([f"▸ {section.title}", *section.lines[:8]]))
    progress = [ProgressBar(label=p[0], value=p[1], total=p[2]) for s in sections for p in s.progress][:6]
    card = Card(title=t("📊 Progress summary: {network}", network=network.name),
                fields=[(t("Period"), label)], body="\n\n".join(blocks), progress=progress,
                alt_text=t("Progress summary, {period}", period=label))
    charts = [chart for section in sections for chart in section.charts][:MOST_CHARTS]
    return [card, *(chart_image(t, network, period, chart, tz) for chart in charts)]


def make_period(start: datetime, end: datetime) -> Period:
    length = end - start
    return Period(start=start, end=end, previous_start=start - length, previous_end=start)


def local_period(tz: ZoneInfo, first: date, end: date) -> Period:
    """[first, end) in local dates, as UTC datetimes."""
    from datetime import timezone

    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(timezone.utc)
    stop = datetime.combine(end, time(0), tzinfo=tz).astimezone(timezone.utc)
    return make_period(start, stop)


# ------------------------------------------------------------------ /summary


@router.command("summary", "สรุป", help=N_("Progress summary: /summary [week | month | last week | 1/11/2569-30/11/2569]"))
async def summary_command(ctx: MemberContext) -> None:
    text = ctx.args.strip() or "week"
    try:
        first, end = parse_period(text, ctx.today)
    except DateInputError as exc:
        await ctx.reply(date_error(ctx.t, exc) if exc.code == "reversed" else
                        ctx.t("I could not read that period. Examples: /summary week, /summary last week, "
                              "/summary month, /summary 1/11/2569-30/11/2569."))
        return
    period = local_period(ctx.tz, first, end)
    sections = await collect_sections(ctx, period)
    for reply in render_summary(ctx.t, ctx.network, period, sections, ctx.tz):
        await ctx.reply(reply)


# ------------------------------------------------------------------ the weekly push


def summary_schedule(network: Network) -> dict[str, Any]:
    return {**DEFAULT_SCHEDULE, **(network.settings or {}).get("summary", {})}


def weekly_key(network_id: int) -> str:
    return f"summary:{network_id}:weekly"


def occurrence(network: Network, now: datetime, *, after: bool) -> datetime:
    """The weekly slot (network local time) strictly after ``now``, or the latest at or before it."""
    from datetime import timezone

    sched = summary_schedule(network)
    tz = ZoneInfo(network.timezone)
    hour, minute = (int(x) for x in str(sched["time"]).split(":"))
    local_now = now.astimezone(tz)
    day = local_now.date() - timedelta(days=(local_now.weekday() - int(sched["weekday"])) % 7)
    slot = datetime.combine(day, time(hour, minute), tzinfo=tz)
    if slot > local_now:
        slot -= timedelta(days=7)
    if after:
        slot += timedelta(days=7)
    return slot.astimezone(timezone.utc)


async def schedule_weekly(ctx: BaseContext, network: Network, *, since: datetime | None = None) -> datetime | None:
    """Put the network's next weekly summary (the first slot after ``since``, default now)
    on the schedule, or take it off when disabled."""
    if not summary_schedule(network)["enabled"]:
        await ctx.unschedule(weekly_key(network.id), note="weekly summary switched off")
        return None
    run_at = occurrence(network, since or ctx.now, after=True)
    await ctx.schedule(weekly_key(network.id), WEEKLY_KIND, run_at, network=network)
    return run_at


@router.task(WEEKLY_KIND)
async def weekly_summary(ctx: TaskContext) -> None:
    """One summary per linked group for the latest complete week, however late we run
    (missed weeks coalesce into one; a quiet week sends nothing), then schedule the next."""
    network = ctx.network
    if network is None:
        return
    if not summary_schedule(network)["enabled"]:
        await ctx.repo(TaskOutcomeRepo).record(ctx.task.id, "dropped", "weekly summary switched off")
        return
    tz = ZoneInfo(network.timezone)
    slot = occurrence(network, ctx.now, after=False).astimezone(tz)
    end = slot.date()
    period = local_period(tz, end - timedelta(days=7), end)
    groups = await ctx.repo(ChatRepo).linked_groups(network.id)
    sections = await collect_sections(ctx, period) if groups else []
    if sections:  # a quiet week is not pushed: on LINE it would cost quota for no news
        replies = render_summary(ctx.t, network, period, sections, tz)
        start_date = end - timedelta(days=7)
        for chat in groups:
            # A newer week's summary replaces one still waiting for its free chance.
            await ctx.push(chat, replies, key=f"summary:{network.id}:{start_date:%Y-%m-%d}:chat:{chat.id}",
                           urgency=Urgency.DIGEST, topic=f"summary:chat:{chat.id}")
    await schedule_weekly(ctx, network)


@router.periodic("hourly", name="maintenance")
async def maintenance(ctx: TaskContext) -> None:
    """Hourly: every network with summaries on has its next weekly summary scheduled."""
    for network in await ctx.repo(NetworkRepo).all():
        if not summary_schedule(network)["enabled"]:
            continue
        if not await ctx.is_scheduled(weekly_key(network.id)):
            # From when this check was due: a slot missed while we were down still runs (once).
            await schedule_weekly(ctx, network, since=min(ctx.now, ctx.task.run_at))


@router.on(EventKind.BOT_ADDED)
async def bot_added(ctx: Context) -> None:
    """A group (soon linked) appeared: make sure the hourly sweep that schedules weekly
    summaries is running (the scheduler service also ensures it at start-up)."""
    await ctx.ensure_periodic()


# ------------------------------------------------------------------ /settings


OFFSET_RE = re.compile(r"^(?P<n>\d+)\s*(?P<unit>d|day|days|วัน|h|hr|hour|hours|ชม\.?|ชั่วโมง|m|min|นาที)$")


def parse_offset(word: str) -> int | None:
    match = OFFSET_RE.match(from_thai_digits(word).strip().lower())
    if not match:
        return None
    n, unit = parse_whole(match["n"], low=0), match["unit"]
    if n is None:
        return None
    minutes = n * 1440 if unit[0] in "dว" else n * 60 if unit[0] in "hช" else n
    return minutes if 5 <= minutes <= 30 * 1440 else None


def settings_text(t: Translator, network: Network, quiet: QuietHours) -> str:
    sched = summary_schedule(network)
    summary = (t("every {day} at {time}", day=t(WEEKDAY_NAMES[int(sched["weekday"])]), time=sched["time"])
               if sched["enabled"] else t("off"))
    offsets = reminder_offsets(network)
    reminders = t.join(duration_text(t, o) for o in offsets) if offsets else t("off")
    budget = line_budget(network)
    return "\n".join([
        t("Settings of {network}:\nWeekly summary: {summary}\nMeeting reminders before: {reminders}\n"
          "Change with /settings summary mon 08:00 (or off), /settings reminders 1d 1h (or off).",
          network=network.name, summary=summary, reminders=reminders),
        t("Quiet hours (no reminders or digests pushed): {quiet}. Change with /settings quiet 21:00-07:00 "
          "(or off).", quiet=t("off") if quiet.off else quiet.text()),
        t("LINE monthly budget: {budget}. Change with /settings line-budget 300 (or default).",
          budget=t("the account's monthly limit") if budget is None else t("{n} messages", n=budget)),
        t("Waiting notifications ride on a chat's replies at most once every {interval}. Change with "
          "/settings catchup 30m (or default).", interval=duration_text(t, catchup_minutes(dict(network.settings or {})))),
        t("Academic year terms (day/month): {terms}. Change with /settings terms 16/5-15/10 1/11-31/3 (or default).",
          terms=calendar_text(AcademicCalendar.from_settings(network.settings))),
    ])


def line_budget(network: Network) -> int | None:
    """The network's own LINE monthly budget in billed messages; None: the account's limit."""
    value = (network.settings or {}).get("line_budget")
    return value if isinstance(value, int) else None


@router.command("settings", "ตั้งค่า", roles=COORDINATOR,
                help=N_("Network settings: weekly summary time, meeting reminders, quiet hours, LINE budget, "
                        "catch-up interval and academic terms"))
async def settings_command(ctx: MemberContext) -> None:
    words = ctx.args.lower().split()
    network = await ctx.repo(NetworkRepo).get(ctx.network.id)
    assert network is not None
    if not words:
        await ctx.reply(settings_text(ctx.t, network, ctx.quiet_hours(network)))
        return
    settings = dict(network.settings or {})
    what, rest = words[0], words[1:]
    if what in ("summary", "สรุป"):
        sched = summary_schedule(network)
        if rest in (["off"], ["ปิด"]):
            sched["enabled"] = False
        elif rest in (["on"], ["เปิด"]):
            sched["enabled"] = True
        elif len(rest) == 2 and rest[0].removeprefix("วัน") in WEEKDAYS:
            try:
                at = parse_time(rest[1])
            except DateInputError:
                await ctx.reply(ctx.t("Usage: /settings summary mon 08:00 (or off, on)."))
                return
            sched.update(enabled=True, weekday=WEEKDAYS[rest[0].removeprefix("วัน")], time=f"{at:%H:%M}")
        else:
            await ctx.reply(ctx.t("Usage: /settings summary mon 08:00 (or off, on)."))
            return
        settings["summary"] = sched
    elif what in ("reminders", "เตือน"):
        if rest in (["off"], ["ปิด"]):
            offsets: list[int] = []
        else:
            parsed = [parse_offset(w) for w in rest]
            if not rest or None in parsed or len(parsed) > 4:
                await ctx.reply(ctx.t("Usage: /settings reminders 1d 1h (up to four, from 5m to 30d; or off)."))
                return
            offsets = sorted({p for p in parsed if p is not None}, reverse=True)
        settings["meeting_reminders"] = offsets
    elif what in ("quiet", "เงียบ"):
        try:
            quiet = QuietHours.parse(" ".join(rest))
        except ValueError:
            await ctx.reply(ctx.t("Usage: /settings quiet 21:00-07:00 (or off)."))
            return
        settings["quiet"] = quiet.text()
    elif what in ("line-budget", "งบไลน์"):
        if rest in (["default"], ["ค่าเริ่มต้น"]):
            settings.pop("line_budget", None)
        else:
            budget = parse_whole(rest[0], low=0, high=MAX_LINE_BUDGET) if len(rest) == 1 else None
            if budget is None:
                await ctx.reply(ctx.t("Usage: /settings line-budget 300 (messages a month, 0 to {max}; or default).",
                                      max=MAX_LINE_BUDGET))
                return
            settings["line_budget"] = budget
    elif what in ("terms", "ภาคเรียน", "ปีการศึกษา"):
        if rest in (["default"], ["ค่าเริ่มต้น"]):
            settings.pop("academic_terms", None)
        else:
            try:
                settings.update(parse_calendar(" ".join(rest)).to_settings())
            except AcademicInputError:
                await ctx.reply(ctx.t("Usage: /settings terms 16/5-15/10 1/11-31/3 (each term's first and last day, "
                                      "day/month, in order; the academic year starts on the first; or default)."))
                return
    elif what in ("catchup", "ส่งตามรอบ"):
        if rest in (["default"], ["ค่าเริ่มต้น"]):
            settings.pop("catchup_minutes", None)
        else:
            minutes = parse_offset(rest[0]) if len(rest) == 1 else None
            if minutes is None or minutes > MAX_CATCHUP_MINUTES:
                await ctx.reply(ctx.t("Usage: /settings catchup 30m (how often at most a chat's waiting notifications "
                                      "ride on a reply: 5m to 24h; or default)."))
                return
            settings["catchup_minutes"] = minutes
    else:
        await ctx.reply(settings_text(ctx.t, network, ctx.quiet_hours(network)))
        return
    await ctx.repo(NetworkRepo).update_settings(network.id, settings)
    await ctx.audit("update", "network_settings", network.id, summary=settings.get("summary"),
                    meeting_reminders=settings.get("meeting_reminders"), quiet=settings.get("quiet"),
                    line_budget=settings.get("line_budget"), catchup_minutes=settings.get("catchup_minutes"),
                    academic_terms=settings.get("academic_terms"))
    updated = await ctx.repo(NetworkRepo).get(network.id)
    assert updated is not None
    ctx.network = updated
    await schedule_weekly(ctx, updated)
    await ctx.reply(ctx.t("Saved.") + "\n" + settings_text(ctx.t, updated, ctx.quiet_hours(updated)))

