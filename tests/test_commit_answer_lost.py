"""The database commits what a teacher sent, then the connection drops before the server's "committed"
reaches the bot (a restart or a failover at that instant). The event runs again on a fresh connection,
finds itself done already, and must still be answered, once, with what was stored once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.tables import networks
from tests.support.conversation import Conversation, make_conversation


def lose_the_next_events_commit_answer(db: Database) -> Callable[[], int]:
    """The next transaction that claims an event commits, then fails as a lost connection does. Returns
    how many times it fired."""
    claims: list[str] = []
    fired: list[int] = []

    @sa.event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("INSERT") and "processed_events" in statement:
            claims.append(statement)

    real = db.transaction

    @asynccontextmanager
    async def transaction(**kwargs: Any) -> AsyncIterator[Any]:
        before = len(claims)
        async with real(**kwargs) as conn:
            yield conn
        if len(claims) > before and not fired:  # committed: now the answer is lost
            fired.append(1)
            raise sa.exc.DBAPIError("COMMIT", None, ConnectionResetError("connection reset by peer"),
                                    connection_invalidated=True)

    db.transaction = transaction  # type: ignore[method-assign]
    return lambda: len(fired)


async def _networks_named(db: Database, name: str) -> int:
    async with db.transaction() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(networks)
                                     .where(networks.c.name == name)) or 0)


async def test_a_network_committed_as_the_connection_dropped_is_announced_once(bot: Conversation) -> None:
    fired = lose_the_next_events_commit_answer(bot.app.db)
    out = await bot("alice@dm: /newnetwork เครือข่ายพัฒนาการศึกษาอำเภอเมือง")
    assert fired() == 1
    assert "ระบบขัดข้อง" not in out, out  # no apology: it was saved
    assert out.count("สร้างเครือข่าย “เครือข่ายพัฒนาการศึกษาอำเภอเมือง” แล้ว") == 1, out
    assert await _networks_named(bot.app.db, "เครือข่ายพัฒนาการศึกษาอำเภอเมือง") == 1
    out = await bot("alice@dm: [Join as coordinator]")  # and the conversation goes on from there
    assert "ลงทะเบียนเป็นผู้ประสานงานแล้ว" in out, out


@pytest.mark.postgres
async def test_a_commit_lost_with_its_connection_runs_again_on_postgresql(postgres_server_url: str) -> None:
    bot, app = await make_conversation(postgres_server_url, "line")
    try:
        fired = lose_the_next_events_commit_answer(app.db)
        out = await bot("alice@dm: /newnetwork เครือข่ายทดสอบ")
        assert fired() == 1
        assert out.count("สร้างเครือข่าย “เครือข่ายทดสอบ” แล้ว") == 1, out
        assert await _networks_named(app.db, "เครือข่ายทดสอบ") == 1
    finally:
        await app.close()
