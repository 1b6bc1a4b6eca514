"""The durable inbox for webhook events, shared by every platform.

A webhook stores each event here (de-duplicated by the platform's event id), answers
at once, and a worker (:mod:`bot.inbox`) processes the events in the background, by
this process or any other, even after a restart. A body that cannot be processed at
all is stored as ``failed`` (dead-lettered) so it stays visible without being retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repo import Repo
from storage.tables import metadata
from storage.types import UTCDateTime

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("event_id", sa.String(128), nullable=False),
    # The platform's chat id the event belongs to: events of one chat run in order.
    sa.Column("chat_id", sa.String(64), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("processed_at", UTCDateTime),
    sa.Column("error", sa.Text),
    # The instance processing it (migration 0010_ops): a survivor hands a dead instance's events back.
    sa.Column("claimed_by", sa.String(64), index=True),
    sa.UniqueConstraint("platform", "event_id", name="uq_inbox_platform_event_id"),
    sa.Index("ix_inbox_platform_status_id", "platform", "status", "id"),
    # the claim's "an earlier event of this chat is in hand" probe (0013_inbox_chat)
    sa.Index("ix_inbox_platform_chat_status", "platform", "chat_id", "status"),
)


SHARE_WINDOW = 32  # candidates(per_chat=…) shares out the first 32 × limit waiting events


@dataclass(frozen=True)
class InboxRow:
    id: int
    event_id: str
    chat_id: str
    body: dict[str, Any]
    attempts: int


class InboxRepo(Repo):
    """One platform's events in the shared inbox."""

    def __init__(self, conn: AsyncConnection, platform: str) -> None:
        super().__init__(conn)
        self.platform = platform

    async def add(self, event_id: str, chat_id: str, body: dict[str, Any], now: datetime) -> bool:
        """Store one webhook event; False when that event id is already stored (a redelivery)."""
        return await self.insert_ignore(
            inbox,
            {"platform": self.platform, "event_id": event_id, "chat_id": chat_id, "body": body,
             "status": "pending", "attempts": 0, "received_at": now},
            ["platform", "event_id"],
        )

    async def dead_letter(self, event_id: str, chat_id: str, body: dict[str, Any], now: datetime, *,
                          error: str) -> bool:
        """Store an event that cannot be processed as ``failed``, never to be retried."""
        return await self.insert_ignore(
            inbox,
            {"platform": self.platform, "event_id": event_id, "chat_id": chat_id, "body": body,
             "status": "failed", "attempts": 0, "received_at": now, "processed_at": now, "error": error[:2000]},
            ["platform", "event_id"],
        )

    def _waiting(self, now: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(inbox.c.platform == self.platform,
                       sa.or_(inbox.c.status == "pending",
                              sa.and_(inbox.c.status == "processing", inbox.c.lease_until < now)))

    async def add_many(self, events: list[tuple[str, str, dict[str, Any]]], now: datetime) -> set[str]:
        """Store several webhook events in one statement; returns the event ids that were new
        (the others were stored already: redeliveries)."""
        unique: dict[str, dict[str, Any]] = {}
        for event_id, chat_id, body in events:
            unique.setdefault(event_id, {"platform": self.platform, "event_id": event_id, "chat_id": chat_id,
                                         "body": body, "status": "pending", "attempts": 0, "received_at": now})
        if not unique:
            return set()
        insert: Any
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        stmt = (insert(inbox).values(list(unique.values()))
                .on_conflict_do_nothing(index_elements=["platform", "event_id"]).returning(inbox.c.event_id))
        return {row.event_id for row in await self.conn.execute(stmt)}

    async def candidates(self, now: datetime, limit: int, *, members_first: bool = False,
                         per_chat: int | None = None) -> list[int]:
        """Ids of events waiting to run (pending, or processing with an expired lease), oldest first.

        ``per_chat``: each chat's first ``per_chat`` waiting events come before any chat's later ones,
        so one busy chat (a member writing fast, a group answering a poll at once) cannot fill the
        batch by itself: a chat's events run one after another, so a batch of one chat has no
        parallelism and every other chat waits behind it. Its later events still fill a batch that
        would otherwise be short.

        ``members_first``: events of chats the bot knows (a member's private chat, a group linked to
        a network) before the rest, so a flood of strangers cannot starve the members; a chat's own
        events keep their order (the priority is the chat's).

        A chat with an event in a worker's hand (processing, lease running: this instance's or
        another's) gives none: its other events wait until that one is finished, so a chat's events
        run in order across instances, one at a time (an earlier event given back for a retry while
        a later one runs waits for it too). (A chat's earlier waiting events sort before its later ones, so
        a batch holds a prefix of each chat's events; the worker runs them in order.)"""
        held = inbox.alias("held")
        # Not correlated with the row: evaluated once (PostgreSQL hashes it, SQLite builds an index of
        # it), whatever the planner believes of the table. The correlated NOT EXISTS it replaces became
        # a nested loop over the whole index per waiting event when the statistics were older than a
        # burst (35-50 ms at 1,000 waiting events on a fresh table, growing with their square).
        in_hand = inbox.c.chat_id.in_(sa.select(held.c.chat_id).where(
            held.c.platform == self.platform, held.c.status == "processing", held.c.lease_until >= now))
        order: list[sa.ColumnElement[Any]] = []
        if members_first:
            from storage.tables import chats, members

            known = sa.or_(
                inbox.c.chat_id.in_(sa.select(members.c.platform_user_id).where(
                    members.c.platform == self.platform, members.c.status == "active")),
                inbox.c.chat_id.in_(sa.select(chats.c.platform_chat_id).where(
                    chats.c.platform == self.platform, chats.c.network_id.is_not(None))))
            order.append(sa.case((known, 0), else_=1))
        if per_chat is None:
            query = sa.select(inbox.c.id).where(self._waiting(now), ~in_hand).order_by(*order, inbox.c.id)
        else:
            # Among the first SHARE_WINDOW × limit candidates in the usual order (numbering the whole backlog
            # cost 36-57 ms at 30,000 waiting events, inside the claim's write transaction), a chat's n-th
            # event; its known-ness is the chat's, so within a chat the order stays the ids' and the batch
            # still holds a prefix of each chat's events.
            first = (sa.select(inbox.c.id, inbox.c.chat_id, *(o.label(f"o{i}") for i, o in enumerate(order)))
                     .where(self._waiting(now), ~in_hand).order_by(*order, inbox.c.id)
                     .limit(limit * SHARE_WINDOW).subquery())
            nth = sa.func.row_number().over(partition_by=first.c.chat_id, order_by=first.c.id)
            numbered = sa.select(first, nth.label("nth")).subquery()
            query = sa.select(numbered.c.id).order_by(sa.case((numbered.c.nth <= per_chat, 0), else_=1),
                                                      *(numbered.c[f"o{i}"] for i in range(len(order))), numbered.c.id)
        rows = await self.conn.execute(query.limit(limit))
        return [r.id for r in rows]

    async def claim_many(self, row_ids: list[int], now: datetime, lease: timedelta,
                         owner: str | None = None) -> list[InboxRow]:
        """Take several events for processing in one statement; those another worker has are left out."""
        if not row_ids:
            return []
        rows = await self.conn.execute(
            inbox.update()
            .where(inbox.c.id.in_(row_ids), self._waiting(now))
            .values(status="processing", lease_until=now + lease, attempts=inbox.c.attempts + 1, claimed_by=owner)
            .returning(inbox.c.id, inbox.c.event_id, inbox.c.chat_id, inbox.c.body, inbox.c.attempts)
        )
        by_id = {row.id: InboxRow(id=row.id, event_id=row.event_id, chat_id=row.chat_id, body=dict(row.body),
                                  attempts=row.attempts) for row in rows}
        return [by_id[i] for i in row_ids if i in by_id]

    async def claim(self, row_id: int, now: datetime, lease: timedelta, owner: str | None = None) -> InboxRow | None:
        """Take one event for processing (``owner``: this instance); None if another worker has it."""
        result = await self.conn.execute(
            inbox.update()
            .where(inbox.c.id == row_id, self._waiting(now))
            .values(status="processing", lease_until=now + lease, attempts=inbox.c.attempts + 1, claimed_by=owner)
        )
        if not result.rowcount:
            return None
        row = (await self.conn.execute(sa.select(inbox).where(inbox.c.id == row_id))).one()
        return InboxRow(id=row.id, event_id=row.event_id, chat_id=row.chat_id, body=dict(row.body),
                        attempts=row.attempts)

    async def finish(self, row_id: int, now: datetime, *, status: str = "done", error: str | None = None) -> None:
        await self.conn.execute(
            inbox.update().where(inbox.c.id == row_id)
            .values(status=status, processed_at=now, lease_until=None, claimed_by=None,
                    error=error[:2000] if error else None)
        )

    async def finish_many(self, row_ids: list[int], now: datetime) -> None:
        """Mark several events done in one statement."""
        await self.conn.execute(
            inbox.update().where(inbox.c.id.in_(row_ids))
            .values(status="done", processed_at=now, lease_until=None, claimed_by=None, error=None))

    async def release(self, row_id: int, *, error: str) -> None:
        """Give an event back for another attempt."""
        await self.conn.execute(
            inbox.update().where(inbox.c.id == row_id)
            .values(status="pending", lease_until=None, claimed_by=None, error=error[:2000])
        )

    async def status(self, event_id: str) -> str | None:
        row = (await self.conn.execute(
            sa.select(inbox.c.status).where(inbox.c.platform == self.platform, inbox.c.event_id == event_id))).first()
        return row.status if row else None

    async def prune(self, older_than: datetime) -> int:
        result = await self.conn.execute(
            inbox.delete().where(inbox.c.platform == self.platform, inbox.c.status.in_(("done", "failed")),
                                 inbox.c.processed_at < older_than))
        return result.rowcount or 0
