"""Migration 0009: the LINE and Telegram tables become neutral ones, and a database
populated at the old heads keeps every row through the upgrade (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from storage.db import Database, normalise_url
from storage.delivery_stats import DeliveryStatsRepo
from storage.inbox import InboxRepo
from storage.media import MediaRepo
from storage.migrations.runner import alembic_config, current_heads, upgrade_to_heads
from storage.sent_messages import SentMessageRepo
from storage.types import UTCDateTime
from tests.conftest import POSTGRES_ENV, run_isolated

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
NEW = "0009_neutral_storage"
OLD_TABLES = ("line_inbox", "telegram_messages", "line_chat_stats", "line_group_sizes")
NEW_TABLES = ("inbox", "sent_messages", "delivery_stats", "group_sizes")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, on each engine."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
        return
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against")
    base = normalise_url(base)
    name = f"edunet_mig_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text(sql))
        finally:
            await engine.dispose()

    run_isolated(admin(f'CREATE DATABASE "{name}"'))
    yield sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    run_isolated(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def old_heads(url: str) -> set[str]:
    """The heads before the neutral-storage merge: 0009's two parents instead of 0009 (and of any
    later branch built on it)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(url))

    def after_new(head: str) -> bool:
        return any(rev.revision == NEW for rev in script.iterate_revisions(head, "base"))

    return {h for h in current_heads(url) if not after_new(h)} | {"0005_telegram", "0006_line"}


def timed(text: str, *times: str) -> sa.TextClause:
    """Raw SQL whose time parameters are bound the way the tables store them."""
    return sa.text(text).bindparams(*(sa.bindparam(name, type_=UTCDateTime()) for name in times))


async def populate_old(url: str) -> None:
    """Rows in every table the old LINE and Telegram branches created."""
    db = Database(url)
    try:
        async with db.transaction() as conn:
            run = conn.execute
            await run(timed("INSERT INTO networks (name, timezone, language, settings, created_at) "
                            "VALUES ('N', 'Asia/Bangkok', 'th', '{}', :now)", "now"), {"now": NOW})
            network = (await run(sa.text("SELECT id FROM networks"))).scalar_one()
            await run(timed("INSERT INTO chats (platform, platform_chat_id, kind, network_id, active, created_at) "
                              "VALUES ('telegram', '-100', 'group', :n, :t, :now)", "now"),
                      {"n": network, "t": True, "now": NOW})
            chat = (await run(sa.text("SELECT id FROM chats"))).scalar_one()
            for i, status in ((1, "done"), (2, "pending")):
                await run(timed("INSERT INTO line_inbox (event_id, chat_id, body, status, attempts, received_at) "
                                  "VALUES (:e, 'U1', :b, :s, 1, :now)", "now"),
                          {"e": f"ev-{i}", "b": '{"type": "message"}', "s": status, "now": NOW})
            await run(timed("INSERT INTO telegram_messages (chat_id, update_key, message_id, updated_at) "
                              "VALUES (:c, 'poll:1', 42, :now)", "now"), {"c": chat, "now": NOW})
            await run(timed("INSERT INTO line_chat_stats (platform_chat_id, month, network_id, pushes, "
                              "push_messages, recipients, replies, updated_at) "
                              "VALUES ('C1', '2026-11', :n, 3, 4, 40, 2, :now)", "now"), {"n": network, "now": NOW})
            await run(timed("INSERT INTO line_group_sizes (platform_chat_id, member_count, updated_at) "
                              "VALUES ('C1', 10, :now)", "now"), {"now": NOW})
            await run(timed("INSERT INTO media_files (token, network_id, mime_type, filename, content, created_at, "
                              "expires_at) VALUES ('tok1234567890abcdef', :n, 'image/png', 'a.png', :c, :now, :exp)",
                            "now", "exp"),
                      {"n": network, "c": b"png", "now": NOW, "exp": NOW + timedelta(days=1)})
    finally:
        await db.dispose()


