"""What operators' tools ask of the database: is it reachable, which migrations are applied,
does it hold data, and (SQLite) a consistent copy of the file while the bot runs; and the
retention sweep (:class:`RetentionRepo`), which deletes what is kept no longer than a
network's retention setting says (the daily job is in ``handlers/privacy/``).

PostgreSQL copies are pg_dump's job; see ``edunet/backup.py``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database, normalise_url
from storage.inbox import inbox
from storage.media import media_files
from storage.membership import Member, _member
from storage.migrations.runner import alembic_config
from storage.repo import Repo
from storage.tables import audit_log, members, processed_events

VERSION_TABLE = "alembic_version"


def sqlite_path(url: str) -> Path | None:
    """The database file of an SQLite URL (None for PostgreSQL or an in-memory database)."""
    parsed = sa.make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database).expanduser()


async def ping(db: Database) -> None:
    """Raise unless the database answers a trivial query."""
    async with db.engine.connect() as conn:
        await conn.execute(sa.text("SELECT 1"))


@dataclass(frozen=True)
class MigrationState:
    """Applied revisions (the database's heads) against the code's heads."""

    applied: frozenset[str]
    heads: frozenset[str]
    unknown: frozenset[str]  # applied revisions this code does not have: the database is newer

    @property
    def pending(self) -> frozenset[str]:
        return self.heads - self.applied

    @property
    def up_to_date(self) -> bool:
        return not self.pending and not self.unknown


async def migration_state(db: Database) -> MigrationState:
    """Read ``alembic_version`` without changing anything."""
    from alembic.runtime.migration import MigrationContext  # Alembic costs ~0.2 s to import: only here
    from alembic.script import ScriptDirectory

    def applied(sync: Connection) -> tuple[str, ...]:
        return MigrationContext.configure(sync).get_current_heads()

    async with db.engine.connect() as conn:
        current = frozenset(await conn.run_sync(applied))
    scripts = ScriptDirectory.from_config(alembic_config(db.url))
    known = {revision.revision for revision in scripts.walk_revisions()}
    return MigrationState(applied=current, heads=frozenset(scripts.get_heads()),
                          unknown=frozenset(current - known))


async def tables_with_rows(db: Database) -> list[str]:
    """The tables holding at least one row (migration bookkeeping aside), sorted."""
    async with db.engine.connect() as conn:
        return await _tables_with_rows(conn)


async def _tables_with_rows(conn: AsyncConnection) -> list[str]:
    names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
    found = []
    for name in sorted(set(names) - {VERSION_TABLE}):
        table = sa.table(name)
        if (await conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1))).first():
            found.append(name)
    return found


async def drop_tables(db: Database) -> None:
    """Drop every table (and on PostgreSQL our functions), so a dump restores into an empty schema (restore only)."""
    async with db.transaction() as conn:
        names = await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names())
        for name in names:
            quoted = conn.dialect.identifier_preparer.quote(name)
            await conn.execute(sa.text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))
        if conn.dialect.name == "postgresql":  # the rollups' trigger functions are in the dump too
            functions = (await conn.execute(sa.text(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND NOT EXISTS "
                "(SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"))).scalars().all()
            for signature in functions:
                await conn.execute(sa.text(f"DROP FUNCTION IF EXISTS {signature} CASCADE"))


def sqlite_copy(source: Path, target: Path) -> None:
    """Copy one SQLite database into another with SQLite's online backup API.

    One step (all pages at once) reads a single snapshot: in WAL mode the bot keeps
    writing meanwhile, and the copy is consistent as of the moment the step began.
    The target is left in rollback-journal mode, so it is one self-contained file.
    """
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=15)
    try:
        dst = sqlite3.connect(target, timeout=15)
        try:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            problem = dst.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(f"the copy failed its integrity check: {problem}")
        finally:
            dst.close()
    finally:
        src.close()


class RetentionRepo(Repo):
    """Deletes what has been kept long enough. Each method returns how many rows went."""

    async def prune_processed_events(self, older_than: datetime) -> int:
        result = await self.conn.execute(processed_events.delete().where(processed_events.c.processed_at < older_than))
        return result.rowcount or 0

    async def prune_inbox(self, older_than: datetime) -> int:
        """Finished and dead-lettered webhook events of every platform (their bodies hold ids and names)."""
        result = await self.conn.execute(inbox.delete().where(inbox.c.status.in_(("done", "failed")),
                                                              inbox.c.received_at < older_than))
        return result.rowcount or 0

    async def prune_media(self, network_id: int | None, created_before: datetime) -> int:
        """Charts and download links (exports, a member's data) of a network (None: of no network)."""
        owner = media_files.c.network_id.is_(None) if network_id is None else media_files.c.network_id == network_id
        result = await self.conn.execute(media_files.delete().where(owner, media_files.c.created_at < created_before))
        return result.rowcount or 0

    async def removed_before(self, network_id: int, cutoff: datetime) -> list[Member]:
        """Removed members of a network whose removal is older than ``cutoff`` (the audit log's
        "remove" entry; a removal without one counts from joining)."""
        removed_at = (
            sa.select(sa.func.max(audit_log.c.at))
            .where(audit_log.c.network_id == network_id, audit_log.c.action == "remove",
                   audit_log.c.entity == "member", audit_log.c.entity_id == sa.cast(members.c.id, sa.String))
            .scalar_subquery()
        )
        rows = (await self.conn.execute(
            sa.select(members).where(members.c.network_id == network_id, members.c.status == "removed",
                                     sa.func.coalesce(removed_at, members.c.joined_at) < cutoff)
            .order_by(members.c.number))).all()
        return [_member(r) for r in rows]
