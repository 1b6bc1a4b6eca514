"""Delivery of queued pushes (the outbox).

Rows are written by handlers in the same transaction as the change that caused them
(:meth:`bot.context.BaseContext.push`); a dispatcher delivers them through the
platform's :class:`Sender`:

* **Claiming with leases.** A dispatcher takes a time-limited lease on a row before
  sending it (:class:`storage.deliveries.DeliveryRepo`), so two dispatcher processes on
  one database never send the same row at once. A crash at any point loses nothing:
  under ``edunet serve`` the owner is the instance, and when its heartbeat stops the
  survivors hand its rows back within seconds (bot/heartbeat.py); otherwise the lease
  runs out and the row is picked up again. LINE pushes carry the row's stable retry key
  (``X-Line-Retry-Key``), so a resend after a crash is never delivered twice.
* **Sends in flight.** A sender may declare ``concurrent_sends`` (Telegram: 1, since a resend
  after a crash cannot be recognised there): at most that many of its pushes are between
  "request sent" and "marked sent" at once in this process, so a crash repeats at most that
  many messages. Such a send is never cancelled (its request may have left): past
  ``send_timeout`` it is waited for, with a warning.
* **Marked sent at once, in group commits.** A row is marked sent in a short transaction
  right after the platform answered; marks that arrive while one is being written go
  together in the next (:class:`SentMarks`), so no chat's next send waits behind another
  chat's transaction, and a crash leaves at most the rows whose answer came in during
  the last commit unmarked (Telegram has no idempotency key: those few are sent again). A mark
  that fails (a locked database, a lost connection) is written again until it is, holding the
  sender's slot meanwhile; it is never left to the lease, which the heartbeat would keep renewing.
* **Order.** A chat's rows go oldest first. When one must be retried (a 429, a timeout, a 5xx)
  the chat's later rows held in memory go back with it and the claim takes none of them while
  an earlier row of the chat waits for its retry, so they follow it.
* **Claims.** A dispatcher holds at most what its pacer can send in ``claim_ahead`` seconds,
  per platform and per chat, so no claimed row waits in memory long enough to time out; it
  looks for more when half of that is free (or a chat it held to its share is done), and its
  idle check counts only rows no dispatcher holds, so it never spins on its own rows.
* **Pacing.** Each sender may declare ``rate_profile`` (its adapter's, e.g.
  ``bot.adapters.telegram.rate.RATE_PROFILE``); the dispatcher then never bursts beyond it.
  A sender that also paces its own direct replies exposes that :class:`bot.ratelimit.Pacer`
  as ``pacer``, and the dispatcher uses it, so replies and pushes share one set of windows.
  A sender without either (the console) is not paced. A grant counts in the windows as sent
  until its request is answered, then from the answer (:meth:`bot.ratelimit.Pacer.done`): the
  platform saw it between the two, so no queueing on our side can make a burst on its side.
* **Retries.** Timeouts, 5xx and 429 are retried with exponential backoff and jitter,
  honouring ``retry_after``; a chat that blocked or removed the bot is marked inactive;
  after the last attempt a row is dead-lettered (``/deliveries`` shows it).
* **Batching.** A sender that also offers ``send_batch`` (LINE: a push of up to five
  message objects costs one message per recipient, however many objects it holds) gets
  a chat's due rows together: consecutive rows whose messages fit one request
  (:attr:`BatchSender.batch_messages`) go in one call; a row is never split across
  requests, and a row that needs more goes alone through ``send``. Each row of a batch
  is marked sent, or goes through the retry/dead-letter policy on its own.
* **Free riders.** On a platform that bills each push (``app.billed_platforms``), a push that goes
  out (due rows the budget admitted) also carries the chat's other pending rows that fit the
  request, due or not; they cost nothing more. They are leased like claimed rows, sent in the
  chat's order and marked in the same commit; a failed batch gives every row one retry time, so
  the retry is the same request under the same key (a 409 then covers exactly its rows).

Clocks: ``not_before`` and every stored time use the application's clock (a
:class:`bot.clock.ManualClock` in the console and tests); leases use ``lease_clock``
(real time, shared by processes) and pacing a monotonic clock inside the
:class:`bot.ratelimit.Pacer`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, SystemClock
from bot.delivery_policy import Urgency, WaitReason, quiet_hours_of
from bot.model import Reply, reply_from_dict
from bot.ratelimit import Pacer, RateProfile
from storage.deliveries import ChatGoneRepo, ClaimedRow, DeliveryRepo
from storage.membership import Chat, NetworkRepo
from storage.runtime import TaskRepo

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_ATTEMPTS = 6
# A "sent" mark that could not be written is tried again after 0.05 s, 0.1 s … at most 2 s apart.
MARK_RETRY_FIRST = 0.05
MARK_RETRY_CAP = 2.0
# The dispatcher holds at most what its pacer can send in this many seconds (per platform and per
# chat), so a claimed row never waits in memory long enough to time out or to block a takeover.
CLAIM_AHEAD_SECONDS = 2.0


# A row the platform refused for the month's quota waits this long before it is tried again (or a
# free reply carries it first); no attempt is counted.
PARK_FOR = timedelta(hours=1)
# Task kind the dispatcher schedules (once a day per network) when the month's quota is used up;
# a feature registers it to tell the coordinators.
MONTHLY_LIMIT_TASK = "outbox.monthly_limit"


class DeliveryError(Exception):
    """A failed send. ``chat_gone``: the bot was blocked/removed; don't retry this chat.
    ``wait_reason`` (e.g. ``monthly_limit``): not a failure of this row; it waits, no attempt counted.
    ``rate_limited``: the platform answered "too many requests" (HTTP 429); counted in /metrics."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None,
                 chat_gone: bool = False, wait_reason: str | None = None, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.rate_limited = rate_limited
        self.retryable = retryable and not chat_gone
        self.retry_after = retry_after
        self.chat_gone = chat_gone
        self.wait_reason = wait_reason


