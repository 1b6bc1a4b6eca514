"""Operations: instances and their heartbeats, and what ``/metrics`` reads from the database.

**Heartbeats** (migration 0010_ops). Every ``edunet serve`` process is an *instance* with a row in
``instances``, refreshed every couple of seconds (bot/heartbeat.py). Outbox rows and inbox events it
works on carry its id (``outbox.claimed_by``, ``inbox.claimed_by``). An instance whose heartbeat is
older than the dead-after time is dead: any survivor (:meth:`InstanceRepo.take_over`) hands its
outbox rows and inbox events back in one transaction and removes its row, so they are sent or
processed again within seconds, not when a minute-long lease runs out.

**Metrics.** Counts that are *state* (how many rows wait, how old the oldest is) are read here, so
every instance reports the same figures whichever one Prometheus scrapes; counts of *events*
(deliveries, retries, 429s) are each process's own counters (bot/metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from storage.deliveries import leased_by_instance  # (and the outbox's lease columns)
from storage.delivery_stats import delivery_stats
from storage.inbox import inbox
from storage.repo import Repo, serialise_on
from storage.runtime import ScheduledTask
from storage.tables import chats, metadata, outbox, processed_events, scheduled_tasks
from storage.types import UTCDateTime

instances = sa.Table(
    "instances",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("host", sa.String(255), nullable=False, server_default=""),
    sa.Column("pid", sa.Integer, nullable=False, server_default="0"),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("heartbeat_at", UTCDateTime, nullable=False, index=True),
)

if not any(ix.name == "ix_outbox_claimed_by" for ix in outbox.indexes):
    sa.Index("ix_outbox_claimed_by", outbox.c.claimed_by)


@dataclass(frozen=True)
class TakenOver:
    """What a survivor took back from one dead instance."""

    instance: str
    last_heartbeat: datetime
    outbox_rows: int
    inbox_events: int


class InstanceRepo(Repo):
    """The ``instances`` table: heartbeats, and taking over the dead."""

    async def beat(self, instance: str, now: datetime, *, host: str = "", pid: int = 0) -> bool:
        """Refresh ``instance``'s heartbeat; False when its row was gone (it had been taken for
        dead, or is new) and was written again."""
        result = await self.conn.execute(
            instances.update().where(instances.c.id == instance).values(heartbeat_at=now))
        if result.rowcount:
            return True
        await self.insert_ignore(instances, {"id": instance, "host": host[:255], "pid": pid, "started_at": now,
                                             "heartbeat_at": now}, ["id"])
        return False

    async def leave(self, instance: str) -> None:
        """A clean shutdown: the instance has released its leases itself."""
        await self.conn.execute(instances.delete().where(instances.c.id == instance))

    async def alive(self, since: datetime) -> int:
        """How many instances beat at ``since`` or later."""
        return int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(instances).where(instances.c.heartbeat_at >= since))).scalar_one())

    async def take_over(self, *, dead_before: datetime, exclude: str) -> list[TakenOver]:
        """Hand back the outbox rows and inbox events of every instance whose last heartbeat is
        older than ``dead_before`` (never ``exclude``, the caller), and forget those instances.

        Serialised across survivors, so one of them does it and logs it."""
        await serialise_on(self.conn, "instances-take-over")
        dead = (await self.conn.execute(
            sa.select(instances.c.id, instances.c.heartbeat_at)
            .where(instances.c.heartbeat_at < dead_before, instances.c.id != exclude))).all()
        taken = []
        for row in dead:
            rows = await self.conn.execute(
                outbox.update().where(leased_by_instance(row.id), outbox.c.status == "pending")
                .values(claimed_by=None, claimed_until=None))
            events = await self.conn.execute(
                inbox.update().where(inbox.c.claimed_by == row.id, inbox.c.status == "processing")
                .values(status="pending", lease_until=None, claimed_by=None, error="its instance stopped"))
            await self.conn.execute(instances.delete().where(instances.c.id == row.id))
            taken.append(TakenOver(instance=row.id, last_heartbeat=row.heartbeat_at,
                                   outbox_rows=rows.rowcount or 0, inbox_events=events.rowcount or 0))
        return taken


@dataclass(frozen=True)
class InboxState:
    platform: str
    waiting: int
    oldest: datetime | None


@dataclass(frozen=True)
class OpsState:
    """One reading of the shared state, for one scrape."""

    inbox: list[InboxState] = field(default_factory=list)
    # (platform, state, urgency) -> rows; state: due | waiting | in_flight | dead
    outbox: dict[tuple[str, str, str], int] = field(default_factory=dict)
    oldest_due: datetime | None = None
    tasks_due: int = 0
    oldest_task_due: datetime | None = None
    # platform -> units billed this calendar month (a group push counts every member)
    billed_this_month: dict[str, int] = field(default_factory=dict)


class OpsRepo(Repo):
    async def state(self, *, now: datetime, lease_now: datetime) -> OpsState:
        tasks_due, oldest_task_due = await self._tasks(now)
        return OpsState(inbox=await self._inbox(), outbox=await self._outbox(now, lease_now),
                        oldest_due=await self._oldest_due(now), tasks_due=tasks_due, oldest_task_due=oldest_task_due,
                        billed_this_month=await self._billed(now))

    async def totals(self) -> dict[str, int]:
        """Every inbox event and outbox row by status, and the processed events, across platforms
        (for a load test's end: an event lost shows as one not done, one run twice as more processed
        events than done)."""
        out: dict[str, int] = {}
        for name, table in (("inbox", inbox), ("outbox", outbox)):
            for row in await self.conn.execute(sa.select(table.c.status, sa.func.count().label("n"))
                                               .group_by(table.c.status)):
                out[f"{name} {row.status}"] = row.n
        out["processed events"] = (await self.conn.execute(
            sa.select(sa.func.count()).select_from(processed_events))).scalar_one()
        return out

    async def _inbox(self) -> list[InboxState]:
        rows = (await self.conn.execute(
            sa.select(inbox.c.platform, sa.func.count().label("n"), sa.func.min(inbox.c.received_at).label("oldest"))
            .where(inbox.c.status.in_(("pending", "processing")))
            .group_by(inbox.c.platform))).all()
        return [InboxState(platform=r.platform, waiting=r.n, oldest=r.oldest) for r in rows]

    async def _outbox(self, now: datetime, lease_now: datetime) -> dict[tuple[str, str, str], int]:
        claimed_until = outbox.c.claimed_until  # declared by storage.deliveries
        state = sa.case(
            (outbox.c.status == "dead", "dead"),
            (sa.and_(claimed_until.is_not(None), claimed_until > lease_now), "in_flight"),
            (outbox.c.not_before <= now, "due"),
            else_="waiting",
        ).label("state")
        rows = (await self.conn.execute(
            sa.select(chats.c.platform, state, outbox.c.urgency, sa.func.count().label("n"))
            .join(chats, chats.c.id == outbox.c.chat_id)
            .where(outbox.c.status.in_(("pending", "dead")))
            .group_by(chats.c.platform, state, outbox.c.urgency))).all()
        return {(r.platform, r.state, r.urgency): r.n for r in rows}

    async def _oldest_due(self, now: datetime) -> datetime | None:
        oldest: datetime | None = (await self.conn.execute(
            sa.select(sa.func.min(outbox.c.not_before))
            .where(outbox.c.status == "pending", outbox.c.not_before <= now))).scalar_one_or_none()
        return oldest

    async def _tasks(self, now: datetime) -> tuple[int, datetime | None]:
        row = (await self.conn.execute(
            sa.select(sa.func.count().label("n"), sa.func.min(scheduled_tasks.c.run_at).label("oldest"))
            .where(scheduled_tasks.c.status == "pending", scheduled_tasks.c.run_at <= now))).one()
        return int(row.n or 0), row.oldest

    async def _billed(self, now: datetime) -> dict[str, int]:
        rows = (await self.conn.execute(
            sa.select(delivery_stats.c.platform, sa.func.coalesce(sa.func.sum(delivery_stats.c.recipients), 0)
                      .label("n"))
            .where(delivery_stats.c.month == now.strftime("%Y-%m"))
            .group_by(delivery_stats.c.platform))).all()
        return {r.platform: int(r.n) for r in rows}


class OverdueRepo(Repo):
    async def tasks(self, before: datetime, limit: int = 50) -> list[ScheduledTask]:
        """Pending tasks due before ``before`` that no transaction is running right now (PostgreSQL:
        SKIP LOCKED; a task being run elsewhere is that instance's)."""
        query = (sa.select(scheduled_tasks)
                 .where(scheduled_tasks.c.status == "pending", scheduled_tasks.c.run_at <= before)
                 .order_by(scheduled_tasks.c.run_at, scheduled_tasks.c.id).limit(limit))
        if self.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await self.conn.execute(query)).all()
        return [ScheduledTask(id=r.id, key=r.key, kind=r.kind, network_id=r.network_id, run_at=r.run_at,
                              payload=dict(r.payload), status=r.status) for r in rows]
