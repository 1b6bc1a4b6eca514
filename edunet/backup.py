"""``edunet backup`` and ``edunet restore``.

SQLite: SQLite's online backup API, consistent while the bot runs. PostgreSQL: ``pg_dump
--format=custom`` / ``pg_restore`` when they are installed here, else the command to run
where they are. Backups hold the database only: the anonymous-survey key
(``EDUNET_SECRET_KEY`` or its key file) is never in one and is backed up separately.
Backup files are created readable by their owner only (they hold members' personal data).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.config import Settings
from storage.db import Database, normalise_url
from storage.maintenance import drop_tables, sqlite_copy, sqlite_path, tables_with_rows

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"


class BackupSettings(BaseSettings):
    """The operators' settings of this module (same environment and ``.env`` as :class:`Settings`)."""

    model_config = SettingsConfigDict(env_prefix="EDUNET_", env_file=".env", extra="ignore")

    # Where `edunet backup` writes by default. Empty: `backups/` beside the SQLite file,
    # or in the current directory for PostgreSQL.
    backup_dir: str = ""


class BackupError(Exception):
    """A backup or restore that cannot go ahead; the message says what to do."""


def backup_dir(settings: Settings) -> Path:
    """The default folder of backups."""
    configured = BackupSettings().backup_dir
    if configured:
        return Path(configured).expanduser()
    db_file = sqlite_path(settings.database_url)
    return (db_file.parent if db_file else Path.cwd()) / "backups"


def libpq_target(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and the environment that carries it."""
    url = sa.make_url(normalise_url(database_url))
    env = {"PGPASSWORD": url.password} if url.password else {}
    plain = sa.URL.create("postgresql", username=url.username, host=url.host, port=url.port, database=url.database)
    return plain.render_as_string(hide_password=False), env


def pg_dump_command(dsn: str, out: Path) -> list[str]:
    return ["pg_dump", "--format=custom", "--file", str(out), dsn]


def _describe(database_url: str) -> str:
    return sa.make_url(normalise_url(database_url)).render_as_string(hide_password=True)


def _create_private(path: Path) -> None:
    """An empty file only its owner may read (fails if it exists)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def backup(settings: Settings, out: Path | None = None) -> Path:
    """Write a backup of the configured database; returns its path."""
    db_file = sqlite_path(settings.database_url)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    target = out or backup_dir(settings) / f"edunet-{stamp}.{'sqlite' if db_file else 'pgdump'}"
    if target.exists():
        raise BackupError(f"{target} exists already: choose another --out")
    partial = target.with_name(f".{target.name}.partial")
    if db_file is not None:
        if not db_file.exists():
            raise BackupError(f"there is no database at {db_file} (EDUNET_DATABASE_URL)")
        _create_private(partial)
        try:
            sqlite_copy(db_file, partial)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    else:
        dsn, env = libpq_target(settings.database_url)
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed here; run this where it is (the password from "
                              f"PGPASSWORD or ~/.pgpass):\n    {shlex.join(pg_dump_command(dsn, target))}")
        _create_private(partial)
        done = subprocess.run(pg_dump_command(dsn, partial), env={**os.environ, **env}, capture_output=True,
                              text=True)
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    os.replace(partial, target)
    return target


async def restore(settings: Settings, source: Path, *, force: bool = False) -> None:
    """Replace the configured database's contents with a backup, then apply newer migrations."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    with source.open("rb") as fh:
        head = fh.read(16)
    db_file = sqlite_path(settings.database_url)
    kind = "sqlite" if head.startswith(SQLITE_HEADER) else "pgdump" if head.startswith(PG_DUMP_HEADER) else None
    if kind is None:
        raise BackupError(f"{source} is neither an SQLite backup nor a pg_dump custom-format file")
    if (kind == "sqlite") != (db_file is not None):
        engine = "SQLite" if db_file is not None else "PostgreSQL"
        raise BackupError(f"{source} is a {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} backup, but "
                          f"EDUNET_DATABASE_URL is {engine}")
    if db_file is None and shutil.which("pg_restore") is None:
        dsn, _ = libpq_target(settings.database_url)
        command = shlex.join(pg_restore_command(dsn, source))
        raise BackupError("pg_restore is not installed here; on an empty database run this where it is "
                          f"(the password from PGPASSWORD or ~/.pgpass):\n    {command}")
    if db_file is None or db_file.exists():
        await _refuse_if_holding_data(settings.database_url, force=force)
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        sqlite_copy(source, db_file)
    else:
        await _pg_restore(settings.database_url, source)
    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()


async def _refuse_if_holding_data(database_url: str, *, force: bool) -> None:
    db = Database(database_url)
    try:
        filled = await tables_with_rows(db)
    finally:
        await db.dispose()
    if filled and not force:
        shown = ", ".join(filled[:5]) + (f" and {len(filled) - 5} more" if len(filled) > 5 else "")
        raise BackupError(f"the database {_describe(database_url)} is not empty (rows in {shown}); "
                          "stop the bot, then add --force to replace its contents")


def pg_restore_command(dsn: str, source: Path) -> list[str]:
    return ["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
            "--dbname", dsn, str(source)]


async def _pg_restore(database_url: str, source: Path) -> None:
    dsn, env = libpq_target(database_url)
    db = Database(database_url)
    try:
        await drop_tables(db)
    finally:
        await db.dispose()
    done = subprocess.run(pg_restore_command(dsn, source), env={**os.environ, **env}, capture_output=True,
                          text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed (the database is now empty; fix the cause and restore again): "
                          f"{done.stderr.strip()}")


def key_file(settings: Settings) -> Path | None:
    """The anonymous-survey key's file, or None when EDUNET_SECRET_KEY holds the key itself."""
    from handlers.survey_logic import _key_file

    return None if settings.secret_key else _key_file(settings)


def key_reminder(settings: Settings) -> str:
    """What the operator must back up besides the database."""
    path = key_file(settings)
    where = f"its file {path}" if path else "EDUNET_SECRET_KEY"
    return (f"The anonymous-survey key is not in this backup: keep a copy of {where} separately, "
            "not beside the backups.")


def run_backup(settings: Settings, out: Path | None) -> int:
    try:
        path = backup(settings, out)
    except BackupError as exc:
        print(f"edunet backup: {exc}", file=sys.stderr)
        return 1
    print(f"backup written: {path} ({path.stat().st_size:,} bytes)")
    print(key_reminder(settings))
    return 0


async def run_restore(settings: Settings, source: Path, *, force: bool) -> int:
    try:
        await restore(settings, source, force=force)
    except BackupError as exc:
        print(f"edunet restore: {exc}", file=sys.stderr)
        return 1
    print(f"restored {source} into {_describe(settings.database_url)}; migrations are up to date")
    return 0
