"""The work plan: projects, their tasks, and the activities and pledges done for a task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from storage.goals.tables import (LINK_ENTITIES, TASK_STATUSES, goals, next_number, plan_projects, plan_task_links,
                                  plan_tasks)
from storage.repo import Repo
from storage.tables import metadata

# What was done for a project as a whole (migration 0010_plan, beside the meetings' tables): like
# plan_task_links, for an activity or a delivery not done for one task. project_id is plan_projects.id,
# without a foreign key so that migration needs nothing of the goals branch.
plan_project_links = sa.Table(
    "plan_project_links",
    metadata,
    sa.Column("project_id", sa.Integer, primary_key=True),
    sa.Column("entity", sa.String(16), primary_key=True),  # activity | pledge
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Index("ix_plan_project_links_network_entity", "network_id", "entity", "entity_id"),
)


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


def _project(row: Any) -> Project:
    return Project(id=row.id, network_id=row.network_id, number=row.number, goal_id=row.goal_id, title=row.title,
                   lead_organisation_id=row.lead_organisation_id, starts_on=row.starts_on, ends_on=row.ends_on)


def _task(row: Any) -> Task:
    return Task(id=row.id, network_id=row.network_id, project_id=row.project_id, number=row.number,
                title=row.title, owner_member_id=row.owner_member_id,
                owner_organisation_id=row.owner_organisation_id, due_on=row.due_on, status=row.status,
                blocked_reason=row.blocked_reason, done_at=row.done_at, done_on=row.done_on)



class PlanRepo(Repo):
    async def create_project(self, network_id: int, *, title: str, goal_id: int | None,
                             lead_organisation_id: int | None, starts_on: date | None, ends_on: date | None,
                             created_by: int | None, now: datetime) -> Project:
        number = await next_number(self.conn, plan_projects, network_id)
        row = (await self.conn.execute(
            plan_projects.insert().values(network_id=network_id, number=number, goal_id=goal_id, title=title,
                                          lead_organisation_id=lead_organisation_id, starts_on=starts_on,
                                          ends_on=ends_on, created_by=created_by, created_at=now)
            .returning(*plan_projects.c))).one()
        return _project(row)

    async def project_by_id(self, network_id: int, project_id: int) -> Project | None:
        row = (await self.conn.execute(sa.select(plan_projects).where(
            plan_projects.c.network_id == network_id, plan_projects.c.id == project_id))).first()
        return _project(row) if row else None

    async def project(self, network_id: int, number: int) -> Project | None:
        row = (await self.conn.execute(sa.select(plan_projects).where(
            plan_projects.c.network_id == network_id, plan_projects.c.number == number))).first()
        return _project(row) if row else None

    async def goal_label(self, network_id: int, goal_id: int) -> tuple[int, str] | None:
        """(number, title) of the goal a project serves, unless it was removed."""
        row = (await self.conn.execute(sa.select(goals.c.number, goals.c.title).where(
            goals.c.network_id == network_id, goals.c.id == goal_id, goals.c.status == "active"))).first()
        return (int(row.number), str(row.title)) if row else None

    async def projects(self, network_id: int, *, goal_id: int | None = None) -> list[Project]:
        query = sa.select(plan_projects).where(plan_projects.c.network_id == network_id)
        if goal_id is not None:
            query = query.where(plan_projects.c.goal_id == goal_id)
        return [_project(r) for r in (await self.conn.execute(query.order_by(plan_projects.c.number))).all()]

    async def add_task(self, project: Project, *, title: str, due_on: date, owner_member_id: int | None,
                       owner_organisation_id: int | None, created_by: int | None, now: datetime) -> Task:
        number = await next_number(self.conn, plan_tasks, project.network_id)
        row = (await self.conn.execute(
            plan_tasks.insert().values(network_id=project.network_id, project_id=project.id, number=number,
                                       title=title, owner_member_id=owner_member_id,
                                       owner_organisation_id=owner_organisation_id, due_on=due_on, status="todo",
                                       created_by=created_by, created_at=now, updated_at=now)
            .returning(*plan_tasks.c))).one()
        return _task(row)

    async def task_by_id(self, network_id: int, task_id: int) -> Task | None:
        row = (await self.conn.execute(sa.select(plan_tasks).where(
            plan_tasks.c.network_id == network_id, plan_tasks.c.id == task_id))).first()
        return _task(row) if row else None

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

    async def status_counts(self, network_id: int, project_id: int, today: date) -> dict[str, int]:
        """A project's tasks by status, plus ``overdue`` (not done, due before ``today``) and ``total``."""
        t = plan_tasks.c
        rows = (await self.conn.execute(
            sa.select(t.status, sa.func.count().label("n"),
                      sa.func.coalesce(sa.func.sum(sa.case((t.due_on < today, 1), else_=0)), 0).label("late"))
            .where(t.network_id == network_id, t.project_id == project_id).group_by(t.status))).all()
        counts = dict.fromkeys(TASK_STATUSES, 0)
        counts["overdue"] = 0
        for row in rows:
            counts[row.status] = int(row.n)
            if row.status != "done":
                counts["overdue"] += int(row.late)
        counts["total"] = sum(counts[s] for s in TASK_STATUSES)
        return counts

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

    async def link_project(self, project: Project, entity: str, entity_id: int) -> bool:
        """Record that an activity or a pledge was done for the project as a whole; False if it already was."""
        if entity not in LINK_ENTITIES:
            raise ValueError(f"unknown entity {entity!r}")
        return await self.insert_ignore(
            plan_project_links, {"project_id": project.id, "entity": entity, "entity_id": entity_id,
                                 "network_id": project.network_id}, ["project_id", "entity", "entity_id"])

    async def project_links(self, project: Project) -> list[tuple[str, int]]:
        rows = (await self.conn.execute(
            sa.select(plan_project_links.c.entity, plan_project_links.c.entity_id)
            .where(plan_project_links.c.network_id == project.network_id,
                   plan_project_links.c.project_id == project.id)
            .order_by(plan_project_links.c.entity, plan_project_links.c.entity_id))).all()
        return [(r.entity, r.entity_id) for r in rows]

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
