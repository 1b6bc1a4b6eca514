"""The network's plan: goals with targets bound to data, manual indicator reports, and the
work plan (projects and tasks). Tables and repositories.

Progress is never stored: :class:`MeasureRepo` computes a target's actual value from the
tables the bot already keeps (activities, pledges, needs, surveys, meetings, tasks), one
method per target kind. Goals, projects and tasks are numbered per network and never
deleted (a goal is marked ``removed``), so a number is never given out twice. Values are
integer hundredths (``*_x100``), like money elsewhere, so sums are exact on both engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.activities import activities, needs
from storage.meetings import meetings
from storage.repo import Repo
from storage.resource_repo import PledgeRepo, PledgeTotal, from_x100, to_x100
from storage.surveys import survey_answers, survey_questions, survey_responses, surveys
from storage.tables import metadata, networks
from storage.types import UTCDateTime

goals = sa.Table(
    "goals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("academic_year", sa.Integer, nullable=False),  # Buddhist Era: 2569
    sa.Column("aim", sa.String(24), nullable=False),  # one of the four collaboration aims of activities
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="active"),  # active | removed
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_goals_network_number"),
    sa.Index("ix_goals_network_year_status", "network_id", "academic_year", "status"),
)

goal_targets = sa.Table(
    "goal_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("goal_id", sa.ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 1, 2, 3… within the goal
    sa.Column("kind", sa.String(24), nullable=False),  # see TARGET_KINDS
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("target_x100", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False, server_default=""),
    sa.Column("owner_id", sa.ForeignKey("members.id", ondelete="SET NULL")),  # reports a manual indicator
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("goal_id", "position", name="uq_goal_targets_goal_position"),
    sa.Index("ix_goal_targets_network_goal", "network_id", "goal_id"),
)

indicator_reports = sa.Table(
    "indicator_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("target_id", sa.ForeignKey("goal_targets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("value_x100", sa.BigInteger, nullable=False),
    sa.Column("reported_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Index("ix_indicator_reports_target_at", "target_id", "reported_at"),
)

plan_projects = sa.Table(
    "plan_projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("goal_id", sa.ForeignKey("goals.id", ondelete="SET NULL")),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("lead_organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("starts_on", sa.Date),
    sa.Column("ends_on", sa.Date),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_plan_projects_network_number"),
    sa.Index("ix_plan_projects_network_goal", "network_id", "goal_id"),
)

plan_tasks = sa.Table(
    "plan_tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("project_id", sa.ForeignKey("plan_projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("owner_member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("owner_organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="todo"),  # see TASK_STATUSES
    sa.Column("blocked_reason", sa.String(500)),
    sa.Column("done_at", UTCDateTime),
    # The network's local date of done_at: "on time" is done_on <= due_on, with no time-zone arithmetic in SQL.
    sa.Column("done_on", sa.Date),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_plan_tasks_network_number"),
    sa.Index("ix_plan_tasks_network_status_due", "network_id", "status", "due_on"),
    sa.Index("ix_plan_tasks_network_done", "network_id", "done_on", "due_on"),
    sa.Index("ix_plan_tasks_network_owner_member", "network_id", "owner_member_id", "status"),
    sa.Index("ix_plan_tasks_network_owner_org", "network_id", "owner_organisation_id", "status"),
    sa.Index("ix_plan_tasks_project", "project_id", "status"),
)

plan_task_links = sa.Table(
    "plan_task_links",
    metadata,
    sa.Column("task_id", sa.ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("entity", sa.String(16), primary_key=True),  # activity | pledge
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Index("ix_plan_task_links_network_entity", "network_id", "entity", "entity_id"),
)

AIMS: Final = ("efficiency", "equity", "innovation", "personnel")
# Kinds whose actual value accumulates over the year (compared with the share of it elapsed);
# the others are levels (a mean, a rate), compared with the target as they stand.
CUMULATIVE_KINDS: Final = frozenset({"activities", "participants", "hours", "resources", "needs_fulfilled",
                                     "meetings", "tasks_on_time", "manual"})
LEVEL_KINDS: Final = frozenset({"survey_mean", "survey_response_rate"})
TARGET_KINDS: Final = CUMULATIVE_KINDS | LEVEL_KINDS
TASK_STATUSES: Final = ("todo", "started", "done", "blocked")
LINK_ENTITIES: Final = ("activity", "pledge")
# The surveys' rule: figures from fewer answers than this are hidden for anonymous surveys.
MIN_ANSWERS: Final = 5
BAHT: Final = "THB"


class TargetError(ValueError):
    """A target's kind or parameters make no sense; ``code`` says which."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def check_target(kind: str, params: dict[str, Any], value: Decimal) -> None:
    """Refuse a target the measures could not compute (raises TargetError)."""
    if kind not in TARGET_KINDS:
        raise TargetError("kind")
    if value <= 0:
        raise TargetError("value")
    if kind in ("activities", "participants", "hours"):
        if set(params) - {"category", "aim"} or len(params) > 1 or params.get("aim", AIMS[0]) not in AIMS:
            raise TargetError("params")
    elif kind == "resources":
        if params.get("stage") not in ("pledged", "delivered") or params.get("measure") not in ("baht", "quantity"):
            raise TargetError("params")
        if params["measure"] == "quantity" and not params.get("unit"):
            raise TargetError("params")  # adding up sets, hours and rooms means nothing
        if set(params) - {"stage", "measure", "resource_type", "sector", "unit"}:
            raise TargetError("params")
    elif kind == "needs_fulfilled":
        if set(params) - {"resource_type"}:
            raise TargetError("params")
    elif kind in LEVEL_KINDS:
        if not isinstance(params.get("survey"), int) or set(params) - {"survey", "question"} or (
                not isinstance(params.get("question", 0 if kind == "survey_response_rate" else None), int)):
            raise TargetError("params")
    elif kind == "tasks_on_time":
        if set(params) - {"project"}:
            raise TargetError("params")
    elif params:
        raise TargetError("params")


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class Target:
    id: int
    network_id: int
    goal_id: int
    position: int
    kind: str
    params: dict[str, Any]
    value: Decimal
    unit: str
    owner_id: int | None

    @property
    def cumulative(self) -> bool:
        return self.kind in CUMULATIVE_KINDS


