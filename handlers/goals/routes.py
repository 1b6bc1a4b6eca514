"""/goals (everyone in the network reads the year's goals with live bars), /setgoal (coordinators: a goal
step by step or on one line, its targets, removing), and the manual indicators' reports (/goals report,
or the “รายงานค่า” button for the indicator's owner)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from bot.academic import AcademicInputError, parse_year
from bot.context import Context, MemberContext
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_
from bot.model import Button, Card, Document, Text
from bot.numbers import AmountInputError, parse_amount
from bot.roles import Role
from bot.router import Router
from handlers._common.buttons import grid, load_or_expire
from handlers._common.flows import confirm
from handlers._common.members import is_coordinator
from handlers._common.parsing import amount_error, words_key
from handlers.activities import AIMS, aim_label, csv_date, to_csv
from handlers.goals.progress import calendar, goal_card, measure, pace_text, ref, year_progress
from handlers.goals.vocabulary import (KINDS, MAX_TARGET, SpecError, TargetSpec, example, kind_label, parse_aim,
                                       parse_spec, rounded, target_title, unit_of, value_text)
from storage.goals import Goal, GoalRepo, Target
from storage.membership import MemberRepo

router = Router()

COORDINATOR = {Role.COORDINATOR}
MAX_TITLE = 200
MAX_NOTE = 300
MAX_TARGETS = 8
REF_RE = re.compile(r"^#?(\d{1,6})\.(\d{1,3})$")
QUOTED_RE = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")
YEAR_RE = re.compile(r"(?:^|\s)(?:ปีการศึกษา|ปี|year)\s*(\d{4})(?=\s|$)")


def current_year(ctx: Context) -> int:
    return calendar(ctx).year_of(ctx.today)


# ------------------------------------------------------------------ /goals


@router.command("goals", "เป้าหมาย", help=N_("The network's goals of the academic year with live progress: "
                                             "/goals [2569] · /goals report 1.3 25"))
async def goals_command(ctx: MemberContext) -> None:
    words = ctx.args.split(maxsplit=1)
    if words and words_key(words[0]) in ("report", "รายงาน"):
        await report_command(ctx, words[1] if len(words) > 1 else "")
        return
    if words and words_key(words[0]) in ("add", "เพิ่ม", "target", "remove", "ลบ"):
        await ctx.reply(ctx.t("Coordinators set goals with /setgoal (ตั้งเป้าหมาย)."))
        return
    year = current_year(ctx)
    if ctx.args.strip():
        try:
            year = parse_year(ctx.args)
        except AcademicInputError:
            await ctx.reply(ctx.t("Please give an academic year in Buddhist Era, e.g. /goals 2569."))
            return
    await show_year(ctx, year)


async def show_year(ctx: MemberContext, year: int) -> None:
    t = ctx.t
    found = await year_progress(ctx, year)
    span = calendar(ctx).year(year)
    coordinator = is_coordinator(ctx)
    if not found:
        text = t("No goals for academic year {year} yet.", year=year)
        if coordinator:
            text += "\n" + t("Set one with /setgoal, or on one line: /setgoal {example}", example=ONE_LINE_EXAMPLE)
        await ctx.reply(text)
        return
    share = span.elapsed_share(ctx.today)
    await ctx.reply(t("Goals of academic year {year} ({first} – {last}): {share}% of the year has passed. Progress "
                      "is counted from activities, pledges, surveys, meetings and tasks.", year=year,
                      first=t.date(span.start), last=t.date(span.end - timedelta(days=1)),
                      share=f"{share * 100:.0f}"))
    for item in found:
        buttons: list[Button] = []
        for progress in item.targets:
            target = progress.target
            if target.kind == "manual" and (coordinator or target.owner_id == ctx.member.id):
                buttons.append(ctx.button(t("Report {ref}", ref=ref(item.goal, target)), "grp", target.id))
        if coordinator and item.goal.status == "active" and len(item.goal.targets) < MAX_TARGETS:
            buttons.append(ctx.button(t("Add a target"), "ggt", item.goal.id))
        await ctx.reply(goal_card(t, item, grid(buttons)))


# ------------------------------------------------------------------ /setgoal

ONE_LINE_EXAMPLE = "ด้านบุคลากร \"ครูได้รับการพัฒนา\" กิจกรรม อบรม 24; ผู้เข้าร่วม 300"


@router.command("setgoal", "ตั้งเป้าหมาย", roles=COORDINATOR,
                help=N_("Set a goal and its targets (step by step, or /setgoal ด้านบุคลากร \"title\" กิจกรรม อบรม 24); "
                        "/setgoal target 1 …, /setgoal remove 1 or 1.2"))
async def setgoal_command(ctx: MemberContext) -> None:
    args = ctx.args.strip()
    words = args.split(maxsplit=2)
    if not words:
        await begin(ctx, "goal", "aim", {"year": current_year(ctx)})
        return
    head = words_key(words[0])
    if head in ("target", "ตัวชี้วัด", "เป้า"):
        goal = await goal_from_text(ctx, words[1] if len(words) > 1 else "")
        if goal is None:
            return
        if len(words) > 2:
            await add_target_line(ctx, goal, words[2])
        else:
            await begin(ctx, "goaltarget", "kind", {"goal": goal.id})
        return
    if head in ("remove", "ลบ"):
        await remove(ctx, words[1] if len(words) > 1 else "")
        return
    await one_line_goal(ctx, args)


async def goal_from_text(ctx: MemberContext, text: str) -> Goal | None:
    number = text.strip().lstrip("#")
    goal = await ctx.repo(GoalRepo).by_number(ctx.network.id, int(number)) if number.isdigit() and len(number) < 7 \
        else None
    if goal is None:
        await ctx.reply(ctx.t("There is no goal {n}. See /goals.", n=text.strip()[:20] or "-"))
    return goal


async def one_line_goal(ctx: MemberContext, args: str) -> None:
    """``/setgoal ด้านบุคลากร "ครูได้รับการพัฒนา" [ปี 2570] กิจกรรม อบรม 24; ผู้เข้าร่วม 300``."""
    t = ctx.t
    usage = t("Write the aim, the goal in quotes and its targets, e.g. /setgoal {example}", example=ONE_LINE_EXAMPLE)
    title_match = QUOTED_RE.search(args)
    aim = parse_aim(args[:title_match.start()]) if title_match else None
    if title_match is None or aim is None:
        await ctx.reply(usage + "\n" + t("Aims: {aims}.", aims=t.join(aim_label(t, a) for a in AIMS)))
        return
    title = title_match[1].strip()
    if len(title) > MAX_TITLE:
        await ctx.reply(t("Please write the goal in at most {max} characters.", max=MAX_TITLE))
        return
    rest = args[title_match.end():]
    year = current_year(ctx)
    if (year_match := YEAR_RE.search(rest)) is not None:
        try:
            year = parse_year(year_match[1])
        except AcademicInputError:
            await ctx.reply(t("Please give an academic year in Buddhist Era, e.g. 2569."))
            return
        rest = rest[:year_match.start()] + rest[year_match.end():]
    parts = [p for p in rest.split(";") if p.strip()]
    if len(parts) > MAX_TARGETS:
        await ctx.reply(t("A goal has at most {max} targets.", max=MAX_TARGETS))
        return
    specs = []
    for part in parts:
        try:
            specs.append(await checked_spec(ctx, part))
        except SpecError as exc:
            await ctx.reply(t("Target “{text}”: {problem}", text=part.strip()[:60], problem=str(exc)) +
                            "\n" + t("Nothing was saved."))
            return
    goal = await ctx.repo(GoalRepo).create(ctx.network.id, academic_year=year, aim=aim, title=title,
                                           created_by=ctx.member.id, now=ctx.now)
    for spec in specs:
        await save_target(ctx, goal, spec)
    await ctx.audit("create", "goal", goal.id, title=title, aim=aim, year=year, targets=len(specs))
    await reply_goal(ctx, goal, t("Goal {n} saved for academic year {year}.", n=goal.number, year=year))


async def checked_spec(ctx: MemberContext, text: str) -> TargetSpec:
    """A target read from text and checked against the network's data (surveys, members)."""
    t = ctx.t
    spec = parse_spec(t, text)
    if spec.kind in ("survey_mean", "survey_response_rate"):
        from storage.surveys import SurveyRepo

        survey = await ctx.repo(SurveyRepo).by_number(ctx.network.id, spec.params["survey"])
        if survey is None:
            raise SpecError(t("There is no survey #{n}. See /results.", n=spec.params["survey"]))
        position = spec.params.get("question")
        question = survey.question(position) if position is not None else None
        if position is not None and question is None:
            raise SpecError(t("Survey #{n} has no question {q}.", n=survey.number, q=position))
        if spec.kind == "survey_mean" and question is not None and question.kind != "rating":
            raise SpecError(t("Question {q} of survey #{n} is not a rating question; a mean needs one.",
                              q=position, n=survey.number))
    if spec.owner_number is not None:
        owner = await ctx.repo(MemberRepo).by_number(ctx.network.id, spec.owner_number)
        if owner is None or owner.status != "active":
            raise SpecError(t("There is no member number {n}. See /members.", n=spec.owner_number))
    return spec


