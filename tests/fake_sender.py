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
from collections.abc import Callable
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
