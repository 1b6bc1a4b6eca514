"""Operations: what ``/metrics`` reads from the database (the state every instance shares).

Counts that are *state* (how many rows wait, how old the oldest is) are read here, so every
instance reports the same figures whichever one Prometheus scrapes; counts of *events*
(deliveries, retries, 429s) are each process's own counters (bot/metrics.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from storage.delivery_stats import delivery_stats
from storage.inbox import inbox
from storage.repo import Repo
from storage.tables import chats, outbox, scheduled_tasks


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
