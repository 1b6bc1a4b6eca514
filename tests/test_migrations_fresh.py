"""A new SQLite file is built at the heads directly (create_all, the migrations' triggers and Alembic's
version rows: :func:`storage.migrations.runner.create_fresh_sqlite`) instead of replaying every migration:
it must be the very database the migrations build, object by object, column by column."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from storage.db import Database
from storage.migrations.runner import alembic_config, create_fresh_sqlite, script_heads, upgrade_to_heads
from tests.test_neutral_storage_migration import empty_url  # noqa: F401  (the fixture, both engines)


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
                "SELECT grain, organisation_id, n, participants FROM activity_totals ORDER BY grain, organisation_id"
            ))).all()
            tables = (await conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'"))).scalars().all()
        # Per day and per month: the (absent) organisation's row and the whole network's (-1).
        assert [tuple(t) for t in totals] == [(grain, org, rows, 10 * rows) for grain in "dm" for org in (-1, 0)]
        assert "goal_activity_days" not in tables  # the duplicate of activity_totals, dropped by 0012
    finally:
        await db.dispose()


@asynccontextmanager
async def connected(url: str) -> AsyncIterator[Any]:
    """One transaction on the database at ``url``, its engine disposed afterwards (a migration runs between)."""
    db = Database(url)
    try:
        async with db.transaction() as conn:
            yield conn
    finally:
        await db.dispose()


async def test_the_goals_duplicate_activity_totals_are_dropped_and_the_goals_read_the_kept_ones(tmp_path: Path) -> None:
    """A database from before 0012 (goal_activity_days filled and kept by its triggers) upgraded to the heads:
    the duplicate table and its triggers are gone, activities still log, and the goals' activity figures
    (now read from activity_totals) are what the rows give; 0012's downgrade brings the old table back filled."""
    import asyncio
    from datetime import date

    import sqlalchemy as sa
    from alembic import command

    from storage.goals import MeasureRepo

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    cfg = alembic_config(url)
    for revision in ("0010_goal_reviews", "0011_queries"):  # Alembic runs its own loop: in a thread
        await asyncio.to_thread(command.upgrade, cfg, revision)
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute("INSERT INTO networks (id, name, timezone, language, settings, created_at) "
                 "VALUES (1, 'n', 'Asia/Bangkok', 'th', '{}', '2026-11-21 00:00:00')")
    for number, (category, day) in enumerate([("workshop", "2026-11-20"), ("meeting", "2026-10-02"),
                                              ("workshop", "2026-11-20")], start=1):
        conn.execute("INSERT INTO activities (network_id, number, title, category, aim, activity_date, participants, "
                     "minutes, has_photo, created_at) VALUES (1, ?, 't', ?, 'innovation', ?, 10, 60, 0, "
                     "'2026-11-21 00:00:00')", (number, category, day))
    conn.commit()
    assert conn.execute("SELECT sum(n) FROM goal_activity_days").fetchone() == (3,)
    conn.close()

    await asyncio.to_thread(upgrade_to_heads, url)
    after = schema(tmp_path / "old.db")
    assert "goal_activity_days" not in after
    assert not [name for name in after["triggers"] if "goal_activity_days" in name]
    assert set(after["versions"]) == script_heads()  # 0012 and the rollups' later migrations
    db = Database(url)
    try:
        async with db.transaction() as c:
            await c.execute(sa.text(
                "INSERT INTO activities (network_id, number, title, category, aim, activity_date, participants, "
                "minutes, has_photo, created_at) VALUES (1, 4, 't', 'meeting', 'equity', '2026-11-01', 5, 30, 0, "
                "'2026-11-21 00:00:00')"))
            measures = MeasureRepo(c)
            for start, end in ((date(2026, 5, 16), date(2027, 5, 16)), (date(2026, 11, 1), date(2026, 11, 21))):
                kept = sorted(await measures.activity_groups(1, start, end), key=repr)
                assert kept == sorted(await measures.activity_groups_direct(1, start, end), key=repr)
                assert kept
            # The whole network's rows were filled from the activities logged before the upgrade.
            assert (await c.execute(sa.text("SELECT sum(n) FROM activity_totals WHERE organisation_id = -1 "
                                            "AND grain = 'm'"))).scalar() == 4
    finally:
        await db.dispose()

    await asyncio.to_thread(command.downgrade, cfg, "0011_queries")  # 0012 and 0017 only: 0010 stays a head
    conn = sqlite3.connect(tmp_path / "old.db")
    try:
        assert conn.execute("SELECT sum(n) FROM goal_activity_days").fetchone() == (4,)
        assert conn.execute("SELECT count(*) FROM activity_totals WHERE organisation_id = -1").fetchone() == (0,)
    finally:
        conn.close()



