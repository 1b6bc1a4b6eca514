"""Heartbeats: several instances on one database take over a dead one's work within seconds.

Each ``edunet serve`` process is an instance (``host-pid-random``) that writes its heartbeat every
:data:`INTERVAL` (storage/ops.py, ``instances``). The outbox rows it leases and the inbox events it
processes carry its id. At every beat it also looks for instances silent for more than
:data:`DEAD_AFTER`: their outbox rows and inbox events are handed back at once (one survivor does
it, under a lock) and the dispatcher, the inbox workers and the scheduler are woken, so a killed
instance's work continues within ``DEAD_AFTER + INTERVAL`` seconds (8 s by default) instead of
when a 60 s lease ends. A fresh start takes over what the previous run of a single instance left.

**Fencing.** An instance that cannot write its heartbeat (the database is unreachable, the
process stalled) must not keep sending what survivors may be taking over: :meth:`Heartbeat.fresh`
is False once its last successful beat is older than ``DEAD_AFTER / 2``, and the dispatcher starts
no send then. When a beat finds its row gone (it was taken for dead), the dispatcher forgets the
rows it held in memory; they are the survivors' now. A send already in flight when that happens
may still complete: LINE then drops the resend by its ``X-Line-Retry-Key``; Telegram, which has
none, may show that one message twice (the outbox marks a row sent right after the API answers,
so this is at most one message per chat in flight).

The beats run in a thread of their own, with their own event loop and database connection, so
a busy event loop (a burst of rendering, a slow start-up on a loaded machine) does not make a
live instance look dead; what the take-over sets off (waking the workers, fencing) is handed to
the main loop.

Clocks: heartbeats use the lease clock (real time), like the outbox leases; instances' clocks
must agree to well under ``DEAD_AFTER`` (NTP).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import Clock, SystemClock
from storage.db import Database
from storage.ops import InstanceRepo, TakenOver

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

INTERVAL = 2.0
DEAD_AFTER = 6.0


def new_instance_id() -> str:
    """``host-pid-xxxxxx``: unique per start, readable in logs."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Heartbeat:
    """Writes this instance's heartbeat and takes over dead instances' work."""

    def __init__(self, app: App, instance: str | None = None, *, interval: float = INTERVAL,
                 dead_after: float = DEAD_AFTER, clock: Clock | None = None) -> None:
        self.app = app
        self.instance = instance or new_instance_id()
        self.interval = interval
        self.dead_after = timedelta(seconds=dead_after)
        self.clock: Clock = clock or SystemClock()
        self._last_ok: float | None = None  # time.monotonic() of the last successful beat
        self._thread: threading.Thread | None = None
        self._main: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        # Told what was taken over (wake the workers) and when this instance was taken for dead.
        self.on_take_over: list[Callable[[list[TakenOver]], None]] = []
        self.on_fenced: list[Callable[[], None]] = []
        self.taken_over: list[TakenOver] = []

    def fresh(self) -> bool:
        """Whether this instance may start sending: its heartbeat is recent enough that no
        survivor can have taken its work."""
        if self._last_ok is None:
            return False
        return time.monotonic() - self._last_ok < self.dead_after.total_seconds() / 2

    async def start(self) -> None:
        """The first beat (and a take-over of what earlier runs left), then the beating thread."""
        self._main = asyncio.get_running_loop()
        await self.beat()
        self._thread = threading.Thread(target=self._thread_main, name=f"{self.instance}-heartbeat", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Stop beating and leave (call after the dispatcher and workers released their leases)."""
        self._stopping.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, self.interval + 10)
        try:
            async with self.app.db.transaction() as conn:
                await InstanceRepo(conn).leave(self.instance)
        except Exception:
            log.exception("could not remove instance %s at shutdown; the others will take it for dead", self.instance)

    async def alive(self) -> int:
        """Instances with a fresh heartbeat (``/metrics``)."""
        async with self.app.db.transaction() as conn:
            return await InstanceRepo(conn).alive(self.clock.now() - self.dead_after)

    def _thread_main(self) -> None:
        asyncio.run(self._beating())

    async def _beating(self) -> None:
        db = Database(self.app.db.url, pool_size=1)
        try:
            while not self._stopping.wait(self.interval):
                try:
                    await self.beat(db)
                except Exception:
                    log.exception("heartbeat of %s failed; retrying in %.0f s", self.instance, self.interval)
        finally:
            await db.dispose()

    def _on_main(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the main event loop (now, when already on it)."""
        main = self._main
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if main is None or main is current:
            callback()
        elif not main.is_closed():
            main.call_soon_threadsafe(callback)

    async def beat(self, db: Database | None = None) -> list[TakenOver]:
        """One heartbeat, then take over the dead; returns what was taken over."""
        db = db or self.app.db
        started = time.monotonic()
        now = self.clock.now()
        async with db.transaction() as conn:
            known = await InstanceRepo(conn).beat(self.instance, now, host=socket.gethostname(), pid=os.getpid())
        if not known and self._last_ok is not None:
            log.warning("instance %s had been taken for dead (no heartbeat for over %.0f s): "
                        "its leased work went to the others", self.instance, self.dead_after.total_seconds())
            for listener in self.on_fenced:
                self._on_main(listener)
        self._last_ok = started
        async with db.transaction() as conn:
            taken = await InstanceRepo(conn).take_over(dead_before=now - self.dead_after, exclude=self.instance)
        for item in taken:
            log.warning("instance %s stopped (last heartbeat %s): took over %d outbox row(s) and %d inbox event(s)",
                        item.instance, item.last_heartbeat.isoformat(timespec="seconds"), item.outbox_rows,
                        item.inbox_events)
        if taken:
            self.taken_over.extend(taken)

            def wake() -> None:
                for callback in self.on_take_over:
                    callback(taken)
                self.app.notify_outbox()
                self.app.notify_inbox()
                self.app.notify_scheduler()

            self._on_main(wake)
        return taken