async def save_target(ctx: MemberContext, goal: Goal, spec: TargetSpec) -> Target:
    owner_id = None
    if spec.kind == "manual":
        owner_id = ctx.member.id
        if spec.owner_number is not None:
            owner = await ctx.repo(MemberRepo).by_number(ctx.network.id, spec.owner_number)
            owner_id = owner.id if owner is not None else owner_id
    return await ctx.repo(GoalRepo).add_target(goal, kind=spec.kind, params=spec.params, value=spec.value,
                                               unit=spec.unit, owner_id=owner_id, now=ctx.now)


async def add_target_line(ctx: MemberContext, goal: Goal, text: str) -> None:
    if len(goal.targets) >= MAX_TARGETS:
        await ctx.reply(ctx.t("A goal has at most {max} targets.", max=MAX_TARGETS))
        return
    try:
        spec = await checked_spec(ctx, text)
    except SpecError as exc:
        await ctx.reply(str(exc))
        return
    target = await save_target(ctx, goal, spec)
    await ctx.audit("create", "goal_target", target.id, goal=goal.number, kind=target.kind)
    await reply_goal(ctx, goal, ctx.t("Target {ref} added.", ref=ref(goal, target)))


async def reply_goal(ctx: MemberContext, goal: Goal, message: str) -> None:
    fresh = await ctx.repo(GoalRepo).by_number(ctx.network.id, goal.number)
    assert fresh is not None
    [item] = await measure(ctx, [fresh], calendar(ctx).year(fresh.academic_year), ctx.today)
    card = goal_card(ctx.t, item, [[ctx.button(ctx.t("Add a target"), "ggt", fresh.id)]]
                     if len(fresh.targets) < MAX_TARGETS else [])
    card.title = message + "\n" + card.title
    await ctx.reply(card)


