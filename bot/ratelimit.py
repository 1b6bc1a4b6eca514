"""Pacing pushes under a platform's published limits.

A :class:`RateProfile` says what a platform allows (each adapter declares its own, e.g.
``bot.adapters.telegram.rate``: 30 messages/s overall, 1/s per chat, 20/min per group;
LINE's are per API endpoint). A :class:`Pacer` enforces it
with sliding windows: at most ``limit`` grants in *any* window of ``period`` seconds,
which is what the platforms count. (A token bucket such as aiolimiter's lets a full
bucket burst and then refill, so one second can see nearly twice the rate; a sliding
window cannot.) Pacing runs on a monotonic real clock, injectable for tests; it has
nothing to do with the application's (possibly simulated) clock.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Window:
    """At most ``limit`` sends in any ``period`` seconds."""

    limit: int
    period: float
    name: str = ""

    def scaled(self, factor: float) -> Window:
        return replace(self, limit=max(1, round(self.limit * factor)))


@dataclass(frozen=True)
class RateProfile:
    """A platform's limits and how a push is split into requests.

    ``chunk``: how many replies go in one request (Telegram: one message per API call;
    LINE: up to five messages per push). ``retry_after_scope``: whether a 429 pauses
    just that chat (Telegram's flood control is per chat) or the whole platform (LINE's
    429 means the channel's rate is exceeded).
    """

    name: str
    overall: tuple[Window, ...] = ()
    per_chat: tuple[Window, ...] = ()
    per_group: tuple[Window, ...] = ()
    endpoints: dict[str, tuple[Window, ...]] = field(default_factory=dict)
    endpoint: str = "push"
    chunk: int = 1
    retry_after_scope: str = "chat"
    # Each window is stretched by this fraction plus ``slack`` seconds. A grant whose request
    # was answered (:meth:`Pacer.done`) counts from the answer, not from the grant: the platform
    # saw the request between the two, so no jitter on the way can make a window look fuller to it
    # than to us, and the margin can stay small.
    margin: float = 0.0
    slack: float = 0.005
    # Shared windows are also spread out: at most a tenth of the limit per ``smooth`` × a
    # tenth of the period, so a full window is never granted at once (such a burst queues
    # behind the HTTP pool and arrives bunched, which the platform counts as too many).
    smooth: float = 0.9

    def scaled(self, factor: float) -> RateProfile:
        """The same profile with every limit multiplied by ``factor`` (benchmarks, tests)."""
        return replace(
            self,
            name=f"{self.name}×{factor:g}",
            overall=tuple(w.scaled(factor) for w in self.overall),
            per_chat=tuple(w.scaled(factor) for w in self.per_chat),
            per_group=tuple(w.scaled(factor) for w in self.per_group),
            endpoints={k: tuple(w.scaled(factor) for w in v) for k, v in self.endpoints.items()},
        )

    def chat_windows(self, is_group: bool) -> tuple[Window, ...]:
        return self.per_chat + (self.per_group if is_group else ())

    def shared_windows(self) -> tuple[Window, ...]:
        return self.overall + self.endpoints.get(self.endpoint, ())

    def capacity(self, seconds: float, windows: tuple[Window, ...] | None = None) -> int | None:
        """About how many sends these windows (default: the shared ones) allow in ``seconds``
        (at least 1); None when nothing limits them."""
        windows = self.shared_windows() if windows is None else windows
        if not windows:
            return None
        return max(1, min(int(w.limit * max(1.0, seconds / w.period)) for w in windows))


# A grant whose answer never came (a send abandoned without :meth:`Pacer.done`) stops holding its
# windows open this long after it was granted.
OPEN_GRANT_SECONDS = 60.0


class SlidingWindow:
    """A log of recent grants; answers how long until one more fits.

    Each entry is a ``[time, open]`` list shared by every window that recorded the grant. While
    ``open`` (the request may not have reached the platform yet: it can wait for a connection or
    for another request to be answered) the entry counts as sent *now*; :meth:`Pacer.done` closes it
    at the time the platform answered, which is never earlier than the platform saw it."""

    def __init__(self, window: Window, margin: float = 0.0, slack: float = 0.0) -> None:
        self.limit = window.limit
        self.period = window.period * (1 + margin) + slack
        self.grants: deque[list[float]] = deque()

    @staticmethod
    def at(cell: list[float], now: float) -> float:
        """When the platform may have seen this grant, as late as we can tell now."""
        return min(now, cell[0] + OPEN_GRANT_SECONDS) if cell[1] else cell[0]

    def wait(self, now: float) -> float:
        horizon = now - self.period
        while self.grants and self.at(self.grants[0], now) <= horizon:
            self.grants.popleft()
        if len(self.grants) < self.limit:
            return 0.0
        # Entries closed at their answer times may be out of order: the window has room once all
        # but limit - 1 of the recent ones have left it.
        recent = sorted(t for cell in self.grants if (t := self.at(cell, now)) > horizon)
        if len(recent) < self.limit:
            return 0.0
        return recent[len(recent) - self.limit] + self.period - now

    def record(self, now: float | list[float]) -> None:
        self.grants.append(now if isinstance(now, list) else [now, 0.0])

    def idle(self, now: float) -> bool:
        return not self.grants or max(self.at(cell, now) for cell in self.grants) <= now - self.period


class _ChatPace:
    def __init__(self, windows: tuple[Window, ...], margin: float, slack: float) -> None:
        self.windows = [SlidingWindow(w, margin, slack) for w in windows]
        self.paused_until = 0.0
        self.open: deque[list[float]] = deque()  # grants whose request has not been answered yet
        self.waiting = 0  # acquire() calls under way for this chat

    def wait(self, now: float) -> float:
        return max([self.paused_until - now, *(w.wait(now) for w in self.windows)], default=0.0)

    def idle(self, now: float) -> bool:
        """Nothing would change if this chat were forgotten: no send waits for a grant, none is
        unanswered, its windows are empty and it is not on hold."""
        return (not self.waiting and not self.open and self.paused_until <= now
                and all(w.idle(now) for w in self.windows))


class Pacer:
    """Grants sends for one platform under its profile.

    A chat's own windows are waited for outside the shared lock (only that chat's
    worker waits there); the shared windows are granted in FIFO order under one lock,
    and every window records the same grant time, right before the send.
    """

    def __init__(self, profile: RateProfile, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.profile = profile
        self.clock = clock
        self.sleep = sleep
        self._shared = [SlidingWindow(w, profile.margin, profile.slack) for w in profile.shared_windows()]
        # The smoothing windows count grant times only (they spread grants; the limits are the others).
        self._smooth = [SlidingWindow(Window(math.ceil(w.limit / 10), w.period / 10 * profile.smooth))
                        for w in profile.shared_windows() if profile.smooth and w.limit >= 10]
        self._chats: dict[object, _ChatPace] = {}
        self._lock = asyncio.Lock()
        self._paused_until = 0.0
        self._grants = 0

    def _chat(self, key: object, is_group: bool) -> _ChatPace:
        pace = self._chats.get(key)
        if pace is None:
            pace = self._chats[key] = _ChatPace(self.profile.chat_windows(is_group), self.profile.margin,
                                                self.profile.slack)
        return pace

    async def acquire(self, chat_key: object, *, is_group: bool) -> float:
        """Wait until one send to this chat fits every window; returns the grant time."""
        pace = self._chat(chat_key, is_group)
        # While it waits, the chat is not idle: forgetting it would leave this grant with windows
        # of a chat no longer known, and its answer (done()) would not find it to close it.
        pace.waiting += 1
        try:
            while (delay := pace.wait(self.clock())) > 0:
                await self.sleep(delay)
            async with self._lock:
                while True:
                    now = self.clock()
                    delay = max([self._paused_until - now, pace.wait(now),
                                 *(w.wait(now) for w in (*self._shared, *self._smooth))])
                    if delay <= 0:
                        break
                    await self.sleep(delay)
                cell = [now, 1.0]  # open until done()
                for window in (*self._shared, *pace.windows):
                    window.record(cell)
                for window in self._smooth:
                    window.record(now)
                pace.open.append(cell)
        finally:
            pace.waiting -= 1
        self._grants += 1
        if self._grants % 1000 == 0:
            self._forget_idle(now)
        return now

    def done(self, chat_key: object) -> None:
        """The request of this chat's oldest open grant was answered (or failed): from now on its
        windows count it from this moment. Sends to one chat go one at a time, so the oldest open
        grant is the one that was answered. A grant never declared done holds its windows as if sent
        at every moment, for at most :data:`OPEN_GRANT_SECONDS`."""
        pace = self._chats.get(chat_key)
        if pace is not None and pace.open:
            cell = pace.open.popleft()
            cell[0], cell[1] = max(cell[0], self.clock()), 0.0

    def delay(self, chat_key: object, *, is_group: bool) -> float:
        """How long a send to this chat would wait now (without taking a grant)."""
        now = self.clock()
        pace = self._chat(chat_key, is_group)
        return max([0.0, self._paused_until - now, pace.wait(now),
                    *(w.wait(now) for w in (*self._shared, *self._smooth))])

    def pause(self, seconds: float, chat_key: object | None = None, *, is_group: bool = False) -> None:
        """Honour a 429's retry_after: hold this chat (or, without one, the platform)."""
        until = self.clock() + max(0.0, seconds)
        if chat_key is None:
            self._paused_until = max(self._paused_until, until)
        else:
            pace = self._chat(chat_key, is_group)
            pace.paused_until = max(pace.paused_until, until)

    def _forget_idle(self, now: float) -> None:
        for key in [k for k, pace in self._chats.items() if pace.idle(now)]:
            del self._chats[key]