@dataclass(frozen=True)
class Goal:
    id: int
    network_id: int
    number: int
    academic_year: int
    aim: str
    title: str
    status: str
    targets: tuple[Target, ...] = ()


@dataclass(frozen=True)
class Report:
    id: int
    target_id: int
    value: Decimal
    reported_by: int | None
    reported_at: datetime
    note: str | None


@dataclass(frozen=True)
class Project:
    id: int
    network_id: int
    number: int
    goal_id: int | None
    title: str
    lead_organisation_id: int | None
    starts_on: date | None
    ends_on: date | None


@dataclass(frozen=True)
class Task:
    id: int
    network_id: int
    project_id: int
    number: int
    title: str
    owner_member_id: int | None
    owner_organisation_id: int | None
    due_on: date
    status: str
    blocked_reason: str | None
    done_at: datetime | None
    done_on: date | None


@dataclass(frozen=True)
class TaskCounts:
    """The work plan over a period, for the review: done on time / late, and what stands open today."""

    done_on_time: int
    done_late: int
    blocked: int
    overdue: int  # not done, due before today
    open: int  # not done (including blocked and overdue)


@dataclass(frozen=True)
class Measured:
    """A target's actual value; ``None`` when there is nothing to show (no answers yet, hidden, unknown)."""

    value: Decimal | None
    suppressed: bool = False  # hidden by the anonymity rule


def _target(row: Any) -> Target:
    return Target(id=row.id, network_id=row.network_id, goal_id=row.goal_id, position=row.position, kind=row.kind,
                  params=dict(row.params or {}), value=from_x100(row.target_x100), unit=row.unit,
                  owner_id=row.owner_id)


def _goal(row: Any, targets: tuple[Target, ...]) -> Goal:
    return Goal(id=row.id, network_id=row.network_id, number=row.number, academic_year=row.academic_year,
                aim=row.aim, title=row.title, status=row.status, targets=targets)


def _project(row: Any) -> Project:
    return Project(id=row.id, network_id=row.network_id, number=row.number, goal_id=row.goal_id, title=row.title,
                   lead_organisation_id=row.lead_organisation_id, starts_on=row.starts_on, ends_on=row.ends_on)


