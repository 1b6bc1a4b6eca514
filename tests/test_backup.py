"""``edunet backup`` / ``edunet restore``: round trips on SQLite (and PostgreSQL when configured)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.config import Settings
from edunet.backup import BackupError, backup, restore
from edunet.cli import main
from storage.db import Database, normalise_url
from storage.membership import NetworkRepo
from storage.migrations.runner import upgrade_to_heads
from tests.conftest import POSTGRES_ENV, run_isolated

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
KEY = "f" * 64


async def add_networks(url: str, *names: str) -> None:
    db = Database(url)
    try:
        async with db.transaction() as conn:
            for name in names:
                await NetworkRepo(conn).create(name, timezone="Asia/Bangkok", language="th", now=NOW)
    finally:
        await db.dispose()


async def network_names(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.transaction() as conn:
            return [n.name for n in await NetworkRepo(conn).all()]
    finally:
        await db.dispose()


def sqlite_file(url: str) -> Path:
    return Path(sa.make_url(url).database or "")


async def test_sqlite_round_trip_while_a_writer_holds_the_lock(sqlite_url: str, tmp_path: Path) -> None:
    await add_networks(sqlite_url, "เครือข่ายริมน้ำ")
    writer = sqlite3.connect(sqlite_file(sqlite_url), isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # the running bot, mid-transaction
    writer.execute("INSERT INTO networks (name, timezone, language, settings, created_at) "
                   "VALUES ('uncommitted', 'Asia/Bangkok', 'th', '{}', '2026-12-01 09:00:00')")
    try:
        path = backup(Settings(database_url=sqlite_url, secret_key=KEY), tmp_path / "b" / "edunet.sqlite")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # members' personal data
    assert KEY.encode() not in path.read_bytes()
    assert [p.name for p in path.parent.iterdir()] == ["edunet.sqlite"]  # no partial file left

    target = f"sqlite+aiosqlite:///{tmp_path / 'new' / 'edunet.db'}"
    await restore(Settings(database_url=target), path)
    assert await network_names(target) == ["เครือข่ายริมน้ำ"]


async def test_restore_refuses_a_database_that_holds_data(sqlite_url: str, tmp_path: Path,
                                                          sqlite_template: Path) -> None:
    await add_networks(sqlite_url, "old")
    path = backup(Settings(database_url=sqlite_url), tmp_path / "old.sqlite")
    await add_networks(sqlite_url, "newer")
    with pytest.raises(BackupError, match=r"is not empty \(rows in networks\); stop the bot, then add --force"):
        await restore(Settings(database_url=sqlite_url), path)
    assert await network_names(sqlite_url) == ["old", "newer"]
    await restore(Settings(database_url=sqlite_url), path, force=True)
    assert await network_names(sqlite_url) == ["old"]

    migrated_but_empty = tmp_path / "fresh.db"
    shutil.copy(sqlite_template, migrated_but_empty)
    await restore(Settings(database_url=f"sqlite:///{migrated_but_empty}"), path)
    assert await network_names(f"sqlite:///{migrated_but_empty}") == ["old"]


async def test_restore_checks_what_it_is_given(sqlite_url: str, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(BackupError, match="neither an SQLite backup nor a pg_dump custom-format file"):
        await restore(Settings(database_url=sqlite_url), text)
    dump = tmp_path / "edunet.pgdump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    with pytest.raises(BackupError, match="is a PostgreSQL backup, but EDUNET_DATABASE_URL is SQLite"):
        await restore(Settings(database_url=sqlite_url), dump)
    with pytest.raises(BackupError, match="exists already"):
        backup(Settings(database_url=sqlite_url), text)


def test_the_commands(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    key = tmp_path / "keys" / "secret.key"
    monkeypatch.setenv("EDUNET_SECRET_KEY_FILE", str(key))
    monkeypatch.delenv("EDUNET_BACKUP_DIR", raising=False)
    assert main(["--database", sqlite_url, "backup"]) == 0
    [path] = (sqlite_file(sqlite_url).parent / "backups").iterdir()
    assert path.name.startswith("edunet-") and path.suffix == ".sqlite"
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"backup written: {path} (")
    assert out[1] == (f"The anonymous-survey key is not in this backup: keep a copy of its file {key} "
                      "separately, not beside the backups.")

    monkeypatch.setenv("EDUNET_BACKUP_DIR", str(tmp_path / "elsewhere"))
    assert main(["--database", sqlite_url, "backup"]) == 0
    assert len(list((tmp_path / "elsewhere").iterdir())) == 1

    target = tmp_path / "restored.db"
    assert main(["--database", f"sqlite:///{target}", "restore", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].endswith("migrations are up to date")
    assert main(["--database", f"sqlite:///{target}", "restore", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err == f"edunet restore: {tmp_path / 'missing'} is not a file\n"


# ------------------------------------------------------------------ PostgreSQL


async def test_without_the_postgres_tools_the_commands_are_printed(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump, no pg_restore
    settings = Settings(database_url="postgresql://edunet:s3cret@db.example.org:5432/edunet")
    with pytest.raises(BackupError) as dumped:
        backup(settings, tmp_path / "edunet.pgdump")
    assert str(dumped.value).endswith(f"\n    pg_dump --format=custom --file {tmp_path / 'edunet.pgdump'} "
                                      "postgresql://edunet@db.example.org:5432/edunet")
    dump = tmp_path / "old.pgdump"
    dump.write_bytes(b"PGDMP\x01\x0e\x00")
    with pytest.raises(BackupError) as restored:
        await restore(settings, dump)
    assert str(restored.value).startswith("pg_restore is not installed here")
    assert str(restored.value).endswith(f"--dbname postgresql://edunet@db.example.org:5432/edunet {dump}")
    assert "s3cret" not in str(dumped.value) + str(restored.value)
    assert list(tmp_path.iterdir()) == [dump]


@pytest.fixture
def two_postgres_databases() -> Iterator[tuple[str, str]]:
    """Two fresh databases (a source and a target), dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server for the pg_dump round trip")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed: no PostgreSQL round trip")
    base = normalise_url(base)
    names = [f"edunet_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]

    async def admin(*statements: str) -> None:
        from sqlalchemy.ext.asyncio import create_async_engine

        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                for sql in statements:
                    await conn.execute(sa.text(sql))
        finally:
            await engine.dispose()

    run_isolated(admin(*(f'CREATE DATABASE "{n}"' for n in names)))
    urls = [sa.make_url(base).set(database=n).render_as_string(hide_password=False) for n in names]
    try:
        yield urls[0], urls[1]
    finally:
        run_isolated(admin(*(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)' for n in names)))


@pytest.mark.postgres
async def test_postgres_round_trip(two_postgres_databases: tuple[str, str], tmp_path: Path) -> None:
    source, target = two_postgres_databases
    upgrade_to_heads(source)
    await add_networks(source, "เครือข่ายริมน้ำ", "second")
    path = backup(Settings(database_url=source), tmp_path / "edunet.pgdump")
    assert path.read_bytes().startswith(b"PGDMP") and stat.S_IMODE(path.stat().st_mode) == 0o600

    upgrade_to_heads(target)  # a fresh install that started once: tables, no rows
    await restore(Settings(database_url=target), path)
    assert await network_names(target) == ["เครือข่ายริมน้ำ", "second"]
    await add_networks(target, "third")
    with pytest.raises(BackupError, match="is not empty"):
        await restore(Settings(database_url=target), path)
    await restore(Settings(database_url=target), path, force=True)
    assert await network_names(target) == ["เครือข่ายริมน้ำ", "second"]
