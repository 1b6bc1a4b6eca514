"""Issue 18 target 1: the two processes of ``edunet serve`` (EDUNET_PROCESSES=2) stay small.

A receiving process handles no event, so it has no features and runs only the platforms' receiving
halves (LINE: the webhook and the media, without the Messaging API client); no process keeps Alembic
in memory after a start on a database already at the heads, and a database behind them is upgraded
by a short-lived child. Each check runs in a fresh interpreter: what a module imported stays
imported, so only a new process can tell what a start loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from datetime import datetime, timezone

import pytest

from storage.db import Database
from storage.migrations.runner import alembic_config, script_heads

ROOT = Path(__file__).resolve().parents[1]


def fresh_python(code: str, **env: str) -> dict[str, object]:
    """Run ``code`` in a new interpreter; it prints one JSON line, returned here."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "LINE_", "TELEGRAM_"))}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, "PYTHONPATH": str(ROOT), **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


COMPOSE = """
import json, sys
from bot.adapters import discover
from bot.config import Settings
from edunet.serve import compose, role_of
settings = Settings()
process = compose(settings, discover(), role_of(settings))
print(json.dumps({
    "role": process.role,
    "commands": sorted(process.app.router.commands),
    "platforms": [r.platform for r in process.receivers],
    "senders": sorted(a.platform for a in process.adapters),
    "line_client": "linebot.v3.messaging" in sys.modules,
    "line_sdk": sorted({m.split(".")[0] for m in sys.modules if m.startswith("linebot")}),
    "telegram_sdk": sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("telegram", "httpx")}),
    "features": sorted(m for m in sys.modules if m.startswith("handlers.") and m.count(".") == 1),
    "scheduler": "apscheduler" in sys.modules,
    "reads_on_loop": process.app.db.read_engine is process.app.db.engine,
}))
"""

LINE_ENV = {"LINE_CHANNEL_SECRET": "s" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "token",
            "EDUNET_SECRET_KEY": "k" * 64, "EDUNET_PUBLIC_URL": "https://bot.example.org"}


TELEGRAM_ENV = {"TELEGRAM_BOT_TOKEN": "123456:token"}