async def table_names(url: str) -> set[str]:
    db = Database(url)
    try:
        async with db.transaction() as conn:
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await db.dispose()


async def check_rows_moved(url: str) -> None:
    db = Database(url)
    try:
        async with db.transaction() as conn:
            line_inbox = InboxRepo(conn, "line")
            assert await line_inbox.status("ev-1") == "done"
            assert await line_inbox.status("ev-2") == "pending"
            assert await InboxRepo(conn, "telegram").status("ev-1") is None
            [waiting] = await line_inbox.candidates(NOW, limit=10)
            chat = (await conn.execute(sa.text("SELECT id FROM chats"))).scalar_one()
            assert await SentMessageRepo(conn).message_id(chat, "poll:1") == 42
            stats = DeliveryStatsRepo(conn, "line")
            moved = await stats.for_chat("C1", "2026-11")
            assert moved is not None
            assert (moved.pushes, moved.push_messages, moved.recipients, moved.replies) == (3, 4, 40, 2)
            assert await DeliveryStatsRepo(conn, "telegram").for_chat("C1", "2026-11") is None
            assert await stats.group_size("C1") == (10, NOW)
            media = await MediaRepo(conn).get("tok1234567890abcdef", NOW)
            assert media is not None and media.content == b"png"
        async with db.transaction() as conn:
            # New rows get fresh ids after the copied ones (PostgreSQL's sequence moved on).
            assert await InboxRepo(conn, "telegram").add("ev-1", "5", {"update_id": 1}, NOW)
            assert await InboxRepo(conn, "line").add("ev-3", "U1", {}, NOW)
            assert not await InboxRepo(conn, "line").add("ev-1", "U1", {}, NOW)
            ids = [r[0] for r in await conn.execute(sa.text("SELECT id FROM inbox ORDER BY id"))]
            assert len(ids) == 4 and ids[:2] == sorted(ids[:2]) and min(ids[2:]) > waiting
    finally:
        await db.dispose()


def test_an_upgrade_from_the_old_heads_keeps_every_row(empty_url: str) -> None:
    cfg = alembic_config(empty_url)
    for head in sorted(old_heads(empty_url)):
        command.upgrade(cfg, head)
    assert set(OLD_TABLES) <= asyncio.run(table_names(empty_url))
    asyncio.run(populate_old(empty_url))

    upgrade_to_heads(empty_url)

    names = asyncio.run(table_names(empty_url))
    assert set(NEW_TABLES) <= names and not set(OLD_TABLES) & names
    asyncio.run(check_rows_moved(empty_url))


def test_a_downgrade_gives_the_old_tables_their_rows_back(empty_url: str) -> None:
    cfg = alembic_config(empty_url)
    for head in sorted(old_heads(empty_url)):
        command.upgrade(cfg, head)
    asyncio.run(populate_old(empty_url))
    upgrade_to_heads(empty_url)

    command.downgrade(cfg, "0006_line")  # undoes 0009 only: 0005 stays applied

    names = asyncio.run(table_names(empty_url))
    assert set(OLD_TABLES) <= names and not set(NEW_TABLES) & names

    async def counts() -> list[int]:
        db = Database(empty_url)
        try:
            async with db.transaction() as conn:
                return [(await conn.execute(sa.text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in OLD_TABLES]
        finally:
            await db.dispose()

    assert asyncio.run(counts()) == [2, 1, 1, 1]
    upgrade_to_heads(empty_url)  # and up again
    asyncio.run(check_rows_moved(empty_url))


async def test_the_migration_creates_what_the_tables_say(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.all_tables  # noqa: F401
    from storage.tables import metadata

    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    finally:
        await db.dispose()
    mine = (*NEW_TABLES, *OLD_TABLES, "media_files")
    assert [d for d in diff if any(f"'{name}'" in repr(d) or f"_{name}_" in repr(d) for name in mine)] == []
