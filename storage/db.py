"""The database: engine set-up, transactions and migrations.

SQLite (aiosqlite) is the embedded default; PostgreSQL (asyncpg) runs the same code.
On SQLite every write transaction takes the write lock up front (``BEGIN IMMEDIATE``)
so two writers queue on the busy timeout instead of failing half-way. Within one process the
writers queue on an asyncio gate first (:class:`WriteGate`), so they never sleep in SQLite's
busy handler, and an *urgent* writer (the webhook inbox) goes before the others: storing a
webhook never waits behind a queue of handler transactions, only behind the one running.
Read-only work uses :meth:`Database.read` (a plain deferred ``BEGIN``: no write lock, no gate).
A file database's write connections run on the event loop's thread (:mod:`storage.sqlite_inline`:
no thread hop per call; writes are short and the gate serialises them anyway); reads keep
aiosqlite's thread, so a long one runs beside the loop, except in a process that serves no web
(:meth:`Database.read_on_loop`: ``edunet serve``'s worker). The WAL is checkpointed from a thread every
:data:`CHECKPOINT_EVERY` write transactions instead of inside a commit.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import mmap
import os
import struct
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from storage import sqlite_inline

# aiosqlite logs every SQL statement *with its parameters* at DEBUG: personal data (names, answers,
# the member lookups beside anonymous answers) would reach the logs. Whatever EDUNET_LOG_LEVEL says,
# it logs at INFO at most, for every feature.
logging.getLogger("aiosqlite").setLevel(logging.INFO)

BUSY_TIMEOUT_MS = 15_000
CHECKPOINT_EVERY = 200  # write transactions between two WAL checkpoints (run in a thread)
_READ_ONLY = "edunet_read_only"


class WriteGate:
    """One SQLite writer at a time within the process; urgent writers go first.

    A task that already holds the gate (a nested transaction) passes straight through, as it
    did before the gate existed (SQLite's own lock then decides)."""

    def __init__(self) -> None:
        self._holder: asyncio.Task[Any] | None = None
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def hold(self, *, urgent: bool = False) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            yield
            return
        if self._holder is not None or self._urgent or self._normal:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            queue = self._urgent if urgent else self._normal
            queue.append(waiter)
            try:
                await waiter
            except BaseException:
                if waiter.done() and not waiter.cancelled():  # handed to us as we were cancelled: pass it on
                    self._holder = None
                    self._wake_next()
                elif waiter in queue:
                    queue.remove(waiter)
                raise
        self._holder = task
        try:
            yield
        finally:
            self._holder = None
            self._wake_next()

    def _wake_next(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    self._holder = _HANDED_OVER  # reserved until the woken task runs
                    waiter.set_result(None)
                    return

    @property
    def waiting(self) -> int:
        return len(self._urgent) + len(self._normal)


_HANDED_OVER: Any = object()

# Set while a task is inside one of this process's transactions: nested ones never wait for a turn
# (the outer one may hold the write gate an urgent writer waits for).
_IN_TRANSACTION: contextvars.ContextVar[bool] = contextvars.ContextVar("edunet_in_transaction", default=False)


class Turns:
    """Ordinary database work starts at most one unit per event-loop iteration.

    Handler work runs between awaits; on SQLite inline (see :mod:`storage.sqlite_inline`) a whole
    transaction is one such stretch. Eight chats worked in parallel would put eight of them in one
    loop iteration, and a webhook waiting for the loop (to read its request, to commit, to answer)
    would wait for all eight at every step. With turns, each iteration runs one of them, then the
    loop polls its sockets again: a webhook's ack waits for one transaction's work per step, not
    eight, while the worker loses nothing but an idle poll between its turns. Urgent writers (the
    inbox) never take a turn."""

    def __init__(self) -> None:
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._granted = False

    async def turn(self) -> None:
        loop = asyncio.get_running_loop()
        if not self._granted:
            self._granted = True
            loop.call_soon(self._next)
            return
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            raise

    def _next(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                asyncio.get_running_loop().call_soon(self._next)
                return
        self._granted = False


class UrgentSignal:
    """Urgent writers across processes on one SQLite file (``edunet serve`` with two processes).

    The :class:`WriteGate` orders writers within a process; between a receiving process (whose
    webhook inbox writes are urgent) and a worker process (handler transactions back to back),
    only SQLite's lock would, and a busy ``BEGIN`` retried now and then rarely finds the gap
    between two of the worker's transactions. So the urgent writer raises this flag (a time in
    8 bytes of a shared file, mapped by both) while it waits for and holds the lock, and the
    other process's ordinary writers do not begin while it is up: the webhook waits for the
    worker's current transaction at most. A flag older than :data:`URGENT_STALE` seconds (its
    process died mid-write) is ignored. Only the order is decided here; SQLite's lock still
    guarantees one writer."""

    def __init__(self, path: str) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < 8:
                os.ftruncate(fd, 8)
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)

    def raise_flag(self) -> None:
        struct.pack_into("d", self._map, 0, time.time())

    def lower_flag(self) -> None:
        struct.pack_into("d", self._map, 0, 0.0)

    def up(self) -> bool:
        (raised,) = struct.unpack_from("d", self._map, 0)
        return bool(raised) and 0 <= time.time() - raised < URGENT_STALE

    async def wait_lowered(self) -> None:
        while self.up():
            await asyncio.sleep(URGENT_POLL)

    def close(self) -> None:
        self._map.close()


URGENT_STALE = 2.0  # seconds
URGENT_POLL = 0.0005  # seconds between two looks at a raised flag


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async drivers."""
    if url.startswith("sqlite:"):
        return "sqlite+aiosqlite:" + url[len("sqlite:"):]
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def _make_sqlite_dir(url: sa.URL) -> None:
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


PING_AFTER_IDLE = 10.0  # seconds a pooled PostgreSQL connection may rest before it is checked on checkout
_RETURNED = "edunet_returned_at"


def _ping_when_idle(engine: AsyncEngine) -> None:
    """Check a pooled connection on checkout only when it rested :data:`PING_AFTER_IDLE` seconds.

    SQLAlchemy's ``pool_pre_ping`` checks every checkout: on asyncpg a BEGIN, a statement and a
    ROLLBACK, three round trips before each transaction (as many as the event's own work on a busy
    worker). A connection used a moment ago is alive unless the server went away in that moment,
    and then the statement that meets the dead connection invalidates the pool (every connection
    opened before is replaced) and :func:`connection_lost` tells the caller it may run the
    transaction again."""
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_AFTER_IDLE:
            return  # just opened, or used a moment ago
        try:
            dbapi_connection.ping()
        except Exception as exc:  # the pool drops it and takes another (SQLAlchemy's own retry)
            raise sa.exc.DisconnectionError(f"a pooled connection did not answer: {exc}") from exc


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is the database connection going away (a restart, a failover, a dropped
    socket): a fresh connection is used next time. Nothing of the transaction was committed, unless
    the connection went during its COMMIT: then the server may have committed all of it."""
    return isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated


PG_POOL_SIZE = 10  # PostgreSQL connections kept open per process
PG_MAX_OVERFLOW = 5  # and opened beyond them at a peak (closed again when returned)


class Database:
    """One engine per process; hands out transactions."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int | None = None) -> None:
        self.url = normalise_url(url)
        parsed = sa.make_url(self.url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        self._inline_path: str | None = None
        if self.is_sqlite:
            _make_sqlite_dir(parsed)
            if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
                path = str(Path(parsed.database).expanduser())
                self._inline_path = path
                kwargs["async_creator"] = lambda: sqlite_inline.connect(path, busy_timeout=BUSY_TIMEOUT_MS / 1000)
            else:
                kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_MS / 1000}
        else:
            if pool_size is not None:  # a small engine of its own (the heartbeat thread's)
                kwargs.update(pool_size=pool_size, max_overflow=1)
            else:
                # A worker holds up to 8 chats' transactions at once (bot.inbox.PARALLEL_CHATS) beside the
                # dispatcher and the scheduler. With SQLAlchemy's 5 pooled connections every further one
                # was opened and closed again per transaction: in issue 17's three-instance minute, 16,097
                # PostgreSQL sessions for 30,000 events. The ceiling per process stays 15 connections.
                kwargs.update(pool_size=PG_POOL_SIZE, max_overflow=PG_MAX_OVERFLOW)
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        # Reads on SQLite keep aiosqlite's thread: a long one (a web page, a metrics scrape over a
        # backlog) then runs beside the loop, SQLite releasing the GIL while it works, instead of on it.
        self.read_engine: AsyncEngine = self.engine
        if self._inline_path is not None:
            self.read_engine = create_async_engine(self.url, echo=echo,
                                                   connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        self._unused_engines: list[AsyncEngine] = []  # a read engine read_on_loop() replaced
        self.gate = WriteGate()
        self._commits = 0
        self.turns: Turns | None = None  # pace_work() turns them on (edunet serve's inbox workers)
        self._checkpointing: asyncio.Future[None] | None = None
        self._urgency: UrgentSignal | None = None  # share_urgency() sets it (two processes on one database)
        self.urgency_path: str | None = None
        if not self.is_sqlite:
            _ping_when_idle(self.engine)
        if self.is_sqlite:
            self._configure_sqlite(self.engine, inline=self._inline_path is not None)
            if self.read_engine is not self.engine:
                self._configure_sqlite(self.read_engine, inline=False)

    def _configure_sqlite(self, engine: AsyncEngine, *, inline: bool) -> None:
        sync_engine = engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is DEFERRED).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            if inline:  # busy waits sleep on the loop (sqlite_inline); checkpoints run in a thread
                cursor.execute("PRAGMA busy_timeout=0")
                cursor.execute("PRAGMA wal_autocheckpoint=0")
            else:
                cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

    @asynccontextmanager
    async def transaction(self, *, urgent: bool = False) -> AsyncIterator[AsyncConnection]:
        """A write transaction: committed on success, rolled back on any exception.

        ``urgent``: go before the other writers (the webhook inbox, whose platform waits for the answer):
        on SQLite those of this process waiting for the lock, and with :meth:`share_urgency` the other
        process's on either engine."""
        if not urgent:
            await self.turn()
        entered = _IN_TRANSACTION.set(True)
        try:
            if not self.is_sqlite:
                async with self._urgency_kept(urgent), self.engine.begin() as conn:
                    yield conn
                return
            async with self.gate.hold(urgent=urgent):
                marked = sqlite_inline.URGENT.set(urgent)
                try:
                    async with self._urgency_kept(urgent), self.engine.begin() as conn:
                        yield conn
                finally:
                    sqlite_inline.URGENT.reset(marked)
        finally:
            _IN_TRANSACTION.reset(entered)
        self._after_write()

    @asynccontextmanager
    async def _urgency_kept(self, urgent: bool) -> AsyncIterator[None]:
        """The other process's urgent writer first (:meth:`share_urgency`): an urgent writer raises the
        shared flag for its transaction, an ordinary one begins only once it is lowered."""
        urgency = self._urgency
        if urgency is not None:
            if urgent:
                urgency.raise_flag()
            else:
                await urgency.wait_lowered()
        try:
            yield
        finally:
            if urgency is not None and urgent:
                urgency.lower_flag()

    def share_urgency(self, path: str | None = None) -> None:
        """Another process writes this database too (``EDUNET_PROCESSES=2``): this one's urgent
        writers go before that one's ordinary writers, and the other way round (:class:`UrgentSignal`,
        in ``path``; on SQLite by default beside the file). On PostgreSQL the receiver's inbox insert
        conflicts with nothing, but it waits for the server's CPU and WAL beside the worker's
        transactions: with the flag, the worker begins none while a webhook is being stored."""
        if self._urgency is not None:
            return
        if path is None and self._inline_path is not None:
            path = self._inline_path + "-urgent"
        if path is not None:
            self.urgency_path = path
            self._urgency = UrgentSignal(path)

    def read_on_loop(self) -> None:
        """From now on reads run on the event loop's thread too, on the write engine's connections (a
        SQLite file; elsewhere nothing changes). For a process that serves no page and no scrape
        (``edunet serve``'s worker), whose reads are the answers' point look-ups: aiosqlite gives each
        read connection a thread of its own, and once 8 chats' reads overlapped the read pool opened up
        to 15 of them, closing the overflow again and again, each thread with a glibc malloc arena of
        its own that kept what it freed in holes. At 500 webhooks/s for a minute that worker went from
        5 threads to 9–18 and grew by some 20 MB of RSS, 17 MB of it in those arenas (3 December 2026).
        A read on the loop waits for nothing (WAL readers take no lock), like the writes here."""
        if self._inline_path is None or self.read_engine is self.engine:
            return
        self._unused_engines.append(self.read_engine)
        self.read_engine = self.engine

    def pace_work(self) -> None:
        """From now on ordinary transactions and reads begin one per loop iteration (:class:`Turns`)."""
        if self.turns is None:
            self.turns = Turns()

    async def turn(self) -> None:
        """Wait for this loop iteration's turn (at once when turns are off, or inside a transaction)."""
        if self.turns is not None and not _IN_TRANSACTION.get():
            await self.turns.turn()

    def _after_write(self) -> None:
        """Every CHECKPOINT_EVERY write transactions, checkpoint the WAL from a thread."""
        if self._inline_path is None:
            return
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY or (self._checkpointing is not None and not self._checkpointing.done()):
            return
        self._checkpointing = asyncio.ensure_future(asyncio.to_thread(sqlite_inline.checkpoint, self._inline_path))
        self._checkpointing.add_done_callback(_log_checkpoint_failure)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        """A read-only transaction: on SQLite a deferred ``BEGIN`` (WAL readers never wait for
        the writer and take no write lock), on PostgreSQL an ordinary transaction."""
        await self.turn()
        entered = _IN_TRANSACTION.set(True)
        try:
            async with self.read_engine.connect() as conn:
                if self.is_sqlite:
                    await conn.execution_options(**{_READ_ONLY: True})
                async with conn.begin():
                    yield conn
        finally:
            _IN_TRANSACTION.reset(entered)

    async def upgrade(self, *, separate_process: bool = False) -> None:
        """Apply every Alembic migration (all feature branches) up to the heads; a new, empty SQLite
        file is built at the heads directly (:func:`storage.migrations.runner.create_fresh_sqlite`).

        A database already at the heads is left alone without importing Alembic (its scripts' heads
        are read from their source), so an ordinary start never loads it. ``separate_process``: run
        Alembic in a short-lived child process (``edunet serve``), so the server never keeps its
        modules in memory either."""
        from storage.migrations.runner import create_fresh_sqlite, script_heads, upgrade_in_child, upgrade_to_heads

        if self.is_sqlite and await asyncio.to_thread(create_fresh_sqlite, self.url):
            return
        if await self.versions() == script_heads():
            return
        if separate_process:
            await upgrade_in_child(self.url)
        else:
            await asyncio.to_thread(upgrade_to_heads, self.url)

    async def versions(self) -> set[str]:
        """The revisions Alembic recorded in the database (empty before its first migration)."""
        try:
            async with self.engine.connect() as conn:
                rows = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                return {str(row[0]) for row in rows}
        except sa.exc.DBAPIError:  # no version table yet
            return set()

    async def dispose(self) -> None:
        if self._urgency is not None:
            self._urgency.close()
            self._urgency = None
        if self._checkpointing is not None:
            await asyncio.gather(self._checkpointing, return_exceptions=True)
        for engine in self._unused_engines:
            await engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()
        await self.engine.dispose()


def _log_checkpoint_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        logging.getLogger(__name__).warning("WAL checkpoint failed: %s", future.exception())
