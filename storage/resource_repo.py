"""Resource mobilisation: needs, pledges, delivery, and the totals the summary reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from storage.activities import needs, pledges
from storage.counters import next_number
from storage.repo import Repo
from storage.tables import members, organisations

LIVE = ("pledged", "delivered")  # pledges that count toward "pledged"


def to_x100(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def from_x100(value: int | None) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


@dataclass(frozen=True)
class Need:
    id: int
    network_id: int
    number: int
    organisation_id: int
    organisation_name: str
    posted_by: int | None
    resource_type: str
    description: str
    target: Decimal
    unit: str
    needed_by: date
    status: str
    created_at: datetime


@dataclass(frozen=True)
class NeedProgress:
    need: Need
    pledged: Decimal  # pledged and delivered (not cancelled)
    delivered: Decimal


@dataclass(frozen=True)
class Pledge:
    id: int
    network_id: int
    number: int
    need_id: int | None
    pledger_id: int | None
    pledger_name: str
    resource_type: str
    source_sector: str
    amount: Decimal
    unit: str
    expected_date: date
    note: str | None
    status: str
    created_at: datetime
    delivered_at: datetime | None
    delivery_note: str | None


@dataclass(frozen=True)
class PledgeTotal:
    resource_type: str
    source_sector: str
    unit: str
    count: int
    amount: Decimal


_NEED_COLUMNS = (*needs.c, organisations.c.name.label("organisation_name"))


def _need(row: Any) -> Need:
    return Need(id=row.id, network_id=row.network_id, number=row.number, organisation_id=row.organisation_id,
                organisation_name=row.organisation_name or "", posted_by=row.posted_by,
                resource_type=row.resource_type, description=row.description, target=from_x100(row.target_x100),
                unit=row.unit, needed_by=row.needed_by, status=row.status, created_at=row.created_at)


def _need_select() -> sa.Select[Any]:
    return sa.select(*_NEED_COLUMNS).select_from(
        needs.join(organisations, organisations.c.id == needs.c.organisation_id))


def _pledge(row: Any) -> Pledge:
    return Pledge(id=row.id, network_id=row.network_id, number=row.number, need_id=row.need_id, pledger_id=row.pledger_id,
                  pledger_name=row.pledger_name or "", resource_type=row.resource_type,
                  source_sector=row.source_sector, amount=from_x100(row.amount_x100), unit=row.unit,
                  expected_date=row.expected_date, note=row.note, status=row.status, created_at=row.created_at,
                  delivered_at=row.delivered_at, delivery_note=row.delivery_note)


def _pledge_select() -> sa.Select[Any]:
    return sa.select(*pledges.c, members.c.display_name.label("pledger_name")).select_from(
        pledges.outerjoin(members, members.c.id == pledges.c.pledger_id))


class NeedRepo(Repo):
    async def add(self, network_id: int, *, organisation_id: int, posted_by: int | None, resource_type: str,
                  description: str, target: Decimal, unit: str, needed_by: date, now: datetime) -> Need:
        result = await self.conn.execute(
            needs.insert().values(network_id=network_id, number=await next_number(self.conn, network_id, "need"),
                                  organisation_id=organisation_id, posted_by=posted_by,
                                  resource_type=resource_type, description=description,
                                  target_x100=to_x100(target), unit=unit, needed_by=needed_by, status="open",
                                  created_at=now).returning(needs.c.id))
        need = await self.get(network_id, int(result.scalar_one()))
        assert need is not None
        return need

    async def get(self, network_id: int, need_id: int) -> Need | None:
        row = (await self.conn.execute(
            _need_select().where(needs.c.network_id == network_id, needs.c.id == need_id))).first()
        return _need(row) if row else None

    async def by_number(self, network_id: int, number: int) -> Need | None:
        """The need members know as #``number`` in the network."""
        row = (await self.conn.execute(
            _need_select().where(needs.c.network_id == network_id, needs.c.number == number))).first()
        return _need(row) if row else None

    async def progress(self, need_ids: list[int]) -> dict[int, tuple[Decimal, Decimal]]:
        """need id → (pledged incl. delivered, delivered); ids must come from a network-scoped query."""
        result: dict[int, tuple[Decimal, Decimal]] = {i: (Decimal(0), Decimal(0)) for i in need_ids}
        if not need_ids:
            return result
        rows = (await self.conn.execute(
            sa.select(pledges.c.need_id, pledges.c.status, sa.func.sum(pledges.c.amount_x100).label("x100"))
            .where(pledges.c.need_id.in_(need_ids), pledges.c.status.in_(LIVE))
            .group_by(pledges.c.need_id, pledges.c.status)
        )).all()
        for row in rows:
            pledged, delivered = result[row.need_id]
            amount = from_x100(row.x100)
            pledged += amount
            if row.status == "delivered":
                delivered += amount
            result[row.need_id] = (pledged, delivered)
        return result

    async def with_progress(self, needs_list: list[Need]) -> list[NeedProgress]:
        sums = await self.progress([n.id for n in needs_list])
        return [NeedProgress(n, *sums[n.id]) for n in needs_list]

    async def open_needs(self, network_id: int, *, limit: int = 10, offset: int = 0) -> list[Need]:
        """Open needs, most urgent (earliest needed-by) first."""
        rows = (await self.conn.execute(
            _need_select().where(needs.c.network_id == network_id, needs.c.status == "open")
            .order_by(needs.c.needed_by, needs.c.id).offset(offset).limit(limit))).all()
        return [_need(r) for r in rows]

    async def open_of_type(self, network_id: int, resource_type: str, *, needed_by_from: date, limit: int = 50
                           ) -> list[Need]:
        """Open needs of one resource type needed on or after a day, most urgent first (offer matching)."""
        rows = (await self.conn.execute(
            _need_select().where(needs.c.network_id == network_id, needs.c.status == "open",
                                 needs.c.resource_type == resource_type, needs.c.needed_by >= needed_by_from)
            .order_by(needs.c.needed_by, needs.c.id).limit(limit))).all()
        return [_need(r) for r in rows]

    async def count_open(self, network_id: int, today: date) -> tuple[int, int]:
        """(open needs, of which overdue: needed-by before today)."""
        row = (await self.conn.execute(
            sa.select(sa.func.count().label("n"),
                      sa.func.coalesce(sa.func.sum(sa.case((needs.c.needed_by < today, 1), else_=0)), 0)
                      .label("late"))
            .where(needs.c.network_id == network_id, needs.c.status == "open"))).one()
        return int(row.n), int(row.late)

    async def mark_fulfilled_if_reached(self, network_id: int, need_id: int, *, now: datetime) -> bool:
        """Set an open need fulfilled once deliveries reach its target; True if it just happened."""
        need = await self.get(network_id, need_id)
        if need is None or need.status != "open":
            return False
        _, delivered = (await self.progress([need_id]))[need_id]
        if delivered < need.target:
            return False
        await self.conn.execute(needs.update().where(needs.c.id == need_id, needs.c.status == "open")
                                .values(status="fulfilled", fulfilled_at=now))
        return True