class Sender(Protocol):
    """A platform's way to push messages to a chat.

    Optionally a sender has ``rate_profile: RateProfile | None`` (see bot.ratelimit);
    the dispatcher paces its sends by it (with the sender's own ``pacer: Pacer`` when it has
    one). Pacers are keyed by the platform's chat id.
    """

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        """Deliver or raise :class:`DeliveryError`. ``retry_key`` is a UUID that stays the
        same for every attempt of the same request (LINE: ``X-Line-Retry-Key``; a 409
        answer to it means "already accepted" and counts as delivered)."""
        ...


class BatchResult(Protocol):
    """What ``send_batch`` returns: ``delivered`` leading rows went out; ``error`` says
    why the next one did not (None when all did)."""

    delivered: int
    error: DeliveryError | None


class BatchSender(Sender, Protocol):
    """A sender that can put several queued rows for one chat into one request (optional).

    ``batch_messages``: how many message objects one request holds; ``message_count``:
    how many a row's replies become (more than ``batch_messages`` when the row needs
    several requests). ``send_batch`` gets ``(replies, retry_key)`` per row, in order, and
    must be idempotent for a repeated batch: the request's retry key is derived from its
    rows' keys only (LINE: the first row's key; a 409's ``sentMessages`` then tells how
    many leading rows that earlier request carried, even if the batch has grown since).
    """

    batch_messages: int

    def message_count(self, replies: list[Reply]) -> int: ...

    async def send_batch(self, chat: Chat, rows: Sequence[tuple[list[Reply], str]]) -> BatchResult: ...


DEFAULT_BATCH_MESSAGES = 5


@dataclass
class Delivery:
    chat: Chat
    replies: list[Reply]
    key: str


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter; ``retry_after`` from the platform wins when longer."""

    max_attempts: int = MAX_ATTEMPTS
    base_seconds: float = 2.0
    cap_seconds: float = 300.0
    jitter: float = 0.2

    def delay(self, attempt: int, retry_after: float | None = None) -> timedelta:
        """The wait before attempt ``attempt + 1`` (``attempt`` = failures so far, from 1)."""
        backoff = min(self.cap_seconds, self.base_seconds * 2 ** max(0, attempt - 1))
        backoff *= 1 + random.uniform(-self.jitter, self.jitter)
        if retry_after is not None:
            return timedelta(seconds=max(retry_after, 0.0))
        return timedelta(seconds=backoff)


def backoff(attempt: int) -> timedelta:
    """Exponential: 2 s, 4 s, 8 s … capped at 5 minutes (no jitter)."""
    return timedelta(seconds=min(300, 2 ** max(1, attempt)))


def chunk_retry_key(row_retry_key: str, index: int) -> str:
    """A stable UUID per request of a row: the row's own for the first, derived after."""
    if index == 0:
        return row_retry_key
    return str(uuid.uuid5(uuid.UUID(row_retry_key), str(index)))


def _chat_of(row: ClaimedRow) -> Chat:
    return Chat(id=row.chat_id, platform=row.platform, platform_chat_id=row.platform_chat_id, kind=row.chat_kind,
                title=row.chat_title, network_id=row.chat_network_id, active=row.chat_active)