def _task(row: Any) -> Task:
    return Task(id=row.id, network_id=row.network_id, project_id=row.project_id, number=row.number,
                title=row.title, owner_member_id=row.owner_member_id,
                owner_organisation_id=row.owner_organisation_id, due_on=row.due_on, status=row.status,
                blocked_reason=row.blocked_reason, done_at=row.done_at, done_on=row.done_on)


async def _next_number(conn: Any, table: sa.Table, network_id: int) -> int:
    """max + 1 under the network row's lock; rows are never deleted, so a number is never reused."""
    await conn.execute(sa.select(networks.c.id).where(networks.c.id == network_id).with_for_update())
    return int((await conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(table.c.number), 0) + 1)
        .where(table.c.network_id == network_id))).scalar_one())


# ------------------------------------------------------------------ goals and targets


class GoalRepo(Repo):
    async def create(self, network_id: int, *, academic_year: int, aim: str, title: str, created_by: int | None,
                     now: datetime) -> Goal:
        if aim not in AIMS:
            raise ValueError(f"unknown aim {aim!r}")
        number = await _next_number(self.conn, goals, network_id)
        row = (await self.conn.execute(
            goals.insert().values(network_id=network_id, number=number, academic_year=academic_year, aim=aim,
                                  title=title, status="active", created_by=created_by, created_at=now,
                                  updated_at=now).returning(*goals.c))).one()
        return _goal(row, ())

    async def _with_targets(self, rows: list[Any]) -> list[Goal]:
        found: dict[int, list[Target]] = {}
        if rows:
            targets = (await self.conn.execute(
                sa.select(goal_targets).where(goal_targets.c.goal_id.in_([r.id for r in rows]))
                .order_by(goal_targets.c.goal_id, goal_targets.c.position))).all()
            for t in targets:
                found.setdefault(t.goal_id, []).append(_target(t))
        return [_goal(r, tuple(found.get(r.id, ()))) for r in rows]

    async def by_number(self, network_id: int, number: int) -> Goal | None:
        rows = (await self.conn.execute(sa.select(goals).where(
            goals.c.network_id == network_id, goals.c.number == number, goals.c.status != "removed"))).all()
        found = await self._with_targets(list(rows))
        return found[0] if found else None

    async def of_year(self, network_id: int, academic_year: int) -> list[Goal]:
        """The year's goals with their targets, by number."""
        rows = (await self.conn.execute(
            sa.select(goals).where(goals.c.network_id == network_id, goals.c.academic_year == academic_year,
                                   goals.c.status != "removed").order_by(goals.c.number))).all()
        return await self._with_targets(list(rows))

    async def update(self, network_id: int, goal_id: int, *, now: datetime, title: str | None = None,
                     aim: str | None = None) -> None:
        values: dict[str, Any] = {"updated_at": now}
        if title is not None:
            values["title"] = title
        if aim is not None:
            if aim not in AIMS:
                raise ValueError(f"unknown aim {aim!r}")
            values["aim"] = aim
        await self.conn.execute(goals.update().where(goals.c.network_id == network_id, goals.c.id == goal_id)
                                .values(**values))

    async def remove(self, network_id: int, goal_id: int, now: datetime) -> bool:
        """Hide a goal; its number stays taken."""
        result = await self.conn.execute(
            goals.update().where(goals.c.network_id == network_id, goals.c.id == goal_id,
                                 goals.c.status != "removed").values(status="removed", updated_at=now))
        return bool(result.rowcount)

    async def add_target(self, goal: Goal, *, kind: str, params: dict[str, Any], value: Decimal, unit: str,
                         owner_id: int | None, now: datetime) -> Target:
        check_target(kind, params, value)
        position = int((await self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.max(goal_targets.c.position), 0) + 1)
            .where(goal_targets.c.goal_id == goal.id))).scalar_one())
        row = (await self.conn.execute(
            goal_targets.insert().values(network_id=goal.network_id, goal_id=goal.id, position=position, kind=kind,
                                         params=params, target_x100=to_x100(value), unit=unit, owner_id=owner_id,
                                         created_at=now).returning(*goal_targets.c))).one()
        return _target(row)

    async def set_target_value(self, network_id: int, target_id: int, value: Decimal) -> None:
        if value <= 0:
            raise TargetError("value")
        await self.conn.execute(goal_targets.update().where(
            goal_targets.c.network_id == network_id, goal_targets.c.id == target_id)
            .values(target_x100=to_x100(value)))

    async def remove_target(self, network_id: int, target_id: int) -> bool:
        result = await self.conn.execute(goal_targets.delete().where(
            goal_targets.c.network_id == network_id, goal_targets.c.id == target_id))
        return bool(result.rowcount)

    async def report(self, target: Target, *, value: Decimal, reported_by: int | None, note: str | None,
                     now: datetime) -> Report:
        """A manual indicator's owner reports its value as it stands now."""
        if target.kind != "manual":
            raise TargetError("kind")
        row = (await self.conn.execute(
            indicator_reports.insert().values(network_id=target.network_id, target_id=target.id,
                                              value_x100=to_x100(value), reported_by=reported_by, reported_at=now,
                                              note=note).returning(*indicator_reports.c))).one()
        return _report(row)

    async def reports(self, target: Target, *, limit: int = 20) -> list[Report]:
        rows = (await self.conn.execute(
            sa.select(indicator_reports).where(indicator_reports.c.network_id == target.network_id,
                                               indicator_reports.c.target_id == target.id)
            .order_by(indicator_reports.c.reported_at.desc(), indicator_reports.c.id.desc()).limit(limit))).all()
        return [_report(r) for r in rows]