async def remove(ctx: MemberContext, text: str) -> None:
    t, repo = ctx.t, ctx.repo(GoalRepo)
    text = text.strip()
    if (match := REF_RE.match(text)) is not None:
        goal = await repo.by_number(ctx.network.id, int(match[1]))
        target = next((x for x in goal.targets if x.position == int(match[2])), None) if goal else None
        if goal is None or target is None:
            await ctx.reply(t("There is no target {ref}. See /goals.", ref=text[:20]))
            return
        await repo.remove_target(ctx.network.id, target.id)
        await ctx.audit("delete", "goal_target", target.id, goal=goal.number)
        await ctx.reply(t("Target {ref} removed.", ref=text))
        return
    goal = await goal_from_text(ctx, text)
    if goal is None:
        return
    await repo.remove(ctx.network.id, goal.id, ctx.now)
    await ctx.audit("delete", "goal", goal.id, title=goal.title)
    await ctx.reply(t("Goal {n} removed (its number is not given again).", n=goal.number))


# ------------------------------------------------------------------ the guided goal


def aim_buttons(ctx: Context) -> list[list[Button]]:
    return grid([ctx.flow_button(ctx.t.label(aim_label(ctx.t, code)), code) for code in AIMS])


def kind_buttons(ctx: Context) -> list[list[Button]]:
    return grid([ctx.flow_button(ctx.t.label(kind_label(ctx.t, code)), code) for code in KINDS], 2)


