"""Base class for repositories: SQL lives here, bound to one open transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection


class Repo:
    """A repository works inside the caller's transaction; it never commits."""

    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn

    @property
    def dialect(self) -> str:
        return self.conn.dialect.name

    async def insert_ignore(self, table: sa.Table, values: dict[str, Any], conflict: list[str]) -> bool:
        """Insert unless a row with the same ``conflict`` columns exists; True if inserted.

        Uses the dialect's ON CONFLICT DO NOTHING so a duplicate never aborts the
        surrounding transaction (PostgreSQL would otherwise poison it).
        """
        _check_columns(table, values)
        stmt = _insert_ignore_statement(self.dialect, table, tuple(conflict))
        if stmt is None:  # pragma: no cover - only the two engines are supported
            try:
                async with self.conn.begin_nested():
                    await self.conn.execute(table.insert().values(**values))
                return True
            except IntegrityError:
                return False
        result = await self.conn.execute(stmt, values)
        return bool(result.rowcount)

    async def insert_ignore_returning(self, table: sa.Table, values: dict[str, Any],
                                      conflict: list[str]) -> sa.Row[Any] | None:
        """:meth:`insert_ignore` that gives the inserted row back (None: a row with the same ``conflict``
        columns existed), in the same statement."""
        _check_columns(table, values)
        stmt = _insert_ignore_statement(self.dialect, table, tuple(conflict), returning=True)
        if stmt is None:  # pragma: no cover - only the two engines are supported
            raise NotImplementedError(self.dialect)
        return (await self.conn.execute(stmt, values)).first()


def _check_columns(table: sa.Table, values: dict[str, Any]) -> None:
    """Values passed as parameters are not checked by SQLAlchemy (``.values()`` was): a misspelt column
    would be dropped silently."""
    unknown = values.keys() - table.c.keys()
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")


_INSERT_IGNORE: dict[tuple[str, sa.Table, tuple[str, ...], bool], sa.Insert] = {}


def _insert_ignore_statement(dialect: str, table: sa.Table, conflict: tuple[str, ...], *,
                             returning: bool = False) -> sa.Insert | None:
    """The INSERT … ON CONFLICT DO NOTHING for a table and its conflict columns, built once: the values
    come as parameters, so SQLAlchemy's cache key for it is computed once too (it runs for every event)."""
    key = (dialect, table, conflict, returning)
    stmt = _INSERT_IGNORE.get(key)
    if stmt is None:
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=list(conflict))
        else:
            return None
        if returning:
            stmt = stmt.returning(*table.c)
        _INSERT_IGNORE[key] = stmt
    return stmt


async def serialise_on(conn: AsyncConnection, key: str) -> None:
    """Hold a transaction-scoped lock on ``key`` across processes.

    PostgreSQL: an advisory lock. SQLite needs nothing: every write transaction
    already holds the database's write lock (BEGIN IMMEDIATE).
    """
    if conn.dialect.name == "postgresql":
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
