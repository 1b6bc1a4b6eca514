"""A target's actual value, computed from the tables the bot already keeps (activities, pledges,
needs, surveys, meetings and their attendance, tasks, indicator reports): progress is never typed in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.activities import activities, needs, pledges
from storage.goals.goal_repo import Target, TargetError
from storage.activity_repo import ActivityRepo
from storage.goals.rollups import MADE_DELIVERED, MONTH, goal_pledge_days
from storage.goals.tables import indicator_reports, plan_projects, plan_tasks
from storage.meetings import MeetingRepo, meetings
from storage.repo import Repo
from storage.resource_repo import LIVE, PledgeRepo, PledgeTotal, from_x100
from storage.survey_tallies import ANSWERED, survey_tallies
from storage.surveys import survey_answers, survey_questions, survey_responses, surveys

# The surveys' rule: figures from fewer answers than this are hidden for anonymous surveys.
MIN_ANSWERS: Final = 5
BAHT: Final = "THB"


@dataclass(frozen=True)
class Measured:
    """A target's actual value; ``None`` when there is nothing to show (no answers yet, hidden, unknown)."""

    value: Decimal | None
    suppressed: bool = False  # hidden by the anonymity rule


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day starts at (timestamp columns are compared in UTC)."""
    return datetime.combine(day, time.min, tz).astimezone(timezone.utc)


@dataclass(frozen=True)
class ActivityGroup:
    category: str
    aim: str
    count: int
    participants: int
    minutes: int


def count_activities(groups: list[ActivityGroup], what: str, *, category: str | None = None,
                     aim: str | None = None) -> Decimal:
    """How many activities (``activities``), people (``participants``) or hours (``hours``), optionally of
    one category or one aim."""
    chosen = [g for g in groups if category in (None, g.category) and aim in (None, g.aim)]
    if what == "activities":
        return Decimal(sum(g.count for g in chosen))
    if what == "participants":
        return Decimal(sum(g.participants for g in chosen))
    return (Decimal(sum(g.minutes for g in chosen)) / 60).quantize(Decimal("0.01"))


def sum_resources(totals: list[PledgeTotal], *, measure: str, resource_type: str | None = None,
                  sector: str | None = None, unit: str | None = None) -> Decimal:
    """Baht, or one unit of quantity, optionally of one channel (resource type) or source sector."""
    wanted_unit = BAHT if measure == "baht" else unit
    return sum((t.amount for t in totals if t.unit == wanted_unit and resource_type in (None, t.resource_type)
                and sector in (None, t.source_sector)), Decimal(0))


class PeriodTotals:
    """One network's activity and pledge totals over one period, each read at most once: the targets of a
    screen of goals and the review's own tables share them."""

    def __init__(self, repo: MeasureRepo, network_id: int, days: tuple[date, date], tz: ZoneInfo, *,
                 direct: bool = False) -> None:
        self.repo, self.network_id, self.days, self.direct = repo, network_id, days, direct
        self.start, self.end = local_midnight(days[0], tz), local_midnight(days[1], tz)
        self._activities: list[ActivityGroup] | None = None
        self._pledges: dict[str, list[PledgeTotal]] = {}

    async def activities(self) -> list[ActivityGroup]:
        """Activities by category and aim."""
        if self._activities is None:
            read = self.repo.activity_groups_direct if self.direct else self.repo.activity_groups
            self._activities = await read(self.network_id, *self.days)
        return self._activities

    async def pledges(self, stage: str) -> list[PledgeTotal]:
        """Pledged (made in the period, not cancelled) or delivered (in the period), by channel, sector, unit."""
        if stage not in self._pledges:
            if self.direct:
                repo = PledgeRepo(self.repo.conn)
                read = repo.totals_pledged_direct if stage == "pledged" else repo.totals_delivered_direct
                self._pledges[stage] = await read(self.network_id, self.start, self.end)
            else:
                self._pledges[stage] = await self.repo.pledge_totals(self.network_id, stage, self.start, self.end)
        return self._pledges[stage]


