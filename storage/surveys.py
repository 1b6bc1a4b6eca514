"""Surveys and polls: tables and repositories.

Anonymity is a storage property here. A response row of an anonymous survey has
``member_id`` NULL and is found again only through ``voter_key``, a keyed hash
(HMAC) of the member computed with a server secret that is *not* in the database
(see :mod:`handlers.surveys.logic`). Response ids are random tokens, and neither
responses nor answers carry timestamps, so row ids and times do not reveal who
answered when. On SQLite both tables are WITHOUT ROWID, so even the physical row
order follows the random keys rather than the order of answering.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.counters import next_number
from storage.repo import Repo
from storage.survey_tallies import ANSWERED, survey_tallies
from storage.tables import metadata
from storage.types import UTCDateTime

surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # survey | poll
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("anonymous", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("status", sa.String(16), nullable=False, server_default="open"),  # open | closed
    # {"roles": [...], "organisations": [ids], "chats": [chat ids]}; empty lists mean "all".
    sa.Column("audience", sa.JSON, nullable=False),
    sa.Column("chat_id", sa.ForeignKey("chats.id", ondelete="SET NULL")),  # a poll's group
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("closes_at", UTCDateTime),
    sa.Column("closed_at", UTCDateTime),
    # Snapshot at closing: how many were in the audience (None for polls).
    sa.Column("audience_size", sa.Integer),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_surveys_network_number"),
    sa.Index("ix_surveys_network_status", "network_id", "status"),
    sa.Index("ix_surveys_network_opened", "network_id", "opened_at"),
)

survey_questions = sa.Table(
    "survey_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("survey_id", sa.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 1, 2, 3…
    sa.Column("kind", sa.String(16), nullable=False),  # single | multi | rating | text
    sa.Column("text", sa.String(300), nullable=False),
    sa.Column("options", sa.JSON, nullable=False),
    sa.UniqueConstraint("survey_id", "position", name="uq_survey_questions_survey_position"),
)

survey_responses = sa.Table(
    "survey_responses",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # random token, not a sequence
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("survey_id", sa.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    # Named surveys and polls: "m<member id>"; anonymous: HMAC(server secret, survey, member).
    sa.Column("voter_key", sa.String(64), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),  # NULL when anonymous
    sa.UniqueConstraint("survey_id", "voter_key", name="uq_survey_responses_survey_voter"),
    # A network's surveys' answer counts and voter keys, read from the index alone (the rows are keyed by
    # their random id: without it, each response is a lookup).
    sa.Index("ix_survey_responses_network_survey_voter", "network_id", "survey_id", "voter_key"),
    sqlite_with_rowid=False,
)

survey_answers = sa.Table(
    "survey_answers",
    metadata,
    sa.Column("response_id", sa.ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("question_id", sa.ForeignKey("survey_questions.id", ondelete="CASCADE"), primary_key=True),
    # The option's index (0-based; ratings: 0 = 5 "very high" … 4 = 1 "very low"); -1 for free text.
    sa.Column("choice", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("survey_id", sa.ForeignKey("surveys.id", ondelete="CASCADE"), nullable=False),
    sa.Column("text", sa.Text),
    sa.Index("ix_survey_answers_survey_question", "survey_id", "question_id"),
    sqlite_with_rowid=False,
)

KINDS = ("single", "multi", "rating", "text")
TEXT_CHOICE = -1


@dataclass(frozen=True)
class Question:
    id: int
    survey_id: int
    position: int
    kind: str
    text: str
    options: tuple[str, ...]


@dataclass(frozen=True)
class Survey:
    id: int
    network_id: int
    number: int
    kind: str
    title: str
    anonymous: bool
    status: str
    roles: tuple[str, ...]
    organisations: tuple[int, ...]
    chats: tuple[int, ...]
    chat_id: int | None
    created_by: int | None
    opened_at: datetime
    closes_at: datetime | None
    closed_at: datetime | None
    audience_size: int | None
    questions: tuple[Question, ...] = field(default=())

    @property
    def is_poll(self) -> bool:
        return self.kind == "poll"

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def question(self, position: int) -> Question | None:
        for q in self.questions:
            if q.position == position:
                return q
        return None


@dataclass(frozen=True)
class Answer:
    response_id: str
    question_id: int
    choice: int
    text: str | None


@dataclass(frozen=True)
class Response:
    id: str
    voter_key: str
    member_id: int | None


def _survey(row: Any, questions: tuple[Question, ...]) -> Survey:
    audience = dict(row.audience or {})
    return Survey(
        id=row.id, network_id=row.network_id, number=row.number, kind=row.kind, title=row.title,
        anonymous=bool(row.anonymous), status=row.status, roles=tuple(audience.get("roles", ())),
        organisations=tuple(int(o) for o in audience.get("organisations", ())),
        chats=tuple(int(c) for c in audience.get("chats", ())), chat_id=row.chat_id, created_by=row.created_by,
        opened_at=row.opened_at, closes_at=row.closes_at, closed_at=row.closed_at, audience_size=row.audience_size,
        questions=questions)


def _question(row: Any) -> Question:
    return Question(id=row.id, survey_id=row.survey_id, position=row.position, kind=row.kind, text=row.text,
                    options=tuple(row.options or ()))


class SurveyRepo(Repo):
    """Surveys, their questions and their answers; every query scoped by network."""

    async def create(self, network_id: int, *, kind: str, title: str, anonymous: bool, roles: list[str],
                     organisations: list[int], chats: list[int], chat_id: int | None, created_by: int | None,
                     closes_at: datetime | None, questions: list[dict[str, Any]], now: datetime) -> Survey:
        """Create an open survey (or poll) with its questions, numbered 1, 2, 3… per network."""
        number = await next_number(self.conn, network_id, "survey")
        survey_id = (await self.conn.execute(
            surveys.insert().values(
                network_id=network_id, number=number, kind=kind, title=title, anonymous=anonymous, status="open",
                audience={"roles": roles, "organisations": organisations, "chats": chats}, chat_id=chat_id,
                created_by=created_by, opened_at=now, closes_at=closes_at, created_at=now)
            .returning(surveys.c.id))).scalar_one()
        for position, q in enumerate(questions, start=1):
            await self.conn.execute(survey_questions.insert().values(
                network_id=network_id, survey_id=survey_id, position=position, kind=q["kind"], text=q["text"],
                options=list(q.get("options", []))))
        survey = await self.get(network_id, survey_id)
        assert survey is not None
        return survey

    async def _questions(self, survey_ids: list[int]) -> dict[int, tuple[Question, ...]]:
        if not survey_ids:
            return {}
        rows = (await self.conn.execute(
            sa.select(survey_questions).where(survey_questions.c.survey_id.in_(survey_ids))
            .order_by(survey_questions.c.survey_id, survey_questions.c.position))).all()
        found: dict[int, list[Question]] = {}
        for r in rows:
            found.setdefault(r.survey_id, []).append(_question(r))
        return {k: tuple(v) for k, v in found.items()}

    async def _many(self, query: sa.Select[Any], *, with_questions: bool = True) -> list[Survey]:
        rows = (await self.conn.execute(query)).all()
        questions = await self._questions([r.id for r in rows]) if with_questions else {}
        return [_survey(r, questions.get(r.id, ())) for r in rows]

    async def get(self, network_id: int, survey_id: int) -> Survey | None:
        found = await self._many(sa.select(surveys).where(surveys.c.network_id == network_id,
                                                          surveys.c.id == survey_id))
        return found[0] if found else None

    async def by_number(self, network_id: int, number: int) -> Survey | None:
        found = await self._many(sa.select(surveys).where(surveys.c.network_id == network_id,
                                                          surveys.c.number == number))
        return found[0] if found else None

    async def list_open(self, network_id: int) -> list[Survey]:
        return await self._many(sa.select(surveys).where(surveys.c.network_id == network_id,
                                                         surveys.c.status == "open").order_by(surveys.c.number))

    async def active_between(self, network_id: int, start: datetime, end: datetime, *,
                             with_questions: bool = True) -> list[Survey]:
        """Surveys open at some moment of [start, end): opened before the end, not closed before the start
        (``with_questions=False``: without their questions, for lists and counts over many surveys)."""
        return await self._many(
            sa.select(surveys).where(
                surveys.c.network_id == network_id, surveys.c.opened_at < end,
                sa.or_(surveys.c.closed_at.is_(None), surveys.c.closed_at >= start))
            .order_by(surveys.c.number), with_questions=with_questions)

    async def close(self, network_id: int, survey_id: int, *, audience_size: int | None, now: datetime) -> bool:
        """Close an open survey; False if it was already closed (a second close changes nothing)."""
        result = await self.conn.execute(
            surveys.update().where(surveys.c.network_id == network_id, surveys.c.id == survey_id,
                                   surveys.c.status == "open")
            .values(status="closed", closed_at=now, audience_size=audience_size))
        return bool(result.rowcount)

    # ------------------------------------------------------------ responses

    async def response(self, survey: Survey, voter_key: str) -> Response | None:
        row = (await self.conn.execute(
            sa.select(survey_responses).where(survey_responses.c.network_id == survey.network_id,
                                              survey_responses.c.survey_id == survey.id,
                                              survey_responses.c.voter_key == voter_key))).first()
        return Response(id=row.id, voter_key=row.voter_key, member_id=row.member_id) if row else None

    async def ensure_response(self, survey: Survey, voter_key: str, member_id: int | None) -> Response:
        """The voter's response row, created on the first answer (once, whatever the races)."""
        await self.insert_ignore(
            survey_responses,
            {"id": secrets.token_hex(16), "network_id": survey.network_id, "survey_id": survey.id,
             "voter_key": voter_key, "member_id": None if survey.anonymous else member_id},
            ["survey_id", "voter_key"])
        found = await self.response(survey, voter_key)
        assert found is not None
        return found

    async def responses(self, survey: Survey) -> list[Response]:
        rows = (await self.conn.execute(
            sa.select(survey_responses).where(survey_responses.c.network_id == survey.network_id,
                                              survey_responses.c.survey_id == survey.id)
            .order_by(survey_responses.c.voter_key))).all()
        return [Response(id=r.id, voter_key=r.voter_key, member_id=r.member_id) for r in rows]

    async def response_count(self, survey: Survey) -> int:
        return int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(survey_responses)
            .where(survey_responses.c.network_id == survey.network_id,
                   survey_responses.c.survey_id == survey.id))).scalar_one())

    async def response_counts(self, network_id: int, survey_ids: list[int]) -> dict[int, int]:
        """:meth:`response_count` of many surveys in one query (surveys without responses: 0)."""
        counts = dict.fromkeys(survey_ids, 0)
        if survey_ids:
            rows = (await self.conn.execute(
                sa.select(survey_responses.c.survey_id, sa.func.count().label("n"))
                .where(survey_responses.c.network_id == network_id, survey_responses.c.survey_id.in_(survey_ids))
                .group_by(survey_responses.c.survey_id))).all()
            counts.update({r.survey_id: int(r.n) for r in rows})
        return counts

    async def voter_keys(self, network_id: int, survey_ids: list[int]) -> dict[int, set[str]]:
        """The voter keys of these surveys' responses, per survey (one query, whatever their number)."""
        r = survey_responses
        keys: dict[int, set[str]] = {survey_id: set() for survey_id in survey_ids}
        if survey_ids:
            # One row per survey, its keys joined by spaces (a key is hex or "m<member id>"): a year's
            # surveys are some ten thousand keys, each a result row otherwise.
            for row in await self.conn.execute(
                    sa.select(r.c.survey_id, sa.func.aggregate_strings(r.c.voter_key, " ").label("keys"))
                    .where(r.c.network_id == network_id, _one_of(r.c.survey_id, survey_ids))
                    .group_by(r.c.survey_id)):
                keys[int(row.survey_id)].update(row.keys.split(" "))
        return keys

    async def answers_of(self, survey: Survey, response_id: str, question_id: int | None = None) -> list[Answer]:
        query = sa.select(survey_answers).where(survey_answers.c.network_id == survey.network_id,
                                                survey_answers.c.survey_id == survey.id,
                                                survey_answers.c.response_id == response_id)
        if question_id is not None:
            query = query.where(survey_answers.c.question_id == question_id)
        rows = (await self.conn.execute(query.order_by(survey_answers.c.question_id,
                                                       survey_answers.c.choice))).all()
        return [Answer(r.response_id, r.question_id, r.choice, r.text) for r in rows]

    async def all_answers(self, survey: Survey) -> list[Answer]:
        rows = (await self.conn.execute(
            sa.select(survey_answers).where(survey_answers.c.network_id == survey.network_id,
                                            survey_answers.c.survey_id == survey.id)
            .order_by(survey_answers.c.response_id, survey_answers.c.question_id,
                      survey_answers.c.choice))).all()
        return [Answer(r.response_id, r.question_id, r.choice, r.text) for r in rows]

    async def answer_tallies(self, network_id: int, survey_ids: list[int], text_questions: list[int]
                             ) -> tuple[dict[int, int], dict[tuple[int, int], int], dict[int, list[str | None]]]:
        """What the results of these surveys show, from the tallies the database keeps
        (:mod:`storage.survey_tallies`; one query, whatever the number of surveys; question ids are unique
        across surveys): per question the responses that answered it, per (question, choice) the answers,
        and the texts of ``text_questions`` (unordered)."""
        t = survey_tallies
        if not survey_ids:
            return {}, {}, {}
        answered: dict[int, int] = {}
        counts: dict[tuple[int, int], int] = {}
        for r in await self.conn.execute(
                sa.select(t.c.question_id, t.c.choice, t.c.n)
                .where(t.c.network_id == network_id, _one_of(t.c.survey_id, survey_ids), t.c.n != 0)):
            if r.choice == ANSWERED:
                answered[int(r.question_id)] = int(r.n)
            else:
                counts[(int(r.question_id), int(r.choice))] = int(r.n)
        return answered, counts, await self.texts(network_id, survey_ids, text_questions)

    async def answer_counts_direct(self, network_id: int, survey_ids: list[int]
                                   ) -> tuple[dict[int, int], dict[tuple[int, int], int]]:
        """:meth:`answer_tallies`' figures counted from the answers themselves (a year's surveys: every
        answer of the year read), which the kept tallies equal."""
        a = survey_answers
        if not survey_ids:
            return {}, {}
        mine = (a.c.network_id == network_id, _one_of(a.c.survey_id, survey_ids))
        answered = {int(r.question_id): int(r.n) for r in await self.conn.execute(
            sa.select(a.c.question_id, sa.func.count(sa.distinct(a.c.response_id)).label("n"))
            .where(*mine).group_by(a.c.question_id))}
        counts = {(int(r.question_id), int(r.choice)): int(r.n) for r in await self.conn.execute(
            sa.select(a.c.question_id, a.c.choice, sa.func.count().label("n"))
            .where(*mine).group_by(a.c.question_id, a.c.choice))}
        return answered, counts

    async def texts(self, network_id: int, survey_ids: list[int], question_ids: list[int]
                    ) -> dict[int, list[str | None]]:
        """The answers' texts of these (free-text) questions of these surveys, per question, unordered."""
        a, q = survey_answers, survey_questions
        texts: dict[int, list[str | None]] = {}
        if question_ids and survey_ids:
            # From each question to its answers (one range of the answers' index per question), not every
            # pair of the surveys and questions asked.
            for r in await self.conn.execute(
                    sa.select(a.c.question_id, a.c.text)
                    .select_from(q.join(a, sa.and_(a.c.survey_id == q.c.survey_id, a.c.question_id == q.c.id)))
                    .where(q.c.network_id == network_id, _one_of(q.c.survey_id, survey_ids), q.c.id.in_(question_ids),
                           a.c.network_id == network_id)):
                texts.setdefault(int(r.question_id), []).append(r.text)
        return texts

    async def choice_counts(self, survey: Survey, question_id: int) -> dict[int, int]:
        """How many answers chose each option of one question (a poll's live count), counted by the database."""
        a = survey_answers
        return {int(r.choice): int(r.n) for r in await self.conn.execute(
            sa.select(a.c.choice, sa.func.count().label("n"))
            .where(a.c.network_id == survey.network_id, a.c.survey_id == survey.id, a.c.question_id == question_id)
            .group_by(a.c.choice))}

    async def response_rows(self, survey: Survey) -> list[tuple[str, int | None, int | None, int | None, str | None]]:
        """Every response with its answers, in one query, in the export's order: ``(response id,
        member id, question id, choice, text)`` by voter key, then question and choice (a response
        without answers: one row with ``None`` for the last three). The responses are read in voter-key
        order from their index and each one's answers are one range of the answers' primary key, so
        the database neither sorts nor looks up each answer; no :class:`Answer` objects are built."""
        r, a = survey_responses, survey_answers
        rows = await self.conn.execute(
            sa.select(r.c.id, r.c.member_id, a.c.question_id, a.c.choice, a.c.text)
            .select_from(r.outerjoin(a, a.c.response_id == r.c.id))
            .where(r.c.network_id == survey.network_id, r.c.survey_id == survey.id)
            .order_by(r.c.voter_key, r.c.id, a.c.question_id, a.c.choice))
        return [tuple(row) for row in rows]

    async def set_answer(self, survey: Survey, response_id: str, question: Question, choice: int,
                         text: str | None = None) -> None:
        """Replace this response's answer to ``question`` with one choice (or a text)."""
        await self.clear_answer(survey, response_id, question)
        await self.add_choice(survey, response_id, question, choice, text)

    async def add_choice(self, survey: Survey, response_id: str, question: Question, choice: int,
                         text: str | None = None) -> bool:
        """Add one choice (multiple choice); False if it was already chosen."""
        return await self.insert_ignore(
            survey_answers,
            {"response_id": response_id, "question_id": question.id, "choice": choice,
             "network_id": survey.network_id, "survey_id": survey.id, "text": text},
            ["response_id", "question_id", "choice"])

    async def clear_answer(self, survey: Survey, response_id: str, question: Question) -> None:
        await self.conn.execute(survey_answers.delete().where(
            survey_answers.c.network_id == survey.network_id, survey_answers.c.survey_id == survey.id,
            survey_answers.c.response_id == response_id, survey_answers.c.question_id == question.id))


def _one_of(column: sa.ColumnElement[Any], values: list[int]) -> sa.ColumnElement[bool]:
    """``column = v`` for one value (what the single-survey screens ask), ``column IN (...)`` for more."""
    return column == values[0] if len(values) == 1 else column.in_(values)
