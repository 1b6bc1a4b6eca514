"""Surveys: anonymity keys, audiences, recording answers, statistics and CSV export.

No routes here (see :mod:`handlers.surveys`); nothing here talks to a platform.

Anonymity design
----------------
An anonymous survey's response row holds no member id. "Once per member, and
changeable" is enforced by ``voter_key = HMAC-SHA256(server_secret, survey|member)``,
unique per survey. The server secret lives outside the database (``EDUNET_SECRET_KEY``,
else a generated key file readable only by the bot's user), so someone holding only
the database — a coordinator with a dump, a backup, an export — cannot recompute the
hash for a member and so cannot link answers to people. Trade-off: whoever holds the
server secret *and* the database (the server operator) could; losing the secret means
members cannot change answers to open anonymous surveys (and could answer them again).
"""

from __future__ import annotations

import csv
import hmac
import io
import logging
import random
from dataclasses import dataclass, field

from bot.config import Settings
from bot.context import BaseContext
from bot.i18n import N_
from bot.roles import Role
from bot.server_key import server_key
from handlers.surveys.keyed_hash import KeyedHash
from handlers.surveys.scores import mean_and_sd
from storage.membership import Member, MemberRepo, OrganisationRepo
from storage.surveys import TEXT_CHOICE, Answer, Question, Survey, SurveyRepo

log = logging.getLogger(__name__)
# aiosqlite's DEBUG log (SQL with its parameters) is kept off for every feature in storage/db.py,
# so anonymous answers never reach the logs.

# The standard Thai 5-level scale, highest first: choice index 0 = 5 points … 4 = 1 point.
RATING_LABELS = (N_("Very high"), N_("High"), N_("Moderate"), N_("Low"), N_("Very low"))
# Breakdowns of anonymous surveys with fewer answers than this are not shown.
MIN_CELL = 5
MAX_OPTIONS = 10  # LINE shows at most 13 quick replies; we keep well below every platform's limit
MAX_QUESTIONS = 20
MAX_QUESTION_CHARS = 300
MAX_OPTION_CHARS = 100
MAX_TEXT_ANSWER_CHARS = 1000
BUTTON_LABEL_CHARS = 20  # LINE's action label limit; longer options get numbered buttons


# ------------------------------------------------------------------ keys


def voter_key(settings: Settings, survey: Survey, member_id: int) -> str:
    """The key of a member's response: plain for named surveys, a keyed hash for anonymous ones."""
    return _voter_key(server_key(settings) if survey.anonymous else b"", survey, member_id)


def _voter_key(key: bytes, survey: Survey, member_id: int) -> str:
    if not survey.anonymous:
        return f"m{member_id}"
    return hmac.digest(key, _voter_message(survey, member_id), "sha256").hex()  # hmac.new(…).hexdigest()


def _voter_message(survey: Survey, member_id: int) -> bytes:
    return f"edunet-survey-voter|{survey.network_id}|{survey.id}|{member_id}".encode()


# ------------------------------------------------------------------ audience


def in_audience(survey: Survey, member: Member) -> bool:
    if member.network_id != survey.network_id:
        return False
    if survey.is_poll:
        return True
    if survey.roles and member.role not in survey.roles:
        return False
    return not survey.organisations or member.organisation_id in survey.organisations


async def audience_members(ctx: BaseContext, survey: Survey) -> list[Member]:
    """Active members the survey is for (empty for polls: anyone in the group may vote)."""
    if survey.is_poll:
        return []
    return await ctx.repo(MemberRepo).list(survey.network_id, roles=list(survey.roles) or None,
                                           organisation_ids=list(survey.organisations) or None)


async def audience_count(ctx: BaseContext, survey: Survey) -> int:
    """How many members :func:`audience_members` gives, counted in the database."""
    if survey.is_poll:
        return 0
    return await ctx.repo(MemberRepo).count(survey.network_id, roles=list(survey.roles) or None,
                                            organisation_ids=list(survey.organisations) or None)


