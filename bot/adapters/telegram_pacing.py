"""Pacing of outgoing Telegram messages (Bot FAQ: about 1 message a second in a chat,
20 a minute in a group, 30 a second overall) and per-chat flood cool-downs.

Per chat: a token bucket (a short burst, then ``per_chat_per_second``); per group and
overall: sliding windows, which is how Telegram counts (a leaky bucket would allow
a 21st group message 3 s after a burst of 20; Telegram answers 429 to that).
A 429 ``retry_after`` puts only that chat on hold; other chats keep going.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import Callable
from dataclasses import dataclass


PRUNE_ABOVE = 5000


@dataclass(frozen=True)
class PacingLimits:
    per_chat_per_second: float = 1.0
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    global_per_second: int = 30


class _Bucket:
    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity, self.rate = float(capacity), rate
        self.tokens, self.updated = float(capacity), now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class _Window:
    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.events: collections.deque[float] = collections.deque()

    def wait(self, now: float) -> float:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        return 0.0 if len(self.events) < self.limit else self.events[0] + self.seconds - now

    def take(self, now: float) -> None:
        self.events.append(now)


class Pacer:
    """``await pacer.acquire(chat_id, is_group)`` before each message."""

    def __init__(self, limits: PacingLimits | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits or PacingLimits()
        self.clock = clock
        self._chats: dict[str, _Bucket] = {}
        self._groups: dict[str, _Window] = {}
        self._global = _Window(self.limits.global_per_second, 1.0)
        self._hold_until: dict[str, float] = {}
        self._chat_locks: dict[str, asyncio.Lock] = collections.defaultdict(asyncio.Lock)
        self._global_lock = asyncio.Lock()

    # ------------------------------------------------------------ flood holds

    def hold(self, chat_id: str, seconds: float) -> None:
        """Telegram said 429 for this chat: send nothing to it for ``seconds``."""
        until = self.clock() + seconds
        self._hold_until[chat_id] = max(until, self._hold_until.get(chat_id, 0.0))

    def held_for(self, chat_id: str) -> float:
        """Seconds this chat is still on hold (0 when free)."""
        until = self._hold_until.get(chat_id)
        if until is None:
            return 0.0
        remaining = until - self.clock()
        if remaining <= 0:
            del self._hold_until[chat_id]
            return 0.0
        return remaining

    # ------------------------------------------------------------ pacing

    def chat_wait(self, chat_id: str, is_group: bool) -> float:
        """How long the next message to this chat would wait (without taking a slot)."""
        now = self.clock()
        waits = [self.held_for(chat_id), self._bucket(chat_id, now).wait(now)]
        if is_group:
            waits.append(self._window(chat_id).wait(now))
        return max(waits)

    async def acquire(self, chat_id: str, is_group: bool) -> None:
        """Wait for a slot for this chat, then one overall; only this chat's senders queue."""
        if len(self._chats) > PRUNE_ABOVE:
            self._prune()
        async with self._chat_locks[chat_id]:
            while True:
                wait = self.chat_wait(chat_id, is_group)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            async with self._global_lock:
                while (wait := self._global.wait(self.clock())) > 0:
                    await asyncio.sleep(wait)
                now = self.clock()
                self._global.take(now)
            self._bucket(chat_id, now).take()
            if is_group:
                self._window(chat_id).take(now)

    def _prune(self) -> None:
        """Forget chats that are idle: full bucket, empty window, no hold, nobody waiting."""
        now = self.clock()
        for chat_id in list(self._chats):
            lock = self._chat_locks.get(chat_id)
            idle = (self._chats[chat_id].wait(now) == 0 and self._chats[chat_id].tokens >= self._chats[chat_id].capacity
                    and (chat_id not in self._groups or not self._groups[chat_id].wait(now) and
                         not self._groups[chat_id].events)
                    and self.held_for(chat_id) == 0 and (lock is None or not lock.locked()))
            if idle:
                self._chats.pop(chat_id, None)
                self._groups.pop(chat_id, None)
                self._chat_locks.pop(chat_id, None)

    def _bucket(self, chat_id: str, now: float) -> _Bucket:
        if chat_id not in self._chats:
            self._chats[chat_id] = _Bucket(self.limits.per_chat_burst, self.limits.per_chat_per_second, now)
        return self._chats[chat_id]

    def _window(self, chat_id: str) -> _Window:
        if chat_id not in self._groups:
            self._groups[chat_id] = _Window(self.limits.per_group_per_minute, 60.0)
        return self._groups[chat_id]
