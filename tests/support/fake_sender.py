"""A fake platform sender for dispatcher tests.

It records every accepted request, enforces a :class:`bot.ratelimit.RateProfile`'s
windows the way a platform would (a request over a limit is refused with a 429 and
``retry_after``, and counted in ``violations``), can be told to fail (429, 5xx, timeouts,
chat gone) and deduplicates by retry key like LINE does, so a resend after a crash is
accepted without being delivered twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.model import Reply
from bot.outbox import DeliveryError
from bot.ratelimit import RateProfile, Window
from storage.membership import Chat


class SimulatedCrash(BaseException):
    """Raised to stop a dispatcher as if its process died (not caught by the dispatcher)."""


@dataclass(frozen=True)
class Sent:
    chat: str
    kind: str
    replies: list[Reply]
    retry_key: str
    at: float

    @property
    def texts(self) -> list[str]:
        return [getattr(r, "text", "") or getattr(r, "title", "") or getattr(r, "alt_text", "") for r in self.replies]


class FakeSender:
    def __init__(self, profile: RateProfile | None = None, *, enforce: RateProfile | None = None,
                 clock: Callable[[], float] = time.monotonic, tolerance: float = 0.001,
                 dedupe_retry_keys: bool = True, latency: float = 0.0) -> None:
        self.rate_profile = profile  # what the dispatcher paces by
        self.enforce = enforce if enforce is not None else profile  # what the fake platform allows
        self.clock = clock
        self.tolerance = tolerance
        self.dedupe = dedupe_retry_keys
        self.latency = latency
        self.sent: list[Sent] = []
        self.attempts: list[tuple[str, str]] = []  # (chat, retry_key) for every call
        self.violations: list[str] = []
        self.duplicates_suppressed = 0
        self._accepted: set[str] = set()
        self._scripted: dict[str, deque[BaseException]] = defaultdict(deque)
        self._gone: set[str] = set()
        self._times: dict[str, deque[float]] = defaultdict(deque)
        self.crash_after_next_send = False

    # ------------------------------------------------------------ scripting

    def fail_next(self, chat: str, error: BaseException, times: int = 1) -> None:
        for _ in range(times):
            self._scripted[chat].append(error)

    def gone(self, chat: str) -> None:
        """From now on this chat has blocked or removed the bot."""
        self._gone.add(chat)

    # ------------------------------------------------------------ queries

    def to(self, chat: str) -> list[Sent]:
        return [s for s in self.sent if s.chat == chat]

    def per_chat_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for s in self.sent:
            counts[s.chat] += 1
        return dict(counts)

    # ------------------------------------------------------------ the platform

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        now = self.clock()
        self.attempts.append((chat.platform_chat_id, retry_key))
        if chat.platform_chat_id in self._gone:
            raise DeliveryError("403 Forbidden: bot was blocked by the user", chat_gone=True)
        scripted = self._scripted.get(chat.platform_chat_id)
        if scripted:
            raise scripted.popleft()
        if self.dedupe and retry_key in self._accepted:
            self.duplicates_suppressed += 1  # LINE answers 409: already accepted
            return
        self._check_limits(chat, now)
        if self.latency:
            await asyncio.sleep(self.latency)
        self._accepted.add(retry_key)
        self.sent.append(Sent(chat=chat.platform_chat_id, kind=chat.kind, replies=list(replies), retry_key=retry_key,
                              at=now))
        if self.crash_after_next_send:
            self.crash_after_next_send = False
            raise SimulatedCrash("the process died right after the platform accepted the message")

    def _check_limits(self, chat: Chat, now: float) -> None:
        if self.enforce is None:
            return
        checks: list[tuple[str, Window]] = [("*", w) for w in self.enforce.shared_windows()]
        checks += [(chat.platform_chat_id, w) for w in self.enforce.chat_windows(chat.kind == "group")]
        for scope, window in checks:
            log = self._times[f"{scope}|{window.name}"]
            recent = [t for t in log if t > now - window.period + self.tolerance]
            if len(recent) >= window.limit:
                retry_after = recent[-window.limit] + window.period - now
                self.violations.append(f"{window.name} limit {window.limit}/{window.period:g}s exceeded "
                                       f"for {scope} at {now:.4f}")
                raise DeliveryError(f"429 Too Many Requests ({window.name})", retry_after=max(retry_after, 0.001))
        for scope, window in checks:
            log = self._times[f"{scope}|{window.name}"]
            log.append(now)
            while log and log[0] <= now - window.period:
                log.popleft()


@dataclass
class FakeBatchResult:
    delivered: int
    error: DeliveryError | None


class BatchingFakeSender(FakeSender):
    """A :class:`FakeSender` that also takes several rows of one chat in one request, like
    LINE's push: at most ``batch_messages`` replies per request, keyed by the first row's
    retry key. A repeated key is answered like LINE's 409 (the rows the accepted request
    carried count as delivered; the rest go in a new request). Scripted failures and a
    gone chat fail the request; they are returned as the result's ``error``."""

    batch_messages = 5

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.batches: list[int] = []  # rows per accepted batch request
        self._rows_under_key: dict[str, int] = {}
        self.batch_calls = 0

    def message_count(self, replies: list[Reply]) -> int:
        return len(replies)

    async def send_batch(self, chat: Chat, rows: Sequence[tuple[list[Reply], str]]) -> FakeBatchResult:
        self.batch_calls += 1
        index = 0
        while index < len(rows):
            key = rows[index][1]
            self.attempts.append((chat.platform_chat_id, key))
            if chat.platform_chat_id in self._gone:
                return FakeBatchResult(index, DeliveryError("403 Forbidden: bot was blocked", chat_gone=True))
            scripted = self._scripted.get(chat.platform_chat_id)
            if scripted:
                error = scripted.popleft()
                if not isinstance(error, DeliveryError):
                    raise error
                return FakeBatchResult(index, error)
            if self.dedupe and key in self._accepted:
                self.duplicates_suppressed += 1
                index += max(1, self._rows_under_key.get(key, 1))
                continue
            taken: list[Reply] = []
            end = index
            while end < len(rows) and len(taken) + len(rows[end][0]) <= self.batch_messages:
                taken += rows[end][0]
                end += 1
            end = max(end, index + 1)
            try:
                self._check_limits(chat, self.clock())
            except DeliveryError as error:
                return FakeBatchResult(index, error)
            self._accepted.add(key)
            self._rows_under_key[key] = end - index
            self.batches.append(end - index)
            self.sent.append(Sent(chat=chat.platform_chat_id, kind=chat.kind, replies=taken or list(rows[index][0]),
                                  retry_key=key, at=self.clock()))
            if self.crash_after_next_send:
                self.crash_after_next_send = False
                raise SimulatedCrash("the process died right after the platform accepted the batch")
            index = end
        return FakeBatchResult(len(rows), None)
