"""PostgreSQL going away under the bot (a restart, a failover, a dropped socket): the pool checks a
connection that rested before it is used, and an event that meets a dead connection runs again on
a fresh one instead of answering with an apology."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

import storage.db
from storage.db import Database, connection_lost
from tests.support.conversation import make_conversation

pytestmark = pytest.mark.postgres


async def _drop_every_session(url: str) -> int:
    """What a server restart does to the clients: every session of the database is ended."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            ended = await conn.scalar(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"))
            return int(ended or 0)
    finally:
        await engine.dispose()


async def _select_one(db: Database) -> int:
    async with db.transaction() as conn:
        return int(await conn.scalar(sa.text("SELECT 1")) or 0)


async def test_a_connection_that_rested_is_checked_and_replaced_before_use(postgres_server_url: str,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    db = Database(postgres_server_url)
    try:
        assert await _select_one(db) == 1  # one pooled connection
        assert await _drop_every_session(postgres_server_url) >= 1
        monkeypatch.setattr(storage.db, "PING_AFTER_IDLE", 0.0)  # it rested long enough to be checked
        assert await _select_one(db) == 1
    finally:
        await db.dispose()


async def test_a_connection_used_a_moment_ago_is_not_checked_and_its_loss_says_so(postgres_server_url: str) -> None:
    """No round trips before a busy worker's transactions; the one that meets the dead connection
    fails as "connection lost" (nothing committed), and the pool is replaced for the next."""
    db = Database(postgres_server_url)
    try:
        assert await _select_one(db) == 1
        assert await _drop_every_session(postgres_server_url) >= 1
        with pytest.raises(Exception) as failure:
            await _select_one(db)
        assert connection_lost(failure.value), failure.value
        assert await _select_one(db) == 1
    finally:
        await db.dispose()


async def test_a_database_restart_between_two_messages_costs_the_teacher_nothing(postgres_server_url: str) -> None:
    bot, app = await make_conversation(postgres_server_url, "line")
    try:
        await bot.setup_network()
        await bot.add_member("somchai", "teacher")
        assert await _drop_every_session(postgres_server_url) >= 1  # the database restarted
        out = await bot("somchai@dm: /help")
        assert "ระบบขัดข้อง" not in out, out  # no apology
        assert "/needs" in out or "/plan" in out, out  # the help itself
        out = await bot("somchai@dm: /mytasks")
        assert "ระบบขัดข้อง" not in out, out
    finally:
        await app.close()