class SentMarks:
    """Group commit of "sent" marks: :meth:`mark` returns once the rows' marks are committed; marks
    arriving while a commit is under way are written together in the next one. The rows of one
    call (one request's rows) are always in the same commit: a crash never leaves half a LINE
    batch marked, whose rest would go again under another row's retry key."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._pending: list[tuple[tuple[int, ...], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self.commits = 0
        self.largest = 0
        self.failures = 0  # commits that failed and were tried again
        # A connection of its own while a dispatcher runs: a mark is BEGIN, one UPDATE, COMMIT, with no
        # pool checkout, ping or reset around it (the Telegram slot waits for it at every push).
        self._conn: AsyncConnection | None = None
        self.keep_connection = False

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _commit(self, row_ids: list[int], now: datetime) -> None:
        db = self.app.db
        if not self.keep_connection:
            async with db.transaction(urgent=True) as conn:
                await DeliveryRepo(conn).sent_many(row_ids, now)
            return
        if self._conn is None:
            self._conn = await db.engine.connect()
        gate = db.gate.hold(urgent=True) if db.is_sqlite else contextlib.nullcontext()
        try:
            async with gate, self._conn.begin():
                await DeliveryRepo(self._conn).sent_many(row_ids, now)
        except Exception:
            await self.close()  # a fresh one next time
            raise

    async def mark(self, *row_ids: int) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((row_ids, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        await asyncio.shield(future)

    async def _write(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            failures = 0
            while True:
                try:
                    await self._commit([i for row_ids, _future in batch for i in row_ids], self.app.clock.now())
                    break
                except Exception:
                    # The platform took these messages: the mark is retried until it is written (a lease
                    # left to run out, or renewed by the heartbeat, would have them sent again). The
                    # sender's slot stays taken meanwhile, so no other push starts unmarked behind it.
                    failures += 1
                    self.failures += 1
                    log.exception("could not mark outbox row(s) %s sent (attempt %d); retrying",
                                  ", ".join(str(i) for ids, _f in batch for i in ids), failures)
                    await asyncio.sleep(min(MARK_RETRY_CAP, MARK_RETRY_FIRST * 2 ** (failures - 1)))
                except BaseException as exc:  # cancelled: the process is going down
                    for _row_ids, future in batch:
                        if not future.done():
                            future.set_exception(RuntimeError(repr(exc)))
                    raise
            self.commits += 1
            self.largest = max(self.largest, len(batch))
            for _row_ids, future in batch:
                if not future.done():
                    future.set_result(None)


class OutboxDispatcher:
    """Delivers due outbox rows through the platform senders.

    Two ways to drive it: :meth:`deliver_due` (one pass, in order; the console and tests)
    and :meth:`run` (a long-running loop, woken by ``app.on_outbox``; servers).
    """

    def __init__(self, app: App, senders: dict[str, Sender], *, owner: str | None = None,
                 lease_seconds: float = 60.0, lease_clock: Clock | None = None,
                 retry: RetryPolicy | None = None, send_timeout: float = 30.0, batch_size: int = 200,
                 max_in_flight: int = 1000, idle_poll_seconds: float = 2.0,
                 pacers: dict[str, Pacer] | None = None, shutdown_grace: float = 10.0,
                 fence: Callable[[], bool] | None = None, claim_ahead: float = CLAIM_AHEAD_SECONDS) -> None:
        self.app = app
        # Whether this instance may start a send (bot/heartbeat.py: its heartbeat is fresh); None: always.
        self.fence = fence
        self.marks = SentMarks(app)
        self._slots: dict[str, asyncio.Semaphore] = {
            platform: asyncio.Semaphore(int(limit)) for platform, sender in senders.items()
            if isinstance(limit := getattr(sender, "concurrent_sends", None), int) and limit > 0}
        self.senders = senders
        self.owner = owner or f"dispatcher-{uuid.uuid4().hex[:12]}"
        self.lease = timedelta(seconds=lease_seconds)
        self.lease_clock: Clock = lease_clock or SystemClock()
        self.retry = retry or RetryPolicy()
        self.send_timeout = send_timeout
        self.batch_size = batch_size
        self.max_in_flight = max_in_flight
        self.idle_poll_seconds = idle_poll_seconds
        self.shutdown_grace = shutdown_grace
        self.pacers: dict[str, Pacer] = dict(pacers or {})
        for platform, sender in senders.items():
            own = getattr(sender, "pacer", None)
            profile: RateProfile | None = getattr(sender, "rate_profile", None)
            if platform in self.pacers:
                continue
            if isinstance(own, Pacer):
                self.pacers[platform] = own
            elif profile is not None:
                self.pacers[platform] = Pacer(profile)
        self._wake = asyncio.Event()
        self._stopping = False
        self._queues: dict[int, deque[ClaimedRow]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._in_flight = 0
        self._held: Counter[str] = Counter()  # rows held in memory (queued or being sent) per platform
        self._room = asyncio.Event()
        self._retried: set[int] = set()  # chats whose head row went back for a retry: their later rows follow it
        self.claim_ahead = claim_ahead
        self.claims = 0
        self._more: dict[str, bool] = {}  # per platform: its last claim took all it asked for
        self._capped: set[int] = set()  # chats held up to their per-chat room: look again when done
        self._full_in_flight = False
        self._skip: set[int] = set()  # rows dead-lettered while waiting in memory (their chat is gone)
        self.stats = {"sent": 0, "retried": 0, "dead": 0, "batches": 0, "riders": 0}
        # (platform, result) -> how many, for /metrics (bot/metrics.py): sent, retried, dead, rate_limited, parked
        self.counters: Counter[tuple[str, str]] = Counter()

    # ------------------------------------------------------------ driving

    def wake(self) -> None:
        """Something was queued: look for due rows now (safe to call from listeners)."""
        self._wake.set()

    def forget(self) -> None:
        """This instance was taken for dead and its leases handed to others: drop the rows held
        in memory and not started (they are the survivors' now)."""
        for queue in self._queues.values():
            self._in_flight -= len(queue)
            for row in queue:
                self._held[row.platform] -= 1
            queue.clear()
        self._room.set()

    async def _may_send(self, row_id: int) -> bool:
        """True at once while this instance's heartbeat is fresh. While it is stale, survivors may be
        taking its rows: wait, then send only if the row is still ours (False when stopping)."""
        if self.fence is None or self.fence():
            return True
        while not self.fence():
            if self._stopping:
                return False
            await asyncio.sleep(0.1)
        async with self.app.db.transaction() as conn:
            return await DeliveryRepo(conn).holds(row_id, self.owner)

    def stop(self) -> None:
        """Stop claiming; sends under way finish, rows not started go back to the outbox."""
        self._stopping = True
        self._wake.set()
        self._room.set()

    async def deliver_due(self, limit: int = 500) -> int:
        """Claim every due row (up to ``limit``) and try each once, in order; returns how many
        were delivered. The console's synchronous path."""
        rows = await self._claim(limit)
        by_chat: dict[int, deque[ClaimedRow]] = {}
        for row in sorted(rows, key=lambda r: r.id):  # a chat's rows in the order they were queued
            by_chat.setdefault(row.chat_id, deque()).append(row)
        held_back: list[int] = []
        delivered = 0
        try:
            for row in rows:  # one turn per row, taking its chat's oldest row not handled yet
                queue = by_chat[row.chat_id]
                if not queue:
                    continue  # went out earlier, in a batch with a row before it
                if row.chat_id in self._retried:
                    held_back.extend(r.id for r in queue)  # an earlier row waits for its retry: these follow it
                    queue.clear()
                    continue
                head = queue.popleft()
                batch = self._batch(head, queue)
                delivered += await self._deliver_rows(batch)
        except Exception:
            await self._release()  # rows we did not get to go back at once
            raise
        finally:
            self._retried.difference_update(by_chat)
        if held_back:
            await self._release_rows(held_back)
        return delivered

    async def run(self) -> None:
        """Deliver until :meth:`stop`: claim due rows in batches, one worker per chat (so a
        chat's pushes keep their order), paced per platform; sleep until woken or the next
        row is due."""
        self.app.on_outbox(self.wake)
        self.marks.keep_connection = True
        heartbeat = asyncio.create_task(self._heartbeat(), name=f"{self.owner}-lease")
        try:
            while not self._stopping:
                self._wake.clear()
                self._room.clear()
                rooms = self._rooms()
                self._full_in_flight = self._in_flight >= self.max_in_flight
                if not any(rooms.values()):  # every platform holds what it can send soon
                    await self._wait(self.idle_poll_seconds)
                    continue
                full = False
                for platform, room in rooms.items():
                    if room <= 0:
                        continue
                    rows = await self._claim(room, [platform])
                    for row in rows:
                        self._queue(row)
                    self._more[platform] = len(rows) == room
                    full = full or len(rows) == room
                if full:
                    await asyncio.sleep(0)
                    continue  # more may be due right now
                await self._idle([p for p, room in rooms.items() if room > 0])
        finally:
            workers = list(self._workers.values())
            if workers:  # let sends under way finish; a worker waiting for pacing gives up
                await asyncio.wait(workers, timeout=self.shutdown_grace)
            heartbeat.cancel()
            for task in workers:
                task.cancel()
            await asyncio.gather(heartbeat, *workers, return_exceptions=True)
            self.marks.keep_connection = False
            await self.marks.close()
            await self._release()

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until every claimed row has been handled (tests, benchmarks)."""
        async def wait() -> None:
            while self._workers:
                await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

        await asyncio.wait_for(wait(), timeout)

    def _capacity(self, platform: str) -> int:
        """How many rows of ``platform`` this dispatcher may hold in memory: what its pacer can send
        in ``claim_ahead`` seconds (so none waits long enough to time out), at most ``batch_size``."""
        pacer = self.pacers.get(platform)
        ahead = pacer.profile.capacity(self.claim_ahead) if pacer is not None else None
        return min(self.batch_size, ahead) if ahead is not None else self.batch_size

    def _per_chat(self, platform: str) -> tuple[int | None, int | None]:
        pacer = self.pacers.get(platform)
        if pacer is None:
            return None, None
        profile = pacer.profile
        return (profile.capacity(self.claim_ahead, profile.chat_windows(False)),
                profile.capacity(self.claim_ahead, profile.chat_windows(True)))

    def _rooms(self) -> dict[str, int]:
        """Per platform, how many more rows to claim now: up to its capacity, and only once at most half
        of it is held (a claim per few rows would cost more than the sends)."""
        total = self.max_in_flight - self._in_flight
        rooms = {}
        for platform in self.senders:
            capacity = self._capacity(platform)
            held = self._held[platform]
            rooms[platform] = max(0, min(total, capacity - held)) if held <= capacity // 2 else 0
        return rooms

    async def _wait(self, timeout: float) -> None:
        """Until woken (rows queued, room freed) or ``timeout`` seconds."""
        if timeout <= 0:
            return
        waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(self._room.wait())]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _idle(self, platforms: list[str]) -> None:
        """Sleep until the next row no dispatcher holds is due (rows held here do not count: the
        loop would spin on them), or until woken. Rows due now that the claim left (their chat waits
        for a retry or is at its pace, another dispatcher holds it) are looked at again when a send
        finishes or at the next poll."""
        timeout = self.idle_poll_seconds
        now = self.app.clock.now()
        async with self.app.db.read() as conn:
            next_due = await DeliveryRepo(conn).next_due(platforms or list(self.senders), self.lease_clock.now(),
                                                         after=now)
        if next_due is not None:
            ahead = (next_due - now).total_seconds()
            if ahead > 0:
                timeout = min(timeout, ahead)
        await self._wait(timeout)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(max(1.0, self.lease.total_seconds() / 3))
            try:
                async with self.app.db.transaction() as conn:
                    await DeliveryRepo(conn).renew(self.owner, self.lease_clock.now() + self.lease)
            except Exception:  # the next beat tries again; the lease is long enough for one miss
                log.exception("could not renew outbox leases of %s", self.owner)

    def _queue(self, row: ClaimedRow) -> None:
        self._in_flight += 1
        self._held[row.platform] += 1
        queue = self._queues.setdefault(row.chat_id, deque())
        if queue and queue[-1].id > row.id:  # claimed later than a newer row of its chat: it goes first
            at = next(i for i, queued in enumerate(queue) if queued.id > row.id)
            queue.insert(at, row)
        else:
            queue.append(row)
        per_chat, per_group = self._per_chat(row.platform)
        cap = per_group if row.chat_kind == "group" else per_chat
        if cap is not None and len(queue) >= cap:
            self._capped.add(row.chat_id)
        if row.chat_id not in self._workers:
            self._workers[row.chat_id] = asyncio.create_task(self._chat_worker(row.chat_id))

    async def _chat_worker(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        try:
            while queue and not self._stopping:
                row = queue.popleft()
                batch = self._batch(row, queue)
                try:
                    await self._deliver_rows(batch)
                except Exception:
                    log.exception("delivering outbox row(s) %s failed unexpectedly; their leases will expire",
                                  ", ".join(r.key for r in batch))
                finally:
                    self._in_flight -= len(batch)
                    self._held[row.platform] -= len(batch)
                    self._freed(row.platform)
                if chat_id in self._retried:  # its later rows go back and follow the retried row, in order
                    self._retried.discard(chat_id)
                    rest = list(queue)
                    queue.clear()
                    self._in_flight -= len(rest)
                    self._held[row.platform] -= len(rest)
                    await self._release_rows([r.id for r in rest])
        finally:
            del self._workers[chat_id]
            if not queue:
                self._queues.pop(chat_id, None)
            if chat_id in self._capped:  # it held all it could of its chat: the chat's next rows may be due
                self._capped.discard(chat_id)
                self._room.set()

    def _freed(self, platform: str) -> None:
        """A send finished: look for more rows once half the platform's room is free, if the last
        claim suggested there are more (otherwise new rows wake the loop, retries are timed)."""
        if self._more.get(platform) and self._held[platform] <= self._capacity(platform) // 2:
            self._room.set()
        elif self._in_flight < self.max_in_flight and self._full_in_flight:
            self._full_in_flight = False
            self._room.set()

    # ------------------------------------------------------------ claiming

    async def _claim(self, limit: int, platforms: list[str] | None = None) -> list[ClaimedRow]:
        lease_now = self.lease_clock.now()
        platforms = platforms or list(self.senders)
        per_chat, per_group = self._per_chat(platforms[0]) if len(platforms) == 1 else (None, None)
        self.claims += 1
        async with self.app.db.transaction() as conn:
            return await DeliveryRepo(conn).claim(owner=self.owner, now=self.app.clock.now(), lease_now=lease_now,
                                                  lease_until=lease_now + self.lease, platforms=platforms,
                                                  limit=limit, per_chat=per_chat, per_group=per_group)

    async def _release_rows(self, row_ids: list[int]) -> None:
        """Give these rows back, trying again until it is written (the lease heartbeat would keep
        renewing them otherwise)."""
        failures = 0
        while row_ids:
            try:
                async with self.app.db.transaction() as conn:
                    await DeliveryRepo(conn).release_rows(self.owner, row_ids)
                return
            except Exception:
                failures += 1
                log.exception("could not give back outbox rows %s (attempt %d); retrying", row_ids, failures)
                await asyncio.sleep(min(MARK_RETRY_CAP, MARK_RETRY_FIRST * 2 ** (failures - 1)))

    async def _release(self) -> None:
        try:
            async with self.app.db.transaction() as conn:
                await DeliveryRepo(conn).release(self.owner)
        except Exception:
            log.exception("could not release the outbox leases of %s", self.owner)

    # ------------------------------------------------------------ batches

    def _batch(self, head: ClaimedRow, queue: deque[ClaimedRow]) -> list[ClaimedRow]:
        """``head`` and the rows right behind it in its chat's ``queue`` (taken out of it) that
        fit one request with it; just ``[head]`` when the sender does not batch."""
        sender = self.senders.get(head.platform)
        if sender is None or not callable(getattr(sender, "send_batch", None)):
            return [head]
        limit = max(1, int(getattr(sender, "batch_messages", DEFAULT_BATCH_MESSAGES)))
        used = self._batchable(sender, head, limit)
        if used is None:
            return [head]
        batch = [head]
        while queue:
            count = self._batchable(sender, queue[0], limit)
            if count is None or used + count > limit:
                break  # rows keep their order: a row that does not fit ends the batch
            batch.append(queue.popleft())
            used += count
        return batch

    def _batchable(self, sender: Sender, row: ClaimedRow, limit: int) -> int | None:
        """How many message objects ``row`` adds to a batch, or None if it must go alone."""
        if row.id in self._skip or not row.chat_active or row.sent_count:
            return None
        try:
            replies = [reply_from_dict(m) for m in row.messages]
            counter = getattr(sender, "message_count", None)
            count = int(counter(replies)) if callable(counter) else len(replies)
        except Exception:  # a row the sender cannot size goes alone (and fails there, loudly)
            log.exception("could not size outbox row %s for batching", row.key)
            return None
        return count if 0 < count <= limit else None

    async def _deliver_rows(self, rows: list[ClaimedRow]) -> int:
        if await self._held_by_budget(rows):
            return 0
        rows = await self._with_riders(rows)
        return await self._deliver(rows[0]) if len(rows) == 1 else await self._deliver_batch(rows)

    async def _with_riders(self, rows: list[ClaimedRow]) -> list[ClaimedRow]:
        """Free riders: on a platform that bills each push (LINE: per recipient, however many message
        objects it holds), a push the chat pays for anyway also carries the chat's other pending rows
        that fit the request (due or not: a digest waiting for a free reply, a reminder waiting for its
        deadline), so they cost nothing more. They are leased like claimed rows, go in the chat's order
        (by id) and are marked sent in the same commit as the rows they ride with; a failed push sends
        the whole batch to one retry time, so the retry is the same request. None ride in the network's
        quiet hours (an urgent push at night carries only itself) or on a row already half sent."""
        head = rows[0]
        sender = self.senders.get(head.platform)
        if (head.platform not in self.app.billed_platforms or sender is None
                or not callable(getattr(sender, "send_batch", None)) or not head.chat_active
                or any(row.id in self._skip for row in rows)):
            return rows
        limit = max(1, int(getattr(sender, "batch_messages", DEFAULT_BATCH_MESSAGES)))
        counts = [self._batchable(sender, row, limit) for row in rows]
        if any(count is None for count in counts):
            return rows  # a row that must go alone (several requests, half sent) takes nobody along
        used = sum(count or 0 for count in counts)
        if used >= limit:
            return rows
        lease_now = self.lease_clock.now()
        async with self.app.db.read() as conn:
            if await self._quiet_now(conn, head):
                return rows
            offered = await DeliveryRepo(conn).riders(head.chat_id, exclude=[row.id for row in rows],
                                                      lease_now=lease_now)
        if any(row.attempts for row in rows):
            # A retry: the earlier request's rows are all here, first; a rider may only follow them, so
            # the request starts as it did (LINE's 409 for its key then covers exactly those rows).
            offered = [row for row in offered if row.id > max(r.id for r in rows)]
        chosen: list[ClaimedRow] = []
        for row in offered:
            count = self._batchable(sender, row, limit)
            if count is None or used + count > limit:
                continue  # it goes another time (a notification is never split)
            chosen.append(row)
            used += count
            if used >= limit:
                break
        if not chosen:
            return rows
        async with self.app.db.transaction() as conn:
            taken = await DeliveryRepo(conn).claim_riders([row.id for row in chosen], owner=self.owner,
                                                          lease_now=lease_now, lease_until=lease_now + self.lease)
        riders = [row for row in chosen if row.id in taken]
        if riders:
            self.stats["riders"] += len(riders)
            self.counters[head.platform, "riders"] += len(riders)
        return sorted(rows + riders, key=lambda row: row.id)

    async def _quiet_now(self, conn: AsyncConnection, row: ClaimedRow) -> bool:
        """Is it the quiet hours of the row's network now (its settings, else the instance's default)?"""
        network_id = row.network_id if row.network_id is not None else row.chat_network_id
        network = await NetworkRepo(conn).get(network_id) if network_id is not None else None
        quiet = quiet_hours_of(network.settings if network else {}, self.app.settings.quiet_hours)
        tz = ZoneInfo(network.timezone if network else self.app.settings.timezone)
        return quiet.contains(self.app.clock.now(), tz)

    async def _held_by_budget(self, rows: list[ClaimedRow]) -> bool:
        """A sender that bills pushes may offer ``admit(chat, urgency)``: asked with the most urgent
        row of the push (they cost the same together), it says why the rows must wait instead (the
        month's budget); they are parked, no attempt counted, and looked at again later."""
        head = rows[0]
        admit = getattr(self.senders.get(head.platform), "admit", None)
        if not callable(admit) or not head.chat_active or head.id in self._skip:
            return False
        order = [u.value for u in Urgency]
        urgency = min((r.urgency for r in rows), key=lambda u: order.index(u) if u in order else 0)
        try:
            reason = await admit(_chat_of(head), urgency)
        except Exception:  # the budget saves money; it must never stop delivery
            log.exception("budget check for chat %s failed; sending", head.chat_id)
            return False
        if reason is None:
            return False
        until = self.app.clock.now() + PARK_FOR
        async with self.app.db.transaction() as conn:
            for row in rows:
                await DeliveryRepo(conn).park(row.id, reason=reason, error=f"waiting: {reason}", until=until)
        return True

    async def _deliver_batch(self, rows: list[ClaimedRow]) -> int:
        """Send several rows of one chat in one request (:class:`BatchSender`); returns how many
        were delivered. Each row not delivered is retried or dead-lettered on its own."""
        head = rows[0]
        chat = _chat_of(head)
        sender = self.senders[head.platform]
        pacer = self.pacers.get(head.platform)
        if pacer is not None:
            await pacer.acquire(head.platform_chat_id, is_group=head.chat_kind == "group")
        if self._stopping or not await self._may_send(head.id):
            if pacer is not None:
                pacer.done(head.platform_chat_id)  # the grant goes unused
            return 0  # shutting down: not started, the rows go back with our leases
        batch = [([reply_from_dict(m) for m in row.messages], row.retry_key) for row in rows]
        delivered, error = 0, None
        async with self._slot(head.platform):  # held until what went out is written down
            try:
                result = await self._bounded(sender, sender.send_batch(chat, batch))  # type: ignore[attr-defined]
                delivered = max(0, min(len(rows), int(result.delivered)))
                error = result.error
            except DeliveryError as exc:
                error = exc
            except TimeoutError:
                error = DeliveryError(f"timed out after {self.send_timeout:g} s")
            except Exception as exc:  # a sender bug or a network error it did not wrap
                log.exception("batch sender for %s raised", chat.platform)
                error = DeliveryError(f"{type(exc).__name__}: {exc}")
            if pacer is not None and getattr(sender, "pacer", None) is not pacer:
                pacer.done(head.platform_chat_id)
            if delivered:
                await self.marks.mark(*(row.id for row in rows[:delivered]))
        if delivered:
            self.stats["sent"] += delivered
            self.counters[head.platform, "sent"] += delivered
        self.stats["batches"] += 1
        if delivered < len(rows):
            error = error or DeliveryError("the batch sender did not deliver every row")
            # The rows not delivered are tried again together, at one time: the retry is the same
            # request (same rows, same order, the first one's retry key), free riders included.
            now = self.app.clock.now()
            retry_at = now + self.retry.delay(rows[delivered].attempts + 1, error.retry_after)
            for index, row in enumerate(rows[delivered:]):
                if row.id in self._skip:  # dead-lettered with its chat a moment ago
                    self._skip.discard(row.id)
                    self.stats["dead"] += 1
                    self.counters[row.platform, "dead"] += 1
                    continue
                if error.wait_reason is not None and row.not_before > now:
                    # A free rider (not due yet) of a push refused for the month: it waits as it did.
                    await self._release_rows([row.id])
                    continue
                await self._failed(row, error, sent_count=0, pacer=pacer if index == 0 else None, retry_at=retry_at)
        return delivered

    # ------------------------------------------------------------ one row

    async def _deliver(self, row: ClaimedRow) -> int:
        """Send one claimed row (in chunks when the platform needs it); 1 if delivered."""
        chat = _chat_of(row)
        if row.id in self._skip:
            self._skip.discard(row.id)
            return 0
        if not row.chat_active:
            await self._settle(DeliveryRepo.dead, row.id, error="chat inactive: the bot cannot reach it",
                               now=self.app.clock.now(), count_attempt=False)
            self.stats["dead"] += 1
            self.counters[row.platform, "dead"] += 1
            return 0
        sender = self.senders[row.platform]
        pacer = self.pacers.get(row.platform)
        replies = [reply_from_dict(m) for m in row.messages]
        size = pacer.profile.chunk if pacer else max(1, len(replies))
        chunks = [replies[i:i + size] for i in range(0, len(replies), size)] or [[]]
        done = row.sent_count
        for index in range(done // size if size else 0, len(chunks)):
            if pacer is not None:
                await pacer.acquire(row.platform_chat_id, is_group=row.chat_kind == "group")
            if (self._stopping and index == row.sent_count // size) or not await self._may_send(row.id):
                # Shutting down (or stopping while our heartbeat was stale): not started, the row goes
                # back with our leases, and the grant goes unused.
                if pacer is not None:
                    pacer.done(row.platform_chat_id)
                return 0
            failure: DeliveryError | None = None
            async with self._slot(row.platform):  # held until what went out is written down
                try:
                    await self._send(sender, chat, chunks[index], chunk_retry_key(row.retry_key, index))
                except DeliveryError as exc:
                    failure = exc
                else:
                    if index < len(chunks) - 1:
                        await self._settle(DeliveryRepo.progress, row.id, (index + 1) * size)
                    else:
                        await self.marks.mark(row.id)
            if failure is not None:
                await self._failed(row, failure, sent_count=index * size, pacer=pacer)
                return 0
        self.stats["sent"] += 1
        self.counters[row.platform, "sent"] += 1
        return 1

    async def _send(self, sender: Sender, chat: Chat, replies: list[Reply], retry_key: str) -> None:
        pacer = self.pacers.get(chat.platform)
        try:
            await self._bounded(sender, sender.send(chat, replies, retry_key=retry_key))
        except DeliveryError:
            raise
        except TimeoutError:
            raise DeliveryError(f"timed out after {self.send_timeout:g} s") from None
        except Exception as exc:  # a sender bug or a network error it did not wrap
            log.exception("sender for %s raised", chat.platform)
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        finally:
            if pacer is not None and getattr(sender, "pacer", None) is not pacer:
                pacer.done(chat.platform_chat_id)  # (a sender with the pacer says so per request itself)

    async def _bounded(self, sender: Sender, call: Awaitable[T]) -> T:
        """``call`` within ``send_timeout``. A sender whose resends the platform cannot recognise
        (it declares ``concurrent_sends``: Telegram) is never cancelled, since its request may have
        left: past the timeout it is waited for (its HTTP client has timeouts of its own) and a
        warning says so. One with retry keys (LINE) is cancelled and retried under the same key."""
        if getattr(sender, "concurrent_sends", None) is None:
            return await asyncio.wait_for(call, self.send_timeout)
        task = asyncio.ensure_future(call)
        done, _pending = await asyncio.wait({task}, timeout=self.send_timeout)
        if not done:
            log.warning("a %s send is taking over %g s; waiting for its answer (a resend could double it)",
                        getattr(sender, "platform", type(sender).__name__), self.send_timeout)
            self.counters[getattr(sender, "platform", "?"), "slow"] += 1
        return await asyncio.shield(task) if not done else task.result()

    def _slot(self, platform: str) -> asyncio.Semaphore | contextlib.nullcontext[None]:
        """The platform's limit on requests in flight (``concurrent_sends``), if it has one."""
        return self._slots.get(platform) or contextlib.nullcontext()

    async def _failed(self, row: ClaimedRow, exc: DeliveryError, *, sent_count: int, pacer: Pacer | None,
                      retry_at: datetime | None = None) -> None:
        now = self.app.clock.now()
        attempt = row.attempts + 1
        if exc.rate_limited:
            self.counters[row.platform, "rate_limited"] += 1
        if pacer is not None and exc.retry_after:
            scope = row.platform_chat_id if pacer.profile.retry_after_scope == "chat" else None
            pacer.pause(exc.retry_after, scope, is_group=row.chat_kind == "group")
        async with self.app.db.transaction() as conn:
            repo = DeliveryRepo(conn)
            if exc.chat_gone:
                await ChatGoneRepo(conn).mark_gone(row.chat_id, row.platform, row.platform_chat_id, row.chat_kind,
                                                   reason=str(exc))
                await repo.dead(row.id, error=f"chat gone: {exc}", now=now)
                self._skip.update(await repo.dead_for_chat(row.chat_id, error=f"chat gone: {exc}", now=now))
                self.stats["dead"] += 1
                self.counters[row.platform, "dead"] += 1
            elif exc.wait_reason is not None:
                await repo.park(row.id, reason=exc.wait_reason, error=str(exc), until=now + PARK_FOR)
                if exc.wait_reason == WaitReason.MONTHLY_LIMIT.value and row.network_id is not None:
                    await self._tell_monthly_limit(conn, row.network_id)
                self.counters[row.platform, "parked"] += 1
                log.info("outbox row %s waits (%s): %s", row.key, exc.wait_reason, exc)
                return
            elif exc.retryable and attempt < self.retry.max_attempts:
                when = retry_at if retry_at is not None else now + self.retry.delay(attempt, exc.retry_after)
                await repo.retry(row.id, error=str(exc), retry_at=when, sent_count=sent_count)
                self._retried.add(row.chat_id)  # the chat's later rows wait behind this one
                self.stats["retried"] += 1
                self.counters[row.platform, "retried"] += 1
            else:
                await repo.dead(row.id, error=str(exc), now=now)
                self.stats["dead"] += 1
                self.counters[row.platform, "dead"] += 1
        log.warning("delivery of %s to chat %s failed (attempt %d): %s", row.key, row.chat_id, attempt, exc)

    async def _tell_monthly_limit(self, conn: AsyncConnection, network_id: int) -> None:
        """Once a day per network: the coordinators hear that the month's quota is used up."""
        if MONTHLY_LIMIT_TASK not in self.app.router.tasks:
            return
        now = self.app.clock.now()
        await TaskRepo(conn).schedule(key=f"{MONTHLY_LIMIT_TASK}:{network_id}:{now:%Y-%m-%d}",
                                      kind=MONTHLY_LIMIT_TASK, run_at=now, payload={}, network_id=network_id,
                                      now=now)
        self.app.notify_scheduler()

    async def _settle(self, method, row_id: int, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        async with self.app.db.transaction() as conn:
            await method(DeliveryRepo(conn), row_id, *args, **kwargs)
