"""Sent-message ids for edit-in-place, and moving a chat to a new platform id.

(chat, update_key) → the platform message that shows it, so a later reply or push with
the same update_key edits that message (live poll / RSVP counts) instead of sending anew.
The chat row carries the platform, so the mapping needs no platform column of its own.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from storage.repo import Repo
from storage.tables import chats, flow_states, metadata, outbox
from storage.types import UTCDateTime

sent_messages = sa.Table(
    "sent_messages",
    metadata,
    sa.Column("chat_id", sa.ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("update_key", sa.String(255), primary_key=True),
    sa.Column("message_id", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)


class SentMessageRepo(Repo):
    """Live-message mapping and chat migration."""

    async def message_id(self, chat_id: int, update_key: str) -> int | None:
        row = (
            await self.conn.execute(
                sa.select(sent_messages.c.message_id).where(sent_messages.c.chat_id == chat_id,
                                                            sent_messages.c.update_key == update_key)
            )
        ).first()
        return int(row.message_id) if row else None

    async def remember(self, chat_id: int, update_key: str, message_id: int, now: datetime) -> None:
        """Point ``update_key`` in this chat at ``message_id`` (insert or replace)."""
        inserted = await self.insert_ignore(
            sent_messages,
            {"chat_id": chat_id, "update_key": update_key, "message_id": message_id, "updated_at": now},
            ["chat_id", "update_key"],
        )
        if not inserted:
            await self.conn.execute(
                sent_messages.update()
                .where(sent_messages.c.chat_id == chat_id, sent_messages.c.update_key == update_key)
                .values(message_id=message_id, updated_at=now)
            )

    async def migrate_chat(self, platform: str, old_platform_id: str, new_platform_id: str) -> int | None:
        """Move the chat ``old_platform_id`` of ``platform`` to its new id (Telegram's group →
        supergroup migration); returns the chat's row id.

        Idempotent, and safe in either order of the platform's two migration messages: if
        the new id already has a row of its own (an event from the new chat arrived
        first), that row is folded into the old one, which keeps the network link.
        """
        where_old = sa.and_(chats.c.platform == platform, chats.c.platform_chat_id == old_platform_id)
        where_new = sa.and_(chats.c.platform == platform, chats.c.platform_chat_id == new_platform_id)
        old = (await self.conn.execute(sa.select(chats).where(where_old))).first()
        new = (await self.conn.execute(sa.select(chats).where(where_new))).first()
        if old is None:
            return int(new.id) if new else None
        if new is not None:
            if old.network_id is None and new.network_id is not None:
                # The new chat's row is the linked one; the old row has nothing to keep (its flows go with it:
                # a chat's row and its flows go together, see ChatRepo.upsert_with_flow).
                await self.conn.execute(flow_states.delete().where(flow_states.c.platform == platform,
                                                                   flow_states.c.chat_id == old_platform_id))
                await self.conn.execute(chats.delete().where(chats.c.id == old.id))
                return int(new.id)
            await self.conn.execute(outbox.update().where(outbox.c.chat_id == new.id).values(chat_id=old.id))
            await self.conn.execute(chats.delete().where(chats.c.id == new.id))
        await self.conn.execute(
            chats.update().where(chats.c.id == old.id).values(platform_chat_id=new_platform_id, kind="group")
        )
        await self.conn.execute(
            flow_states.update()
            .where(flow_states.c.platform == platform, flow_states.c.chat_id == old_platform_id)
            .values(chat_id=new_platform_id)
        )
        return int(old.id)