def _report(row: Any) -> Report:
    return Report(id=row.id, target_id=row.target_id, value=from_x100(row.value_x100), reported_by=row.reported_by,
                  reported_at=row.reported_at, note=row.note)


# ------------------------------------------------------------------ the work plan


class PlanRepo(Repo):
    async def create_project(self, network_id: int, *, title: str, goal_id: int | None,
                             lead_organisation_id: int | None, starts_on: date | None, ends_on: date | None,
                             created_by: int | None, now: datetime) -> Project:
        number = await _next_number(self.conn, plan_projects, network_id)
        row = (await self.conn.execute(
            plan_projects.insert().values(network_id=network_id, number=number, goal_id=goal_id, title=title,
                                          lead_organisation_id=lead_organisation_id, starts_on=starts_on,
                                          ends_on=ends_on, created_by=created_by, created_at=now)
            .returning(*plan_projects.c))).one()
        return _project(row)

    async def project(self, network_id: int, number: int) -> Project | None:
        row = (await self.conn.execute(sa.select(plan_projects).where(
            plan_projects.c.network_id == network_id, plan_projects.c.number == number))).first()
        return _project(row) if row else None

    async def projects(self, network_id: int, *, goal_id: int | None = None) -> list[Project]:
        query = sa.select(plan_projects).where(plan_projects.c.network_id == network_id)
        if goal_id is not None:
            query = query.where(plan_projects.c.goal_id == goal_id)
        return [_project(r) for r in (await self.conn.execute(query.order_by(plan_projects.c.number))).all()]

    async def add_task(self, project: Project, *, title: str, due_on: date, owner_member_id: int | None,
                       owner_organisation_id: int | None, created_by: int | None, now: datetime) -> Task:
        number = await _next_number(self.conn, plan_tasks, project.network_id)
        row = (await self.conn.execute(
            plan_tasks.insert().values(network_id=project.network_id, project_id=project.id, number=number,
                                       title=title, owner_member_id=owner_member_id,
                                       owner_organisation_id=owner_organisation_id, due_on=due_on, status="todo",
                                       created_by=created_by, created_at=now, updated_at=now)
            .returning(*plan_tasks.c))).one()
        return _task(row)

    async def task(self, network_id: int, number: int) -> Task | None:
        row = (await self.conn.execute(sa.select(plan_tasks).where(
            plan_tasks.c.network_id == network_id, plan_tasks.c.number == number))).first()
        return _task(row) if row else None

    async def set_status(self, task: Task, status: str, *, now: datetime, today: date,
                         reason: str | None = None) -> Task:
        """Move a task to ``status``; done records when (and the local ``today``), blocked needs a reason."""
        if status not in TASK_STATUSES:
            raise ValueError(f"unknown task status {status!r}")
        if status == "blocked" and not reason:
            raise ValueError("a blocked task needs a reason")
        done = status == "done"
        row = (await self.conn.execute(
            plan_tasks.update().where(plan_tasks.c.network_id == task.network_id, plan_tasks.c.id == task.id)
            .values(status=status, blocked_reason=reason if status == "blocked" else None,
                    done_at=(task.done_at or now) if done else None, done_on=(task.done_on or today) if done else None,
                    updated_at=now)
            .returning(*plan_tasks.c))).one()
        return _task(row)

    async def tasks(self, network_id: int, *, project_id: int | None = None, owner_member_id: int | None = None,
                    owner_organisation_id: int | None = None, open_only: bool = False,
                    limit: int = 50) -> list[Task]:
        """Tasks, earliest due first (so overdue ones lead); optionally one project's or one owner's."""
        query = sa.select(plan_tasks).where(plan_tasks.c.network_id == network_id)
        if project_id is not None:
            query = query.where(plan_tasks.c.project_id == project_id)
        if owner_member_id is not None:
            query = query.where(plan_tasks.c.owner_member_id == owner_member_id)
        if owner_organisation_id is not None:
            query = query.where(plan_tasks.c.owner_organisation_id == owner_organisation_id)
        if open_only:
            query = query.where(plan_tasks.c.status != "done")
        rows = (await self.conn.execute(
            query.order_by(plan_tasks.c.due_on, plan_tasks.c.number).limit(limit))).all()
        return [_task(r) for r in rows]

    async def overdue(self, network_id: int, today: date, *, limit: int = 50) -> list[Task]:
        rows = (await self.conn.execute(
            sa.select(plan_tasks).where(plan_tasks.c.network_id == network_id,
                                        plan_tasks.c.status.in_(("todo", "started", "blocked")),
                                        plan_tasks.c.due_on < today)
            .order_by(plan_tasks.c.due_on, plan_tasks.c.number).limit(limit))).all()
        return [_task(r) for r in rows]

    async def counts(self, network_id: int, start: date, end: date, today: date) -> TaskCounts:
        """Tasks done in [start, end) on time and late; open, blocked and overdue ones as of ``today``."""
        t = plan_tasks.c
        done = (await self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(sa.case((t.done_on <= t.due_on, 1), else_=0)), 0).label("ok"),
                      sa.func.count().label("n"))
            .where(t.network_id == network_id, t.done_on >= start, t.done_on < end))).one()
        standing = (await self.conn.execute(
            sa.select(sa.func.count().label("n"),
                      sa.func.coalesce(sa.func.sum(sa.case((t.status == "blocked", 1), else_=0)), 0).label("blocked"),
                      sa.func.coalesce(sa.func.sum(sa.case((t.due_on < today, 1), else_=0)), 0).label("late"))
            .where(t.network_id == network_id, t.status.in_(("todo", "started", "blocked"))))).one()
        return TaskCounts(done_on_time=int(done.ok), done_late=int(done.n) - int(done.ok),
                          blocked=int(standing.blocked), overdue=int(standing.late), open=int(standing.n))

    async def link(self, task: Task, entity: str, entity_id: int) -> bool:
        """Record that an activity or a pledge was done for this task; False if it already was."""
        if entity not in LINK_ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        return await self.insert_ignore(
            plan_task_links, {"task_id": task.id, "entity": entity, "entity_id": entity_id,
                              "network_id": task.network_id}, ["task_id", "entity", "entity_id"])

    async def unlink(self, task: Task, entity: str, entity_id: int) -> bool:
        result = await self.conn.execute(plan_task_links.delete().where(
            plan_task_links.c.task_id == task.id, plan_task_links.c.entity == entity,
            plan_task_links.c.entity_id == entity_id))
        return bool(result.rowcount)

    async def links(self, task: Task) -> list[tuple[str, int]]:
        rows = (await self.conn.execute(
            sa.select(plan_task_links.c.entity, plan_task_links.c.entity_id)
            .where(plan_task_links.c.network_id == task.network_id, plan_task_links.c.task_id == task.id)
            .order_by(plan_task_links.c.entity, plan_task_links.c.entity_id))).all()
        return [(r.entity, r.entity_id) for r in rows]

    async def tasks_linked_to(self, network_id: int, entity: str, entity_id: int) -> list[Task]:
        rows = (await self.conn.execute(
            sa.select(plan_tasks).join(plan_task_links, plan_task_links.c.task_id == plan_tasks.c.id)
            .where(plan_task_links.c.network_id == network_id, plan_task_links.c.entity == entity,
                   plan_task_links.c.entity_id == entity_id).order_by(plan_tasks.c.number))).all()
        return [_task(r) for r in rows]


