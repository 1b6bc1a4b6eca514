"""LINE adapter storage: the durable webhook inbox, served media (chart images,
download links), and delivery statistics (pushes, messages, recipients per chat).

The inbox lets the webhook answer LINE within its 2-second budget: events are stored
(de-duplicated by ``webhookEventId``), acknowledged, and processed in the background,
by this process or any other, even after a restart.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from storage.repo import Repo
from storage.tables import chats, members, metadata
from storage.types import UTCDateTime

line_inbox = sa.Table(
    "line_inbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.String(128), nullable=False, unique=True),
    # The LINE chat (user, group or room id) the event belongs to: events of one chat run in order.
    sa.Column("chat_id", sa.String(64), nullable=False),
    sa.Column("body", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("received_at", UTCDateTime, nullable=False),
    sa.Column("processed_at", UTCDateTime),
    sa.Column("error", sa.Text),
    sa.Index("ix_line_inbox_status_id", "status", "id"),
)

media_files = sa.Table(
    "media_files",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE")),
    sa.Column("mime_type", sa.String(100), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)

line_chat_stats = sa.Table(
    "line_chat_stats",
    metadata,
    sa.Column("platform_chat_id", sa.String(64), primary_key=True),
    # "2026-11": LINE bills by calendar month.
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="SET NULL")),
    sa.Column("pushes", sa.Integer, nullable=False, server_default="0"),
    sa.Column("push_messages", sa.Integer, nullable=False, server_default="0"),
    # Pushes × recipients (a group push reaches, and costs, every member).
    sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
    sa.Column("replies", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_line_chat_stats_network_month", "network_id", "month"),
)

line_group_sizes = sa.Table(
    "line_group_sizes",
    metadata,
    sa.Column("platform_chat_id", sa.String(64), primary_key=True),
    sa.Column("member_count", sa.Integer, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


# ------------------------------------------------------------------ inbox


@dataclass(frozen=True)
class InboxRow:
    id: int
    event_id: str
    chat_id: str
    body: dict[str, Any]
    attempts: int


class LineInboxRepo(Repo):
    async def add(self, event_id: str, chat_id: str, body: dict[str, Any], now: datetime) -> bool:
        """Store one webhook event; False when that event id is already stored (a redelivery)."""
        return await self.insert_ignore(
            line_inbox,
            {"event_id": event_id, "chat_id": chat_id, "body": body, "status": "pending", "attempts": 0,
             "received_at": now},
            ["event_id"],
        )

    async def candidates(self, now: datetime, limit: int) -> list[int]:
        """Ids of events waiting to run (pending, or processing with an expired lease)."""
        rows = await self.conn.execute(
            sa.select(line_inbox.c.id)
            .where(sa.or_(line_inbox.c.status == "pending",
                          sa.and_(line_inbox.c.status == "processing", line_inbox.c.lease_until < now)))
            .order_by(line_inbox.c.id)
            .limit(limit)
        )
        return [r.id for r in rows]

    async def claim(self, row_id: int, now: datetime, lease: timedelta) -> InboxRow | None:
        """Take one event for processing; None if another worker has it."""
        result = await self.conn.execute(
            line_inbox.update()
            .where(line_inbox.c.id == row_id,
                   sa.or_(line_inbox.c.status == "pending",
                          sa.and_(line_inbox.c.status == "processing", line_inbox.c.lease_until < now)))
            .values(status="processing", lease_until=now + lease, attempts=line_inbox.c.attempts + 1)
        )
        if not result.rowcount:
            return None
        row = (await self.conn.execute(sa.select(line_inbox).where(line_inbox.c.id == row_id))).one()
        return InboxRow(id=row.id, event_id=row.event_id, chat_id=row.chat_id, body=dict(row.body),
                        attempts=row.attempts)

    async def finish(self, row_id: int, now: datetime, *, status: str = "done", error: str | None = None) -> None:
        await self.conn.execute(
            line_inbox.update().where(line_inbox.c.id == row_id)
            .values(status=status, processed_at=now, lease_until=None, error=error[:2000] if error else None)
        )

    async def release(self, row_id: int, *, error: str) -> None:
        """Give an event back for another attempt."""
        await self.conn.execute(
            line_inbox.update().where(line_inbox.c.id == row_id)
            .values(status="pending", lease_until=None, error=error[:2000])
        )

    async def status(self, event_id: str) -> str | None:
        row = (await self.conn.execute(
            sa.select(line_inbox.c.status).where(line_inbox.c.event_id == event_id))).first()
        return row.status if row else None

    async def prune(self, older_than: datetime) -> int:
        result = await self.conn.execute(
            line_inbox.delete().where(line_inbox.c.status.in_(("done", "failed")),
                                      line_inbox.c.processed_at < older_than))
        return result.rowcount or 0


# ------------------------------------------------------------------ media


@dataclass(frozen=True)
class MediaFile:
    token: str
    mime_type: str
    filename: str
    content: bytes
    expires_at: datetime


class MediaRepo(Repo):
    async def put(self, token: str, *, content: bytes, mime_type: str, filename: str, network_id: int | None,
                  now: datetime, expires_at: datetime) -> None:
        """Store (or keep, extending its life) the file with this token."""
        inserted = await self.insert_ignore(
            media_files,
            {"token": token, "network_id": network_id, "mime_type": mime_type, "filename": filename,
             "content": content, "created_at": now, "expires_at": expires_at},
            ["token"],
        )
        if not inserted:
            await self.conn.execute(
                media_files.update()
                .where(media_files.c.token == token, media_files.c.expires_at < expires_at)
                .values(expires_at=expires_at))

    async def get(self, token: str, now: datetime) -> MediaFile | None:
        """The file, unless unknown or expired."""
        row = (await self.conn.execute(
            sa.select(media_files).where(media_files.c.token == token, media_files.c.expires_at > now))).first()
        if row is None:
            return None
        return MediaFile(token=row.token, mime_type=row.mime_type, filename=row.filename, content=bytes(row.content),
                         expires_at=row.expires_at)

    async def prune(self, now: datetime) -> int:
        result = await self.conn.execute(media_files.delete().where(media_files.c.expires_at <= now))
        return result.rowcount or 0


# ------------------------------------------------------------------ statistics


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
    """What sending one message to a set of LINE chats will cost."""

    pushes: int
    messages: int
    unknown_groups: int = 0  # groups whose member count is not known yet (counted as 1 each)


class LineStatsRepo(Repo):
    async def count(self, platform_chat_id: str, *, now: datetime, network_id: int | None, pushes: int = 0,
                    push_messages: int = 0, recipients: int = 0, replies: int = 0) -> None:
        month = now.strftime("%Y-%m")
        key = (line_chat_stats.c.platform_chat_id == platform_chat_id, line_chat_stats.c.month == month)
        increments = {"pushes": line_chat_stats.c.pushes + pushes,
                      "push_messages": line_chat_stats.c.push_messages + push_messages,
                      "recipients": line_chat_stats.c.recipients + recipients,
                      "replies": line_chat_stats.c.replies + replies, "updated_at": now}
        result = await self.conn.execute(line_chat_stats.update().where(*key).values(**increments))
        if result.rowcount:
            return
        inserted = await self.insert_ignore(
            line_chat_stats,
            {"platform_chat_id": platform_chat_id, "month": month, "network_id": network_id, "pushes": pushes,
             "push_messages": push_messages, "recipients": recipients, "replies": replies, "updated_at": now},
            ["platform_chat_id", "month"],
        )
        if not inserted:  # a concurrent writer created the row first
            await self.conn.execute(line_chat_stats.update().where(*key).values(**increments))

    async def for_chat(self, platform_chat_id: str, month: str) -> ChatStats | None:
        row = (await self.conn.execute(
            sa.select(line_chat_stats).where(line_chat_stats.c.platform_chat_id == platform_chat_id,
                                             line_chat_stats.c.month == month))).first()
        return _stats(row) if row else None

    async def month(self, month: str, network_id: int | None = None) -> list[ChatStats]:
        query = sa.select(line_chat_stats).where(line_chat_stats.c.month == month)
        if network_id is not None:
            query = query.where(line_chat_stats.c.network_id == network_id)
        rows = await self.conn.execute(query.order_by(line_chat_stats.c.recipients.desc(),
                                                      line_chat_stats.c.platform_chat_id))
        return [_stats(r) for r in rows]

    async def set_group_size(self, platform_chat_id: str, count: int, now: datetime) -> None:
        result = await self.conn.execute(
            line_group_sizes.update().where(line_group_sizes.c.platform_chat_id == platform_chat_id)
            .values(member_count=count, updated_at=now))
        if not result.rowcount:
            await self.insert_ignore(line_group_sizes, {"platform_chat_id": platform_chat_id, "member_count": count,
                                                        "updated_at": now}, ["platform_chat_id"])

    async def group_size(self, platform_chat_id: str) -> tuple[int, datetime] | None:
        row = (await self.conn.execute(
            sa.select(line_group_sizes).where(line_group_sizes.c.platform_chat_id == platform_chat_id))).first()
        return (row.member_count, row.updated_at) if row else None

    async def estimate(self, network_id: int, *, platform: str, groups: bool = True, members_privately: bool = False,
                       chat_ids: Collection[int] | None = None, member_ids: Collection[int] | None = None
                       ) -> Estimate:
        """The cost of one push to the network's linked groups on ``platform`` (and/or every reachable
        member there, in private) for a platform that bills per recipient: pushes = requests, messages =
        what counts against the quota (one per recipient; a group of unknown size counts as 1).
        ``chat_ids`` / ``member_ids`` narrow it to an audience (other platforms' are not counted)."""
        pushes = messages = unknown = 0
        if groups:
            query = (sa.select(chats.c.platform_chat_id, line_group_sizes.c.member_count)
                     .select_from(chats.outerjoin(line_group_sizes,
                                                  line_group_sizes.c.platform_chat_id == chats.c.platform_chat_id))
                     .where(chats.c.network_id == network_id, chats.c.platform == platform,
                            chats.c.kind == "group", chats.c.active.is_(True)))
            if chat_ids is not None:
                query = query.where(chats.c.id.in_(list(chat_ids)))
            rows = (await self.conn.execute(query)).all()
            pushes += len(rows)
            messages += sum(max(1, r.member_count or 1) for r in rows)
            unknown += sum(1 for r in rows if r.member_count is None)
        if members_privately:
            count_query = (sa.select(sa.func.count()).select_from(members)
                     .where(members.c.network_id == network_id, members.c.platform == platform,
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
