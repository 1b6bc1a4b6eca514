"""Shared fixtures: databases on SQLite (always) and PostgreSQL (when configured), and a
driver that talks to the bot the way users do, through the console simulator."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.support.conversation import BANGKOK, START, Conversation, make_conversation
from storage.db import Database, normalise_url
from storage.migrations.runner import upgrade_to_heads

POSTGRES_ENV = "EDUNET_TEST_POSTGRES_URL"
SHARED_DIR = Path(__file__).resolve().parents[2] / "shared"


# ------------------------------------------------------------------ databases


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating once keeps the suite fast)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_heads(f"sqlite+aiosqlite:///{path}")
    return path


def run_isolated(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine to completion on its own loop in a thread (fixtures may be set up
    while a test's loop is running)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against "
                    "(CI sets it; e.g. postgresql://postgres@127.0.0.1:5432/test)")
    base = normalise_url(base)
    name = f"edunet_test_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text(sql))
        finally:
            await engine.dispose()

    try:
        run_isolated(admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"PostgreSQL at {POSTGRES_ENV} is unreachable: {exc}")
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    upgrade_to_heads(url)
    yield url
    run_isolated(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _truncate_all(url: str) -> None:
    import storage.all_tables  # noqa: F401
    from storage.tables import metadata

    db = Database(url)
    try:
        async with db.transaction() as conn:
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database on each engine."""
    if request.param == "sqlite":
        path = tmp_path / "edunet.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_server_url")
        await _truncate_all(url)
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    """A :class:`Database` on ``db_url`` (each engine), disposed afterwards."""
    database = Database(db_url)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "edunet.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


# ------------------------------------------------------------------ talking to the bot


@pytest.fixture(params=["line", "telegram"])
async def bot(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Conversation]:
    """A conversation on a fresh SQLite database, once per platform flavour."""
    conversation, app = await make_conversation(sqlite_url, request.param)
    yield conversation
    await app.close()


@pytest.fixture
async def line_bot(sqlite_url: str) -> AsyncIterator[Conversation]:
    conversation, app = await make_conversation(sqlite_url, "line")
    yield conversation
    await app.close()