async def responders(ctx: BaseContext, survey: Survey, members: list[Member]) -> set[int]:
    """Which of ``members`` have answered (computed with the server secret for anonymous surveys)."""
    keys = (await ctx.repo(SurveyRepo).voter_keys(survey.network_id, [survey.id]))[survey.id]
    keyed = KeyedHash(server_key(ctx.app.settings)) if survey.anonymous else None
    return _answered(keyed, survey, [m.id for m in members], keys)


def _answered(keyed: KeyedHash | None, survey: Survey, member_ids: list[int], keys: set[str]) -> set[int]:
    """Which of ``member_ids`` have one of the voter ``keys`` of ``survey`` (``keyed``: the server key's
    HMAC, needed for anonymous surveys only; named surveys' keys are plain)."""
    if not survey.anonymous:
        return {m for m in member_ids if f"m{m}" in keys}
    assert keyed is not None
    return {m for m in member_ids if keyed.hexdigest(_voter_message(survey, m)) in keys}


# ------------------------------------------------------------------ answers


class AnswerError(ValueError):
    """An answer that cannot be recorded; ``code`` says why (handlers translate it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Recorded:
    """What recording an answer did."""

    question: Question
    changed: bool
    chosen: list[int]
    text: str | None = None


def check_choice(question: Question, choice: int) -> None:
    count = 5 if question.kind == "rating" else len(question.options)
    if question.kind == "text" or not 0 <= choice < count:
        raise AnswerError("out_of_range")


async def record_choice(ctx: BaseContext, survey: Survey, member: Member, question: Question, choice: int
                        ) -> Recorded:
    """Store one tap: replace a single/rating answer, add to a multiple-choice one."""
    check_choice(question, choice)
    repo = ctx.repo(SurveyRepo)
    response = await repo.ensure_response(survey, voter_key(ctx.app.settings, survey, member.id), member.id)
    before = [a.choice for a in await repo.answers_of(survey, response.id, question.id)]
    if question.kind == "multi":
        changed = await repo.add_choice(survey, response.id, question, choice)
    else:
        changed = before != [choice]
        if changed:
            await repo.set_answer(survey, response.id, question, choice)
    after = [a.choice for a in await repo.answers_of(survey, response.id, question.id)]
    return Recorded(question, changed, after)


async def record_text(ctx: BaseContext, survey: Survey, member: Member, question: Question, text: str) -> Recorded:
    if question.kind != "text":
        raise AnswerError("out_of_range")
    text = text.strip()
    if not text:
        raise AnswerError("empty")
    if len(text) > MAX_TEXT_ANSWER_CHARS:
        raise AnswerError("too_long")
    repo = ctx.repo(SurveyRepo)
    response = await repo.ensure_response(survey, voter_key(ctx.app.settings, survey, member.id), member.id)
    before = await repo.answers_of(survey, response.id, question.id)
    changed = not before or before[0].text != text
    if changed:
        await repo.set_answer(survey, response.id, question, TEXT_CHOICE, text)
    return Recorded(question, changed, [TEXT_CHOICE], text)


async def clear_choices(ctx: BaseContext, survey: Survey, member: Member, question: Question) -> None:
    repo = ctx.repo(SurveyRepo)
    response = await repo.response(survey, voter_key(ctx.app.settings, survey, member.id))
    if response is not None:
        await repo.clear_answer(survey, response.id, question)


async def my_answers(ctx: BaseContext, survey: Survey, member: Member) -> dict[int, list[Answer]]:
    """The member's own answers, by question id."""
    repo = ctx.repo(SurveyRepo)
    response = await repo.response(survey, voter_key(ctx.app.settings, survey, member.id))
    found: dict[int, list[Answer]] = {}
    if response is not None:
        for answer in await repo.answers_of(survey, response.id):
            found.setdefault(answer.question_id, []).append(answer)
    return found


# ------------------------------------------------------------------ statistics


