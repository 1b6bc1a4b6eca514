"""Running the Telegram bot against the fake Bot API: in this process (fast, with access
to the App) or as a real ``python -m edunet serve`` subprocess (end to end over HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.settings import TelegramSettings
from bot.app import App
from edunet import build_app
from bot.config import Settings
from bot.outbox import OutboxDispatcher
from bot.web import WebServer
from tests.fakes.telegram_api import FakeTelegramAPI, RateLimits

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "123456789:TEST-TOKEN"
BOT_USERNAME = "EduNetTestBot"
CODE_RE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")

ALICE, BOB, CAROL = 1001, 1002, 1003
GROUP = -4001


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def new_fake(rate_limits: RateLimits | None = RateLimits()) -> FakeTelegramAPI:
    fake = FakeTelegramAPI(token=TOKEN, bot_username=BOT_USERNAME, rate_limits=rate_limits)
    return fake


def people(fake: FakeTelegramAPI) -> None:
    """Alice (the admin), Bob, Carol (an English speaker) and the teachers' group."""
    fake.add_private_chat(ALICE, "Alice", "alice_t")
    fake.add_private_chat(BOB, "Bob", "bob_t")
    fake.add_private_chat(CAROL, "Carol", "carol_t", language_code="en")
    fake.add_group(GROUP, "ครูวิทย์ ม.1", members={ALICE: "creator"}, bot_status="left")


# ------------------------------------------------------------------ reading what the bot sent


def texts(fake: FakeTelegramAPI, chat_id: int) -> list[str]:
    return fake.texts_to(chat_id)


def codes(fake: FakeTelegramAPI, chat_id: int) -> list[str]:
    return [c for text in fake.texts_to(chat_id) for c in CODE_RE.findall(text)]


def button(fake: FakeTelegramAPI, chat_id: int, label: str) -> tuple[int, str]:
    """(message id, callback data) of the latest bot button in ``chat_id`` whose label contains ``label``."""
    for message in reversed(fake.messages_to(chat_id)):
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if label.casefold() in key["text"].casefold() and "callback_data" in key:
                    return message["message_id"], key["callback_data"]
    raise AssertionError(f"no button {label!r} in chat {chat_id}: {fake.texts_to(chat_id)}")


async def said(fake: FakeTelegramAPI, chat_id: int, *needles: str, timeout: float = 8.0) -> str:
    """Wait until a bot message in ``chat_id`` contains any of ``needles``; return it."""

    def found() -> str | None:
        for text in reversed(fake.texts_to(chat_id)):
            if any(n in text for n in needles):
                return text
        return None

    return str(await fake.wait_for(found, timeout=timeout))


async def count_after(fake: FakeTelegramAPI, chat_id: int, before: int, timeout: float = 8.0) -> list[str]:
    """Wait for a new bot message in ``chat_id``; the texts after the first ``before``."""
    await fake.wait_for(lambda: len(fake.texts_to(chat_id)) > before, timeout=timeout)
    return fake.texts_to(chat_id)[before:]


async def settled(fake: FakeTelegramAPI, update_id: int, timeout: float = 8.0) -> None:
    """Wait until ``update_id`` was fetched by the bot, then a moment for its effects."""
    await fake.wait_for(lambda: fake.updates.pending_count == 0, timeout=timeout)
    await asyncio.sleep(0.3)


# ------------------------------------------------------------------ in this process


@dataclass
class InProcess:
    fake: FakeTelegramAPI
    app: App
    adapter: TelegramAdapter
    web: WebServer