def test_a_receiving_process_has_no_features_and_no_line_messaging_client(tmp_path: Path) -> None:
    receiver = fresh_python(COMPOSE, EDUNET_PROCESSES="2", EDUNET_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/r.db",
                            **LINE_ENV)
    assert receiver["role"] == "receiver" and receiver["platforms"] == ["line"]
    assert receiver["commands"] == [] and receiver["senders"] == []  # it answers nothing
    assert receiver["line_client"] is False and receiver["scheduler"] is False
    assert receiver["reads_on_loop"] is False  # its web pages' reads run beside its loop, on a thread
    worker = fresh_python(COMPOSE, EDUNET_PROCESSES="2", EDUNET_ROLE="worker",
                          EDUNET_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/r.db", **LINE_ENV)
    assert worker["role"] == "worker" and worker["senders"] == ["line"]
    assert "start" in worker["commands"] and "help" in worker["commands"]
    assert worker["reads_on_loop"] is True  # no page to serve: no aiosqlite thread per read connection
    # The features the worker loads and the receiver does not (the web view's pages need a few).
    assert set(worker["features"]) - set(receiver["features"]), (worker["features"], receiver["features"])


UPGRADE = """
import asyncio, json, sys
from storage.db import Database
from storage.migrations.runner import script_heads
async def main():
    db = Database(sys.argv[1])
    try:
        await db.upgrade(separate_process=True)
        up_to_date = await db.versions() == script_heads()
    finally:
        await db.dispose()
    print(json.dumps({"alembic": "alembic" in sys.modules, "up_to_date": up_to_date}))
asyncio.run(main())
"""


def run_upgrade(url: str) -> dict[str, object]:
    return fresh_python(UPGRADE.replace("sys.argv[1]", repr(url)))


def test_a_start_on_a_database_at_the_heads_never_imports_alembic(db_url: str) -> None:
    assert run_upgrade(db_url) == {"alembic": False, "up_to_date": True}  # the fixture's database: at the heads


async def test_a_database_behind_the_heads_is_upgraded_by_a_child_process(tmp_path: Path) -> None:
    import asyncio

    from alembic import command

    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await asyncio.to_thread(command.upgrade, alembic_config(url), "0012_one_activity_rollup")
    db = Database(url)
    try:
        assert await db.versions() != script_heads()
        assert run_upgrade(url) == {"alembic": False, "up_to_date": True}  # Alembic ran in the child
        assert await db.versions() == script_heads()
    finally:
        await db.dispose()


async def test_a_failed_upgrade_in_the_child_says_why(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "future.db"
    conn = sqlite3.connect(path)  # a database from a newer EduNet: a revision these scripts do not know
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    conn.execute("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    conn.commit()
    conn.close()
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        with pytest.raises(RuntimeError, match="the schema upgrade failed: .*9999_from_the_future"):
            await db.upgrade(separate_process=True)
    finally:
        await db.dispose()


async def test_freed_memory_is_given_back_every_few_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import platform

    from edunet import processes

    if platform.libc_ver()[0] == "glibc":
        trim = processes._malloc_trim()
        assert trim is not None and trim(0) in (0, 1)  # glibc's malloc_trim, callable from here
    calls: list[int] = []
    monkeypatch.setattr(processes, "_malloc_trim", lambda: calls.append)
    task = asyncio.create_task(processes.give_back_freed_memory(every=0.01))
    await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert len(calls) >= 3 and set(calls) == {0}
    monkeypatch.setattr(processes, "_malloc_trim", lambda: None)  # no glibc: returns at once
    await asyncio.wait_for(processes.give_back_freed_memory(every=0.01), 1)


def test_start_up_s_objects_are_set_aside_from_the_garbage_collector() -> None:
    """What start-up made is frozen (a full collection walks none of it again); what is made after is not."""
    found = fresh_python("""
import gc, json
from edunet.processes import freeze_start_up_objects
import edunet.serve  # start-up's modules
before = len(gc.get_objects())
frozen = freeze_start_up_objects()
made_after = [[n] for n in range(1000)]
tracked = gc.get_objects()
print(json.dumps({"before": before, "frozen": frozen, "tracked": len(tracked),
                  "after_tracked": all(any(item is x for x in tracked) for item in made_after[:5])}))
""")
    assert found["frozen"] >= found["before"] * 0.9 > 10_000  # start-up's objects, less its collected garbage
    assert found["tracked"] < 5_000 and found["after_tracked"]  # the collector still sees what came later


async def test_reads_on_the_loop_start_no_thread_and_see_what_was_committed(sqlite_url: str) -> None:
    import asyncio
    import threading

    from storage.inbox import InboxRepo
    from storage.sqlite_inline import InlineConnection

    db = Database(sqlite_url)
    db.read_on_loop()
    try:
        threads = set(threading.enumerate())
        async with db.transaction() as conn:
            await InboxRepo(conn, "line").add("e1", "U1", {"type": "message"}, datetime.now(timezone.utc))

        async def status() -> str | None:
            async with db.read() as conn:
                raw = await conn.get_raw_connection()
                assert isinstance(raw.driver_connection, InlineConnection)
                return await InboxRepo(conn, "line").status("e1")

        assert await asyncio.gather(*(status() for _ in range(8))) == ["pending"] * 8
        async with db.transaction() as conn:  # a read beside a write transaction in hand waits for nothing
            await InboxRepo(conn, "line").finish_many([1], datetime.now(timezone.utc))
            assert await asyncio.wait_for(status(), 1) == "pending"
        assert await status() == "done"
        assert set(threading.enumerate()) - threads == set()  # aiosqlite: a thread per pooled connection
    finally:
        await db.dispose()


async def test_reads_on_a_thread_stay_where_pages_are_served(sqlite_url: str) -> None:
    from storage.sqlite_inline import InlineConnection

    db = Database(sqlite_url)  # the receiver's and a single process's: a long page read runs beside the loop
    try:
        async with db.read() as conn:
            raw = await conn.get_raw_connection()
            assert not isinstance(raw.driver_connection, InlineConnection)
    finally:
        await db.dispose()


def test_a_receiving_process_polls_telegram_without_python_telegram_bot(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path}/r.db"
    receiver = fresh_python(COMPOSE, EDUNET_PROCESSES="2", EDUNET_DATABASE_URL=database, **LINE_ENV, **TELEGRAM_ENV)
    assert receiver["platforms"] == ["line", "telegram"] and receiver["senders"] == []
    assert receiver["telegram_sdk"] == []  # neither python-telegram-bot nor httpx
    worker = fresh_python(COMPOSE, EDUNET_PROCESSES="2", EDUNET_ROLE="worker", EDUNET_DATABASE_URL=database,
                          **LINE_ENV, **TELEGRAM_ENV)
    assert worker["senders"] == ["line", "telegram"] and worker["telegram_sdk"] == ["httpx", "telegram"]
