"""The inbox worker: webhook events stored in :mod:`storage.inbox` are processed here,
in the background, so a webhook can answer its platform at once.

One worker per platform. Events of one chat run in order, chats in parallel; an event
is leased while it runs (another instance, or this one after a restart, takes it over
when the lease expires) and retried up to :data:`MAX_ATTEMPTS` times before it is
marked ``failed`` (at once when the platform says it can never be processed: :class:`Unprocessable`). Finished events are kept for :data:`KEEP_INBOX`, then pruned.

Storing never waits for processing: webhooks hand their events to one writer task that
commits everything waiting in one transaction (group commit), as an *urgent* writer (on
SQLite it goes before the worker's transactions; on PostgreSQL it has a small pool of its
own, so a busy worker cannot exhaust the webhook's connections). The worker claims a batch in
one short transaction, one instance at a time, and takes the events of known chats (members,
linked groups) first, so a flood of strangers cannot starve members. A chat's events run in
order across instances: while one instance has a chat's event in hand, no other takes the
chat's next ones.

In one process the worker shares the event loop with the webhooks: its transactions take turns
(:class:`storage.db.Turns`), one per loop iteration, so an ack waits for one transaction's work
at a time, never for all the chats in hand. With ``EDUNET_PROCESSES=2`` (:mod:`edunet.processes`)
the receiving process only stores (``app.works`` is False: :meth:`InboxWorker.start` starts no
processing and a stored batch wakes the worker process) and the worker process only processes
(``app.receives`` is False: no turns, nothing on its loop waits for an ack).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from storage.db import Database
from storage.inbox import InboxRepo, InboxRow
from storage.repo import serialise_on
from storage.runtime import EventLogRepo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.app import App

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 3
POLL_SECONDS = 5.0
PARALLEL_CHATS = 8
BATCH = 48  # events claimed at a time: small enough that a member's event waits for one batch at most
PER_CHAT = 4  # a chat's events in a batch before any chat's later ones (they run one after another)
STORE_BATCH = 500  # events per group commit
HOUSEKEEPING_SECONDS = 3600.0
KEEP_INBOX = timedelta(days=7)
# An event's kept answer (bot.app.App.handle) is needed only by a run again after a crash: within the lease
# (or a survivor's take-over, seconds) of its first run. It holds what the bot said, so it goes soon after.
ANSWER_KEPT = 3 * LEASE


class Unprocessable(Exception):
    """Raised by a platform's processing for an event that can never be processed (``str(exc)``
    says why): it is kept as ``failed`` at once, without the retries a passing failure gets."""


class InboxWorker:
    """Stores one platform's webhook events and runs ``process`` on each, in the background."""

    def __init__(self, app: App, platform: str, process: Callable[[InboxRow], Awaitable[None]], *,
                 housekeeping: Callable[[], Awaitable[int]] | None = None,
                 claimed: Callable[[AsyncConnection, list[InboxRow]], Awaitable[None]] | None = None) -> None:
        """``claimed``: the platform's reads about a batch just claimed, in the claim's transaction (one
        statement for the batch rather than one per event)."""
        self.app = app
        self.platform = platform
        self._process_row = process
        self._claimed = claimed
        self._housekeeping_extra = housekeeping
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.stopping = False
        self._store_queue: list[tuple[list[tuple[str, str, dict[str, Any]]], asyncio.Future[int]]] = []
        self._store_wake: asyncio.Event | None = None
        self._store_task: asyncio.Task[None] | None = None
        self._store_db: Database | None = None

    # ------------------------------------------------------------ storing

    async def store(self, events: Iterable[tuple[str, str, dict[str, Any]]]) -> int:
        """Store (event id, chat id, body) events durably; returns how many were new.

        The events join the next group commit; this returns once it is committed (and raises
        if it failed, so the platform gets a 500 and redelivers)."""
        batch = list(events)
        if not batch:
            return 0
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._store_queue.append((batch, future))
        self._ensure_store_task()
        assert self._store_wake is not None
        self._store_wake.set()
        stored = await asyncio.shield(future)
        if stored:
            if self.app.works:
                self.wake()
            else:  # a receiver process: the worker process is told (edunet/processes.py)
                self.app.notify_inbox()
        return stored

    def _ensure_store_task(self) -> None:
        if self._store_task is None or self._store_task.done():
            self._store_wake = asyncio.Event()
            self._store_task = asyncio.create_task(self._store_loop(), name=f"{self.platform}-inbox-store")

    def _store_database(self) -> Database:
        """The database the webhook writes through: the app's on SQLite (its gate lets the inbox
        go first), a small engine of its own on PostgreSQL (the worker cannot exhaust it)."""
        if self.app.db.is_sqlite:
            return self.app.db
        if self._store_db is None:
            self._store_db = Database(self.app.db.url, pool_size=2)
            if self.app.db.urgency_path is not None:  # the worker process waits while it stores
                self._store_db.share_urgency(self.app.db.urgency_path)
        return self._store_db

    async def _store_loop(self) -> None:
        assert self._store_wake is not None
        while True:
            await self._store_wake.wait()
            self._store_wake.clear()
            while self._store_queue:
                taken: list[tuple[list[tuple[str, str, dict[str, Any]]], asyncio.Future[int]]] = []
                size = 0
                while self._store_queue and size < STORE_BATCH:
                    item = self._store_queue.pop(0)
                    taken.append(item)
                    size += len(item[0])
                try:
                    now = self.app.clock.now()
                    async with self._store_database().transaction(urgent=True) as conn:
                        new = await InboxRepo(conn, self.platform).add_many(
                            [event for events, _future in taken for event in events], now)
                    counts = []
                    for events, _future in taken:  # each webhook counts its own new events, once
                        mine = {event_id for event_id, _chat, _body in events} & new
                        new -= mine
                        counts.append(len(mine))
                except asyncio.CancelledError:
                    for _events, future in taken:
                        if not future.done():
                            future.cancel()
                    raise
                except Exception as exc:  # noqa: BLE001 - every webhook of the batch learns it failed
                    for _events, future in taken:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_events, future), count in zip(taken, counts):
                    if not future.done():
                        future.set_result(count)

    async def dead_letter(self, event_id: str, chat_id: str, body: dict[str, Any], *, error: str) -> None:
        """Keep an event that can never be processed, for a person to look at; it is not retried."""
        async with self.app.db.transaction() as conn:
            await InboxRepo(conn, self.platform).dead_letter(event_id, chat_id, body, self.app.clock.now(),
                                                             error=error)

    def wake(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        if not self.app.works:  # a receiver process stores; its worker process processes
            return
        if self.app.receives:  # acks on this event loop too: the worker's transactions take turns with them
            self.app.db.pace_work()
        self._wake = asyncio.Event()
        self._wake.set()  # events left over from a previous run
        self._task = asyncio.create_task(self._run(), name=f"{self.platform}-inbox")
        self.app.on_inbox(self.wake)

    async def stop(self, grace: float) -> None:
        """Finish the event in hand (cancelling a task mid-transaction can wedge the database
        driver), then stop; events not started stay in the inbox for the next start."""
        self.stopping = True
        self.wake()
        if self._task is None:
            await self._stop_store()
            return
        _done, pending = await asyncio.wait({self._task}, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._stop_store()

    async def _stop_store(self) -> None:
        if self._store_task is not None:
            if not self._store_queue:
                self._store_task.cancel()
            else:  # webhooks still waiting for their commit: let it finish
                while self._store_queue and not self._store_task.done():
                    await asyncio.sleep(0.01)
                self._store_task.cancel()
            await asyncio.gather(self._store_task, return_exceptions=True)
        if self._store_db is not None:
            await self._store_db.dispose()
            self._store_db = None

    # ------------------------------------------------------------ processing

    async def _run(self) -> None:
        assert self._wake is not None
        last_housekeeping = 0.0
        while not self.stopping:
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s inbox processing failed; retrying", self.platform)
            if self.stopping:
                return
            if time.monotonic() - last_housekeeping > HOUSEKEEPING_SECONDS:
                last_housekeeping = time.monotonic()
                await self._housekeeping()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=POLL_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def drain(self) -> int:
        """Process every waiting event (in order per chat, chats in parallel); returns how many."""
        done = 0
        while not self.stopping:
            now = self.app.clock.now()
            # Claims are taken one at a time across instances (what a chat has in hand decides what
            # its next events wait for): on PostgreSQL under an advisory lock, on SQLite the write lock.
            async with self.app.db.transaction() as conn:
                await serialise_on(conn, f"inbox-claims:{self.platform}")
                repo = InboxRepo(conn, self.platform)
                candidates = await repo.candidates(now, limit=BATCH, members_first=True, per_chat=PER_CHAT)
                rows = await repo.claim_many(candidates, now, LEASE, owner=self.app.instance) if candidates else []
                if rows and self._claimed is not None:
                    await self._claimed(conn, rows)
            if not candidates:
                return done
            by_chat: dict[str, list[InboxRow]] = defaultdict(list)
            for row in rows:
                by_chat[row.chat_id].append(row)
            if not by_chat:
                return done
            limit = asyncio.Semaphore(PARALLEL_CHATS)

            finished: list[int] = []

            async def run_chat(rows: list[InboxRow]) -> None:
                async with limit:
                    for row in rows:
                        if self.stopping:  # claimed but not started: give it back
                            async with self.app.db.transaction() as conn:
                                await InboxRepo(conn, self.platform).release(row.id, error="shutting down")
                            continue
                        if await self._process(row):
                            finished.append(row.id)

            try:
                await asyncio.gather(*(run_chat(rows) for rows in by_chat.values()))
            finally:
                # One statement for the batch's successes (an event run again after a crash here is
                # dropped by the pipeline's event de-duplication, not answered twice).
                if finished:
                    async with self.app.db.transaction() as conn:
                        await InboxRepo(conn, self.platform).finish_many(finished, self.app.clock.now())
            done += sum(len(rows) for rows in by_chat.values())
        return done

    async def _process(self, row: InboxRow) -> bool:
        """Run one event; True when it succeeded (the caller marks it done), False when it failed
        (given back for another attempt, or dead-lettered after the last)."""
        try:
            await self.app.db.turn()
            await self._process_row(row)
        except Unprocessable as exc:
            log.warning("%s event %s cannot be processed and is kept as failed: %s", self.platform, row.event_id, exc)
            async with self.app.db.transaction() as conn:
                await InboxRepo(conn, self.platform).finish(row.id, self.app.clock.now(), status="failed",
                                                            error=str(exc))
            return False
        except Exception as exc:
            log.exception("%s event %s failed (attempt %d)", self.platform, row.event_id, row.attempts)
            async with self.app.db.transaction() as conn:
                if row.attempts >= MAX_ATTEMPTS:
                    await InboxRepo(conn, self.platform).finish(row.id, self.app.clock.now(), status="failed",
                                                                error=repr(exc))
                else:
                    await InboxRepo(conn, self.platform).release(row.id, error=repr(exc))
            return False
        return True

    async def _housekeeping(self) -> None:
        try:
            removed = await self._housekeeping_extra() if self._housekeeping_extra else 0
            async with self.app.db.transaction() as conn:
                removed += await InboxRepo(conn, self.platform).prune(self.app.clock.now() - KEEP_INBOX)
                await EventLogRepo(conn).forget_answers(self.app.clock.now() - ANSWER_KEPT)
            if removed:
                log.info("%s housekeeping removed %d expired rows", self.platform, removed)
        except Exception:
            log.exception("%s housekeeping failed", self.platform)
