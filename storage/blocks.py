"""Removed members who may not register again from a group until a coordinator lets them:
one row per (network, platform identity), kept until /unblock or a fresh invite."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.membership import Member, _member
from storage.repo import Repo
from storage.tables import members, metadata
from storage.types import UTCDateTime

member_blocks = sa.Table(
    "member_blocks",
    metadata,
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("platform_user_id", sa.String(128), primary_key=True),
    # The removed membership, for its number and name in /members and /unblock N.
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("blocked_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("blocked_at", UTCDateTime, nullable=False),
)


class BlockRepo(Repo):
    async def block(self, member: Member, *, by_member_id: int | None, now: datetime) -> None:
        await self.insert_ignore(
            member_blocks,
            {"network_id": member.network_id, "platform": member.platform,
             "platform_user_id": member.platform_user_id, "member_id": member.id,
             "blocked_by": by_member_id, "blocked_at": now},
            ["network_id", "platform", "platform_user_id"],
        )

    async def is_blocked(self, network_id: int, platform: str, platform_user_id: str) -> bool:
        row = (
            await self.conn.execute(
                sa.select(member_blocks.c.member_id).where(member_blocks.c.network_id == network_id,
                                                           member_blocks.c.platform == platform,
                                                           member_blocks.c.platform_user_id == platform_user_id)
            )
        ).first()
        return row is not None

    async def blocked_members(self, network_id: int) -> list[Member]:
        """The removed memberships behind this network's blocks, by number."""
        rows = (
            await self.conn.execute(
                sa.select(members)
                .join(member_blocks, member_blocks.c.member_id == members.c.id)
                .where(member_blocks.c.network_id == network_id)
                .order_by(members.c.number)
            )
        ).all()
        return [_member(r) for r in rows]

    async def unblock_number(self, network_id: int, number: int) -> Member | None:
        """Lift the block of removed member ``number``; the member, or None if not blocked."""
        for member in await self.blocked_members(network_id):
            if member.number == number:
                await self.unblock(network_id, member.platform, member.platform_user_id)
                return member
        return None

    async def unblock(self, network_id: int, platform: str, platform_user_id: str) -> None:
        await self.conn.execute(
            member_blocks.delete().where(member_blocks.c.network_id == network_id,
                                         member_blocks.c.platform == platform,
                                         member_blocks.c.platform_user_id == platform_user_id)
        )
