"""Reaching a platform's API at start-up.

``edunet serve`` asks each platform who it is (Telegram ``getMe``, LINE bot info) before it
receives anything. Two outcomes must not look alike:

* the platform refuses the credentials: nothing will ever work until someone fixes the
  setting, so the adapter raises :class:`CredentialsRejected` and ``serve`` stops with that one
  line and a non-zero exit;
* the platform cannot be reached (no network yet, DNS, a firewall, a 5xx): it may come back at
  any moment, so :class:`Connector` logs one warning line naming the URL and keeps trying in the
  background with exponential backoff (tenacity), while the rest of the bot (the other
  platform, the web server, the scheduler, the outbox) runs. When the platform answers, the
  adapter's remaining start-up (webhook, polling, command menu) runs then.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

log = logging.getLogger(__name__)

FIRST_WAIT = 1.0  # seconds before the first retry
MAX_WAIT = 60.0  # seconds between retries, at most


class CredentialsRejected(Exception):
    """The platform refused the configured credentials; ``str(exc)`` is the one line to print
    (what was refused and what to set), never the secret itself."""


class Unreachable(Exception):
    """The platform did not answer (or answered with a server error): worth trying again."""


def reason(exc: BaseException) -> str:
    """A short, secret-free description of why a request failed."""
    cause: BaseException = exc
    while isinstance(cause, Unreachable) and cause.__cause__ is not None:
        cause = cause.__cause__
    detail = str(cause).splitlines()[0][:120] if str(cause) else ""
    return f"{type(cause).__name__}: {detail}" if detail else type(cause).__name__


class Connector:
    """Runs ``check`` (who am I?) and, once it passes, ``then`` (the rest of an adapter's start).

    ``check`` raises :class:`Unreachable` for a failure worth retrying and
    :class:`CredentialsRejected` for refused credentials. :meth:`start` makes the first try
    itself, so refused credentials stop the start-up; an unreachable platform is retried in a
    background task until it answers or :meth:`stop` is called.
    """

    def __init__(self, platform: str, url: str, check: Callable[[], Awaitable[None]],
                 then: Callable[[], Awaitable[None]], *, first_wait: float = FIRST_WAIT,
                 max_wait: float = MAX_WAIT) -> None:
        self.platform = platform
        self.url = url
        self.check = check
        self.then = then
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.connected = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        try:
            await self.check()
        except Unreachable as exc:
            log.warning("%s: cannot reach %s (%s); retrying in %.0f s while the rest of the bot runs",
                        self.platform, self.url, reason(exc), self.first_wait)
            self._task = asyncio.create_task(self._keep_trying(), name=f"{self.platform}-connect")
            return
        await self._connected()

    async def _connected(self) -> None:
        await self.then()
        self.connected.set()

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: still cannot reach %s (%s); retrying in %.0f s", self.platform, self.url,
                    reason(exc) if exc else "?", wait)

    async def _keep_trying(self) -> None:
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=self.first_wait, min=self.first_wait, max=self.max_wait),
            retry=retry_if_exception_type(Unreachable), before_sleep=self._before_sleep, reraise=True)
        try:
            await asyncio.sleep(self.first_wait)
            async for attempt in retrying:
                with attempt:
                    await self.check()
            log.info("%s: %s answers now", self.platform, self.url)
            await self._connected()
        except CredentialsRejected as exc:
            # Too late to stop the start-up: the platform stays off, said once, loudly.
            log.error("%s: %s; this platform stays off until the setting is fixed and the bot restarted",
                      self.platform, exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: starting after the platform came back failed", self.platform)

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
