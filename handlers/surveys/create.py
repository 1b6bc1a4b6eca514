"""The guided /survey flow: title, questions, audience, anonymity, closing time, preview.

The draft lives in the flow state (no answers ever do); publishing creates the survey
(:func:`handlers.surveys.service.publish_survey`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.args import parse_whole
from bot.context import MemberContext
from bot.dates import DateInputError, from_thai_digits, parse_datetime
from bot.flows import Step, begin
from bot.i18n import N_
from bot.model import Text
from bot.roles import Role, parse_role
from bot.router import Router, Where
from handlers._common.formatting import example_date
from handlers.surveys.logic import MAX_OPTION_CHARS, MAX_OPTIONS, MAX_QUESTION_CHARS, MAX_QUESTIONS
from handlers.surveys.service import publish_survey
from handlers.surveys.views import kind_label, option_labels
from storage.membership import ChatRepo, OrganisationRepo
from storage.surveys import KINDS, Question

router = Router()
FLOW = "survey"
ALL = "all"
COORDINATOR = {Role.COORDINATOR}


@router.command("survey", "แบบสำรวจ", roles=COORDINATOR, where=Where.PRIVATE,
                help=N_("Create a survey step by step (questions, audience, closing time)"))
async def start(ctx: MemberContext) -> None:
    await begin(ctx, FLOW, "title", {"questions": []})


# ------------------------------------------------------------------ title and questions


async def ask_title(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Let's build a survey. What is its title? (Send /cancel at any time to stop.)"))


async def title_step(ctx: MemberContext, text: str) -> None:
    if not text or len(text) > 200:
        await ctx.reply(ctx.t("Please send a title of 1 to 200 characters."))
        return
    await ctx.goto("kind", title=text)
    await ask_kind(ctx)


async def ask_kind(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    count = len(ctx.flow.data["questions"])
    rows = [[ctx.flow_button(kind_label(ctx.t, kind), kind)] for kind in KINDS]
    if count:
        rows.append([ctx.flow_button(ctx.t("Done adding questions"), "done")])
    await ctx.reply(Text(ctx.t("Question {n}: what kind of question?", n=count + 1), buttons=rows))


async def kind_step(ctx: MemberContext, text: str) -> None:
    assert ctx.flow is not None
    choice = text.lower()
    words = {"1": "single", "2": "multi", "3": "rating", "4": "text"}
    choice = words.get(from_thai_digits(choice), choice)
    if choice == "done" and ctx.flow.data["questions"]:
        await ask_audience(ctx)
        return
    if choice not in KINDS:
        await ctx.reply(ctx.t("Please tap one of the buttons: single choice, multiple choice, rating or free text."))
        await ask_kind(ctx)
        return
    await ctx.goto("qtext", kind=choice)
    await ask_qtext(ctx)


async def ask_qtext(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Send the question text."))


async def qtext_step(ctx: MemberContext, text: str) -> None:
    assert ctx.flow is not None
    if not text:
        await ctx.reply(ctx.t("The question is empty. Please send the question text."))
        return
    if len(text) > MAX_QUESTION_CHARS:
        await ctx.reply(ctx.t("Please keep the question under {n} characters.", n=MAX_QUESTION_CHARS))
        return
    kind = ctx.flow.data["kind"]
    if kind in ("single", "multi"):
        await ctx.goto("options", qtext=text)
        await ask_options(ctx)
        return
    await add_question(ctx, {"kind": kind, "text": text, "options": []})


async def ask_options(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Send the options separated by | or one per line (2 to {max} options), "
                          "e.g. Yes | No | Not sure", max=MAX_OPTIONS))


def split_options(text: str) -> list[str]:
    return [o.strip() for o in re.split(r"[|\n]", text) if o.strip()]


def options_problem(ctx: MemberContext, options: list[str]) -> str | None:
    """A clear message if the options cannot be used, else None."""
    if len(options) < 2:
        return ctx.t("A choice question needs at least 2 options, separated by |.")
    if len(options) > MAX_OPTIONS:
        return ctx.t("At most {max} options per question: chat buttons cannot show more on every platform "
                     "(LINE shows at most 13). Please shorten the list or split it into two questions.",
                     max=MAX_OPTIONS)
    if any(len(o) > MAX_OPTION_CHARS for o in options):
        return ctx.t("Please keep each option under {n} characters.", n=MAX_OPTION_CHARS)
    if len({o.casefold() for o in options}) != len(options):
        return ctx.t("Two options are the same. Please make each option different.")
    return None


async def options_step(ctx: MemberContext, text: str) -> None:
    assert ctx.flow is not None
    options = split_options(text)
    problem = options_problem(ctx, options)
    if problem:
        await ctx.reply(problem)
        return
    await add_question(ctx, {"kind": ctx.flow.data["kind"], "text": ctx.flow.data["qtext"], "options": options})


async def add_question(ctx: MemberContext, question: dict[str, Any]) -> None:
    assert ctx.flow is not None
    questions = [*ctx.flow.data["questions"], question]
    await ctx.goto("kind", questions=questions)
    await ctx.reply(ctx.t("Added question {n}.", n=len(questions)))
    if len(questions) >= MAX_QUESTIONS:
        await ctx.reply(ctx.t("That is the most questions a survey can have ({n}).", n=MAX_QUESTIONS))
        await ask_audience(ctx)
        return
    await ask_kind(ctx)


# ------------------------------------------------------------------ audience, anonymity, closing


async def ask_audience(ctx: MemberContext) -> None:
    await ctx.goto("audience")
    rows = [[ctx.flow_button(ctx.t("Parents"), "parent"), ctx.flow_button(ctx.t("Teachers"), "teacher")],
            [ctx.flow_button(ctx.t("Partners"), "partner"), ctx.flow_button(ctx.t("Everyone"), ALL)]]
    await ctx.reply(Text(ctx.t("Who should answer? Tap one, or type roles separated by commas "
                               "(e.g. parent, teacher)."), buttons=rows))


async def audience_step(ctx: MemberContext, text: str) -> None:
    if text.lower() in (ALL, "ทุกคน", "everyone"):
        roles: list[str] = []
    else:
        parsed = [parse_role(w) for w in re.split(r"[,\s]+", text) if w]
        if not parsed or None in parsed:
            await ctx.reply(ctx.t("Please name roles: coordinator, teacher, parent, partner (or tap Everyone)."))
            return
        roles = sorted({r.value for r in parsed if r is not None}, key=[r.value for r in Role].index)
    await ctx.goto("orgs", roles=roles)
    await ask_orgs(ctx)


async def ask_orgs(ctx: MemberContext) -> None:
    orgs = await ctx.repo(OrganisationRepo).list(ctx.network.id)
    if not orgs:
        await ctx.goto("groups", orgs=[])
        await ask_groups(ctx)
        return
    listing = "\n".join(f"{i}. {o.name}" for i, o in enumerate(orgs, start=1))
    await ctx.reply(Text(ctx.t("Only some organisations? Send their numbers (e.g. 1, 3), or tap All.\n{list}",
                               list=listing), buttons=[[ctx.flow_button(ctx.t("All organisations"), ALL)]]))


async def orgs_step(ctx: MemberContext, text: str) -> None:
    orgs = await ctx.repo(OrganisationRepo).list(ctx.network.id)
    picked = pick_numbers(text, len(orgs))
    if picked is None:
        await ctx.reply(ctx.t("Please send numbers from the list (e.g. 1, 3), or tap All."))
        return
    await ctx.goto("groups", orgs=[orgs[i].id for i in picked])
    await ask_groups(ctx)


def pick_numbers(text: str, size: int) -> list[int] | None:
    """0-based indexes from "1, 3" (Thai digits too); [] for "all"; None if malformed."""
    if text.lower() in (ALL, "ทั้งหมด"):
        return []
    parts = [p for p in re.split(r"[,\s]+", from_thai_digits(text)) if p]
    picked = [parse_whole(p, high=size) for p in parts]
    if not picked or None in picked:
        return None
    return sorted({p - 1 for p in picked if p is not None})


async def ask_groups(ctx: MemberContext) -> None:
    groups = await ctx.repo(ChatRepo).linked_groups(ctx.network.id)
    if not groups:
        await ctx.goto("anon", chats=[])
        await ask_anonymity(ctx)
        return
    listing = "\n".join(f"{i}. {g.title or g.platform_chat_id} ({g.platform.upper()})"
                        for i, g in enumerate(groups, start=1))
    await ctx.reply(Text(ctx.t("Which linked groups get the survey card? Send numbers (e.g. 1, 2), tap All groups, "
                               "or No group (private messages only).\n{list}", list=listing),
                         buttons=[[ctx.flow_button(ctx.t("All groups"), ALL),
                                   ctx.flow_button(ctx.t("No group"), "none")]]))


async def groups_step(ctx: MemberContext, text: str) -> None:
    groups = await ctx.repo(ChatRepo).linked_groups(ctx.network.id)
    if text.lower() in ("none", "ไม่มี"):
        chats: list[int] = []
    else:
        picked = pick_numbers(text, len(groups))
        if picked is None:
            await ctx.reply(ctx.t("Please send numbers from the list (e.g. 1, 2), or tap a button."))
            return
        chats = [g.id for g in groups] if not picked else [groups[i].id for i in picked]
    await ctx.goto("anon", chats=chats)
    await ask_anonymity(ctx)


async def ask_anonymity(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Anonymous or named? In an anonymous survey nobody, coordinators included, can see "
                               "who answered what."),
                         buttons=[[ctx.flow_button(ctx.t("Anonymous"), "anon"),
                                   ctx.flow_button(ctx.t("Named"), "named")]]))


async def anon_step(ctx: MemberContext, text: str) -> None:
    value = {"anon": True, "anonymous": True, "ไม่ระบุชื่อ": True, "named": False, "ระบุชื่อ": False}.get(text.lower())
    if value is None:
        await ask_anonymity(ctx)
        return
    await ctx.goto("close", anonymous=value)
    await ask_close(ctx)


async def ask_close(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("When does it close? Send a date and time, e.g. {example} or พรุ่งนี้ 17:00.",
                          example=example_date(ctx, 7, "18:00")))


async def close_step(ctx: MemberContext, text: str) -> None:
    try:
        local = parse_datetime(text, ctx.today)
    except DateInputError as exc:
        await ctx.reply(date_error(ctx, exc))
        return
    closes = ctx.to_utc(local)
    if closes <= ctx.now:
        await ctx.reply(ctx.t("That time has already passed. Please send a time in the future."))
        return
    await ctx.goto("preview", closes_at=closes.isoformat())
    await show_preview(ctx)


def date_error(ctx: MemberContext, exc: DateInputError) -> str:
    if exc.code == "missing_time":
        return ctx.t("Please add a time too, e.g. {example}.", example=example_date(ctx, 7, "18:00"))
    if exc.code == "ambiguous_year":
        return ctx.t("Please write the year in full, e.g. 2569 or 2026.")
    return ctx.t("I could not read that date and time. Please write it like {example}.",
                 example=example_date(ctx, 7, "18:00"))


# ------------------------------------------------------------------ preview and publish


def draft_questions(data: dict[str, Any]) -> tuple[Question, ...]:
    return tuple(Question(id=0, survey_id=0, position=i, kind=q["kind"], text=q["text"],
                          options=tuple(q["options"])) for i, q in enumerate(data["questions"], start=1))


async def show_preview(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    data = ctx.flow.data
    t = ctx.t
    roles = ", ".join(t(r) for r in data["roles"]) if data["roles"] else t("everyone")
    org_names = {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(ctx.network.id)}
    if data["orgs"]:
        roles += " · " + ", ".join(org_names.get(o, "?") for o in data["orgs"])
    groups = {g.id: g.title or g.platform_chat_id for g in await ctx.repo(ChatRepo).linked_groups(ctx.network.id)}
    closes = datetime.fromisoformat(data["closes_at"])
    lines = [t("Preview: {title}", title=data["title"]),
             t("For: {who}", who=roles),
             t("Groups: {groups}", groups=", ".join(groups.get(c, "?") for c in data["chats"]) or t("none")),
             t("Anonymous: {yes_no}", yes_no=t("yes") if data["anonymous"] else t("no — names are recorded")),
             t("Closes: {when}", when=t.datetime(ctx.local(closes)))]
    for q in draft_questions(data):
        lines.append(f"{q.position}. {q.text} ({kind_label(t, q.kind)})")
        if q.kind != "text":
            lines.append("   " + " | ".join(option_labels(t, q)))
    await ctx.reply(Text("\n".join(lines),
                         buttons=[[ctx.flow_button(t("Publish"), "publish"), ctx.flow_button(t("Cancel"), "cancel")]]))


async def preview_step(ctx: MemberContext, text: str) -> None:
    assert ctx.flow is not None
    if text == "cancel":
        await ctx.end_flow()
        await ctx.reply(ctx.t("Cancelled. Nothing was saved."))
        return
    if text != "publish":
        await show_preview(ctx)
        return
    data = dict(ctx.flow.data)
    closes = datetime.fromisoformat(data["closes_at"])
    if closes <= ctx.now:
        await ctx.goto("close")
        await ctx.reply(ctx.t("The closing time has passed meanwhile. Please send a new closing date and time."))
        return
    await ctx.end_flow()
    await publish_survey(ctx, title=data["title"], questions=data["questions"], roles=data["roles"],
                         organisations=data["orgs"], chats=data["chats"], anonymous=data["anonymous"],
                         closes_at=closes)


# Each step's read moves on by itself: the builder loops over questions, and skips the
# organisations or groups when there are none to choose from.
router.steps(FLOW, {
    "title": Step(ask_title, title_step),
    "kind": Step(ask_kind, kind_step),
    "qtext": Step(ask_qtext, qtext_step),
    "options": Step(ask_options, options_step),
    "audience": Step(ask_audience, audience_step),
    "orgs": Step(ask_orgs, orgs_step),
    "groups": Step(ask_groups, groups_step),
    "anon": Step(ask_anonymity, anon_step),
    "close": Step(ask_close, close_step),
    "preview": Step(show_preview, preview_step),
}, roles=COORDINATOR, ttl=timedelta(hours=24))