async def ask_aim(ctx: MemberContext) -> None:
    year = ctx.flow.data["year"] if ctx.flow else current_year(ctx)
    await ctx.reply(Text(ctx.t("A new goal for academic year {year}. Which of the four aims does it serve?",
                               year=year), buttons=aim_buttons(ctx)))


async def read_aim(ctx: MemberContext, value: str) -> Data | Retry:
    aim = parse_aim(value)
    if aim is None:
        return Retry(Text(ctx.t("Please tap one of the four aims."), buttons=aim_buttons(ctx)))
    return {"aim": aim}


async def ask_title(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Write the goal in a sentence, e.g. ครูในเครือข่ายได้รับการพัฒนาด้านสื่อการสอน"))


async def read_title(ctx: MemberContext, value: str) -> Data | Retry:
    if not value or len(value) > MAX_TITLE:
        return Retry(ctx.t("Please write the goal in 1 to {max} characters.", max=MAX_TITLE))
    return {"title": value}


async def ask_kind(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("What will show the goal is met? Tap the kind of target; progress is then counted "
                               "from the bot's data."), buttons=kind_buttons(ctx)))


async def read_kind(ctx: MemberContext, value: str) -> Data | Retry:
    kind = value if value in KINDS else None
    if kind is None:
        # A whole target typed at once (กิจกรรม อบรม 24) is read as it is.
        try:
            spec = await checked_spec(ctx, value)
        except SpecError as exc:
            return Retry(Text(str(exc), buttons=kind_buttons(ctx)))
        return {"spec": spec_data(spec), "kind": value.split()[0]}
    return {"kind": kind}


def spec_data(spec: TargetSpec) -> Data:
    return {"kind": spec.kind, "params": spec.params, "value": str(spec.value), "unit": spec.unit,
            "owner": spec.owner_number}


def spec_of(data: Data) -> TargetSpec:
    s = data["spec"]
    return TargetSpec(kind=s["kind"], params=dict(s["params"]), value=Decimal(s["value"]), unit=s["unit"],
                      owner_number=s.get("owner"))


