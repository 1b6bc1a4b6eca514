"""A new SQLite file is built at the heads directly (create_all, the migrations' triggers and Alembic's
version rows: :func:`storage.migrations.runner.create_fresh_sqlite`) instead of replaying every migration:
it must be the very database the migrations build, object by object, column by column."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage.db import Database
from storage.migrations.runner import alembic_config, create_fresh_sqlite, script_heads, upgrade_to_heads


def _normal(sql: str | None) -> str | None:
    return None if sql is None else re.sub(r"\s+", " ", sql).strip()


def schema(path: Path) -> dict[str, Any]:
    """Every table's columns, foreign keys and indexes (with their columns and conditions), every
    trigger's SQL, and the version rows: what a query or a later migration could tell apart."""
    conn = sqlite3.connect(path)
    try:
        objects = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name").fetchall()
        found: dict[str, Any] = {"objects": sorted((kind, name, table) for kind, name, table, _ in objects),
                                 "triggers": {name: _normal(sql) for kind, name, _, sql in objects if kind == "trigger"},
                                 "versions": sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))}
        for kind, name, _, sql in objects:
            if kind != "table":
                continue
            columns = {row[1]: row[2:] for row in conn.execute(f"PRAGMA table_info('{name}')")}
            keys = sorted(row[2:] for row in conn.execute(f"PRAGMA foreign_key_list('{name}')"))
            indexes = {}
            for _, index, unique, origin, partial in conn.execute(f"PRAGMA index_list('{name}')"):
                cols = [row[2] for row in conn.execute(f"PRAGMA index_info('{index}')")]
                where = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (index,)).fetchone()
                condition = _normal(where[0]).split(" WHERE ", 1)[1] if where and where[0] and partial else None
                indexes[index if not index.startswith("sqlite_autoindex") else f"auto:{cols}"] = (
                    unique, origin, partial, cols, condition)
            checks = sorted(_normal(c) for c in re.findall(r"CHECK \((.*?)\)(?:,|\n|$)", sql or ""))
            without_rowid = "WITHOUT ROWID" in (sql or "").upper()
            found[name] = {"columns": columns, "foreign keys": keys, "indexes": indexes, "checks": checks,
                           "without rowid": without_rowid}
        return found
    finally:
        conn.close()


def test_a_fresh_file_built_at_the_heads_is_the_database_the_migrations_build(tmp_path: Path) -> None:
    replayed, built = tmp_path / "replayed.db", tmp_path / "built.db"
    upgrade_to_heads(f"sqlite+aiosqlite:///{replayed}")
    assert create_fresh_sqlite(f"sqlite+aiosqlite:///{built}") is True
    want, got = schema(replayed), schema(built)
    assert got["objects"] == want["objects"]
    assert got["triggers"] == want["triggers"]
    assert got["versions"] == want["versions"]
    for name in want:
        assert got[name] == want[name], name


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    from alembic.script import ScriptDirectory

    assert script_heads() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())


def test_a_file_that_holds_anything_goes_through_the_migrations(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    assert create_fresh_sqlite(f"sqlite+aiosqlite:///{path}") is False
    assert [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master")] == ["notes"]
    assert create_fresh_sqlite("sqlite+aiosqlite:///:memory:") is False
    assert create_fresh_sqlite("postgresql+asyncpg://nobody@127.0.0.1/none") is False


async def test_a_bot_started_on_a_new_file_and_again_on_the_same_file_is_up_to_date(tmp_path: Path) -> None:
    from storage.maintenance import migration_state

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        await db.upgrade()  # built at the heads
        await db.upgrade()  # and the second start replays nothing: already at the heads
        state = await migration_state(db)
        assert state.up_to_date and state.applied == frozenset(script_heads())
    finally:
        await db.dispose()


@pytest.mark.parametrize("rows", [3])
async def test_the_rollups_triggers_work_on_a_built_file(tmp_path: Path, rows: int) -> None:
    import sqlalchemy as sa

    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    try:
        await db.upgrade()
        async with db.transaction() as conn:
            await conn.execute(sa.text("INSERT INTO networks (id, name, timezone, language, settings, created_at) "
                                       "VALUES (1, 'n', 'Asia/Bangkok', 'th', '{}', '2026-11-21 00:00:00')"))
            for number in range(1, rows + 1):
                await conn.execute(sa.text(
                    "INSERT INTO activities (network_id, number, title, category, aim, activity_date, participants, "
                    "minutes, has_photo, created_at) VALUES (1, :n, 't', 'workshop', 'innovation', '2026-11-20', 10, "
                    "60, 0, '2026-11-21 00:00:00')"), {"n": number})
            totals = (await conn.execute(sa.text(
                "SELECT grain, n, participants FROM activity_totals ORDER BY grain"))).all()
            days = (await conn.execute(sa.text("SELECT n FROM goal_activity_days"))).scalars().all()
        assert [tuple(t) for t in totals] == [("d", rows, 10 * rows), ("m", rows, 10 * rows)]
        assert days == [rows]
    finally:
        await db.dispose()