async def indexes_of(url: str, *tables: str) -> dict[str, list[str]]:
    """Each index of ``tables`` by name, with its columns."""
    import sqlalchemy as sa

    db = Database(url)
    try:
        async with db.transaction() as conn:
            return await conn.run_sync(lambda sync: {
                ix["name"]: list(ix["column_names"]) for table in tables for ix in sa.inspect(sync).get_indexes(table)})
    finally:
        await db.dispose()


async def test_the_sar_indexes_migration_builds_and_drops_its_indexes_on_both_engines(
        empty_url: str) -> None:  # noqa: F811
    """0015_sar_indexes: a school's needs by organisation, its needs' pledges by creation time; the
    downgrade gives back the pledges' old need index."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from alembic import command

    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        await loop.run_in_executor(pool, upgrade_to_heads, empty_url)
    now = await indexes_of(empty_url, "needs", "pledges")
    with ThreadPoolExecutor(1) as pool:
        await loop.run_in_executor(pool, command.downgrade, alembic_config(empty_url), "0015_sar_indexes-1")
    before = await indexes_of(empty_url, "needs", "pledges")
    assert now["ix_needs_network_organisation"] == ["network_id", "organisation_id"]
    assert now["ix_pledges_need_status"] == ["need_id", "status", "created_at", "amount_x100"]
    assert "ix_needs_network_organisation" not in before
    assert before["ix_pledges_need_status"] == ["need_id", "status", "amount_x100"]


async def test_the_orphan_flows_migration_removes_the_flows_of_chats_whose_row_is_gone(
        empty_url: str) -> None:  # noqa: F811
    """0016_orphan_flows: a flow left by a chat row deleted before it (a /forget, a Telegram migration)
    is removed; a chat's own flows stay."""
    import asyncio
    from datetime import datetime, timedelta, timezone

    import sqlalchemy as sa
    from alembic import command

    from storage.membership import ChatRepo
    from storage.runtime import FlowRepo, FlowState

    now = datetime(2026, 12, 3, 5, 0, tzinfo=timezone.utc)
    # Every head but the one above the flows (0018_event_answers follows 0016): Alembic runs its own loop, in a thread
    for head in sorted(script_heads() - {"0018_event_answers"}):
        await asyncio.to_thread(command.upgrade, alembic_config(empty_url), head)
    async with connected(empty_url) as conn:
        await ChatRepo(conn).upsert("line", "Ckept", "group", "ครู", now=now)
        for chat_id in ("Ckept", "Ugone"):
            await FlowRepo(conn).save(("line", chat_id, "Ualice"),
                                      FlowState("survey", "q1", {}, now + timedelta(days=1)), now)
    await asyncio.to_thread(upgrade_to_heads, empty_url)
    async with connected(empty_url) as conn:
        left = {row.chat_id for row in await conn.execute(sa.text("SELECT chat_id FROM flow_states"))}
    assert left == {"Ckept"}