def _holds_a_whole_day(start: datetime, end: datetime) -> bool:
    """Whether [start, end) holds a whole UTC day (what the kept per-day totals can answer; shorter
    periods are counted directly, which :meth:`MeasureRepo.pledge_totals` does too)."""
    first = start.astimezone(timezone.utc)
    first_day = first.date() + (timedelta(days=1) if first.time() != time.min else timedelta(0))
    return first_day < end.astimezone(timezone.utc).date()


class PledgeRepo(Repo):
    async def add(self, network_id: int, *, need_id: int | None, pledger_id: int, resource_type: str,
                  source_sector: str, amount: Decimal, unit: str, expected_date: date, note: str | None,
                  now: datetime) -> Pledge:
        result = await self.conn.execute(
            pledges.insert().values(network_id=network_id, number=await next_number(self.conn, network_id, "pledge"),
                                    need_id=need_id, pledger_id=pledger_id,
                                    resource_type=resource_type, source_sector=source_sector,
                                    amount_x100=to_x100(amount), unit=unit, expected_date=expected_date,
                                    note=note, status="pledged", created_at=now).returning(pledges.c.id))
        pledge = await self.get(network_id, int(result.scalar_one()))
        assert pledge is not None
        return pledge

    async def get(self, network_id: int, pledge_id: int) -> Pledge | None:
        row = (await self.conn.execute(
            _pledge_select().where(pledges.c.network_id == network_id, pledges.c.id == pledge_id))).first()
        return _pledge(row) if row else None

    async def deliver(self, network_id: int, pledge_id: int, *, by: int | None, note: str | None,
                      has_photo: bool, now: datetime) -> bool:
        """pledged → delivered; False if it was not pledged (already delivered or cancelled)."""
        result = await self.conn.execute(
            pledges.update().where(pledges.c.network_id == network_id, pledges.c.id == pledge_id,
                                   pledges.c.status == "pledged")
            .values(status="delivered", delivered_at=now, delivered_by=by, delivery_note=note, has_photo=has_photo))
        return bool(result.rowcount)

    async def cancel(self, network_id: int, pledge_id: int, *, by: int | None, now: datetime) -> bool:
        result = await self.conn.execute(
            pledges.update().where(pledges.c.network_id == network_id, pledges.c.id == pledge_id,
                                   pledges.c.status == "pledged")
            .values(status="cancelled", cancelled_at=now, cancelled_by=by))
        return bool(result.rowcount)

    async def of_member(self, network_id: int, pledger_id: int, *, limit: int = 20) -> list[Pledge]:
        rows = (await self.conn.execute(
            _pledge_select().where(pledges.c.network_id == network_id, pledges.c.pledger_id == pledger_id)
            .order_by(pledges.c.created_at.desc(), pledges.c.id.desc()).limit(limit))).all()
        return [_pledge(r) for r in rows]

    async def awaiting(self, network_id: int, *, organisation_id: int | None = None, limit: int = 20
                       ) -> list[Pledge]:
        """Pledges not yet delivered, earliest expected first; optionally toward one organisation's needs."""
        query = _pledge_select().where(pledges.c.network_id == network_id, pledges.c.status == "pledged")
        if organisation_id is not None:
            query = query.where(pledges.c.need_id.in_(
                sa.select(needs.c.id).where(needs.c.network_id == network_id,
                                            needs.c.organisation_id == organisation_id)))
        rows = (await self.conn.execute(
            query.order_by(pledges.c.expected_date, pledges.c.id).limit(limit))).all()
        return [_pledge(r) for r in rows]

    async def for_need(self, network_id: int, need_id: int) -> list[Pledge]:
        rows = (await self.conn.execute(
            _pledge_select().where(pledges.c.network_id == network_id, pledges.c.need_id == need_id)
            .order_by(pledges.c.id))).all()
        return [_pledge(r) for r in rows]

    async def count_overdue(self, network_id: int, today: date) -> int:
        return int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(pledges).where(
                pledges.c.network_id == network_id, pledges.c.status == "pledged",
                pledges.c.expected_date < today))).scalar_one())

    async def totals_pledged(self, network_id: int, start: datetime, end: datetime) -> list[PledgeTotal]:
        """Pledges made in [start, end) and not cancelled, by type, sector and unit (a period holding a
        whole UTC day reads the totals the database keeps, :mod:`storage.goals.rollups`)."""
        if _holds_a_whole_day(start, end):
            from storage.goals.measures import MeasureRepo

            return await MeasureRepo(self.conn).pledge_totals(network_id, "pledged", start, end)
        return await self.totals_pledged_direct(network_id, start, end)

    async def totals_delivered(self, network_id: int, start: datetime, end: datetime) -> list[PledgeTotal]:
        """Pledges delivered in [start, end), by type, sector and unit (as :meth:`totals_pledged`)."""
        if _holds_a_whole_day(start, end):
            from storage.goals.measures import MeasureRepo

            return await MeasureRepo(self.conn).pledge_totals(network_id, "delivered", start, end)
        return await self.totals_delivered_direct(network_id, start, end)

    async def totals_pledged_direct(self, network_id: int, start: datetime, end: datetime) -> list[PledgeTotal]:
        """:meth:`totals_pledged` counted from every pledge of the period (short periods; the reference)."""
        return await self._totals(pledges.c.created_at, network_id, start, end, pledges.c.status.in_(LIVE))

    async def totals_delivered_direct(self, network_id: int, start: datetime, end: datetime) -> list[PledgeTotal]:
        """:meth:`totals_delivered` counted from every delivered pledge of the period."""
        return await self._totals(pledges.c.delivered_at, network_id, start, end, sa.true())

    async def totals_made_delivered_direct(self, network_id: int, start: datetime, end: datetime
                                           ) -> list[PledgeTotal]:
        """Pledges made in [start, end) and delivered since, by type, sector and unit, counted from every
        pledge of the period."""
        return await self._totals(pledges.c.created_at, network_id, start, end, pledges.c.status == "delivered")

    async def _totals(self, when: Any, network_id: int, start: datetime, end: datetime,
                      condition: Any) -> list[PledgeTotal]:
        keys = (pledges.c.resource_type, pledges.c.source_sector, pledges.c.unit)
        rows = (await self.conn.execute(
            sa.select(*keys, sa.func.count().label("n"), sa.func.sum(pledges.c.amount_x100).label("x100"))
            .where(pledges.c.network_id == network_id, when >= start, when < end, condition)
            .group_by(*keys).order_by(*keys))).all()
        return [PledgeTotal(resource_type=r.resource_type, source_sector=r.source_sector, unit=r.unit,
                            count=int(r.n), amount=from_x100(r.x100)) for r in rows]

    def _ledger_where(self, network_id: int, start: datetime, end: datetime, *, organisation_id: int | None,
                      pledger_id: int | None) -> tuple[sa.FromClause, list[sa.ColumnElement[bool]]]:
        """Which pledges the ledger covers: the network's, made in [start, end); for one organisation's
        view only those toward its needs or made by the member (the need is joined only then)."""
        source: sa.FromClause = pledges
        where = [pledges.c.network_id == network_id, pledges.c.created_at >= start, pledges.c.created_at < end]
        if organisation_id is not None or pledger_id is not None:
            source = pledges.outerjoin(needs, needs.c.id == pledges.c.need_id)
            where.append(sa.or_(needs.c.organisation_id == (organisation_id or -1),
                                pledges.c.pledger_id == (pledger_id or -1)))
        return source, where

    async def ledger(self, network_id: int, start: datetime, end: datetime, *, status: str = "",
                     resource_type: str = "", source_sector: str = "", organisation_id: int | None = None,
                     pledger_id: int | None = None, limit: int = 300) -> tuple[list[dict[str, Any]], int]:
        """The pledge ledger's page: pledges made in [start, end), filtered in SQL, newest first, at most
        ``limit`` of them, and how many match in all. With ``organisation_id``/``pledger_id``: only pledges
        toward that organisation's needs or made by that member."""
        source, where = self._ledger_where(network_id, start, end, organisation_id=organisation_id,
                                           pledger_id=pledger_id)
        for column, value in ((pledges.c.status, status), (pledges.c.resource_type, resource_type),
                              (pledges.c.source_sector, source_sector)):
            if value:
                where.append(column == value)
        total = (await self.conn.execute(sa.select(sa.func.count()).select_from(source).where(*where))).scalar_one()
        page = (sa.select(pledges.c.id).select_from(source).where(*where)
                .order_by(pledges.c.created_at.desc(), pledges.c.id.desc()).limit(limit).subquery())
        need = needs.alias("need")
        query = (sa.select(pledges, members.c.display_name.label("pledger_name"),
                           need.c.number.label("need_number"), organisations.c.name.label("need_organisation"))
                 .select_from(pledges.join(page, page.c.id == pledges.c.id)
                              .outerjoin(members, members.c.id == pledges.c.pledger_id)
                              .outerjoin(need, need.c.id == pledges.c.need_id)
                              .outerjoin(organisations, organisations.c.id == need.c.organisation_id))
                 .order_by(pledges.c.created_at.desc(), pledges.c.id.desc()))
        rows = []
        for row in (await self.conn.execute(query)).all():
            data = dict(row._mapping)
            data["amount"] = from_x100(data.pop("amount_x100"))
            rows.append(data)
        return rows, int(total)

    async def ledger_choices(self, network_id: int, start: datetime, end: datetime, *,
                             organisation_id: int | None = None, pledger_id: int | None = None
                             ) -> tuple[list[str], list[str]]:
        """The resource types and source sectors the ledger's filters can offer (those present)."""
        source, where = self._ledger_where(network_id, start, end, organisation_id=organisation_id,
                                           pledger_id=pledger_id)
        pairs = (await self.conn.execute(sa.select(pledges.c.resource_type, pledges.c.source_sector)
                                         .select_from(source).where(*where).distinct())).all()
        return sorted({p.resource_type for p in pairs}), sorted({p.source_sector for p in pairs})

    async def status_totals(self, network_id: int, start: datetime, end: datetime, *,
                            toward_organisation: int | None = None, pledger_id: int | None = None
                            ) -> list[tuple[PledgeTotal, str]]:
        """Pledges made in [start, end) and not cancelled, by type, sector, unit and status (the web view's
        resources panel), ordered so. The network's, for a period holding a whole UTC day, from the totals
        the database keeps (:mod:`storage.goals.rollups`: made and not cancelled, made and delivered); with
        ``toward_organisation`` or ``pledger_id`` only those toward that organisation's needs or pledged by
        that member, counted by the database from the covering index (no pledge row leaves it)."""
        if toward_organisation is None and pledger_id is None and _holds_a_whole_day(start, end):
            from storage.goals.measures import MeasureRepo
            from storage.goals.rollups import MADE_DELIVERED

            measures = MeasureRepo(self.conn)
            delivered = {(t.resource_type, t.source_sector, t.unit): t
                         for t in await measures.pledge_totals(network_id, MADE_DELIVERED, start, end)}
            found: list[tuple[PledgeTotal, str]] = []
            for live in await measures.pledge_totals(network_id, "pledged", start, end):  # delivered ones are live
                done = delivered.get((live.resource_type, live.source_sector, live.unit))
                if done is not None:
                    found.append((done, "delivered"))
                if done is None or done.count < live.count:
                    found.append((PledgeTotal(live.resource_type, live.source_sector, live.unit,
                                              live.count - (done.count if done else 0),
                                              live.amount - (done.amount if done else 0)), "pledged"))
            return found  # in the live totals' order (the database's), "delivered" before "pledged" as the direct
        return await self.status_totals_direct(network_id, start, end, toward_organisation=toward_organisation,
                                               pledger_id=pledger_id)

    async def status_totals_direct(self, network_id: int, start: datetime, end: datetime, *,
                                   toward_organisation: int | None = None, pledger_id: int | None = None
                                   ) -> list[tuple[PledgeTotal, str]]:
        """:meth:`status_totals` counted from every pledge of the period (the reference)."""
        p = pledges.c
        query = (sa.select(p.resource_type, p.source_sector, p.unit, p.status, sa.func.count().label("n"),
                           sa.func.coalesce(sa.func.sum(p.amount_x100), 0).label("x100"))
                 .where(p.network_id == network_id, p.created_at >= start, p.created_at < end, p.status.in_(LIVE))
                 .group_by(p.resource_type, p.source_sector, p.unit, p.status)
                 .order_by(p.resource_type, p.source_sector, p.unit, p.status))
        if toward_organisation is not None or pledger_id is not None:
            ours = sa.select(needs.c.id).where(needs.c.network_id == network_id,
                                               needs.c.organisation_id == toward_organisation)
            query = query.where(sa.or_(p.need_id.in_(ours), p.pledger_id == pledger_id))
        return [(PledgeTotal(r.resource_type, r.source_sector, r.unit, int(r.n), from_x100(int(r.x100))), r.status)
                for r in (await self.conn.execute(query)).all()]

    async def export_rows(self, network_id: int, start: datetime, end: datetime, *,
                          toward_organisation: int | None = None, pledger_organisation: int | None = None,
                          statuses: tuple[str, ...] | None = None, columns: Sequence[str] | None = None
                          ) -> list[dict[str, Any]]:
        """Pledges made in [start, end) with the pledger, the need and its organisation, oldest first;
        optionally only those toward ``toward_organisation``'s needs, those pledged by members of
        ``pledger_organisation``, those of ``statuses`` (a school's report reads only its own); ``columns``:
        of the pledge's own columns only these (``amount_x100`` read as ``amount``), for a reader of
        thousands of rows that needs a few of them (the SAR pack)."""
        query = (
            sa.select(*([pledges] if columns is None else [pledges.c[c] for c in columns]),
                      members.c.display_name.label("pledger_name"),
                      needs.c.number.label("need_number"), needs.c.description.label("need_description"),
                      organisations.c.name.label("need_organisation"))
            .select_from(pledges.outerjoin(members, members.c.id == pledges.c.pledger_id)
                         .outerjoin(needs, needs.c.id == pledges.c.need_id)
                         .outerjoin(organisations, organisations.c.id == needs.c.organisation_id))
            .where(pledges.c.network_id == network_id, pledges.c.created_at >= start, pledges.c.created_at < end)
            .order_by(pledges.c.created_at, pledges.c.id)
        )
        if toward_organisation is not None:
            # Read from the organisation's needs (their pledges by need), not from every pledge of the period.
            ours = sa.select(needs.c.id).where(needs.c.network_id == network_id,
                                               needs.c.organisation_id == toward_organisation)
            # (The need's network too, redundant but for PostgreSQL: then the needs' organisation index serves.)
            query = query.where(needs.c.network_id == network_id, needs.c.organisation_id == toward_organisation,
                                pledges.c.need_id.in_(ours))
        if pledger_organisation is not None:
            query = query.where(members.c.organisation_id == pledger_organisation)
        if statuses is not None:
            query = query.where(pledges.c.status.in_(statuses))
        result = await self.conn.execute(query)
        keys = list(result.keys())  # once: a row's _mapping builds them again, row by row
        rows = []
        for row in result.all():
            data = dict(zip(keys, row))
            if "amount_x100" in data:
                data["amount"] = from_x100(data.pop("amount_x100"))
            rows.append(data)
        return rows