# ------------------------------------------------------------------ measures


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


class _Totals:
    """The period totals several targets share, each read once for a whole screen of goals."""

    def __init__(self, repo: MeasureRepo, network_id: int, start: datetime, end: datetime,
                 days: tuple[date, date]) -> None:
        self.repo, self.network_id, self.start, self.end, self.days = repo, network_id, start, end, days
        self._activities: list[ActivityGroup] | None = None
        self._pledges: dict[str, list[PledgeTotal]] = {}

    async def activities(self) -> list[ActivityGroup]:
        if self._activities is None:
            self._activities = await self.repo.activity_groups(self.network_id, *self.days)
        return self._activities

    async def pledges(self, stage: str) -> list[PledgeTotal]:
        if stage not in self._pledges:
            repo = PledgeRepo(self.repo.conn)
            read = repo.totals_pledged if stage == "pledged" else repo.totals_delivered
            self._pledges[stage] = await read(self.network_id, self.start, self.end)
        return self._pledges[stage]


class MeasureRepo(Repo):
    """The actual value of targets over a period of local dates ``[start, end)``, from the bot's own data.

    ``now`` bounds what has happened (a meeting is held once it has started); ``tz`` turns the
    local dates into instants for timestamp columns.
    """

    async def actual(self, target: Target, start: date, end: date, *, tz: ZoneInfo, now: datetime) -> Measured:
        return (await self.actuals([target], start, end, tz=tz, now=now))[0]

    async def actuals(self, targets: list[Target], start: date, end: date, *, tz: ZoneInfo,
                      now: datetime) -> list[Measured]:
        """Every target's actual value (in order); the activity and pledge totals are read once per network."""
        shared: dict[int, _Totals] = {}
        found = []
        for target in targets:
            if target.network_id not in shared:
                shared[target.network_id] = _Totals(self, target.network_id, local_midnight(start, tz),
                                                    local_midnight(end, tz), (start, end))
            found.append(await self._measure(target, shared[target.network_id], now))
        return found

    async def _measure(self, target: Target, totals: _Totals, now: datetime) -> Measured:
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
            return Measured(await self.meetings_held(network, totals.start, min(totals.end, now)))
        if kind == "tasks_on_time":
            return Measured(await self.tasks_on_time(network, *totals.days, project=p.get("project")))
        if kind == "manual":
            return Measured(await self.latest_report(target))
        raise TargetError("kind")

    async def activity_groups(self, network_id: int, start: date, end: date) -> list[ActivityGroup]:
        """Count, participants and minutes in [start, end) by category and aim: an index-only scan of the
        covering index the summary uses."""
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

    async def meetings_held(self, network_id: int, start: datetime, end: datetime) -> Decimal:
        """Meetings (not cancelled) that started in [start, end)."""
        if end <= start:
            return Decimal(0)
        return Decimal(int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(meetings)
            .where(meetings.c.network_id == network_id, meetings.c.status == "scheduled",
                   meetings.c.starts_at >= start, meetings.c.starts_at < end))).scalar_one()))

    async def tasks_on_time(self, network_id: int, start: date, end: date, *, project: int | None = None) -> Decimal:
        """Tasks done in [start, end) no later than their due date (optionally of one project, by number)."""
        t = plan_tasks.c
        query = (sa.select(sa.func.count()).select_from(plan_tasks)
                 .where(t.network_id == network_id, t.done_on >= start, t.done_on < end, t.done_on <= t.due_on))
        if project is not None:
            query = query.where(t.project_id == sa.select(plan_projects.c.id).where(
                plan_projects.c.network_id == network_id, plan_projects.c.number == project).scalar_subquery())
        return Decimal(int((await self.conn.execute(query)).scalar_one()))

    async def latest_report(self, target: Target) -> Decimal | None:
        found = (await self.conn.execute(
            sa.select(indicator_reports.c.value_x100)
            .where(indicator_reports.c.network_id == target.network_id, indicator_reports.c.target_id == target.id)
            .order_by(indicator_reports.c.reported_at.desc(), indicator_reports.c.id.desc()).limit(1))).scalar()
        return from_x100(found) if found is not None else None
