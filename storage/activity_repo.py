"""Activities: the log, its listing, and period totals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage.activities import activities, activity_photos
from storage.activity_rollups import ALL_ORGANISATIONS, NO_ORGANISATION, activity_totals
from storage.counters import next_number
from storage.tables import members, organisations
from storage.repo import Repo

SCOPES = ("mine", "org", "network")


@dataclass(frozen=True)
class Activity:
    id: int
    network_id: int
    number: int
    organisation_id: int | None
    author_id: int | None
    title: str
    category: str
    aim: str
    activity_date: date
    participants: int | None
    minutes: int | None
    notes: str | None
    has_photo: bool
    created_at: datetime


@dataclass(frozen=True)
class ActivityTotal:
    """One group of a period total: ``key`` is an aim, a category or an organisation id."""

    key: Any
    count: int
    participants: int
    minutes: int


def _activity(row: Any) -> Activity:
    return Activity(id=row.id, network_id=row.network_id, number=row.number, organisation_id=row.organisation_id,
                    author_id=row.author_id, title=row.title, category=row.category, aim=row.aim,
                    activity_date=row.activity_date, participants=row.participants, minutes=row.minutes,
                    notes=row.notes, has_photo=bool(row.has_photo), created_at=row.created_at)


EDITABLE = frozenset({"title", "category", "aim", "activity_date", "participants", "minutes", "notes",
                      "organisation_id", "has_photo"})


class ActivityRepo(Repo):
    async def add(self, network_id: int, *, author_id: int | None, organisation_id: int | None, title: str,
                  category: str, aim: str, activity_date: date, participants: int | None, minutes: int | None,
                  notes: str | None, now: datetime) -> Activity:
        result = await self.conn.execute(
            activities.insert().values(
                network_id=network_id, number=await next_number(self.conn, network_id, "activity"),
                author_id=author_id, organisation_id=organisation_id, title=title,
                category=category, aim=aim, activity_date=activity_date, participants=participants,
                minutes=minutes, notes=notes, has_photo=False, created_at=now,
            ).returning(*activities.c)
        )
        return _activity(result.one())

    async def get(self, network_id: int, activity_id: int) -> Activity | None:
        row = (await self.conn.execute(
            sa.select(activities).where(activities.c.network_id == network_id, activities.c.id == activity_id)
        )).first()
        return _activity(row) if row else None

    async def update(self, network_id: int, activity_id: int, *, now: datetime, **values: Any) -> None:
        unknown = set(values) - EDITABLE
        if unknown:
            raise ValueError(f"cannot update activity columns {unknown}")
        await self.conn.execute(
            activities.update().where(activities.c.network_id == network_id, activities.c.id == activity_id)
            .values(updated_at=now, **values)
        )

    async def delete(self, network_id: int, activity_id: int) -> bool:
        await self.conn.execute(activity_photos.delete().where(
            activity_photos.c.network_id == network_id, activity_photos.c.entity == "activity",
            activity_photos.c.entity_id == activity_id))
        result = await self.conn.execute(
            activities.delete().where(activities.c.network_id == network_id, activities.c.id == activity_id))
        return bool(result.rowcount)

    async def recent_duplicate(self, network_id: int, *, author_id: int, title: str, category: str,
                               activity_date: date, since: datetime) -> Activity | None:
        """The same author's identical activity logged since ``since`` (a double send)."""
        row = (await self.conn.execute(
            sa.select(activities).where(
                activities.c.network_id == network_id, activities.c.author_id == author_id,
                activities.c.activity_date == activity_date, activities.c.title == title,
                activities.c.category == category, activities.c.created_at >= since,
            ).limit(1)
        )).first()
        return _activity(row) if row else None

    def _scoped(self, network_id: int, scope: str, *, member_id: int | None, organisation_id: int | None,
                start: date | None, end: date | None) -> list[Any]:
        where: list[Any] = [activities.c.network_id == network_id]
        if scope == "mine":
            where.append(activities.c.author_id == member_id)
        elif scope == "org":
            where.append(activities.c.organisation_id == organisation_id)
        if start is not None:
            where.append(activities.c.activity_date >= start)
        if end is not None:
            where.append(activities.c.activity_date < end)
        return where

    async def page(self, network_id: int, scope: str, *, member_id: int | None = None,
                   organisation_id: int | None = None, start: date | None = None, end: date | None = None,
                   offset: int = 0, limit: int = 5, count_cap: int = 10_000) -> tuple[list[Activity], int]:
        """Newest first, and the count for the scope and period, counted up to ``count_cap`` + 1
        (a larger count would cost a scan of every row for a number nobody pages through)."""
        where = self._scoped(network_id, scope, member_id=member_id, organisation_id=organisation_id,
                             start=start, end=end)
        rows = (await self.conn.execute(
            sa.select(activities).where(*where)
            .order_by(activities.c.activity_date.desc(), activities.c.id.desc()).offset(offset).limit(limit)
        )).all()
        capped = sa.select(activities.c.id).where(*where).limit(count_cap + 1).subquery()
        total = await self.conn.execute(sa.select(sa.func.count()).select_from(capped))
        return [_activity(r) for r in rows], int(total.scalar_one())

    async def totals(self, network_id: int, start: date, end: date, *, by: str = "aim",
                     organisation_id: int | None = None) -> list[ActivityTotal]:
        """Count, participants and minutes in [start, end), grouped by aim, category or organisation
        (key None: no organisation), in key order: read from the totals the database keeps
        (:mod:`storage.activity_rollups`), whole months from the month rows and the edges from the day rows."""
        rows = await self.kept_totals(network_id, start, end, (by,), organisation_id=organisation_id)
        return [ActivityTotal(key=None if by == "organisation" and key == NO_ORGANISATION else key, count=n,
                              participants=people, minutes=minutes) for (key,), n, people, minutes in rows]

    async def kept_totals(self, network_id: int, start: date, end: date, by: tuple[str, ...], *,
                          organisation_id: int | None = None) -> list[tuple[tuple[Any, ...], int, int, int]]:
        """``(keys, count, participants, minutes)`` in [start, end) per combination of ``by`` (``aim``,
        ``category``, ``organisation``: 0 for none), in key order, from ``activity_totals``: whole months
        from its month rows and the days at the edges from its day rows; the network's own rows
        (``ALL_ORGANISATIONS``) unless organisations are asked for (a year: some hundred rows)."""
        t = activity_totals.c
        columns = [{"aim": t.aim, "category": t.category, "organisation": t.organisation_id}[key] for key in by]
        month_start = start if start.day == 1 else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        month_end = end.replace(day=1)
        grains = ([("d", start, month_start), ("m", month_start, month_end), ("d", month_end, end)]
                  if month_start < month_end else [("d", start, end)])
        parts = []
        for grain, since, until in grains:
            if since >= until:
                continue
            part = sa.select(*(c.label(f"k{i}") for i, c in enumerate(columns)), t.n, t.participants, t.minutes).where(
                t.network_id == network_id, t.grain == grain, t.day >= since, t.day < until)
            if organisation_id is not None:
                part = part.where(t.organisation_id == organisation_id)
            elif "organisation" in by:
                part = part.where(t.organisation_id != ALL_ORGANISATIONS)
            else:  # the whole network: its own rows, not every organisation's
                part = part.where(t.organisation_id == ALL_ORGANISATIONS)
            parts.append(part)
        if not parts:
            return []
        both = sa.union_all(*parts).subquery()
        keys = [both.c[f"k{i}"] for i in range(len(columns))]
        rows = (await self.conn.execute(
            sa.select(*keys, sa.func.sum(both.c.n).label("n"), sa.func.sum(both.c.participants).label("people"),
                      sa.func.sum(both.c.minutes).label("minutes"))
            .group_by(*keys).having(sa.func.sum(both.c.n) > 0).order_by(*keys))).all()
        return [(tuple(r[:len(keys)]), int(r.n), int(r.people), int(r.minutes)) for r in rows]

    async def totals_direct(self, network_id: int, start: date, end: date, *, by: str = "aim",
                            organisation_id: int | None = None) -> list[ActivityTotal]:
        """What :meth:`totals` gives, counted from every activity of the period (the tests' and the
        benchmark's reference)."""
        column = {"aim": activities.c.aim, "category": activities.c.category,
                  "organisation": sa.func.coalesce(activities.c.organisation_id, NO_ORGANISATION)}[by]
        query = (
            sa.select(column.label("key"), sa.func.count().label("n"),
                      sa.func.coalesce(sa.func.sum(activities.c.participants), 0).label("people"),
                      sa.func.coalesce(sa.func.sum(activities.c.minutes), 0).label("minutes"))
            .where(activities.c.network_id == network_id, activities.c.activity_date >= start,
                   activities.c.activity_date < end)
            .group_by(column).order_by(column)
        )
        if organisation_id is not None:
            query = query.where(activities.c.organisation_id == organisation_id)
        rows = (await self.conn.execute(query)).all()
        return [ActivityTotal(key=None if by == "organisation" and r.key == NO_ORGANISATION else r.key,
                              count=int(r.n), participants=int(r.people), minutes=int(r.minutes)) for r in rows]

    async def export_rows(self, network_id: int, start: date, end: date, *, newest_first: bool = False,
                          limit: int | None = None, organisation_id: int | None = None,
                          columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Every activity in [start, end) with its author's and organisation's names, oldest first (or the
        newest ``limit``: a page, read through the index in date order instead of the whole period);
        ``columns``: only these keys (the activity's columns, ``author_name``, ``organisation_name``), for
        a reader of thousands of rows that needs a few of them (the SAR pack)."""
        order = (activities.c.activity_date, activities.c.id)
        names = {"author_name": members.c.display_name.label("author_name"),
                 "organisation_name": organisations.c.name.label("organisation_name")}
        selected: list[Any] = ([activities, *names.values()] if columns is None
                               else [names[c] if c in names else activities.c[c] for c in columns])
        joined: Any = activities
        if columns is None or "author_name" in columns:  # outer joins on a key: they add no rows
            joined = joined.outerjoin(members, members.c.id == activities.c.author_id)
        if columns is None or "organisation_name" in columns:
            joined = joined.outerjoin(organisations, organisations.c.id == activities.c.organisation_id)
        query = (
            sa.select(*selected)
            .select_from(joined)
            .where(activities.c.network_id == network_id, activities.c.activity_date >= start,
                   activities.c.activity_date < end)
            .order_by(*(column.desc() for column in order) if newest_first else order)
            .limit(limit)
        )
        if organisation_id is not None:
            query = query.where(activities.c.organisation_id == organisation_id)
        result = await self.conn.execute(query)
        keys = list(result.keys())
        return [dict(zip(keys, r)) for r in result.all()]  # a row's _mapping builds its keys again, row by row


class PhotoRepo(Repo):
    async def add(self, network_id: int, entity: str, entity_id: int, content: bytes, *, now: datetime) -> int:
        result = await self.conn.execute(
            activity_photos.insert().values(network_id=network_id, entity=entity, entity_id=entity_id,
                                            content=content, created_at=now).returning(activity_photos.c.id))
        return int(result.scalar_one())

    async def for_entity(self, network_id: int, entity: str, entity_id: int) -> list[bytes]:
        rows = (await self.conn.execute(
            sa.select(activity_photos.c.content).where(
                activity_photos.c.network_id == network_id, activity_photos.c.entity == entity,
                activity_photos.c.entity_id == entity_id).order_by(activity_photos.c.id)
        )).all()
        return [bytes(r.content) for r in rows]
