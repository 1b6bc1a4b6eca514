"""Delivery statistics per chat and month: pushes, the units a platform bills (a group push
reaches, and may cost, every member) and free replies, plus the last known size of each
group (what a push to it costs). A platform that bills per recipient (LINE) counts here;
features read the totals through ``ctx.delivery_cost``.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.repo import Repo
from storage.tables import chats, members, metadata
from storage.types import UTCDateTime

delivery_stats = sa.Table(
    "delivery_stats",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("platform_chat_id", sa.String(64), primary_key=True),
    # "2026-11": platforms bill by calendar month.
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="SET NULL")),
    sa.Column("pushes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("push_messages", sa.Integer, nullable=False, server_default="0"),
    # Pushes × recipients (a group push reaches, and costs, every member).
    sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
    sa.Column("replies", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_delivery_stats_network_month", "network_id", "month"),
)

group_sizes = sa.Table(
    "group_sizes",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("platform_chat_id", sa.String(64), primary_key=True),
    sa.Column("member_count", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


_COUNTS = ("pushes", "push_messages", "recipients", "replies")


@functools.cache
def _count_statement(dialect: str) -> Any:
    """DeliveryStatsRepo.count's upsert, built once per dialect (it runs after every free reply)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(delivery_stats).values({c.name: sa.bindparam(c.name, type_=c.type) for c in delivery_stats.c})
    added = {name: delivery_stats.c[name] + stmt.excluded[name] for name in _COUNTS}
    return stmt.on_conflict_do_update(index_elements=["platform", "platform_chat_id", "month"],
                                      set_={**added, "updated_at": stmt.excluded.updated_at})


@dataclass(frozen=True)
class ChatStats:
    platform_chat_id: str
    month: str
    network_id: int | None
    pushes: int
    push_messages: int
    recipients: int
    replies: int


@dataclass(frozen=True)
class Estimate:
    """What sending one message to a set of chats will cost on a platform that bills per recipient."""

    pushes: int
    messages: int
    unknown_groups: int = 0  # groups whose member count is not known yet (counted as 1 each)


class DeliveryStatsRepo(Repo):
    """One platform's delivery statistics and group sizes."""

    def __init__(self, conn: AsyncConnection, platform: str) -> None:
        super().__init__(conn)
        self.platform = platform

    async def count(self, platform_chat_id: str, *, now: datetime, network_id: int | None, pushes: int = 0,
                    push_messages: int = 0, recipients: int = 0, replies: int = 0) -> None:
        """Add to the chat's counts for ``now``'s month: one upsert, the row created on first use."""
        await self.conn.execute(_count_statement(self.dialect), {
            "platform": self.platform, "platform_chat_id": platform_chat_id, "month": now.strftime("%Y-%m"),
            "network_id": network_id, "pushes": pushes, "push_messages": push_messages, "recipients": recipients,
            "replies": replies, "updated_at": now})

    async def for_chat(self, platform_chat_id: str, month: str) -> ChatStats | None:
        row = (await self.conn.execute(
            sa.select(delivery_stats).where(delivery_stats.c.platform == self.platform,
                                            delivery_stats.c.platform_chat_id == platform_chat_id,
                                            delivery_stats.c.month == month))).first()
        return _stats(row) if row else None

    async def month(self, month: str, network_id: int | None = None) -> list[ChatStats]:
        query = sa.select(delivery_stats).where(delivery_stats.c.platform == self.platform,
                                                delivery_stats.c.month == month)
        if network_id is not None:
            query = query.where(delivery_stats.c.network_id == network_id)
        rows = await self.conn.execute(query.order_by(delivery_stats.c.recipients.desc(),
                                                      delivery_stats.c.platform_chat_id))
        return [_stats(r) for r in rows]

    async def set_group_size(self, platform_chat_id: str, count: int, now: datetime) -> None:
        result = await self.conn.execute(
            group_sizes.update().where(group_sizes.c.platform == self.platform,
                                       group_sizes.c.platform_chat_id == platform_chat_id)
            .values(member_count=count, updated_at=now))
        if not result.rowcount:
            await self.insert_ignore(group_sizes, {"platform": self.platform, "platform_chat_id": platform_chat_id,
                                                   "member_count": count, "updated_at": now},
                                     ["platform", "platform_chat_id"])

    async def group_size(self, platform_chat_id: str) -> tuple[int, datetime] | None:
        row = (await self.conn.execute(
            sa.select(group_sizes).where(group_sizes.c.platform == self.platform,
                                         group_sizes.c.platform_chat_id == platform_chat_id))).first()
        return (row.member_count, row.updated_at) if row else None

    async def largest_group(self, network_id: int) -> int:
        """The member count of the network's largest active group on this platform (0: none known)."""
        size = (await self.conn.execute(
            sa.select(sa.func.max(group_sizes.c.member_count))
            .select_from(chats.join(group_sizes, sa.and_(group_sizes.c.platform == chats.c.platform,
                                                         group_sizes.c.platform_chat_id == chats.c.platform_chat_id)))
            .where(chats.c.network_id == network_id, chats.c.platform == self.platform, chats.c.kind == "group",
                   chats.c.active.is_(True)))).scalar_one_or_none()
        return int(size or 0)

    async def estimate(self, network_id: int, *, groups: bool = True, members_privately: bool = False,
                       chat_ids: Collection[int] | None = None, member_ids: Collection[int] | None = None
                       ) -> Estimate:
        """The cost of one push to the network's linked groups on this platform (and/or every reachable
        member there, in private) for a platform that bills per recipient: pushes = requests, messages =
        what counts against the quota (one per recipient; a group of unknown size counts as 1).
        ``chat_ids`` / ``member_ids`` narrow it to an audience (other platforms' are not counted)."""
        pushes = messages = unknown = 0
        if groups:
            query = (sa.select(chats.c.platform_chat_id, group_sizes.c.member_count)
                     .select_from(chats.outerjoin(group_sizes,
                                                  sa.and_(group_sizes.c.platform == chats.c.platform,
                                                          group_sizes.c.platform_chat_id == chats.c.platform_chat_id)))
                     .where(chats.c.network_id == network_id, chats.c.platform == self.platform,
                            chats.c.kind == "group", chats.c.active.is_(True)))
            if chat_ids is not None:
                query = query.where(chats.c.id.in_(list(chat_ids)))
            rows = (await self.conn.execute(query)).all()
            pushes += len(rows)
            messages += sum(max(1, r.member_count or 1) for r in rows)
            unknown += sum(1 for r in rows if r.member_count is None)
        if members_privately:
            count_query = (sa.select(sa.func.count()).select_from(members)
                     .where(members.c.network_id == network_id, members.c.platform == self.platform,
                            members.c.status == "active", members.c.reachable.is_(True)))
            if member_ids is not None:
                count_query = count_query.where(members.c.id.in_(list(member_ids)))
            count = (await self.conn.execute(count_query)).scalar_one()
            pushes += count
            messages += count
        return Estimate(pushes=pushes, messages=messages, unknown_groups=unknown)


def _stats(row: Any) -> ChatStats:
    return ChatStats(platform_chat_id=row.platform_chat_id, month=row.month, network_id=row.network_id,
                     pushes=row.pushes, push_messages=row.push_messages, recipients=row.recipients,
                     replies=row.replies)
