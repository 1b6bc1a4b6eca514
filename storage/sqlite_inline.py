"""SQLite on the event loop's own thread: aiosqlite's interface without its thread.

aiosqlite runs every call (cursor, execute, fetch, close: four or five per statement) on a
thread of its own and hands the result back through the event loop. A statement of this bot
takes some 20–100 µs in SQLite; the two thread hops around it cost more than that, in CPU
and in GIL hand-overs with the loop (profiled: a simple event spent more time queueing
aiosqlite calls than in SQLite). So the engine's SQLite connections are this
:class:`InlineConnection`: the same ``aiosqlite.Connection`` API for SQLAlchemy's
``sqlite+aiosqlite`` dialect, but each call runs at once, on the caller's thread.

What could block the loop, and why it does not:

* **The write lock.** Within a process, writers queue on :class:`storage.db.WriteGate` before
  ``BEGIN IMMEDIATE``, so the lock is free when a transaction begins. Another process or thread
  (a CLI command, the heartbeat thread) may hold it for a moment: SQLite's busy handler is off
  on these connections (``busy_timeout=0``) and a busy ``BEGIN`` is retried here after an
  ``asyncio.sleep`` (up to :data:`storage.db.BUSY_TIMEOUT_MS`), so the loop keeps running
  meanwhile.
* **fsync.** WAL with ``synchronous=NORMAL`` does not sync on commit, only when the WAL is
  checkpointed; :class:`storage.db.Database` turns automatic checkpoints off on these
  connections and checkpoints from a thread of its own (:func:`checkpoint`), which also starts
  a long WAL over.
"""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
import time
from collections.abc import Callable
from typing import Any

import aiosqlite

BUSY_RETRY_FIRST = 0.002  # seconds; doubles up to BUSY_RETRY_MAX
BUSY_RETRY_MAX = 0.05
BUSY_RETRY_URGENT = 0.0005  # an urgent writer (the webhook inbox) retries a busy BEGIN this often, without backing off

# Set by storage.db.Database.transaction(urgent=True): this BEGIN is a webhook's, waiting for its ack.
URGENT: contextvars.ContextVar[bool] = contextvars.ContextVar("edunet_sqlite_urgent", default=False)


def _busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class _InlineQueue:
    """Stands in for aiosqlite's request queue: SQLAlchemy's dialect puts work on it directly
    (setting the isolation level); here it runs at once and resolves the future."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller
            if future is not None and not future.done():
                future.set_exception(exc)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """``aiosqlite.Connection`` whose calls run on the calling thread (see the module doc)."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], *, busy_timeout: float) -> None:
        super().__init__(connector, 64)
        self._tx = _InlineQueue()  # type: ignore[assignment]
        self._busy_timeout = busy_timeout

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline: float | None = None
        urgent = URGENT.get()
        pause = BUSY_RETRY_URGENT if urgent else BUSY_RETRY_FIRST
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as exc:
                # Only a statement that did nothing is retried: a busy BEGIN (another process's
                # writer). Inside a transaction SQLite answers busy only where a retry is safe too
                # (WAL readers never wait; BEGIN IMMEDIATE already holds the write lock).
                if not _busy(exc):
                    raise
                now = time.monotonic()
                deadline = deadline if deadline is not None else now + self._busy_timeout
                if now >= deadline:
                    raise
                await asyncio.sleep(pause)
                if not urgent:
                    pause = min(pause * 2, BUSY_RETRY_MAX)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()  # no thread to start

    def stop(self) -> asyncio.Future[Any] | None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        return None

    async def close(self) -> None:
        self.stop()


def connect(database: str, *, busy_timeout: float) -> InlineConnection:
    """An inline connection to ``database`` (autocommit mode: the caller issues BEGIN)."""

    def connector() -> sqlite3.Connection:
        conn = sqlite3.connect(database, timeout=0, isolation_level=None, check_same_thread=False)
        return conn

    return InlineConnection(connector, busy_timeout=busy_timeout)


# A WAL this long (in 4 KB pages) is restarted once checkpointed: 4,096 frames are 16 MB of WAL and one
# 32 KB region of its ``-shm`` index, which every process maps and keeps mapped until it closes.
WAL_RESTART_FRAMES = 4096
RESTART_WAIT_MS = 10  # how long a restart may wait for the write lock and for readers, then it gives up


def checkpoint(database: str) -> None:
    """Write the WAL back into the database file (blocking: call it from a thread). PASSIVE first:
    never waits for readers or writers; what it cannot copy now is copied next time.

    Under a steady stream of writes (two processes: webhooks and the worker) a passive checkpoint never
    finds the WAL copied to its end when a writer begins, so SQLite never starts it over: at 500
    webhooks/s it grew by 17 MB/s, past 650 MB in 40 s, and its index (``-shm``, mapped by each process)
    by 32 KB per 16 MB, all of it resident until the connection closes (3 December 2026). So a WAL past
    :data:`WAL_RESTART_FRAMES` is then checkpointed with RESTART: it copies what the passive pass left
    (little), waits up to :data:`RESTART_WAIT_MS` for the writers' lock and for the readers to leave
    the WAL, and the next writer writes from the WAL's start again (the file keeps its size, so no
    block is freed and allocated again). Writers wait meanwhile (the copy of a few frames and one
    fsync). If it cannot have the lock or the readers in that time it leaves the WAL for the next time.
    (TRUNCATE, which also empties the file, with a wait of 100 ms: ack p99 66 ms instead of 28, one run each.)"""
    conn = sqlite3.connect(database, timeout=1.0, isolation_level=None)
    try:
        row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if row is not None and row[1] >= WAL_RESTART_FRAMES:
            conn.execute(f"PRAGMA busy_timeout={RESTART_WAIT_MS}")
            conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
    finally:
        conn.close()
