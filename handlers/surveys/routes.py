"""Surveys' and polls' routes: /poll, answering with buttons, live counts, reminders,
closing with results and a chart, /results and the CSV export (/survey is in create.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.args import is_whole, parse_whole
from bot.context import BaseContext, Context, MemberContext, TaskContext
from bot.dates import DateInputError, parse_datetime
from bot.delivery_policy import Urgency
from bot.flows import Data, begin
from bot.i18n import N_, Translator
from bot.model import Document, Reply, Text
from bot.payload import PayloadError
from bot.roles import Role
from bot.router import Router, Rule, Where
from bot.summary import Period, SummarySection
from handlers._common.flows import confirm
from handlers._common.formatting import example_date
from handlers.membership import register_parent
from handlers.surveys import create as survey_create
from handlers.surveys.logic import (
    MIN_CELL,
    AnswerError,
    audience_count,
    audience_members,
    clear_choices,
    export_comments_csv,
    export_csv,
    in_audience,
    my_answers,
    record_choice,
    record_text,
    responders,
    survey_stats,
)
from handlers.surveys.service import close_survey, live_card, reachable, schedule_refresh, target_chats
from handlers.surveys.views import (
    answer_button_for,
    audience_text,
    describe_choices,
    invitation,
    question_message,
    reminder,
    results_replies,
    update_key,
    when,
)
from storage.membership import Member, OrganisationRepo
from storage.surveys import Survey, SurveyRepo

ORDER = 30
router = Router()

COORDINATOR = {Role.COORDINATOR}
STAFF = {Role.COORDINATOR, Role.TEACHER}
TEXT_FLOW = "svtext"


# ------------------------------------------------------------------ helpers


async def ensure_member(ctx: Context) -> Member | None:
    """The presser as a member; unregistered people tapping in a linked group become parents."""
    if ctx.member is not None:
        return ctx.member
    if not ctx.event.is_private:
        return await register_parent(ctx)
    await ctx.say(Router.refusal(Rule(), ctx) or "")
    return None


async def load_for_answer(ctx: Context, member: Member, survey_id: int) -> Survey | None:
    """The survey if this member may answer it now; otherwise say why and return None."""
    survey = await ctx.repo(SurveyRepo).get(member.network_id, survey_id)
    if survey is None:
        await ctx.say(ctx.t("I can't find that survey. It may belong to another network."))
        return None
    if not survey.is_open or (survey.closes_at is not None and survey.closes_at <= ctx.now):
        await ctx.say(ctx.t("“{title}” is closed; answers are no longer accepted.", title=survey.title))
        return None
    if not in_audience(survey, member):
        orgs = {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(survey.network_id)}
        await ctx.say(ctx.t("“{title}” is for {who}; you are not in its audience, so nothing was recorded.",
                             title=survey.title, who=audience_text(ctx.t, survey, orgs)))
        return None
    return survey


# ------------------------------------------------------------------ answering


@router.button("sva", member=False)
async def answer_button(ctx: Context) -> None:
    """"Answer": in private, the first question; in a group, the questions are sent privately."""
    try:
        survey_id = ctx.payload.int_arg(0)
    except PayloadError:
        await ctx.say(ctx.t("That button is not valid. Nothing was recorded."))
        return
    member = await ensure_member(ctx)
    if member is None:
        return
    survey = await load_for_answer(ctx, member, survey_id)
    if survey is None:
        return
    if ctx.event.is_private:
        await show_question(ctx, survey, member, 1)
        return
    if not await reachable(ctx, member):
        await ctx.say(ctx.t("I can't message you privately yet: add me as a friend (or start a chat with me), "
                             "then tap Answer again. You can also tap the answer buttons on the questions here."))
        return
    tz = ctx.tz
    queued = await ctx.push_member(member, lambda t: [invitation(t, survey, tz)],
                                   key=f"survey:{survey.id}:start:m:{member.id}", urgency=Urgency.URGENT)
    await ctx.say(ctx.t("I've sent you the questions in our private chat.") if queued
              else ctx.t("I have already sent you the questions in our private chat: tap Answer there."))


async def show_question(ctx: Context, survey: Survey, member: Member, position: int) -> None:
    """Private chat: ask question ``position`` (ticking the current answer), or finish."""
    if ctx.flow is not None and ctx.flow.flow == TEXT_FLOW:
        await ctx.end_flow()
    question = survey.question(position)
    if question is None:
        await finish(ctx, survey)
        return
    mine = (await my_answers(ctx, survey, member)).get(question.id, [])
    await ctx.reply(question_message(ctx.t, survey, question, mine=mine, private=True))
    if question.kind == "text":
        await ctx.start_flow(TEXT_FLOW, "answer", {"survey_id": survey.id, "position": position})


async def finish(ctx: Context, survey: Survey) -> None:
    lines = [ctx.t("Thank you! Your answers to “{title}” are saved. You can change them until {when}.",
                   title=survey.title, when=when(ctx.t, ctx.tz, survey.closes_at))]
    if survey.anonymous:
        lines.append(ctx.t("This survey is anonymous: your answers are stored without your name."))
    await ctx.reply(Text("\n".join(lines), buttons=[[ctx.button(ctx.t("Change my answers"), "sva", survey.id)]]))


async def _answer_target(ctx: Context, count: int) -> tuple[Member, Survey, list[int]] | None:
    """Decode (survey, question, [choice]) from the payload and check who may answer; None after saying why."""
    try:
        numbers = [ctx.payload.int_arg(i) for i in range(count)]
    except PayloadError:
        await ctx.say(ctx.t("That button is not valid. Nothing was recorded."))
        return None
    member = await ensure_member(ctx)
    if member is None:
        return None
    survey = await load_for_answer(ctx, member, numbers[0])
    if survey is None:
        return None
    return member, survey, numbers[1:]


@router.button("sv", member=False)
async def choice_button(ctx: Context) -> None:
    """A tap on an option: ``1|sv|<survey>|<question position>|<option index>``."""
    newcomer = ctx.member is None  # registered by this very tap (in a group)
    target = await _answer_target(ctx, 3)
    if target is None:
        return
    member, survey, (position, choice) = target
    question = survey.question(position)
    if question is None or question.kind == "text":
        await ctx.say(ctx.t("That question does not exist in this survey. Nothing was recorded."))
        return
    try:
        recorded = await record_choice(ctx, survey, member, question, choice)
    except AnswerError:
        await ctx.say(ctx.t("That answer is not one of the options. Nothing was recorded."))
        return
    if recorded.changed:
        await schedule_refresh(ctx, survey)
        if not survey.anonymous:  # an anonymous answer leaves no trace of who gave it
            await ctx.audit("answer", "survey", survey.id, question=position)
    chosen = describe_choices(ctx.t, question, recorded.chosen)
    total = len(survey.questions)
    if ctx.event.is_private:
        if question.kind == "multi":
            note = (ctx.t("Added. Your choices: {choices}", choices=chosen) if recorded.changed
                    else ctx.t("Already chosen. Your choices: {choices}", choices=chosen))
            await ctx.reply(note)
            await show_question(ctx, survey, member, position)
            return
        await ctx.reply(ctx.t("Saved: {choice}", choice=chosen) if recorded.changed
                        else ctx.t("You already chose {choice}. Nothing changed.", choice=chosen))
        if not survey.is_poll:
            await show_question(ctx, survey, member, position + 1)
        return
    if not recorded.changed:
        ctx.toast = ctx.t("Already saved. Nothing changed.")
    elif survey.anonymous:
        ctx.toast = ctx.t("Your answer is saved anonymously (question {n}/{total}).", n=position, total=total)
    elif survey.is_poll:
        ctx.toast = ctx.t("Your vote is saved: {choice}. Tap another option to change it.", choice=chosen)
    else:
        ctx.toast = ctx.t("Saved: {choice} (question {n}/{total}).", choice=chosen, n=position, total=total)
    if newcomer and recorded.changed:
        # The welcome is a message, and platforms drop a group toast beside a message: say that
        # the tap counted too (not what was chosen: the group reads it).
        await ctx.reply(ctx.t("{name}, your answer is saved.", name=member.display_name))


@router.button("svc", member=False)
async def clear_button(ctx: Context) -> None:
    """Clear my choices of a multiple-choice question: ``1|svc|<survey>|<position>``."""
    target = await _answer_target(ctx, 2)
    if target is None:
        return
    member, survey, (position,) = target
    question = survey.question(position)
    if question is None or question.kind != "multi":
        await ctx.say(ctx.t("That question does not exist in this survey. Nothing was recorded."))
        return
    await clear_choices(ctx, survey, member, question)
    await schedule_refresh(ctx, survey)
    if ctx.event.is_private:
        await ctx.reply(ctx.t("Your choices are cleared."))
        await show_question(ctx, survey, member, position)
    else:
        ctx.toast = ctx.t("Your choices for question {n} are cleared.", n=position)


@router.button("svn")
async def next_button(ctx: MemberContext) -> None:
    """Next / Skip in a private chat: ``1|svn|<survey>|<position>``."""
    target = await _answer_target(ctx, 2)
    if target is None:
        return
    member, survey, (position,) = target
    if not ctx.event.is_private:
        ctx.toast = ctx.t("Please use this in our private chat.")
        return
    await show_question(ctx, survey, member, position + 1)


@router.flow(TEXT_FLOW)
async def text_answer(ctx: MemberContext) -> None:
    """Free-text answers, typed in the private chat."""
    assert ctx.flow is not None
    position = int(ctx.flow.data["position"])
    survey = await load_for_answer(ctx, ctx.member, int(ctx.flow.data["survey_id"]))
    question = survey.question(position) if survey else None
    if survey is None or question is None:
        await ctx.end_flow()
        return
    try:
        recorded = await record_text(ctx, survey, ctx.member, question, ctx.input)
    except AnswerError as exc:
        await ctx.reply(ctx.t("Please type your answer (or tap Skip).") if exc.code == "empty"
                        else ctx.t("Please keep your answer under 1000 characters."))
        return
    if recorded.changed:
        await schedule_refresh(ctx, survey)
    await ctx.reply(ctx.t("Saved your answer.") if recorded.changed else ctx.t("Same answer as before. Nothing changed."))
    await show_question(ctx, survey, ctx.member, position + 1)


# ------------------------------------------------------------------ polls


@dataclass(frozen=True)
class PollText:
    """What ``/poll`` was given. ``guessed``: written without quotes, and the question and the
    first option were told apart by taking the last word before the first ``|`` as that option."""

    question: str
    options: list[str]
    deadline: str | None
    quoted: bool = True
    guessed: bool = False


def parse_poll(text: str) -> PollText:
    """``"Question" A | B | C [| until DATE TIME]``, ``Question | A | B`` or ``Question A | B``."""
    text = text.strip()
    quoted = re.match(r'^["“”](.*?)["“”]\s*(.*)$', text, re.DOTALL)
    guessed = False
    if quoted:
        question, rest = quoted.group(1).strip(), quoted.group(2)
        parts = survey_create.split_options(rest)
    else:
        parts = survey_create.split_options(text)
        question = parts.pop(0) if parts else ""
    deadline = None
    if parts:
        until = re.match(r"^(?:until|close|closes|ปิด|ถึง|หมดเขต)\s+(.+)$", parts[-1], re.IGNORECASE)
        if until:
            deadline = until.group(1)
            parts.pop()
    if not quoted and len(parts) == 1 and len(words := question.split()) > 1:
        question, parts = " ".join(words[:-1]), [words[-1], *parts]
        guessed = True
    return PollText(question, parts, deadline, quoted=bool(quoted), guessed=guessed)


def quoted_form(poll: PollText) -> str:
    """The poll as ``/poll "Question" A | B``, with … where an option is still missing."""
    options = [*poll.options, *["…"] * (2 - len(poll.options))]
    return f'/poll "{poll.question}" ' + " | ".join(options)


@router.command("poll", "โพล", roles=STAFF, where=Where.GROUP,
                help=N_('A quick poll in this group: /poll "Question" option A | option B [| until tomorrow 18:00]'))
async def poll_command(ctx: MemberContext) -> None:
    usage = ctx.t('Usage: /poll "Question" option A | option B | option C, optionally ending with '
                  '| until {example}. From 2 to 10 options.', example=example_date(ctx, 3, "18:00"))
    if not ctx.args.strip():
        await ctx.reply(usage)
        return
    if ctx.chat.network_id != ctx.member.network_id:
        await ctx.reply(ctx.t("This group is not linked to your network. A coordinator can send /linkgroup here."))
        return
    poll = parse_poll(ctx.args)
    if not poll.question:
        await ctx.reply(ctx.t("The question is empty.") + "\n" + usage)
        return
    if len(poll.question) > 300:
        await ctx.reply(ctx.t("Please keep the question under {n} characters.", n=300))
        return
    problem = survey_create.options_problem(ctx, poll.options)
    if problem:
        hint = (ctx.t("Put the question in quotes, like this: {example}", example=quoted_form(poll))
                if not poll.quoted and len(poll.options) < 2 else usage)
        await ctx.reply(problem + "\n" + hint)
        return
    closes_at = None
    if poll.deadline:
        try:
            closes_at = ctx.to_utc(parse_datetime(poll.deadline, ctx.today))
        except DateInputError as exc:
            await ctx.reply(survey_create.date_error(ctx, exc))
            return
        if closes_at <= ctx.now:
            await ctx.reply(ctx.t("That time has already passed. Please send a time in the future."))
            return
    if poll.guessed:
        await begin(ctx, POLL_CHECK, "confirm", {"question": poll.question, "options": poll.options,
                                                 "closes_at": closes_at.isoformat() if closes_at else None})
        return
    await post_poll(ctx, poll.question, poll.options, closes_at)


async def post_poll(ctx: MemberContext, question: str, options: list[str], closes_at: datetime | None) -> None:
    """Create the poll in this group and post its card."""
    survey = await ctx.repo(SurveyRepo).create(
        ctx.network.id, kind="poll", title=question, anonymous=False, roles=[], organisations=[],
        chats=[ctx.chat.id], chat_id=ctx.chat.id, created_by=ctx.member.id, closes_at=closes_at,
        questions=[{"kind": "single", "text": question, "options": options}], now=ctx.now)
    await ctx.audit("create", "poll", survey.id, question=question, options=len(options))
    if closes_at is not None:
        await ctx.schedule(f"poll:{survey.id}:close", "survey.close", closes_at, {"survey_id": survey.id})
    render = await live_card(ctx, survey)
    for reply in render(Translator(ctx.network.language)):  # the group reads it: its network's language
        await ctx.reply(reply)


async def show_poll_check(ctx: MemberContext) -> None:
    """The question and options as understood from a poll written without quotes."""
    assert ctx.flow is not None
    data = ctx.flow.data
    lines = [ctx.t("I read this poll as:"), ctx.t("Question: {question}", question=data["question"])]
    lines += [f"{i}. {option}" for i, option in enumerate(data["options"], start=1)]
    lines.append(ctx.t("If that is not right, tap Cancel and send: {example}",
                       example=quoted_form(PollText(data["question"], data["options"], None))))
    await ctx.reply(Text("\n".join(lines), buttons=[[ctx.flow_button(ctx.t("Post"), "post"),
                                                     ctx.flow_button(ctx.t("Cancel"), "cancel")]]))


async def save_checked_poll(ctx: MemberContext, data: Data) -> None:
    closes_at = datetime.fromisoformat(data["closes_at"]) if data.get("closes_at") else None
    if closes_at is not None and closes_at <= ctx.now:
        await ctx.reply(ctx.t("That time has already passed. Please send a time in the future."))
        return
    await post_poll(ctx, data["question"], list(data["options"]), closes_at)


POLL_CHECK = "pollcheck"
router.steps(POLL_CHECK, {"confirm": confirm(show_poll_check, save_checked_poll,
                                             retry=N_("Tap Post to post the poll, or Cancel."))}, roles=STAFF)


# ------------------------------------------------------------------ closing, results, export


@router.command("closesurvey", "ปิดแบบสำรวจ", roles=STAFF,
                help=N_("Close a survey or poll now and post its results: /closesurvey N"))
async def close_command(ctx: MemberContext) -> None:
    survey = await survey_by_args(ctx, ctx.args, usage=ctx.t("Usage: /closesurvey N (the number on the card)."))
    if survey is None:
        return
    if survey.created_by != ctx.member.id and ctx.member.role != Role.COORDINATOR.value:
        await ctx.reply(ctx.t("Only the person who created it or a coordinator can close it."))
        return
    if not survey.is_open:
        await ctx.reply(ctx.t("“{title}” is already closed.", title=survey.title))
        return
    await close_survey(ctx, survey)
    await ctx.reply(ctx.t("Closed “{title}”. The results are posted to its groups.", title=survey.title))


async def survey_by_args(ctx: MemberContext, args: str, *, usage: str) -> Survey | None:
    if not is_whole(args):
        await ctx.reply(usage)
        return None
    number = parse_whole(args)
    survey = await ctx.repo(SurveyRepo).by_number(ctx.network.id, number) if number is not None else None
    if survey is None:
        await ctx.reply(ctx.t("There is no survey or poll number {n}. Send /results to see the list.",
                              n=args.strip().lstrip("#")[:20]))
    return survey


@router.command("results", "ผลสำรวจ", roles=COORDINATOR,
                help=N_("Survey and poll results: /results N (without N: the list)"))
async def results_command(ctx: MemberContext) -> None:
    if not ctx.args.strip():
        await list_surveys(ctx)
        return
    survey = await survey_by_args(ctx, ctx.args, usage=ctx.t("Usage: /results N (the number on the card)."))
    if survey is None:
        return
    stats = await survey_stats(ctx, survey)
    for reply in results_replies(ctx.t, stats, ctx.tz, final=not survey.is_open):
        await ctx.reply(reply)


async def list_surveys(ctx: MemberContext) -> None:
    repo = ctx.repo(SurveyRepo)
    recent = await repo.active_between(ctx.network.id, ctx.now - timedelta(days=90), ctx.now + timedelta(days=1),
                                       with_questions=False)
    if not recent:
        await ctx.reply(ctx.t("No surveys or polls in the last 90 days. Create one with /survey or /poll."))
        return
    lines = [ctx.t("Surveys and polls (send /results N for one):")]
    answered = await repo.response_counts(ctx.network.id, [s.id for s in recent[-20:]])
    for s in recent[-20:]:
        state = (ctx.t("open until {when}", when=when(ctx.t, ctx.tz, s.closes_at)) if s.is_open
                 else ctx.t("closed"))
        kind = ctx.t("poll") if s.is_poll else ctx.t("survey")
        lines.append(f"{s.number}. {s.title} ({kind}, {state}) — "
                     + ctx.t("{n} answered", n=answered[s.id]))
    await ctx.reply("\n".join(lines))


@router.command("exportsurvey", "ส่งออกแบบสำรวจ", roles=COORDINATOR, where=Where.PRIVATE,
                help=N_("Download a survey's answers as CSV: /exportsurvey N"))
async def export_command(ctx: MemberContext) -> None:
    await export_survey(ctx, ctx.args)


@router.exporter("survey", "surveys", "แบบสำรวจ")
async def export_survey(ctx: MemberContext, args: str) -> None:
    """``/export survey ID`` (the shared /export dispatches here with ``args`` = "ID")."""
    args = re.sub(r"^\s*(survey|แบบสำรวจ)\b", "", args.strip(), flags=re.IGNORECASE)
    args, fmt = re.sub(r"\b(xlsx|excel)\b", "", args, flags=re.IGNORECASE), ("xlsx" if re.search(
        r"\b(xlsx|excel)\b", args, flags=re.IGNORECASE) else "csv")
    survey = await survey_by_args(ctx, args, usage=ctx.t("Usage: /exportsurvey N (the number on the card)."))
    if survey is None:
        return
    if fmt == "xlsx":
        await export_survey_xlsx(ctx, survey)
        return
    if survey.anonymous and await ctx.repo(SurveyRepo).response_count(survey) < 5:
        await ctx.reply(ctx.t("This anonymous survey has fewer than {n} answers; its answers cannot be exported "
                              "without risking that someone is recognised.", n=5))
        return
    content = await export_csv(ctx, survey)
    await ctx.audit("export", "survey", survey.id)
    await ctx.reply(Document(filename=f"survey-{survey.number}.csv", content=content, mime_type="text/csv",
                             caption=ctx.t("Answers to “{title}” (CSV, UTF-8).", title=survey.title)))
    if not survey.anonymous or not any(q.kind == "text" for q in survey.questions):
        return
    comments = await export_comments_csv(ctx, survey)
    if comments is None:
        await ctx.reply(ctx.t("Free-text answers are not exported: each such question has fewer than {n} "
                              "answers.", n=MIN_CELL))
        return
    await ctx.reply(Document(filename=f"survey-{survey.number}-comments.csv", content=comments,
                             mime_type="text/csv",
                             caption=ctx.t("Free-text answers to “{title}”, shuffled and apart from the other "
                                           "answers (CSV, UTF-8).", title=survey.title)))


async def export_survey_xlsx(ctx: MemberContext, survey: Survey) -> None:
    from handlers._common.xlsx import XLSX_MIME
    from handlers.surveys.xlsx import exportable, survey_xlsx

    if not await exportable(ctx, survey):
        await ctx.reply(ctx.t("This anonymous survey has fewer than {n} answers; its answers cannot be exported "
                              "without risking that someone is recognised.", n=5))
        return
    await ctx.audit("export", "survey", survey.id, format="xlsx")
    await ctx.reply(Document(filename=f"survey-{survey.number}.xlsx", content=await survey_xlsx(ctx, survey, ctx.tz),
                             mime_type=XLSX_MIME, caption=ctx.t("“{title}” as an Excel workbook: results, response "
                                                                "rates and answers.", title=survey.title)))


# ------------------------------------------------------------------ scheduled tasks


async def _task_survey(ctx: TaskContext) -> Survey | None:
    if ctx.network is None:
        return None
    survey = await ctx.repo(SurveyRepo).get(ctx.network.id, int(ctx.payload["survey_id"]))
    return survey if survey is not None and survey.is_open else None


@router.task("survey.close")
async def close_task(ctx: TaskContext) -> None:
    survey = await _task_survey(ctx)
    if survey is not None:
        await close_survey(ctx, survey)


@router.task("survey.refresh")
async def refresh_task(ctx: TaskContext) -> None:
    """Post the card with the current counts (adapters edit the original where they can)."""
    survey = await _task_survey(ctx)
    if survey is None:
        return
    render = await live_card(ctx, survey)
    for chat in await target_chats(ctx, survey):
        await ctx.push(chat, render, key=f"{update_key(survey)}:counts:{ctx.now.isoformat()}:chat:{chat.id}",
                       urgency=Urgency.DIGEST, topic=f"survey:{survey.id}:counts:chat:{chat.id}")


@router.task("survey.remind")
async def remind_task(ctx: TaskContext) -> None:
    """One private reminder to each non-responder; one group reminder for those we cannot reach."""
    survey = await _task_survey(ctx)
    if survey is None:
        return
    members = await audience_members(ctx, survey)
    done = await responders(ctx, survey, members)
    missing = [m for m in members if m.id not in done]
    tz = ctx.tz
    unreachable = []
    for member in missing:
        if not await ctx.push_member(member, lambda t: [reminder(t, survey, tz)],
                                     key=f"survey:{survey.id}:remind:m:{member.id}", urgency=Urgency.TIMELY,
                                     deliver_by=survey.closes_at):
            unreachable.append(member)
    if not unreachable:
        return
    names = [] if survey.anonymous else [m.display_name for m in missing]

    def group_reminder(t: Translator) -> list[Reply]:
        lines = [t("⏰ Reminder: “{title}” closes {when}. {missing} of {total} have not answered yet.",
                   title=survey.title, when=when(t, tz, survey.closes_at), missing=len(missing), total=len(members))]
        if names:
            lines.append(t("Not answered yet: {names}", names=t.join(names)))
        return [Text("\n".join(lines), buttons=[[answer_button_for(t, survey)]])]

    for chat in await target_chats(ctx, survey):
        await ctx.push(chat, group_reminder, key=f"survey:{survey.id}:remind:chat:{chat.id}", urgency=Urgency.TIMELY,
                       deliver_by=survey.closes_at)


# ------------------------------------------------------------------ summary


@router.summary_section(order=ORDER)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """Response rates of the surveys and polls open at some time in the period (read-only)."""
    if ctx.network is None:
        return None
    repo = ctx.repo(SurveyRepo)
    current = await repo.active_between(ctx.network.id, period.start, period.end, with_questions=False)
    if not current:
        return None
    t = ctx.t
    lines: list[str] = []
    progress: list[tuple[str, float, float]] = []
    previous = await repo.active_between(ctx.network.id, period.previous_start, period.previous_end,
                                         with_questions=False)
    # Each survey counted once, in one query for all (a year's summary holds many surveys).
    answers = await repo.response_counts(ctx.network.id, sorted({s.id for s in current + previous}))
    audiences: dict[int, int] = {}

    async def figures_of(survey: Survey) -> tuple[int, int]:
        if survey.id not in audiences:
            audiences[survey.id] = (survey.audience_size if survey.audience_size is not None
                                    else await audience_count(ctx, survey))
        return answers[survey.id], audiences[survey.id]

    async def mean_rate(surveys: list[Survey]) -> float:
        rates = []
        for survey in surveys:
            if not survey.is_poll:
                answered, audience = await figures_of(survey)
                if audience:
                    rates.append(100 * answered / audience)
        return round(sum(rates) / len(rates), 1) if rates else 0.0

    for survey in current:
        if survey.is_poll:
            lines.append(t("Poll “{title}”: {n} vote(s)", title=survey.title, n=answers[survey.id]))
            continue
        answered, audience = await figures_of(survey)
        rate = round(100 * answered / audience) if audience else 0
        state = t("closed") if not survey.is_open else t("open until {when}", when=when(t, ctx.tz, survey.closes_at))
        lines.append(t("Survey “{title}”: {answered}/{audience} answered ({rate}%), {state}", title=survey.title,
                       answered=answered, audience=audience, rate=rate, state=state))
        progress.append((survey.title, float(answered), float(audience)))
    if progress:
        lines.append(t("Mean response rate: {rate}% (previous period: {previous}%)",
                       rate=f"{await mean_rate(current):.0f}", previous=f"{await mean_rate(previous):.0f}"))
    return SummarySection(title=t("Surveys and polls"), lines=lines, progress=progress)