@dataclass
class QuestionStats:
    question: Question
    answered: int  # respondents who answered this question
    counts: list[int] = field(default_factory=list)  # per option (ratings: index 0 = 5 points)
    mean: float | None = None
    sd: float | None = None
    texts: list[str] = field(default_factory=list)  # free text (unless surveys_stats was asked without)
    suppressed: bool = False

    def percent(self, index: int) -> float:
        return 100.0 * self.counts[index] / self.answered if self.answered else 0.0


@dataclass
class Breakdown:
    label: str  # a role value or an organisation name ("" = no organisation)
    kind: str  # role | organisation
    answered: int
    total: int
    suppressed: bool = False


@dataclass
class SurveyStats:
    survey: Survey
    responses: int
    audience: int | None
    questions: list[QuestionStats]
    breakdowns: list[Breakdown]
    suppressed: bool  # anonymous with fewer than MIN_CELL responses: no answer figures at all


def rating_level(mean: float) -> int:
    """The scale level (index into RATING_LABELS) a mean falls in: 4.50–5.00 very high … 1.00–1.49 very low."""
    for index, floor in enumerate((4.5, 3.5, 2.5, 1.5)):
        if mean >= floor:
            return index
    return 4


def question_stats(question: Question, answered: int, counts: dict[tuple[int, int], int],
                   texts: list[str | None] | None, anonymous: bool) -> QuestionStats:
    """One question's figures from the database's tallies (:meth:`SurveyRepo.answer_tallies`); ``texts``
    None: a free-text question's texts were not read (``answered`` counts them: one per response)."""
    stats = QuestionStats(question, answered)
    if question.kind == "text":
        if texts is not None:
            stats.texts = sorted(text or "" for text in texts)  # sorted: never in the order of answering
    else:
        size = 5 if question.kind == "rating" else len(question.options)
        stats.counts = [counts.get((question.id, i), 0) for i in range(size)]
        if question.kind == "rating" and answered:
            scores: dict[int, int] = {}
            for (qid, choice), n in counts.items():
                if qid == question.id:
                    scores[5 - choice] = scores.get(5 - choice, 0) + n
            figures = mean_and_sd(scores)
            if figures is not None:
                stats.mean, stats.sd = figures
    stats.suppressed = anonymous and answered < MIN_CELL
    return stats


async def survey_stats(ctx: BaseContext, survey: Survey) -> SurveyStats:
    """Everything the results show, language-free (rendered per reader later)."""
    return (await surveys_stats(ctx, [survey]))[0]


