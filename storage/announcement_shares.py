"""Announcements a coordinator posted into chats themselves (LINE's share picker from the web view).

What is known is recorded, no more: who shared which announcement, on which platform, when. The
platform says only that something was sent, not to which chats, so a share names no chat; nothing is
pushed or billed for it. Chats the coordinator then asks the bot to cover go through the outbox as usual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.repo import Repo
from storage.tables import metadata
from storage.types import UTCDateTime

announcement_shares = sa.Table(
    "announcement_shares",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("announcement_id", sa.ForeignKey("announcements.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("platform", sa.String(32), nullable=False),
    # How it reached the chats: "share" (the coordinator's own share picker), never billed.
    sa.Column("via", sa.String(16), nullable=False, server_default="share"),
    sa.Column("shared_at", UTCDateTime, nullable=False),
    sa.Index("ix_announcement_shares_announcement", "announcement_id"),
)


@dataclass(frozen=True)
class AnnouncementShare:
    id: int
    announcement_id: int
    member_id: int | None
    platform: str
    via: str
    shared_at: datetime


class AnnouncementShareRepo(Repo):
    async def record(self, network_id: int, announcement_id: int, *, member_id: int, platform: str,
                     now: datetime) -> AnnouncementShare:
        row = (await self.conn.execute(announcement_shares.insert().values(
            network_id=network_id, announcement_id=announcement_id, member_id=member_id, platform=platform,
            via="share", shared_at=now).returning(*announcement_shares.c))).one()
        return _share(row)

    async def of(self, network_id: int, announcement_id: int) -> list[AnnouncementShare]:
        rows = (await self.conn.execute(sa.select(announcement_shares).where(
            announcement_shares.c.network_id == network_id,
            announcement_shares.c.announcement_id == announcement_id).order_by(announcement_shares.c.id))).all()
        return [_share(r) for r in rows]


def _share(row: sa.Row) -> AnnouncementShare:  # type: ignore[type-arg]
    return AnnouncementShare(id=row.id, announcement_id=row.announcement_id, member_id=row.member_id,
                             platform=row.platform, via=row.via, shared_at=row.shared_at)
