"""/review (coordinators): the term review of the PDCA cycle.

The Check: every goal's targets (the year so far against the year's target and its pace at the term's
end, the term's own figure and the previous term's), activities by aim, resources by channel, the
surveys open during the term, the work plan's tasks done on time / late / blocked / overdue, each
beside the previous term's. The Act: per goal continue / adjust / stop with a note, adjusted target
values and new tasks. Closing the review freezes the Check as shown and seeds the next term: adjusted
values become the targets (copied into the next academic year after its last term, with the goals to
continue), stopped goals stop, and the new tasks become a project of the next term under the goal.
A closed review reads the same later (``/review 2569/1``) and exports as CSV (``/export review 2569/1``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.academic import AcademicInputError, Term, parse_term
from bot.context import BaseContext, MemberContext
from bot.goals import assess
from bot.i18n import N_, Translator
from bot.model import Button, Document, Text
from bot.numbers import AmountInputError, parse_amount
from bot.roles import Role
from bot.router import Router
from handlers._common.parsing import amount_error, words_key
from handlers.activities import AIMS, aim_label, csv_date, to_csv
from handlers.goals.progress import PACE_NAMES, calendar
from handlers.goals.vocabulary import MAX_TARGET, target_title, value_text
from handlers.resources import RESOURCE_TYPES, type_label
from handlers.surveys import audience_count
from storage.goals import MIN_ANSWERS, GoalRepo, MeasureRepo, PeriodTotals, PlanRepo, local_midnight
from storage.goals.reviews import DECISIONS, Review, ReviewRepo
from storage.resource_repo import PledgeTotal
from storage.surveys import SurveyRepo

router = Router()

COORDINATOR = {Role.COORDINATOR}
MAX_NOTE = 500
MAX_TASKS = 5
DECISION_WORDS = {
    "continue": ("continue", "ทำต่อ", "ต่อ", "ดำเนินการต่อ"),
    "adjust": ("adjust", "ปรับ", "ปรับเป้า", "ปรับเป้าหมาย"),
    "stop": ("stop", "ยุติ", "หยุด", "เลิก"),
}
DECISION_NAMES = {"continue": N_("continue"), "adjust": N_("adjust"), "stop": N_("stop")}
TERM_KINDS = frozenset({"activities", "participants", "hours", "resources", "needs_fulfilled", "meetings",
                        "attendance", "tasks_on_time"})
ADJUST_RE = re.compile(r"(?:^|\s)#?(\d{1,6})\.(\d{1,3})\s*=\s*(\S+)")


def parse_decision(word: str) -> str | None:
    key = words_key(word)
    return next((code for code, words in DECISION_WORDS.items() if key in words), None)


def _num(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if value == value.to_integral_value() else str(value)


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# ------------------------------------------------------------------ the Check


def _by_type(totals: list[PledgeTotal]) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, Decimal]] = {}
    for row in totals:
        entry = found.setdefault(row.resource_type, {"count": Decimal(0), "baht": Decimal(0)})
        entry["count"] += row.count
        if row.unit == "THB":
            entry["baht"] += row.amount
    return {k: {"count": str(int(v["count"])), "baht": str(v["baht"])} for k, v in found.items()}


async def _period_figures(ctx: BaseContext, term: Term, totals: PeriodTotals) -> dict[str, Any]:
    """Activities by aim, resources by channel and tasks of one term (``totals``: the term's, shared with
    the targets' measures, so each total is read once)."""
    assert ctx.network is not None
    by_aim: dict[str, list[int]] = {aim: [0, 0, 0] for aim in AIMS}
    for group in await totals.activities():
        row = by_aim.setdefault(group.aim, [0, 0, 0])
        row[0] += group.count
        row[1] += group.participants
        row[2] += group.minutes
    counts = await ctx.repo(PlanRepo).counts(ctx.network.id, term.span.start, term.span.end,
                                             min(ctx.today, term.span.end))
    return {"activities": by_aim, "pledged": _by_type(await totals.pledges("pledged")),
            "delivered": _by_type(await totals.pledges("delivered")),
            "tasks": {"done_on_time": counts.done_on_time, "done_late": counts.done_late,
                      "blocked": counts.blocked, "overdue": counts.overdue, "open": counts.open}}


async def build_check(ctx: BaseContext, term: Term) -> dict[str, Any]:
    """The Check of ``term`` as plain JSON (numbers as text), from the data as it stands."""
    assert ctx.network is not None
    cal = calendar(ctx)
    previous = cal.previous(term)
    year = cal.year(term.year)
    last_day = min(ctx.today, term.span.end - timedelta(days=1))
    measures = ctx.repo(MeasureRepo)
    goals = await ctx.repo(GoalRepo).of_year(ctx.network.id, term.year)
    targets = [t for g in goals for t in g.targets]
    # A term's own figure means something for what accumulates; a mean, a rate or a reported value is one level.
    flows = [t for t in targets if t.kind in TERM_KINDS]
    term_totals = measures.period(ctx.network.id, *_days(term), tz=ctx.tz)
    previous_totals = measures.period(ctx.network.id, *_days(previous), tz=ctx.tz)
    # The year so far is the term itself in the first term: read once.
    year_totals = term_totals if year.start == term.span.start else measures.period(
        ctx.network.id, year.start, term.span.end, tz=ctx.tz)
    so_far = await measures.actuals(targets, year_totals, now=ctx.now) if targets else []
    in_term = dict(zip((t.id for t in flows), await measures.actuals(flows, term_totals, now=ctx.now)))
    before = dict(zip((t.id for t in flows), await measures.actuals(flows, previous_totals, now=ctx.now))) \
        if previous.year == term.year else {}
    share = year.elapsed_share(last_day)
    rows: dict[int, dict[str, Any]] = {}
    for index, target in enumerate(targets):
        progress = assess(target, so_far[index], share)
        rows[target.id] = {
            "position": target.position, "kind": target.kind, "params": target.params, "unit": target.unit,
            "target": _num(target.value), "year": _num(progress.actual), "pace": progress.pace,
            "suppressed": progress.suppressed,
            "term": _num(in_term[target.id].value) if target.id in in_term else None,
            "previous": _num(before[target.id].value) if target.id in before else None}
    surveys = []
    found = [s for s in await ctx.repo(SurveyRepo).active_between(ctx.network.id, local_midnight(term.span.start, ctx.tz),
                                                                 local_midnight(term.span.end, ctx.tz))
             if not s.is_poll]
    # Every survey's responses and every rating question's mean in two queries, not a few per survey.
    answered = await ctx.repo(SurveyRepo).response_counts(ctx.network.id, [s.id for s in found])
    scored = await measures.survey_means(ctx.network.id, [s.id for s in found])
    live: dict[tuple[tuple[str, ...], tuple[int, ...]], int] = {}  # open surveys' audiences, counted once each
    for survey in found:
        size = survey.audience_size  # recorded at closing; an open survey's is its audience now
        if size is None:
            audience = (survey.roles, survey.organisations)
            if audience not in live:
                live[audience] = await audience_count(ctx, survey)
            size = live[audience]
        rate = (Decimal(100) * answered[survey.id] / size).quantize(Decimal("0.01")) if size else None
        means = []
        for question in survey.questions:
            if question.kind == "rating":
                n, mean = scored.get((survey.id, question.id), (0, None))
                hidden = survey.anonymous and n < MIN_ANSWERS
                means.append({"position": question.position, "text": question.text,
                              "mean": None if hidden or not n else _num(mean), "suppressed": hidden})
        surveys.append({"number": survey.number, "title": survey.title, "rate": _num(rate), "means": means})
    return {
        "term": term.label, "start": term.span.start.isoformat(), "end": term.span.end.isoformat(),
        "previous": previous.label, "built_on": ctx.today.isoformat(),
        "goals": [{"id": g.id, "number": g.number, "title": g.title, "aim": g.aim, "status": g.status,
                   "targets": [rows[t.id] for t in g.targets]} for g in goals],
        "now": await _period_figures(ctx, term, term_totals),
        "before": await _period_figures(ctx, previous, previous_totals),
        "surveys": surveys,
    }


def _days(term: Term) -> tuple[date, date]:
    return term.span.start, term.span.end


# ------------------------------------------------------------------ showing it


def _change(t: Translator, now: Decimal | int, before: Decimal | int | None) -> str:
    if before is None:
        return ""
    diff = Decimal(now) - Decimal(before)
    sign = "+" if diff > 0 else ""
    return t(" (previous term {before}, {change})", before=value_text(t, Decimal(before), ""),
             change=f"{sign}{value_text(t, diff, '') if diff >= 0 else '-' + value_text(t, -diff, '')}")


def target_check_line(t: Translator, goal: dict[str, Any], row: dict[str, Any]) -> str:
    title = target_title(t, row["kind"], row["params"])
    head = f"{goal['number']}.{row['position']} {title}"
    aimed = value_text(t, Decimal(row["target"]), row["unit"], row["kind"])
    if row["suppressed"]:
        return f"{head}: {t('hidden (fewer than 5 answers)')}"
    if row["year"] is None:
        return f"{head}: {t('target')} {aimed} · {t(PACE_NAMES['no_data'])}"
    line = t("{head}: {actual} of {target} this year · {pace}", head=head,
             actual=value_text(t, Decimal(row["year"]), ""), target=aimed, pace=t(PACE_NAMES[row["pace"]]))
    if row["term"] is not None and row["kind"] not in ("survey_mean", "survey_response_rate", "manual"):
        line += "; " + t("this term {value}", value=value_text(t, Decimal(row["term"]), "")) + _change(
            t, Decimal(row["term"]), _dec(row["previous"]))
    return line


def check_text(t: Translator, check: dict[str, Any], review: Review | None) -> list[str]:
    """The Check as blocks of text, in the reader's language."""
    start, end = date.fromisoformat(check["start"]), date.fromisoformat(check["end"])
    blocks = [t("Term review {term} ({first} – {last}), compared with term {previous}.", term=check["term"],
                first=t.date(start), last=t.date(end - timedelta(days=1)), previous=check["previous"])]
    goal_lines = []
    for goal in check["goals"]:
        head = f"▸ {t('Goal {n}: {title}', n=goal['number'], title=goal['title'])} ({aim_label(t, goal['aim'])})"
        act = review.act_for(goal["id"]) if review else None
        lines = [head, *(target_check_line(t, goal, row) for row in goal["targets"])]
        if act is not None:
            lines.append(t("Act: {decision}", decision=t(DECISION_NAMES[act.decision])) +
                         (f" · {act.note}" if act.note else ""))
            lines += [t("adjusted {ref} to {value}", ref=f"{goal['number']}.{p}", value=v) for p, v in act.adjustments]
            lines += [t("new task: {title}", title=x) for x in act.new_tasks]
        goal_lines.append("\n".join(lines))
    blocks.append("\n\n".join(goal_lines) if goal_lines else t("No goals for academic year {year}.",
                                                                  year=check["term"].split("/")[0]))
    now, before = check["now"], check["before"]
    lines = [t("Activities by aim this term (previous term):")]
    for aim in AIMS:
        lines.append(f"• {aim_label(t, aim)}: {now['activities'][aim][0]} ({before['activities'][aim][0]})")
    people = sum(v[1] for v in now["activities"].values())
    lines.append(t("Participants: {people}", people=f"{people:,}") +
                 _change(t, people, sum(v[1] for v in before["activities"].values())))
    blocks.append("\n".join(lines))
    lines = [t("Resources by channel this term: pledged / delivered (previous term)")]
    for code in RESOURCE_TYPES:
        made, done = now["pledged"].get(code), now["delivered"].get(code)
        old_made, old_done = before["pledged"].get(code), before["delivered"].get(code)
        if not (made or done or old_made or old_done):
            continue
        lines.append(f"• {type_label(t, code)}: " + t("{pledged} / {delivered} pledges ({old_pledged} / {old_delivered})",
                                                       pledged=(made or {}).get("count", "0"),
                                                       delivered=(done or {}).get("count", "0"),
                                                       old_pledged=(old_made or {}).get("count", "0"),
                                                       old_delivered=(old_done or {}).get("count", "0")))
    baht = sum((Decimal(v["baht"]) for v in now["delivered"].values()), Decimal(0))
    lines.append(t("Delivered in baht: {amount}", amount=value_text(t, baht, "THB")) +
                 _change(t, baht, sum((Decimal(v["baht"]) for v in before["delivered"].values()), Decimal(0))))
    blocks.append("\n".join(lines))
    lines = [t("Surveys of the term:")]
    for survey in check["surveys"]:
        rate = f"{survey['rate']}%" if survey["rate"] is not None else "-"
        lines.append(t("• #{n} {title}: response rate {rate}", n=survey["number"], title=survey["title"], rate=rate))
        for mean in survey["means"]:
            shown = t("hidden (fewer than 5 answers)") if mean["suppressed"] else (mean["mean"] or "-")
            lines.append(f"  {t('question {n}', n=mean['position'])} {mean['text'][:40]}: {shown}")
    if len(lines) == 1:
        lines.append(t("none"))
    blocks.append("\n".join(lines))
    tasks, old = now["tasks"], before["tasks"]
    blocks.append(t("Work plan: done on time {ok} ({old_ok}), done late {late} ({old_late}); now blocked {blocked}, "
                    "overdue {overdue}, open {open}.", ok=tasks["done_on_time"], old_ok=old["done_on_time"],
                    late=tasks["done_late"], old_late=old["done_late"], blocked=tasks["blocked"],
                    overdue=tasks["overdue"], open=tasks["open"]))
    return blocks


def resolve_term(ctx: MemberContext, text: str) -> Term | None:
    cal = calendar(ctx)
    if not text.strip():
        return cal.term_on(ctx.today)
    try:
        return parse_term(text, cal)
    except AcademicInputError:
        return None


@router.command("review", "ทบทวน", roles=COORDINATOR,
                help=N_("The term review (PDCA): /review [2569/1], then the Act per goal; /review close"))
async def review_command(ctx: MemberContext) -> None:
    t = ctx.t
    words = ctx.args.split()
    term_text = words[0] if words and "/" in words[0] else ""
    rest = words[1:] if term_text else words
    term = resolve_term(ctx, term_text)
    if term is None:
        await ctx.reply(t("I could not read that term. Write it like /review 2569/1."))
        return
    action = words_key(rest[0]) if rest else ""
    if action in ("act", "ผล", "ตัดสิน"):
        await act_line(ctx, term, " ".join(rest[1:]))
        return
    if action in ("close", "ปิด"):
        await close_review(ctx, term)
        return
    if rest:
        await ctx.reply(t("Usage: /review [2569/1], /review act 1 ปรับ 1.1=30 note, /review close."))
        return
    await show_review(ctx, term)


async def show_review(ctx: MemberContext, term: Term) -> None:
    t = ctx.t
    review = await ctx.repo(ReviewRepo).get(ctx.network.id, term.year, term.number)
    closed = review is not None and review.status == "closed" and review.check is not None
    check = review.check if closed and review is not None and review.check is not None \
        else await build_check(ctx, term)
    blocks = check_text(t, check, review)
    if closed and review is not None and review.closed_at is not None:
        blocks[0] += "\n" + t("Closed on {date}; the figures are as they stood then.",
                              date=t.date(ctx.local(review.closed_at).date()))
    else:
        blocks[0] += "\n" + t("Figures as of today. Record the Act for each goal, then close the review.")
    await ctx.reply("\n\n".join(blocks[:2]))
    await ctx.reply("\n\n".join(blocks[2:]))
    buttons: list[list[Button]] = []
    if not closed:
        for goal in check["goals"]:
            if goal["status"] == "active":
                buttons.append([ctx.button(f"{goal['number']} {t(DECISION_NAMES[d])}"[:20], "rva", goal["id"],
                                           DECISIONS.index(d), term.year, term.number) for d in DECISIONS])
        buttons.append([ctx.button(t("Close the review"), "rvc", term.year, term.number)])
    past = [r.label for r in await ctx.repo(ReviewRepo).closed(ctx.network.id) if r.label != term.label]
    footer = t("Export: /export review {term}", term=term.label)
    if past:
        footer += "\n" + t("Past reviews: {terms} (e.g. /review {first})", terms=t.join(past), first=past[0])
    await ctx.reply(Text(footer, buttons=buttons))


# ------------------------------------------------------------------ the Act


def parse_act(ctx: MemberContext, text: str) -> tuple[list[tuple[int, int, Decimal]], str, list[str], str | None]:
    """``1.1=30 1.2=400 note… งาน: task a; task b`` -> (adjustments, note, tasks, error)."""
    t = ctx.t
    tasks: list[str] = []
    if "งาน:" in text or "tasks:" in text.lower():
        marker = text.index("งาน:") if "งาน:" in text else text.lower().index("tasks:")
        tasks = [x.strip() for x in text[marker:].split(":", 1)[1].split(";") if x.strip()]
        text = text[:marker]
    adjustments = []
    for match in ADJUST_RE.finditer(text):
        try:
            value = parse_amount(match[3], max_value=MAX_TARGET)
        except AmountInputError as exc:
            return [], "", [], t("{ref}: {problem}", ref=f"{match[1]}.{match[2]}", problem=amount_error(t, exc))
        adjustments.append((int(match[1]), int(match[2]), value))
    note = ADJUST_RE.sub(" ", text).strip()
    if len(note) > MAX_NOTE:
        return [], "", [], t("Please keep the note to {max} characters.", max=MAX_NOTE)
    if len(tasks) > MAX_TASKS or any(len(x) > 200 for x in tasks):
        return [], "", [], t("At most {max} new tasks of up to 200 characters each.", max=MAX_TASKS)
    return adjustments, note, tasks, None


async def record(ctx: MemberContext, term: Term, goal_number: int, decision: str, text: str) -> None:
    t = ctx.t
    goal = await ctx.repo(GoalRepo).by_number(ctx.network.id, goal_number)
    if goal is None or goal.academic_year != term.year:
        await ctx.reply(t("There is no goal {n} in academic year {year}. See /goals.", n=goal_number, year=term.year))
        return
    adjustments, note, tasks, error = parse_act(ctx, text)
    if error is not None:
        await ctx.reply(error)
        return
    positions = {x.position for x in goal.targets}
    for number, position, _ in adjustments:
        if number != goal.number or position not in positions:
            await ctx.reply(t("Goal {n} has no target {ref}.", n=goal.number, ref=f"{number}.{position}"))
            return
    if decision == "adjust" and not adjustments:
        await ctx.reply(t("Adjust to what? Give the new values, e.g. /review act {n} ปรับ {n}.1=30 เหตุผล…",
                          n=goal.number))
        return
    if decision != "adjust" and adjustments:
        await ctx.reply(t("New target values go with “adjust” (ปรับ)."))
        return
    review = await ctx.repo(ReviewRepo).ensure(ctx.network.id, term.year, term.number, by=ctx.member.id, now=ctx.now)
    saved = await ctx.repo(ReviewRepo).record_act(
        review, goal.id, decision=decision, note=note, adjustments=[(p, str(v)) for _, p, v in adjustments],
        new_tasks=tasks, by=ctx.member.id, now=ctx.now)
    if not saved:
        await ctx.reply(t("The review of term {term} is closed; its Act can no longer change.", term=term.label))
        return
    await ctx.audit("update", "goal_review", review.id, goal=goal.number, decision=decision)
    await ctx.reply(t("Act for goal {n} in term {term}: {decision}.", n=goal.number, term=term.label,
                      decision=t(DECISION_NAMES[decision])) + (f" {note}" if note else "") +
                    "".join("\n" + t("adjusted {ref} to {value}", ref=f"{goal.number}.{p}", value=_num(v))
                            for _, p, v in adjustments) +
                    "".join("\n" + t("new task: {title}", title=x) for x in tasks) +
                    "\n" + t("It takes effect when the review is closed (/review close)."))


async def act_line(ctx: MemberContext, term: Term, text: str) -> None:
    """``/review act 1 ปรับ 1.1=30 note… งาน: …``."""
    words = text.split(maxsplit=2)
    decision = parse_decision(words[1]) if len(words) > 1 else None
    number = words[0].lstrip("#") if words else ""
    if not number.isdigit() or len(number) > 6 or decision is None:
        await ctx.reply(ctx.t("Usage: /review act GOAL ทำต่อ|ปรับ|ยุติ [1.1=30] [note] [งาน: task; task]"))
        return
    await record(ctx, term, int(number), decision, words[2] if len(words) > 2 else "")


@router.button("rva", roles=COORDINATOR)
async def act_button(ctx: MemberContext) -> None:
    try:
        goal_id, index, year, number = (ctx.payload.int_arg(i) for i in range(4))
        calendar(ctx).term(year, number)
    except (AcademicInputError, ValueError):
        goal_id, index, year, number = 0, -1, 0, 0
    goal = await ctx.repo(GoalRepo).by_id(ctx.network.id, goal_id)
    if goal is None or not 0 <= index < len(DECISIONS):
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    decision = DECISIONS[index]
    await ctx.start_flow("reviewact", "note", {"goal": goal.number, "decision": decision, "year": year,
                                               "term": number})
    t = ctx.t
    if decision == "adjust":
        prompt = t("Goal {n}, adjust: send the new values and why, e.g. {n}.1=30 ครูติดสอบปลายภาค; new tasks after "
                   "งาน: (separated by ;).", n=goal.number)
    else:
        prompt = t("Goal {n}, {decision}: send a note (why, what next; new tasks after งาน: separated by ;), "
                   "or - for none.", n=goal.number, decision=t(DECISION_NAMES[decision]))
    await ctx.reply(prompt)


@router.flow("reviewact", roles=COORDINATOR)
async def act_flow(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    data = dict(ctx.flow.data)
    text = "" if ctx.input.strip() in ("-", "ข้าม", "skip") else ctx.input.strip()
    adjustments, _, _, error = parse_act(ctx, text)
    if error is not None or (data["decision"] == "adjust" and not adjustments):
        await ctx.reply(error or ctx.t("Please give the new values, e.g. {n}.1=30.", n=data["goal"]))
        return
    await ctx.end_flow()
    term = calendar(ctx).term(data["year"], data["term"])
    await record(ctx, term, data["goal"], data["decision"], text)


# ------------------------------------------------------------------ closing: the next term's plan


@router.button("rvc", roles=COORDINATOR)
async def close_button(ctx: MemberContext) -> None:
    try:
        term = calendar(ctx).term(ctx.payload.int_arg(0), ctx.payload.int_arg(1))
    except (AcademicInputError, ValueError):
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    await close_review(ctx, term)


async def close_review(ctx: MemberContext, term: Term) -> None:
    t = ctx.t
    reviews = ctx.repo(ReviewRepo)
    review = await reviews.ensure(ctx.network.id, term.year, term.number, by=ctx.member.id, now=ctx.now)
    if review.status == "closed":
        await ctx.reply(t("The review of term {term} is already closed. Read it with /review {term}.",
                          term=term.label))
        return
    check = await build_check(ctx, term)
    if not await reviews.close(review, check, by=ctx.member.id, now=ctx.now):
        await ctx.reply(t("The review of term {term} is already closed. Read it with /review {term}.",
                          term=term.label))
        return
    lines = [t("Review of term {term} closed; its figures are kept as they are today.", term=term.label)]
    lines += await seed_next_term(ctx, term, review)
    await ctx.audit("close", "goal_review", review.id, term=term.label, acts=len(review.acts))
    await ctx.reply("\n".join(lines))


async def seed_next_term(ctx: MemberContext, term: Term, review: Review) -> list[str]:
    """Apply the Act: the next term's targets, stopped goals, and the new tasks as a project."""
    t = ctx.t
    cal = calendar(ctx)
    following = cal.term(term.year, term.number + 1) if term.number < len(cal.terms) else cal.term(term.year + 1, 1)
    goals, plan = ctx.repo(GoalRepo), ctx.repo(PlanRepo)
    lines = []
    new_year = following.year != term.year
    for act in review.acts:
        goal = await goals.by_id(ctx.network.id, act.goal_id)
        if goal is None:
            continue
        values = {p: Decimal(v) for p, v in act.adjustments}
        if act.decision == "stop":
            await ctx.repo(ReviewRepo).stop_goal(ctx.network.id, goal.id, ctx.now)
            lines.append(t("Goal {n} stopped.", n=goal.number))
            continue
        target_goal = goal
        if new_year:  # the goal goes on in the next academic year, with its targets
            target_goal = await goals.create(ctx.network.id, academic_year=following.year, aim=goal.aim,
                                             title=goal.title, created_by=ctx.member.id, now=ctx.now)
            for target in goal.targets:
                await goals.add_target(target_goal, kind=target.kind, params=target.params,
                                       value=values.get(target.position, target.value), unit=target.unit,
                                       owner_id=target.owner_id, now=ctx.now)
            lines.append(t("Goal {n} continues in academic year {year} as goal {new}.", n=goal.number,
                           year=following.year, new=target_goal.number))
        else:
            for target in goal.targets:
                if target.position in values:
                    await goals.set_target_value(ctx.network.id, target.id, values[target.position])
                    lines.append(t("Target {ref} is now {value}.", ref=f"{goal.number}.{target.position}",
                                   value=value_text(t, values[target.position], target.unit, target.kind)))
        if act.new_tasks:
            project = await plan.create_project(
                ctx.network.id, title=t("{goal} (term {term})", goal=goal.title, term=following.label)[:300],
                goal_id=target_goal.id, lead_organisation_id=None, starts_on=following.span.start,
                ends_on=following.span.end - timedelta(days=1), created_by=ctx.member.id, now=ctx.now)
            for title in act.new_tasks:
                await plan.add_task(project, title=title, due_on=following.span.end - timedelta(days=1),
                                    owner_member_id=None, owner_organisation_id=None, created_by=ctx.member.id,
                                    now=ctx.now)
            lines.append(t("{count} new tasks for term {term} in project #{project}.", count=len(act.new_tasks),
                           term=following.label, project=project.number))
    if not review.acts:
        lines.append(t("No Act was recorded; the goals go on as they are."))
    return lines


# ------------------------------------------------------------------ CSV


def review_csv(t: Translator, check: dict[str, Any], review: Review | None) -> bytes:
    return to_csv(*review_rows(t, check, review))


def review_rows(t: Translator, check: dict[str, Any], review: Review | None) -> tuple[list[str], list[list[Any]]]:
    """The review's table (the CSV's rows; the XLSX writes the same)."""
    header = [t("Section"), t("Item"), t("This term"), t("Previous term"), t("Target for the year"),
              t("So far this year"), t("Status"), t("Decision"), t("Note")]
    start, end = date.fromisoformat(check["start"]), date.fromisoformat(check["end"])
    rows: list[list[Any]] = [[t("Term"), f"{check['term']} ({csv_date(t, start)}–{csv_date(t, end - timedelta(days=1))})",
                              "", check["previous"], "", "", "", "", ""]]
    for goal in check["goals"]:
        act = review.act_for(goal["id"]) if review else None
        rows.append([t("Goal"), f"{goal['number']} {goal['title']}", "", "", "", "", aim_label(t, goal["aim"]),
                     t(DECISION_NAMES[act.decision]) if act else "", act.note if act else ""])
        for row in goal["targets"]:
            rows.append([t("Target"), f"{goal['number']}.{row['position']} {target_title(t, row['kind'], row['params'])}",
                         row["term"] or "", row["previous"] or "", row["target"], row["year"] or "",
                         t("hidden (fewer than 5 answers)") if row["suppressed"] else t(PACE_NAMES[row["pace"]]),
                         "", ""])
    now, before = check["now"], check["before"]
    for aim in AIMS:
        rows.append([t("Activities by aim"), aim_label(t, aim), now["activities"][aim][0],
                     before["activities"][aim][0], "", "", "", "", ""])
    for code in RESOURCE_TYPES:
        for stage, name in (("pledged", t("Pledged")), ("delivered", t("Delivered"))):
            if code in now[stage] or code in before[stage]:
                rows.append([t("Resources by channel"), f"{type_label(t, code)} · {name}",
                             now[stage].get(code, {}).get("count", 0), before[stage].get(code, {}).get("count", 0),
                             "", "", "", "", ""])
    for survey in check["surveys"]:
        rows.append([t("Survey"), f"#{survey['number']} {survey['title']}", survey["rate"] or "", "", "", "",
                     t("response rate %"), "", ""])
        for mean in survey["means"]:
            rows.append([t("Survey"), f"#{survey['number']} {t('question {n}', n=mean['position'])} {mean['text']}",
                         "" if mean["suppressed"] else (mean["mean"] or ""), "", "", "", t("mean score"), "", ""])
    for key, name in (("done_on_time", t("done on time")), ("done_late", t("done late")), ("blocked", t("blocked")),
                      ("overdue", t("overdue"))):
        rows.append([t("Tasks"), name, now["tasks"][key], before["tasks"][key], "", "", "", "", ""])
    return header, rows


@router.exporter("review", "ทบทวน")
async def export_review(ctx: MemberContext, args: str) -> None:
    xlsx = bool(re.search(r"\b(xlsx|excel)\b", args, flags=re.IGNORECASE))
    term = resolve_term(ctx, re.sub(r"\b(xlsx|excel|csv)\b", "", args, flags=re.IGNORECASE))
    if term is None:
        await ctx.reply(ctx.t("I could not read that term. Write it like /export review 2569/1."))
        return
    review = await ctx.repo(ReviewRepo).get(ctx.network.id, term.year, term.number)
    check = review.check if review is not None and review.check is not None else await build_check(ctx, term)
    if xlsx:
        from handlers.goals.review_xlsx import XLSX_MIME, term_review_xlsx

        await ctx.reply(Document(filename=f"review-{term.year}-{term.number}.xlsx", mime_type=XLSX_MIME,
                                 content=term_review_xlsx(ctx.t, check, review_rows(ctx.t, check, review),
                                                     network=ctx.network.name),
                                 caption=ctx.t("Term review {term} (Excel workbook)", term=term.label)))
        return
    await ctx.reply(Document(filename=f"review-{term.year}-{term.number}.csv", content=review_csv(ctx.t, check, review),
                             mime_type="text/csv",
                             caption=ctx.t("Term review {term} (CSV for Excel)", term=term.label)))


__all__ = ["build_check", "router"]
