"""``EDUNET_PROCESSES=2``: ``edunet serve`` as a receiving process and a worker process.

One process runs everything on one event loop, so a webhook's ack waits for whatever processing
runs on it at that moment (an event costs milliseconds of CPU; at a few hundred events/s that is the
whole core). With two processes, the one started (the *receiver*) serves the web (webhooks,
``/healthz``, ``/metrics``, media, the web view) and Telegram's polling: it verifies and stores
each webhook in the inbox and answers at once. It starts the *worker* process (``python -m edunet
serve`` with ``EDUNET_ROLE=worker``), which processes the inbox, runs the outbox dispatcher and the
scheduler, and binds no port. Each has a core of a 2-core machine, and each is an instance with a
heartbeat of its own (:mod:`bot.heartbeat`), so every guarantee of several instances holds:
per-chat order, exactly-once processing, a dead process's work taken over within seconds.

Wake-ups travel through a pipe the receiver holds open: one byte per wake-up (``i`` inbox,
``o`` outbox, ``s`` scheduler). The worker also polls (the inbox every few seconds), so a lost
byte only delays. When the receiver dies (even by SIGKILL) its end of the pipe closes and the
worker stops as on SIGTERM (finishing the event in hand); when the worker exits unexpectedly, the
receiver starts another after :data:`RESTART_DELAY` and ``/healthz`` answers 503 meanwhile.
On SQLite both processes share :class:`storage.db.UrgentSignal`, so the inbox writes go first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

ROLE = "EDUNET_ROLE"
WAKE_FD = "EDUNET_WAKE_FD"
READY_FD = "EDUNET_READY_FD"
RESTART_DELAY = 1.0
STOP_TIMEOUT = 20.0
INBOX, OUTBOX, SCHEDULER = b"i", b"o", b"s"
WORKER_NICENESS = 10  # the worker lowers its CPU priority by this much (see edunet.serve)
# The worker's exit status when a platform refused its credentials (sysexits' EX_CONFIG): starting
# it again cannot help, so the receiver stops too, with status 1, after the worker's one line.
EXIT_REFUSED = 78
TRIM_SECONDS = 2.0  # how often freed memory goes back to the system (give_back_freed_memory)


def _malloc_trim() -> Callable[[int], int] | None:
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim if name else None  # type: ignore[assignment]
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to do
        return None
    return trim


async def give_back_freed_memory(every: float = TRIM_SECONDS) -> None:
    """Hand the memory Python freed back to the system every ``every`` seconds (glibc's ``malloc_trim``).
    glibc keeps freed blocks in its heaps for reuse, and under a stream of events the holes between live
    blocks only grow: in a minute at 500 webhooks/s a worker went from 90 to 114 MB of RSS with this off,
    to 101 MB with it on (PostgreSQL, same hour). Each call takes about a millisecond. Runs until cancelled;
    returns at once where there is no glibc."""
    trim = _malloc_trim()
    if trim is None:
        return
    while True:
        await asyncio.sleep(every)
        trim(0)


def freeze_start_up_objects() -> int:
    """Set what start-up made aside from the garbage collector (``gc.freeze``) and return how many objects.

    CPython's full (oldest-generation) collection walks every object that can hold references, and a
    started process holds about 100,000 that stay for its life: modules, the tables' metadata, compiled
    statements, the app. A collection of them cost about 40 ms, and it came every few SAR packs (each
    makes thousands of rows), in the middle of whichever reply was running. Frozen, they are never
    walked again: a full collection then took about 5 ms (``python -m bench.queries``, December 2026).
    Refcounting frees frozen objects as before; only one that later ends up in a garbage cycle stays
    (start-up's objects are the long-lived ones, and start-up's own garbage is collected first, here)."""
    import gc

    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class WorkerProcess:
    """The receiver's side: starts the worker process, restarts it if it dies, wakes it."""

    def __init__(self, on_refused: Callable[[], None] | None = None) -> None:
        self._on_refused = on_refused
        self.refused = False  # the worker exited with EXIT_REFUSED: not started again
        self._read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._ready_fd: int | None = None
        self.ready = False  # the current worker process has started (its adapters, dispatcher, scheduler)
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0

    async def start(self) -> None:
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name="edunet-worker-process")

    async def _spawn(self) -> None:
        self.ready = False
        ready_read, ready_write = os.pipe()
        env = {**os.environ, ROLE: "worker", WAKE_FD: str(self._read_fd), READY_FD: str(ready_write)}
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "edunet", "serve", env=env, pass_fds=(self._read_fd, ready_write))
        finally:
            os.close(ready_write)
        log.info("worker process %s started", self._process.pid)
        self._watch_ready(ready_read)

    def _watch_ready(self, fd: int) -> None:
        """The worker writes one byte once it runs (and its end closes when it exits)."""
        loop = asyncio.get_running_loop()
        self._close_ready()
        self._ready_fd = fd

        def readable() -> None:
            try:
                data = os.read(fd, 16)
            except OSError:
                data = b""
            if data:
                self.ready = True
                log.info("worker process %s is running", self.pid)
            self._close_ready()

        loop.add_reader(fd, readable)

    def _close_ready(self) -> None:
        if self._ready_fd is not None:
            try:
                asyncio.get_running_loop().remove_reader(self._ready_fd)
            except (RuntimeError, ValueError):
                pass
            os.close(self._ready_fd)
            self._ready_fd = None

    async def _watch(self) -> None:
        while not self._stopping:
            assert self._process is not None
            code = await self._process.wait()
            if self._stopping:
                return
            if code == EXIT_REFUSED:
                self.refused = True
                log.error("the worker process stopped: a platform refused its credentials")
                if self._on_refused is not None:
                    self._on_refused()
                return
            self.restarts += 1
            log.error("the worker process exited with status %s; starting another in %.0f s", code, RESTART_DELAY)
            await asyncio.sleep(RESTART_DELAY)
            if not self._stopping:
                await self._spawn()
                self.tell(INBOX + OUTBOX + SCHEDULER)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        return self._process is not None and self._process.returncode is None

    def problem(self) -> str | None:
        """For ``/healthz``: None while the worker process runs, else what is wrong."""
        if not self.running():
            return "the worker process is not running"
        if not self.ready:
            return "the worker process is starting"
        return None

    def tell(self, what: bytes) -> None:
        """Wake the worker (never blocks: a full pipe already holds unread wake-ups)."""
        try:
            os.write(self._write_fd, what)
        except (BlockingIOError, BrokenPipeError):
            pass

    async def stop(self) -> None:
        """SIGTERM (the worker finishes the events in hand and gives the rest back), SIGKILL after
        :data:`STOP_TIMEOUT`."""
        self._stopping = True
        if self._watcher is not None:
            self._watcher.cancel()
            await asyncio.gather(self._watcher, return_exceptions=True)
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT)
            except asyncio.TimeoutError:
                log.error("the worker process did not stop within %.0f s; killing it", STOP_TIMEOUT)
                process.kill()
                await process.wait()
        self._close_ready()
        for fd in (self._read_fd, self._write_fd):
            try:
                os.close(fd)
            except OSError:
                pass


