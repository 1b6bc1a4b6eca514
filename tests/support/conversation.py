"""The test driver: talk to the bot the way users do, through the console simulator.

A test reads like a conversation: ``await bot("alice@dm: /start")`` returns what the bot said. A
handler or scheduled task that crashes fails the test with its traceback (the app itself only logs it
and apologises to the user), unless the test says it expects one with ``bot.expect_errors()``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.adapters.console.simulator import Console
from bot.adapters import discover
from edunet import build_app

BANGKOK = ZoneInfo("Asia/Bangkok")
# Saturday 21 November 2026, 09:00 in Bangkok: every conversation test starts here.
START = datetime(2026, 11, 21, 9, 0, tzinfo=BANGKOK)
# Loggers whose errors mean a feature crashed (the app logs and apologises instead of raising).
WATCHED_LOGGERS = ("bot", "handlers", "scheduler", "storage")


class ErrorLog(logging.Handler):
    """Collects ERROR records of our own loggers while a conversation runs."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in WATCHED_LOGGERS:
            self.records.append(record)


class Conversation:
    """Drive the bot as users would: ``await bot("alice@dm: /start")`` returns what the
    bot said in response (every line the console printed), as one string."""

    def __init__(self, console: Console, clock: ManualClock, app: App) -> None:
        self.console = console
        self.clock = clock
        self.app = app
        self.errors = ErrorLog()
        self._expecting_errors = False
        self._tolerated: list[str] = []

    async def __call__(self, *lines: str) -> str:
        start = len(self.console.transcript)
        self.errors.records.clear()
        root = logging.getLogger()
        root.addHandler(self.errors)
        try:
            for line in lines:
                await self.console.run_line(line)
        finally:
            root.removeHandler(self.errors)
        formatter = logging.Formatter()
        crashes = [r for r in self.errors.records
                   if not any(t in self._describe(r, formatter) for t in self._tolerated)]
        if crashes and not self._expecting_errors:
            details = "\n".join(self._describe(r, formatter) for r in crashes)
            raise AssertionError(f"the bot logged an error while handling {lines!r}:\n{details}")
        return "\n".join(self.console.transcript[start:])

    @staticmethod
    def _describe(record: logging.LogRecord, formatter: logging.Formatter) -> str:
        text = f"{record.name}: {record.getMessage()}"
        return f"{text}\n{formatter.formatException(record.exc_info)}" if record.exc_info else text

    def tolerate(self, fragment: str) -> None:
        """A fault the test injected on purpose: logged errors mentioning ``fragment`` don't fail it."""
        self._tolerated.append(fragment)

    @contextmanager
    def expect_errors(self) -> Iterator[None]:
        """For tests of the apology path: errors logged inside this block do not fail the test."""
        self._expecting_errors = True
        try:
            yield
        finally:
            self._expecting_errors = False

    @property
    def transcript(self) -> str:
        return "\n".join(self.console.transcript)

    def last_code(self) -> str:
        """The last invite code the bot showed (e.g. K7M3-QX9P)."""
        codes = re.findall(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b", self.transcript)
        assert codes, "the bot has not shown an invite code"
        return codes[-1]

    async def setup_network(self, coordinator: str = "alice", group: str = "teachers") -> None:
        """A network with a coordinator and a linked group: the common opening."""
        await self(f"{coordinator}@dm: /newnetwork เครือข่ายทดสอบ")
        await self(f"{coordinator}@dm: [Join as coordinator]")
        await self(f"{coordinator}@{group}: /linkgroup")

    async def add_member(self, user: str, role: str, coordinator: str = "alice") -> None:
        await self(f"{coordinator}@dm: /invite {role}")
        out = await self(f"{user}@dm: /join {self.last_code()}", f"{user}@dm: [Agree and register]")
        assert "ลงทะเบียน" in out or "registered" in out, out


async def make_conversation(url: str, platform: str = "line", *, billed_platforms: frozenset[str] = frozenset(),
                            **settings: object) -> tuple[Conversation, App]:
    """A conversation on ``platform``; ``billed_platforms`` bill every push (as LINE does in production),
    so what can wait waits for a free chance."""
    clock = ManualClock(START)
    app = build_app(Settings(database_url=url, **settings), clock=clock, operators_are_admins=True,
                    billed_platforms=billed_platforms)
    console = Console(app, clock, [spec.name for spec in discover()], out=lambda _line: None)
    await console.run_line(f":platform {platform}")
    return Conversation(console, clock, app), app