async def surveys_stats(ctx: BaseContext, found: list[Survey], *, texts: bool = True,
                        members: list[Member] | None = None, organisation: int | None = None) -> list[SurveyStats]:
    """:func:`survey_stats` of each of ``found`` (surveys of one network), with the same number of
    queries for one survey as for a year's (the SAR pack): the tallies, response counts and voter
    keys of them all at once, the members and their groups once per distinct audience, the
    organisations once. ``texts=False``: the free-text answers' texts are not read (``texts`` stays
    empty; a free-text question's ``answered`` is its number of texts, one per response).
    ``members``: the network's active members, when the caller has read them: each audience is picked
    from them, not read again. ``organisation``: of the breakdowns only this organisation's (the SAR pack
    shows a school's response rate alone), so only its members' voter keys are computed, not the whole
    audience's (an anonymous survey's key is one HMAC per member)."""
    if not found:
        return []
    network_id = found[0].network_id
    assert all(s.network_id == network_id for s in found)
    repo = ctx.repo(SurveyRepo)
    ids = [s.id for s in found]
    answered_by, counts, written = await repo.answer_tallies(
        network_id, ids, [q.id for s in found for q in s.questions if q.kind == "text"] if texts else [])
    responses = await repo.response_counts(network_id, ids)
    surveys = [s for s in found if not s.is_poll]
    orgs = {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(network_id)} if surveys else {}
    audiences: dict[tuple[tuple[str, ...], tuple[int, ...]], _Audience] = {}
    for s in surveys:
        if (s.roles, s.organisations) not in audiences:
            audience_of = (await audience_members(ctx, s) if members is None
                           else [m for m in members if in_audience(s, m)])
            audiences[(s.roles, s.organisations)] = _Audience.of(audience_of, orgs)
    keys = await repo.voter_keys(network_id, [s.id for s in surveys]) if surveys else {}
    # The key's pads hashed once, not per member.
    keyed = KeyedHash(server_key(ctx.app.settings)) if any(s.anonymous for s in surveys) else None
    per_question: dict[int, dict[tuple[int, int], int]] = {}  # each question's counts apart: a year's are thousands
    for (question_id, choice), n in counts.items():
        per_question.setdefault(question_id, {})[(question_id, choice)] = n
    result = []
    for survey in found:
        questions = [question_stats(q, answered_by.get(q.id, 0), per_question.get(q.id, {}),
                                    written.get(q.id, []) if texts else None, survey.anonymous)
                     for q in survey.questions]
        breakdowns: list[Breakdown] = []
        audience: int | None = None
        if not survey.is_poll:
            group = audiences[(survey.roles, survey.organisations)]
            audience = survey.audience_size if survey.audience_size is not None else len(group.ids)
            shown = group.groups if organisation is None else [
                (label, kind, who) for label, kind, who in group.groups
                if kind == "organisation" and label == orgs.get(organisation)]  # names are unique in a network
            asked = group.ids if organisation is None else sorted({m for _, _, who in shown for m in who})
            done = _answered(keyed, survey, asked, keys[survey.id])
            for label, kind, who in shown:
                answered = len(who & done)
                breakdowns.append(Breakdown(label, kind, answered, len(who),
                                            suppressed=survey.anonymous and answered < MIN_CELL))
        result.append(SurveyStats(survey, responses[survey.id], audience, questions, breakdowns,
                                  suppressed=survey.anonymous and responses[survey.id] < MIN_CELL))
    return result


@dataclass
class _Audience:
    """A survey audience's member ids and its breakdowns' groups, in the results' order: (label, kind, ids)
    by role (in :class:`Role`'s order), then by organisation name ("" = none)."""

    ids: list[int]
    groups: list[tuple[str, str, set[int]]]

    @classmethod
    def of(cls, members: list[Member], orgs: dict[int, str]) -> _Audience:
        roles: dict[str, set[int]] = {}
        by_org: dict[str, set[int]] = {}
        for m in members:
            roles.setdefault(m.role, set()).add(m.id)
            by_org.setdefault(orgs.get(m.organisation_id or 0, ""), set()).add(m.id)
        groups: list[tuple[str, str, set[int]]] = [(r.value, "role", roles[r.value]) for r in Role if r.value in roles]
        groups += [(name, "organisation", by_org[name]) for name in sorted(by_org)]
        return cls([m.id for m in members], groups)


# ------------------------------------------------------------------ export


async def export_csv(ctx: BaseContext, survey: Survey) -> bytes:
    """Every response as one CSV row (UTF-8 with BOM, so Excel shows Thai correctly).

    Anonymous surveys: no member columns, rows in keyed-hash order (not the order of
    answering), numbered 1, 2, 3…; a question with fewer than MIN_CELL answers keeps its column
    but no values (beside a respondent's other answers a rare answer would point at them), and
    free-text questions are left out of the rows (see :func:`export_comments_csv`). Named: member
    number, name, role and organisation, and every answer.
    """
    header, rows = await response_table(ctx, survey)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