async def test_the_pledges_delivered_by_made_migration_fills_its_stage_and_its_downgrade_removes_it(
        empty_url: str) -> None:  # noqa: F811
    """0017_pledges_delivered_by_made: pledges delivered before it count in the stage it adds (the web view's
    resources panel reads them: equal to a count of the pledges), later deliveries too; its downgrade
    removes the stage and the triggers no longer keep it."""
    import asyncio
    from datetime import date, datetime, timedelta, timezone
    from decimal import Decimal

    import sqlalchemy as sa
    from alembic import command

    from storage.goals.rollups import MADE_DELIVERED, goal_pledge_days
    from storage.membership import MemberRepo, NetworkRepo
    from storage.resource_repo import PledgeRepo

    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    year = (datetime(2026, 5, 15, 17, tzinfo=timezone.utc), datetime(2027, 5, 15, 17, tzinfo=timezone.utc))
    for head in sorted(script_heads() - {"0017_pledges_delivered_by_made"}) + ["0012_one_activity_rollup"]:
        await asyncio.to_thread(command.upgrade, alembic_config(empty_url), head)  # Alembic's loop: a thread

    async def pledge(conn, day: int, deliver: bool) -> None:  # type: ignore[no-untyped-def]
        repo = PledgeRepo(conn)
        made = await repo.add(1, need_id=None, pledger_id=1, resource_type="funding", source_sector="private",
                              amount=Decimal(500), unit="THB", expected_date=date(2027, 1, 1), note=None,
                              now=now - timedelta(days=day, hours=20))  # some made before Bangkok's midnight
        if deliver:
            assert await repo.deliver(1, made.id, by=None, note=None, has_photo=False, now=now)

    async def made_delivered(conn) -> int:  # type: ignore[no-untyped-def]
        return int((await conn.execute(sa.select(sa.func.coalesce(sa.func.sum(goal_pledge_days.c.n), 0))
                                       .where(goal_pledge_days.c.stage == MADE_DELIVERED))).scalar_one())

    async with connected(empty_url) as conn:
        network = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=now)
        await MemberRepo(conn).add(network.id, platform="line", platform_user_id="U1", display_name="Pat",
                                   role="partner", language="th", now=now)
        for day, deliver in ((0, True), (3, True), (40, False), (180, True), (200, True)):
            await pledge(conn, day, deliver)
        assert await made_delivered(conn) == 0  # the stage does not exist yet
    await asyncio.to_thread(upgrade_to_heads, empty_url)
    async with connected(empty_url) as conn:
        assert await made_delivered(conn) == 4
        await pledge(conn, 1, True)
        repo = PledgeRepo(conn)
        totals = await repo.status_totals(1, *year)
        assert totals == await repo.status_totals_direct(1, *year)
        assert [(t.count, status) for t, status in totals] == [(4, "delivered"), (1, "pledged")]  # 200 days ago: 2568
    await asyncio.to_thread(command.downgrade, alembic_config(empty_url), "0012_one_activity_rollup")
    async with connected(empty_url) as conn:
        assert await made_delivered(conn) == 0
        await pledge(conn, 2, True)
        assert await made_delivered(conn) == 0  # the old triggers keep the two stages they had


async def test_the_event_answers_migration_adds_and_drops_its_column_on_both_engines(
        empty_url: str) -> None:  # noqa: F811
    """0018_event_answers: the processed events gain the answer their run kept; the downgrade drops it and
    keeps the claims."""
    import asyncio

    import sqlalchemy as sa
    from alembic import command

    async def columns() -> list[str]:
        async with connected(empty_url) as conn:
            return await conn.run_sync(lambda sync: [c["name"] for c in sa.inspect(sync).get_columns(
                "processed_events")])

    await asyncio.to_thread(upgrade_to_heads, empty_url)
    assert "answer" in await columns()
    async with connected(empty_url) as conn:
        await conn.execute(sa.text("INSERT INTO processed_events (platform, event_id, status, processed_at, "
                                   "answer) VALUES ('line', 'e1', 'done', '2026-12-04 10:00:00', '{}')"))
    await asyncio.to_thread(command.downgrade, alembic_config(empty_url), "0018_event_answers-1")
    assert "answer" not in await columns() and "event_id" in await columns()
    async with connected(empty_url) as conn:
        assert (await conn.execute(sa.text("SELECT event_id FROM processed_events"))).scalars().all() == ["e1"]