@contextlib.asynccontextmanager
async def in_process(database_url: str, *, webhook: bool = False, rate_limits: RateLimits | None = RateLimits()
                     ) -> AsyncIterator[InProcess]:
    """The bot's adapter, app, web server and outbox delivery in this event loop."""
    async with new_fake(rate_limits) as fake:
        people(fake)
        env: dict[str, Any] = dict(bot_token=TOKEN, api_base_url=fake.url)
        if webhook:
            env.update(webhook_url="http://127.0.0.1:1/", webhook_secret="s3cret-token")
        # quiet_hours off: this runs on the wall clock (quiet hours are tested on the simulated one).
        settings = Settings(database_url=database_url, admins=f"telegram:{ALICE}", port=0, quiet_hours="off")
        app = build_app(settings)
        await app.start()
        web = WebServer(settings)
        adapter = TelegramAdapter(app, TelegramSettings(**env), web)
        await web.start()
        if webhook:
            adapter.webhook_url = f"http://127.0.0.1:{web.port}/webhooks/telegram"
        dispatcher = OutboxDispatcher(app, {"telegram": adapter.sender})
        wake = asyncio.Event()
        app.on_outbox(wake.set)

        stopping = asyncio.Event()

        async def deliver() -> None:
            # Stopped by a flag, not by cancelling: a cancel can be lost inside a pass
            # (Python 3.11's wait_for), and then this loop would never end.
            while not stopping.is_set():
                await dispatcher.deliver_due()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=0.2)
                wake.clear()

        await adapter.start()
        delivery = asyncio.create_task(deliver())
        try:
            yield InProcess(fake, app, adapter, web)
            assert not fake.internal_errors, fake.internal_errors[0]
        finally:
            stopping.set()
            wake.set()
            await asyncio.wait([delivery], timeout=10)
            delivery.cancel()
            await asyncio.gather(delivery, return_exceptions=True)
            await adapter.stop()
            await web.stop()
            await app.close()


# ------------------------------------------------------------------ as a subprocess


@dataclass
class Served:
    fake: FakeTelegramAPI
    process: subprocess.Popen[bytes]
    port: int
    database_url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextlib.asynccontextmanager
async def served(tmp_path: Path, *, webhook: bool = False, rate_limits: RateLimits | None = RateLimits(),
                 processes: int = 1) -> AsyncIterator[Served]:
    """``python -m edunet serve`` against a fake Bot API on 127.0.0.1; stopped with SIGTERM.
    ``processes=2``: a receiver and its worker (``EDUNET_PROCESSES``)."""
    async with new_fake(rate_limits) as fake:
        people(fake)
        port = free_port()
        database_url = f"sqlite+aiosqlite:///{tmp_path / 'serve.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "TELEGRAM_", "LINE_"))}
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.url, EDUNET_DATABASE_URL=database_url,
                   EDUNET_ADMINS=f"telegram:{ALICE}", EDUNET_PORT=str(port), EDUNET_HOST="127.0.0.1",
                   EDUNET_LOG_LEVEL="INFO", EDUNET_QUIET_HOURS="off", PYTHONUNBUFFERED="1",
                   EDUNET_PROCESSES=str(processes))
        if webhook:
            env.update(TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}", TELEGRAM_WEBHOOK_SECRET="e2e-secret_123")
        log_path = tmp_path / "serve.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen([sys.executable, "-m", "edunet", "serve"], cwd=ROOT, env=env,
                                       stdout=log_file, stderr=subprocess.STDOUT)
        running = Served(fake, process, port, database_url, log_path)
        try:
            await _wait_healthy(running)
            # Started = the webhook set or (polling) deleted, and the command menu registered (with two
            # processes the worker registers it, maybe after its receiver started receiving).
            await fake.wait_for(lambda: any(c.method.lower() in ("deletewebhook", "setwebhook") for c in fake.calls)
                                and fake.commands_for("all_private_chats", "th"), timeout=15)
            yield running
            assert not fake.internal_errors, fake.internal_errors[0]
        finally:
            await _stop(process)


async def _wait_healthy(running: Served, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if running.process.poll() is not None:
                raise AssertionError(f"edunet serve exited with {running.process.returncode}:\n{running.log()}")
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(f"http://127.0.0.1:{running.port}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
    raise AssertionError(f"edunet serve did not become healthy:\n{running.log()}")


async def _stop(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then wait without blocking the loop (the fake API must keep answering
    the bot's last calls while it shuts down); SIGKILL if it hangs."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if process.poll() is None:
            process.kill()
    process.wait(timeout=5)
