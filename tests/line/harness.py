"""End-to-end harness: ``python -m edunet serve`` as a real process, FakeLineAPI as LINE.

The test posts signed webhook bodies to the bot's web server; the fake records (and
validates against LINE's OpenAPI spec, when ../shared is present) what the bot sends.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import aiohttp

from tests.fakes.line_api import FakeLineAPI, RecordedRequest, sign, webhook_body

ROOT = Path(__file__).resolve().parents[2]
SECRET = "test-channel-secret-0123456789abcdef"
TOKEN = "test-channel-access-token"
ADMIN = "U" + "ad" * 16
MESSAGE_PATHS = ("/v2/bot/message/reply", "/v2/bot/message/push")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def walk(node: Any) -> Iterable[dict[str, Any]]:
    """Every dict inside a JSON value (messages, bubbles, components, actions)."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def all_text(messages: Iterable[dict[str, Any]]) -> str:
    """Every visible string of some messages (texts, Flex texts, alt texts), one per line."""
    parts: list[str] = []
    for node in walk(list(messages)):
        for key in ("text", "altText"):
            if isinstance(node.get(key), str) and node.get("type") != "postback":
                parts.append(node[key])
    return "\n".join(parts)


def postback(messages: Iterable[dict[str, Any]], label: str) -> str:
    """The data of the postback button or quick reply labelled ``label``."""
    for node in walk(list(messages)):
        if node.get("type") == "postback" and label in (node.get("label") or ""):
            return str(node["data"])
    raise AssertionError(f"no postback button {label!r} in {json.dumps(list(messages), ensure_ascii=False)[:800]}")


class LineBot:
    """One ``edunet serve`` process wired to a FakeLineAPI."""

    def __init__(self, fake: FakeLineAPI, database_url: str, workdir: Path, **env: str) -> None:
        self.fake = fake
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "serve.log"
        self.session: aiohttp.ClientSession | None = None

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "LINE_", "TELEGRAM_"))}
        env.update({
            "LINE_CHANNEL_SECRET": SECRET,
            "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "LINE_API_BASE_URL": self.fake.url,
            "LINE_DATA_API_BASE_URL": self.fake.url,
            "EDUNET_DATABASE_URL": self.database_url,
            "EDUNET_ADMINS": f"line:{ADMIN}",
            "EDUNET_HOST": "127.0.0.1",
            "EDUNET_PORT": str(self.port),
            "EDUNET_PUBLIC_URL": self.url,
            "EDUNET_ALLOW_HTTP_PUBLIC_URL": "1",
            "EDUNET_LOG_LEVEL": "INFO",
            # The push mechanics are under test here: every notification is pushed when due. Tests of
            # free delivery pass LINE_FREE_DELIVERY="1".
            "LINE_FREE_DELIVERY": "0",
            # These run on the wall clock; quiet hours are tested on the simulated one.
            "EDUNET_QUIET_HOURS": "off",
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",
        })
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = 30.0) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "edunet", "serve"], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"edunet serve exited with {self.process.returncode}:\n{self.log}")
            try:
                async with self.session.get(f"{self.url}/healthz") as response:
                    # Ready once it also asked LINE who it is (the start-up check of the access token).
                    if response.status == 200 and any(r.path == "/v2/bot/info" for r in self.fake.requests):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"edunet serve did not answer /healthz within {timeout}s:\n{self.log}")

    async def stop(self) -> None:
        if self.session is not None:
            await self.session.close()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 10)
            except subprocess.TimeoutExpired:  # hung: dump every thread's stack into the log, then kill
                self.process.send_signal(signal.SIGABRT)
                try:
                    await asyncio.to_thread(self.process.wait, 3)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(5)

    @property
    def log(self) -> str:
        return self.log_path.read_text("utf-8", "replace") if self.log_path.exists() else ""

    # ------------------------------------------------------------ webhooks

    async def post(self, events: Iterable[Mapping[str, Any]] | None = None, *, body: bytes | None = None,
                   signature: str | None | bool = True, headers: dict[str, str] | None = None) -> int:
        """POST a webhook (signed correctly unless ``signature`` says otherwise); the status."""
        assert self.session is not None
        if body is None:
            body = webhook_body(events or [])
        sent = dict(headers or {})
        sent.setdefault("Content-Type", "application/json")
        if signature is True:
            sent["x-line-signature"] = sign(body, SECRET)
        elif isinstance(signature, str):
            sent["x-line-signature"] = signature
        async with self.session.post(f"{self.url}/webhooks/line", data=body, headers=sent) as response:
            await response.read()
            return response.status

    async def send(self, event: Mapping[str, Any], *, to: str | None = None, count: int = 1,
                   timeout: float = 10.0) -> list[dict[str, Any]]:
        """Post one event and return the messages the bot then delivered to ``to`` (default: the event's
        chat), waiting for ``count`` delivering requests."""
        source = event["source"]
        chat = to or source.get("groupId") or source.get("roomId") or source["userId"]
        mark = len(self.fake.requests)
        status = await self.post([event])
        assert status == 200, status
        found = await self.wait_requests(chat, mark, count=count, timeout=timeout)
        return [m for r in found for m in r.json["messages"]]

    def delivered(self, chat: str, since: int = 0) -> list[RecordedRequest]:
        return [r for r in self.fake.requests[since:]
                if r.ok and r.path in MESSAGE_PATHS and chat in r.delivered_to]

    async def wait_requests(self, chat: str, since: int, *, count: int = 1,
                            timeout: float = 10.0) -> list[RecordedRequest]:
        try:
            await self.fake.wait_for(lambda: len(self.delivered(chat, since)) >= count, timeout=timeout)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n--- serve log ---\n{self.log[-4000:]}") from None
        return self.delivered(chat, since)

    # ------------------------------------------------------------ the database, read directly

    def db_rows(self, sql: str) -> list[tuple[Any, ...]]:
        path = self.database_url.split("///", 1)[1]
        with sqlite3.connect(path, timeout=15) as conn:
            return list(conn.execute(sql))

    async def wait_db(self, sql: str, expected: list[tuple[Any, ...]], timeout: float = 10.0) -> None:
        """Wait until ``sql`` returns ``expected`` (the bot commits right after LINE answers)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (rows := self.db_rows(sql)) != expected:
            if loop.time() > deadline:
                raise AssertionError(f"{sql!r} gave {rows}, expected {expected}")
            await asyncio.sleep(0.05)

    def db_fingerprint(self) -> tuple[int, ...]:
        tables = ("inbox", "processed_events", "chats", "members", "outbox", "audit_log")
        return tuple(self.db_rows(f"SELECT count(*) FROM {t}")[0][0] for t in tables)
