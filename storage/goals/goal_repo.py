"""Goals, their targets and manual indicator reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from storage.goals.tables import (AIMS, CUMULATIVE_KINDS, LEVEL_KINDS, TARGET_KINDS, goal_targets, goals,
                                  indicator_reports, next_number)
from storage.meetings import MEETING_KINDS
from storage.repo import Repo
from storage.resource_repo import from_x100, to_x100


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
    elif kind in ("meetings", "attendance"):
        if set(params) - {"meeting_kind"} or params.get("meeting_kind", MEETING_KINDS[0]) not in MEETING_KINDS:
            raise TargetError("params")
    elif kind == "tasks_on_time":
        if set(params) - {"project"}:
            raise TargetError("params")
    elif kind == "manual":
        if set(params) - {"label"} or not isinstance(params.get("label", ""), str):
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


def _target(row: Any) -> Target:
    return Target(id=row.id, network_id=row.network_id, goal_id=row.goal_id, position=row.position, kind=row.kind,
                  params=dict(row.params or {}), value=from_x100(row.target_x100), unit=row.unit,
                  owner_id=row.owner_id)


def _goal(row: Any, targets: tuple[Target, ...]) -> Goal:
    return Goal(id=row.id, network_id=row.network_id, number=row.number, academic_year=row.academic_year,
                aim=row.aim, title=row.title, status=row.status, targets=targets)



class GoalRepo(Repo):
    async def create(self, network_id: int, *, academic_year: int, aim: str, title: str, created_by: int | None,
                     now: datetime) -> Goal:
        if aim not in AIMS:
            raise ValueError(f"unknown aim {aim!r}")
        number = await next_number(self.conn, goals, network_id)
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

    async def by_id(self, network_id: int, goal_id: int) -> Goal | None:
        rows = (await self.conn.execute(sa.select(goals).where(
            goals.c.network_id == network_id, goals.c.id == goal_id, goals.c.status != "removed"))).all()
        found = await self._with_targets(list(rows))
        return found[0] if found else None

    async def target_by_id(self, network_id: int, target_id: int) -> tuple[Goal, Target] | None:
        """A target (of a goal not removed) with its goal."""
        goal_id = (await self.conn.execute(sa.select(goal_targets.c.goal_id).where(
            goal_targets.c.network_id == network_id, goal_targets.c.id == target_id))).scalar()
        goal = await self.by_id(network_id, int(goal_id)) if goal_id is not None else None
        target = next((t for t in goal.targets if t.id == target_id), None) if goal else None
        return (goal, target) if goal is not None and target is not None else None

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