async def ask_details(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    kind = ctx.flow.data["kind"]
    await ctx.reply(ctx.t("Send the details and the value aimed at for the year, e.g. {example}",
                          example=example(kind).split(maxsplit=1)[1]))


async def read_details(ctx: MemberContext, value: str) -> Data | Retry:
    assert ctx.flow is not None
    word = KINDS[ctx.flow.data["kind"]][1][0]
    try:
        spec = await checked_spec(ctx, f"{word} {value}")
    except SpecError as exc:
        return Retry(str(exc))
    return {"spec": spec_data(spec)}


def draft_card(ctx: MemberContext, data: Data, title: str) -> Card:
    t = ctx.t
    spec = spec_of(data)
    fields = [(t("Target"), target_title(t, spec.kind, spec.params)),
              (t("Value aimed at"), value_text(t, spec.value, spec.unit, spec.kind))]
    return Card(title=title, fields=fields,
                buttons=[[ctx.flow_button(t("Save"), "save"), ctx.flow_button(t("Cancel"), "cancel")]])


async def show_goal_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    data = ctx.flow.data
    card = draft_card(ctx, data, data["title"])
    card.fields[:0] = [(ctx.t("Academic year"), str(data["year"])), (ctx.t("Aim"), aim_label(ctx.t, data["aim"]))]
    await ctx.reply(card)


async def save_goal(ctx: MemberContext, data: Data) -> None:
    goal = await ctx.repo(GoalRepo).create(ctx.network.id, academic_year=data["year"], aim=data["aim"],
                                           title=data["title"], created_by=ctx.member.id, now=ctx.now)
    await save_target(ctx, goal, spec_of(data))
    await ctx.audit("create", "goal", goal.id, title=goal.title, aim=goal.aim, year=goal.academic_year, targets=1)
    await reply_goal(ctx, goal, ctx.t("Goal {n} saved for academic year {year}.", n=goal.number,
                                      year=goal.academic_year))


def after_kind(data: Data) -> str:
    return "confirm" if "spec" in data else "details"


router.steps("goal", {
    "aim": Step(ask_aim, read_aim, next="title"),
    "title": Step(ask_title, read_title, next="kind"),
    "kind": Step(ask_kind, read_kind, next=after_kind),
    "details": Step(ask_details, read_details, next="confirm"),
    "confirm": confirm(show_goal_draft, save_goal, retry=N_("Tap Save to keep the goal, or Cancel.")),
}, roles=COORDINATOR)


def payload_id(ctx: Context) -> int:
    """The item id a button carries; 0 (found nowhere) for a payload that holds none."""
    try:
        return ctx.payload.int_arg(0)
    except ValueError:
        return 0


@router.button("ggt", roles=COORDINATOR)
async def add_target_button(ctx: MemberContext) -> None:
    goal = await load_or_expire(ctx, ctx.repo(GoalRepo).by_id(ctx.network.id, payload_id(ctx)))
    if goal is None:
        return
    if len(goal.targets) >= MAX_TARGETS:
        await ctx.reply(ctx.t("A goal has at most {max} targets.", max=MAX_TARGETS))
        return
    await begin(ctx, "goaltarget", "kind", {"goal": goal.id})


async def show_target_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    goal = await ctx.repo(GoalRepo).by_id(ctx.network.id, ctx.flow.data["goal"])
    await ctx.reply(draft_card(ctx, ctx.flow.data, ctx.t("A new target for goal {n}", n=goal.number if goal else "-")))


async def save_new_target(ctx: MemberContext, data: Data) -> None:
    goal = await ctx.repo(GoalRepo).by_id(ctx.network.id, data["goal"])
    if goal is None:
        await ctx.reply(ctx.t("That goal was removed. Nothing was saved."))
        return
    target = await save_target(ctx, goal, spec_of(data))
    await ctx.audit("create", "goal_target", target.id, goal=goal.number, kind=target.kind)
    await reply_goal(ctx, goal, ctx.t("Target {ref} added.", ref=ref(goal, target)))


router.steps("goaltarget", {
    "kind": Step(ask_kind, read_kind, next=after_kind),
    "details": Step(ask_details, read_details, next="confirm"),
    "confirm": confirm(show_target_draft, save_new_target, retry=N_("Tap Save to keep the target, or Cancel.")),
}, roles=COORDINATOR)


# ------------------------------------------------------------------ manual indicators


def parse_report(ctx: Context, text: str) -> tuple[Decimal | None, str, str | None]:
    """``25 note…`` -> (value, note, None) or (None, "", error)."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return None, "", ctx.t("Please send the value as it stands now, e.g. 25.")
    try:
        value = parse_amount(words[0], max_value=MAX_TARGET)
    except AmountInputError as exc:
        if exc.code == "not_positive" and words[0].strip() in ("0", "๐"):
            value = Decimal(0)
        else:
            return None, "", amount_error(ctx.t, exc)
    note = words[1].strip() if len(words) > 1 else ""
    if len(note) > MAX_NOTE:
        return None, "", ctx.t("Please keep the note to {max} characters.", max=MAX_NOTE)
    return value, note, None


async def may_report(ctx: MemberContext, target: Target) -> bool:
    if target.kind != "manual":
        await ctx.reply(ctx.t("That target is counted from the bot's data; nobody types its value."))
        return False
    if not is_coordinator(ctx) and target.owner_id != ctx.member.id:
        await ctx.reply(ctx.t("Only the indicator's owner or a coordinator can report its value."))
        return False
    return True


async def report_command(ctx: MemberContext, args: str) -> None:
    """``/goals report 1.3 25 [note]``."""
    t = ctx.t
    words = args.split(maxsplit=1)
    match = REF_RE.match(words[0]) if words else None
    if match is None:
        await ctx.reply(t("Usage: /goals report 1.3 25 (the target's number, then its value now)."))
        return
    goal = await ctx.repo(GoalRepo).by_number(ctx.network.id, int(match[1]))
    target = next((x for x in goal.targets if x.position == int(match[2])), None) if goal else None
    if goal is None or target is None:
        await ctx.reply(t("There is no target {ref}. See /goals.", ref=words[0][:20]))
        return
    if not await may_report(ctx, target):
        return
    value, note, error = parse_report(ctx, words[1] if len(words) > 1 else "")
    if error or value is None:
        await ctx.reply(error or "")
        return
    await save_report(ctx, goal, target, value, note)


async def save_report(ctx: MemberContext, goal: Goal, target: Target, value: Decimal, note: str) -> None:
    await ctx.repo(GoalRepo).report(target, value=value, reported_by=ctx.member.id, note=note or None, now=ctx.now)
    await ctx.audit("create", "indicator_report", target.id, goal=goal.number, value=str(value))
    await reply_goal(ctx, goal, ctx.t("Reported: {ref} is now {value}.", ref=ref(goal, target),
                                      value=value_text(ctx.t, value, target.unit, target.kind)))


@router.button("grp")
async def report_button(ctx: MemberContext) -> None:
    found = await load_or_expire(ctx, ctx.repo(GoalRepo).target_by_id(ctx.network.id, payload_id(ctx)))
    if found is None:
        return
    goal, target = found
    if not await may_report(ctx, target):
        return
    await ctx.start_flow("goalreport", "value", {"target": target.id})
    await ctx.reply(ctx.t("{ref} {title}: send its value as it stands now (a note may follow), e.g. 25.",
                          ref=ref(goal, target), title=target_title(ctx.t, target.kind, target.params)))


@router.flow("goalreport")
async def report_flow(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    found = await ctx.repo(GoalRepo).target_by_id(ctx.network.id, ctx.flow.data["target"])
    if found is None:
        await ctx.end_flow()
        await ctx.reply(ctx.t("That target was removed. Nothing was saved."))
        return
    goal, target = found
    if not await may_report(ctx, target):  # the role or the owner may have changed meanwhile
        await ctx.end_flow()
        return
    value, note, error = parse_report(ctx, ctx.input)
    if error or value is None:
        await ctx.reply(error or "")
        return
    await ctx.end_flow()
    await save_report(ctx, goal, target, value, note)


# ------------------------------------------------------------------ CSV


@router.exporter("goals", "เป้าหมาย")
async def export_goals(ctx: MemberContext, args: str) -> None:
    """``/export goals [2569]``: every target with its progress as it stands today."""
    t = ctx.t
    year = current_year(ctx)
    if args.strip():
        try:
            year = parse_year(args)
        except AcademicInputError:
            await ctx.reply(t("Please give an academic year in Buddhist Era, e.g. /goals 2569."))
            return
    header = [t("Goal"), t("Aim"), t("Target"), t("Value aimed at"), t("Unit"), t("So far this year"),
              t("Percent"), t("Expected by now"), t("Status"), t("As of")]
    rows = []
    for item in await year_progress(ctx, year):
        for p in item.targets:
            target = p.target
            rows.append([f"{item.goal.number} {item.goal.title}", aim_label(t, item.goal.aim),
                         f"{ref(item.goal, target)} {target_title(t, target.kind, target.params)}",
                         _plain(target.value), unit_of(t, target.kind, target.unit).replace("THB", t("baht")),
                         _plain(p.actual), f"{p.ratio * 100:.0f}" if p.ratio is not None else "",
                         _plain(rounded(p.expected, target.value) if p.expected is not None else None), pace_text(t, p),
                         csv_date(t, ctx.today)])
    await ctx.reply(Document(filename=f"goals-{year}.csv", content=to_csv(header, rows), mime_type="text/csv",
                             caption=t("Goals of academic year {year}", year=year)))


def _plain(value: Decimal | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


__all__ = ["router"]