def listen_for_wakes(notify: dict[bytes, Callable[[], None]], on_receiver_gone: Callable[[], None]) -> int | None:
    """The worker's side: call ``notify[byte]`` for each wake-up from the receiver, and
    ``on_receiver_gone`` when its end of the pipe closes. Returns the pipe's fd (None when this
    process was not started by a receiver)."""
    raw = os.environ.get(WAKE_FD)
    if not raw:
        return None
    fd = int(raw)
    os.set_blocking(fd, False)
    loop = asyncio.get_running_loop()

    def readable() -> None:
        try:
            data = os.read(fd, 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(fd)
            log.warning("the receiving process is gone: stopping")
            on_receiver_gone()
            return
        for byte in set(data):
            callback = notify.get(bytes([byte]))
            if callback is not None:
                callback()

    loop.add_reader(fd, readable)
    return fd


def tell_ready() -> None:
    """The worker's side: tell the receiver this process runs (``/healthz`` answers 200 from now)."""
    raw = os.environ.pop(READY_FD, None)
    if not raw:
        return
    fd = int(raw)
    try:
        os.write(fd, b"r")
    except OSError:
        pass
    finally:
        os.close(fd)


def stop_listening(fd: int | None) -> None:
    if fd is None:
        return
    try:
        asyncio.get_running_loop().remove_reader(fd)
    except (RuntimeError, ValueError):
        pass