class MeasureRepo(Repo):
    """The actual value of targets over a period of local dates ``[start, end)``, from the bot's own data.

    ``now`` bounds what has happened (a meeting is held once it has started); ``tz`` turns the
    local dates into instants for timestamp columns.
    """

    def period(self, network_id: int, start: date, end: date, *, tz: ZoneInfo, direct: bool = False) -> PeriodTotals:
        """The period's totals, from the per-day totals the database keeps (``direct``: from every row, the
        benchmark's baseline)."""
        return PeriodTotals(self, network_id, (start, end), tz, direct=direct)

    async def actual(self, target: Target, start: date, end: date, *, tz: ZoneInfo, now: datetime) -> Measured:
        return (await self.actuals([target], self.period(target.network_id, start, end, tz=tz), now=now))[0]

    async def actuals(self, targets: list[Target], period: PeriodTotals, *, now: datetime) -> list[Measured]:
        """Every target's actual value over ``period`` (in order); the targets are of the period's network."""
        if any(t.network_id != period.network_id for t in targets):
            raise ValueError("targets of another network")
        return [await self._measure(target, period, now) for target in targets]

    async def _measure(self, target: Target, totals: PeriodTotals, now: datetime) -> Measured:
        kind, p, network = target.kind, target.params, target.network_id
        if kind in ("activities", "participants", "hours"):
            return Measured(count_activities(await totals.activities(), kind, category=p.get("category"),
                                             aim=p.get("aim")))
        if kind == "resources":
            return Measured(sum_resources(await totals.pledges(p["stage"]), measure=p["measure"],
                                          resource_type=p.get("resource_type"), sector=p.get("sector"),
                                          unit=p.get("unit")))
        if kind == "needs_fulfilled":
            return Measured(await self.needs_fulfilled(network, totals.start, totals.end,
                                                       resource_type=p.get("resource_type")))
        if kind == "survey_mean":
            return await self.survey_mean(network, p["survey"], p["question"])
        if kind == "survey_response_rate":
            return await self.survey_response_rate(network, p["survey"], p.get("question"))
        if kind == "meetings":
            return Measured(await self.meetings_held(network, totals.start, min(totals.end, now),
                                                     kind=p.get("meeting_kind")))
        if kind == "attendance":  # taken from 30 minutes before the start: what is recorded has happened
            return Measured(await self.attendances(network, totals.start, totals.end, kind=p.get("meeting_kind")))
        if kind == "tasks_on_time":
            return Measured(await self.tasks_on_time(network, *totals.days, project=p.get("project")))
        if kind == "manual":
            return Measured(await self.latest_report(target))
        raise TargetError("kind")

    async def activity_groups(self, network_id: int, start: date, end: date) -> list[ActivityGroup]:
        """Count, participants and minutes in [start, end) by category and aim, from the per-day and
        per-month totals the database keeps (``activity_totals``, :mod:`storage.activity_rollups`): a few
        hundred rows for a year instead of every activity."""
        rows = await ActivityRepo(self.conn).kept_totals(network_id, start, end, ("category", "aim"))
        return [ActivityGroup(category, aim, n, people, minutes) for (category, aim), n, people, minutes in rows]

    async def pledge_totals(self, network_id: int, stage: str, start: datetime, end: datetime) -> list[PledgeTotal]:
        """What PledgeRepo.totals_pledged / totals_delivered give for [start, end) (``stage`` "pledged" or
        "delivered"; ``MADE_DELIVERED``: the pledges made in it and delivered since), in one query: whole UTC
        months from the month totals, the other whole UTC days from the day totals, and the partial days
        at the period's edges from ``pledges`` itself."""
        first = start.astimezone(timezone.utc)
        first_day = first.date() + (timedelta(days=1) if first.time() != time.min else timedelta(0))
        last_day = end.astimezone(timezone.utc).date()
        if first_day >= last_day:
            return await self._pledges_direct(network_id, stage, start, end)
        month_start = first_day if first_day.day == 1 else (first_day.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_end = last_day.replace(day=1)
        grains = ([(stage, first_day, month_start), (stage + MONTH, month_start, month_end), (stage, month_end, last_day)]
                  if month_start < month_end else [(stage, first_day, last_day)])
        p, d = pledges.c, goal_pledge_days.c
        when = p.delivered_at if stage == "delivered" else p.created_at
        live = {"pledged": p.status.in_(LIVE), MADE_DELIVERED: p.status == "delivered"}.get(stage, sa.true())
        parts: list[sa.Select[Any]] = [
            sa.select(p.resource_type, p.source_sector, p.unit, sa.literal(1, sa.BigInteger).label("n"),
                      p.amount_x100.label("x100"))
            .where(p.network_id == network_id, when >= since, when < until, live)
            for since, until in ((start, datetime.combine(first_day, time.min, timezone.utc)),
                                 (datetime.combine(last_day, time.min, timezone.utc), end))]
        parts += [sa.select(d.resource_type, d.source_sector, d.unit, d.n.label("n"), d.amount_x100.label("x100"))
                  .where(d.network_id == network_id, d.stage == grain, d.day >= since, d.day < until)
                  for grain, since, until in grains if since < until]
        both = sa.union_all(*parts).subquery()
        rows = (await self.conn.execute(
            sa.select(both.c.resource_type, both.c.source_sector, both.c.unit, sa.func.sum(both.c.n).label("n"),
                      sa.func.sum(both.c.x100).label("x100"))
            .group_by(both.c.resource_type, both.c.source_sector, both.c.unit)
            .order_by(both.c.resource_type, both.c.source_sector, both.c.unit))).all()
        return [PledgeTotal(r.resource_type, r.source_sector, r.unit, int(r.n), from_x100(int(r.x100)))
                for r in rows if r.n]

    async def _pledges_direct(self, network_id: int, stage: str, start: datetime, end: datetime) -> list[PledgeTotal]:
        repo = PledgeRepo(self.conn)
        read = {"pledged": repo.totals_pledged_direct, "delivered": repo.totals_delivered_direct,
                MADE_DELIVERED: repo.totals_made_delivered_direct}[stage]
        return await read(network_id, start, end)

    async def activity_groups_direct(self, network_id: int, start: date, end: date) -> list[ActivityGroup]:
        """The same as :meth:`activity_groups`, read from every activity (the benchmark's baseline): an
        index-only scan of the covering index the summary uses."""
        a = activities.c
        rows = (await self.conn.execute(
            sa.select(a.category, a.aim, sa.func.count().label("n"),
                      sa.func.coalesce(sa.func.sum(a.participants), 0).label("people"),
                      sa.func.coalesce(sa.func.sum(a.minutes), 0).label("minutes"))
            .where(a.network_id == network_id, a.activity_date >= start, a.activity_date < end)
            .group_by(a.category, a.aim))).all()
        return [ActivityGroup(r.category, r.aim, int(r.n), int(r.people), int(r.minutes)) for r in rows]

    async def needs_fulfilled(self, network_id: int, start: datetime, end: datetime, *,
                              resource_type: str | None = None) -> Decimal:
        query = (sa.select(sa.func.count()).select_from(needs)
                 .where(needs.c.network_id == network_id, needs.c.status == "fulfilled",
                        needs.c.fulfilled_at >= start, needs.c.fulfilled_at < end))
        if resource_type is not None:
            query = query.where(needs.c.resource_type == resource_type)
        return Decimal(int((await self.conn.execute(query)).scalar_one()))

    async def _survey(self, network_id: int, number: int) -> Any:
        return (await self.conn.execute(sa.select(surveys).where(
            surveys.c.network_id == network_id, surveys.c.number == number))).first()

    async def _question_id(self, survey_id: int, position: int, *, rating: bool = False) -> int | None:
        query = sa.select(survey_questions.c.id).where(survey_questions.c.survey_id == survey_id,
                                                       survey_questions.c.position == position)
        if rating:
            query = query.where(survey_questions.c.kind == "rating")
        found = (await self.conn.execute(query)).scalar()
        return int(found) if found is not None else None

    async def survey_mean(self, network_id: int, number: int, position: int) -> Measured:
        """The mean score (1–5) of a rating question, computed in SQL: no answer leaves the database.
        Hidden, like the survey's own results, when an anonymous survey has fewer than MIN_ANSWERS."""
        survey = await self._survey(network_id, number)
        question = await self._question_id(survey.id, position, rating=True) if survey is not None else None
        if survey is None or question is None:
            return Measured(None)
        row = (await self.conn.execute(
            sa.select(sa.func.count(sa.distinct(survey_answers.c.response_id)).label("n"),
                      sa.func.avg(5 - survey_answers.c.choice).label("mean"))
            .where(survey_answers.c.network_id == network_id, survey_answers.c.survey_id == survey.id,
                   survey_answers.c.question_id == question, survey_answers.c.choice >= 0))).one()
        if survey.anonymous and int(row.n) < MIN_ANSWERS:
            return Measured(None, suppressed=True)
        if not row.n:
            return Measured(None)
        return Measured(Decimal(str(row.mean)).quantize(Decimal("0.01")))

    async def survey_means(self, network_id: int, survey_ids: list[int]) -> dict[tuple[int, int], tuple[int, Decimal]]:
        """Per (survey, rating question) of ``survey_ids``: the responses that answered it and its mean score
        (1–5), from the tallies the database keeps (:mod:`storage.survey_tallies`: five rows a question, not
        every answer of the term's surveys); questions without answers are absent. The caller applies the
        anonymity rule (:meth:`survey_mean` does)."""
        t, q = survey_tallies.c, survey_questions.c
        if not survey_ids:
            return {}
        answered: dict[tuple[int, int], int] = {}
        sums: dict[tuple[int, int], list[int]] = {}  # [answers, their scores' sum]
        for r in await self.conn.execute(
                sa.select(t.survey_id, t.question_id, t.choice, t.n)
                .select_from(survey_tallies.join(survey_questions, q.id == t.question_id))
                .where(t.network_id == network_id, t.survey_id.in_(survey_ids), q.kind == "rating", t.n != 0)):
            key = (int(r.survey_id), int(r.question_id))
            if r.choice == ANSWERED:
                answered[key] = int(r.n)
            elif r.choice >= 0:
                pair = sums.setdefault(key, [0, 0])
                pair[0] += int(r.n)
                pair[1] += int(r.n) * (5 - int(r.choice))  # choice 0 is 5 "very high"
        # A rating is one answer per response: the responses that answered are its answers.
        return {key: (answered.get(key, n), (Decimal(total) / n).quantize(Decimal("0.01")))
                for key, (n, total) in sums.items()}

    async def survey_response_rate(self, network_id: int, number: int, position: int | None = None,
                                   audience: int | None = None) -> Measured:
        """Percent of the audience who answered (the survey, or one question). The audience is the size the
        survey recorded at closing; an open survey's live audience is the caller's to give."""
        survey = await self._survey(network_id, number)
        if survey is None:
            return Measured(None)
        size = audience if audience is not None else survey.audience_size
        if not size:
            return Measured(None)
        if position is None:
            answered = (await self.conn.execute(
                sa.select(sa.func.count()).select_from(survey_responses)
                .where(survey_responses.c.network_id == network_id,
                       survey_responses.c.survey_id == survey.id))).scalar_one()
        else:
            question = await self._question_id(survey.id, position)
            if question is None:
                return Measured(None)
            answered = (await self.conn.execute(
                sa.select(sa.func.count(sa.distinct(survey_answers.c.response_id)))
                .where(survey_answers.c.network_id == network_id, survey_answers.c.survey_id == survey.id,
                       survey_answers.c.question_id == question))).scalar_one()
        return Measured((Decimal(100) * int(answered) / size).quantize(Decimal("0.01")))

    async def meetings_held(self, network_id: int, start: datetime, end: datetime, *,
                            kind: str | None = None) -> Decimal:
        """Meetings (not cancelled) that started in [start, end), optionally of one kind (leaders | members |
        assignment)."""
        if end <= start:
            return Decimal(0)
        query = (sa.select(sa.func.count()).select_from(meetings)
                 .where(meetings.c.network_id == network_id, meetings.c.status == "scheduled",
                        meetings.c.starts_at >= start, meetings.c.starts_at < end))
        if kind is not None:
            query = query.where(meetings.c.kind == kind)
        return Decimal(int((await self.conn.execute(query)).scalar_one()))

    async def attendances(self, network_id: int, start: datetime, end: datetime, *,
                          kind: str | None = None) -> Decimal:
        """Attendances (one per member present, by a tap on “มาแล้ว” or the coordinator's tick) at the meetings
        (not cancelled, optionally of one kind) that started in [start, end): what the meetings record, read
        where they keep it (MeetingRepo)."""
        if end <= start:
            return Decimal(0)
        return Decimal((await MeetingRepo(self.conn).attendance_between(network_id, start, end, kind=kind)).attendances)

    async def tasks_on_time(self, network_id: int, start: date, end: date, *, project: int | None = None) -> Decimal:
        """Tasks done in [start, end) no later than their due date (optionally of one project, by number)."""
        t = plan_tasks.c
        query = (sa.select(sa.func.count()).select_from(plan_tasks)
                 .where(t.network_id == network_id, t.done_on >= start, t.done_on < end, t.done_on <= t.due_on))
        if project is not None:
            query = query.where(t.project_id == sa.select(plan_projects.c.id).where(
                plan_projects.c.network_id == network_id, plan_projects.c.number == project).scalar_subquery())
        return Decimal(int((await self.conn.execute(query)).scalar_one()))

    async def reports_between(self, network_id: int, start: datetime, end: datetime) -> int:
        """How many indicator values were reported in [start, end)."""
        return int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(indicator_reports)
            .where(indicator_reports.c.network_id == network_id, indicator_reports.c.reported_at >= start,
                   indicator_reports.c.reported_at < end))).scalar_one())

    async def latest_report(self, target: Target) -> Decimal | None:
        found = (await self.conn.execute(
            sa.select(indicator_reports.c.value_x100)
            .where(indicator_reports.c.network_id == target.network_id, indicator_reports.c.target_id == target.id)
            .order_by(indicator_reports.c.reported_at.desc(), indicator_reports.c.id.desc()).limit(1))).scalar()
        return from_x100(found) if found is not None else None