async def response_table(ctx: BaseContext, survey: Survey) -> tuple[list[str], list[list[object]]]:
    """The rows of :func:`export_csv` (the XLSX export writes the same table), from one query that
    returns the responses with their answers in order (:meth:`SurveyRepo.response_rows`)."""
    t = ctx.t
    questions = [q for q in survey.questions if not (survey.anonymous and q.kind == "text")]
    wanted = {q.id: q for q in questions}
    # Per response (in voter-key order): its member and, per question, its choices and text.
    responses: list[tuple[int | None, dict[int, tuple[list[int], str | None]]]] = []
    current: str | None = None
    mine: dict[int, tuple[list[int], str | None]] = {}
    for response_id, member_id, question_id, choice, text in await ctx.repo(SurveyRepo).response_rows(survey):
        if response_id != current:
            current, mine = response_id, {}
            responses.append((member_id, mine))
        if question_id is None or choice is None or question_id not in wanted:
            continue  # a response without answers, or a question the export leaves out
        found = mine.get(question_id)
        if found is None:
            mine[question_id] = ([choice], text)
        else:
            found[0].append(choice)
    members: dict[int, Member] = {}
    orgs: dict[int, str] = {}
    if not survey.anonymous:
        members = {m.id: m for m in await ctx.repo(MemberRepo).list(survey.network_id)}
        orgs = {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(survey.network_id)}
        responses.sort(key=lambda r: members[r[0]].number if r[0] in members else 10**9)
    hidden: set[int] = set()
    if survey.anonymous:
        answered = dict.fromkeys(wanted, 0)
        for _, given in responses:
            for qid in given:
                answered[qid] += 1
        hidden = {q.id for q in questions if answered[q.id] < MIN_CELL}
    header = [t("Response")]
    if not survey.anonymous:
        header += [t("Member number"), t("Name"), t("Role"), t("Organisation")]
    header += [f"{q.position}. {q.text}" + (" " + t("(hidden: fewer than {n} answers)", n=MIN_CELL)
                                           if q.id in hidden else "") for q in questions]
    shown = [(q, q.id in hidden) for q in questions]
    rows: list[list[object]] = []
    for index, (member_id, given) in enumerate(responses, start=1):
        row: list[object] = [index]
        if not survey.anonymous:
            m = members.get(member_id or 0)
            row += [m.number, m.display_name, t(m.role), orgs.get(m.organisation_id or 0, "")] if m else ["", "", "",
                                                                                                         ""]
        for q, is_hidden in shown:
            answer = given.get(q.id)
            row.append("" if is_hidden or answer is None else choices_cell(q, *answer))
        rows.append(row)
    return header, rows


async def export_comments_csv(ctx: BaseContext, survey: Survey) -> bytes | None:
    """An anonymous survey's free-text answers as a table of their own: question and answer, shuffled,
    never in a respondent's row; questions with fewer than MIN_CELL answers are left out. None when
    there is nothing to export (a named survey's texts are in its rows)."""
    rows = await comment_rows(ctx, survey)
    if rows is None:
        return None
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([ctx.t("Question"), ctx.t("Answer given")])
    writer.writerows(rows)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


async def comment_rows(ctx: BaseContext, survey: Survey) -> list[tuple[str, str]] | None:
    """The rows of :func:`export_comments_csv`: (question, answer), grouped by question and shuffled
    within one; None when there is nothing to show."""
    if not survey.anonymous:
        return None
    texts = {q.id: q for q in survey.questions if q.kind == "text"}
    if not texts:
        return None
    by_question = {qid: [text for text in found if text]
                   for qid, found in (await ctx.repo(SurveyRepo).texts(survey.network_id, [survey.id], list(texts))).items()}
    rows = [(f"{texts[qid].position}. {texts[qid].text}", text) for qid, found in by_question.items()
            if len(found) >= MIN_CELL for text in found]
    if not rows:
        return None
    random.SystemRandom().shuffle(rows)  # the stored order would follow the order of answering
    rows.sort(key=lambda r: r[0])  # grouped by question; within one, shuffled (sort is stable)
    return rows


def cell(question: Question, answers: list[Answer]) -> object:
    """One answer as a CSV cell: option text, options joined with "; ", a 1–5 score, or the text."""
    if not answers:
        return ""
    return choices_cell(question, [a.choice for a in answers], answers[0].text)


def choices_cell(question: Question, choices: list[int], text: str | None) -> object:
    """:func:`cell` of one question's choices (in choice order) and the first answer's text."""
    if question.kind == "text":
        return text or ""
    if question.kind == "rating":
        return 5 - choices[0]
    return "; ".join(question.options[c] for c in choices if 0 <= c < len(question.options))

