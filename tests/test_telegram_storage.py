"""The Telegram adapter's storage on SQLite and PostgreSQL: live-message mapping and
supergroup migration in either order of Telegram's two service messages."""

from __future__ import annotations

from datetime import datetime, timezone

from storage.db import Database
from storage.membership import ChatRepo, NetworkRepo
from storage.runtime import OutboxRepo
from storage.sent_messages import SentMessageRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)


async def test_live_message_mapping_is_per_chat_and_replaceable(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            chats = ChatRepo(conn)
            a = await chats.upsert("telegram", "-1", "group", "A", now=NOW)
            b = await chats.upsert("telegram", "-2", "group", "B", now=NOW)
            repo = SentMessageRepo(conn)
            assert await repo.message_id(a.id, "poll:1") is None
            await repo.remember(a.id, "poll:1", 10, NOW)
            await repo.remember(a.id, "poll:1", 11, NOW)
            await repo.remember(b.id, "poll:1", 99, NOW)
            assert await repo.message_id(a.id, "poll:1") == 11
            assert await repo.message_id(b.id, "poll:1") == 99
    finally:
        await db.dispose()


async def test_migration_keeps_the_linked_row_whichever_message_comes_first(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=NOW)
            chats = ChatRepo(conn)
            old = await chats.upsert("telegram", "-100", "group", "G", now=NOW)
            await chats.link(old.id, network.id, by_member_id=None, now=NOW)
            await SentMessageRepo(conn).remember(old.id, "poll:1", 5, NOW)
            # An event from the supergroup arrived before the migration message: its own row.
            early = await chats.upsert("telegram", "-100200", "group", "G", now=NOW)
            await OutboxRepo(conn).enqueue(key="k", network_id=None, chat_id=early.id, messages=[], now=NOW)
            repo = SentMessageRepo(conn)
            assert await repo.migrate_chat("telegram", "-100", "-100200") == old.id
            assert await repo.migrate_chat("telegram", "-100", "-100200") == old.id  # the second message: no-op
            moved = await chats.by_platform_id("telegram", "-100200")
            assert moved is not None and moved.id == old.id and moved.network_id == network.id
            assert await chats.by_platform_id("telegram", "-100") is None
            assert await repo.message_id(old.id, "poll:1") == 5
            row = await OutboxRepo(conn).by_key("k")
            assert row is not None and row.chat_id == old.id
            assert await repo.migrate_chat("telegram", "-7", "-8") is None  # never seen: nothing to do
    finally:
        await db.dispose()
