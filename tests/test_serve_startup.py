"""``edunet serve`` started as a process against fake platforms on 127.0.0.1: an unreachable
platform is retried while the rest of the bot works; refused credentials stop it with one line."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest

from tests.fakes.line_api import FakeLineAPI, sign, text_event, webhook_body
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.telegram import BOT_USERNAME, TOKEN, free_port

pytestmark = pytest.mark.slow

LINE_TOKEN = "line-access-token-0123456789"
LINE_SECRET = "line-channel-secret-abcdef"
USER = "U" + "1a" * 16
REPO = Path(__file__).resolve().parents[1]


class Served:
    """A running ``edunet serve`` and what it wrote to stderr so far."""

    def __init__(self, process: asyncio.subprocess.Process, port: int) -> None:
        self.process = process
        self.port = port
        self.stderr = ""
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.stderr += line.decode("utf-8", "replace")

    async def wait_for(self, text: str, timeout: float = 90) -> None:
        for _ in range(int(timeout * 10)):
            if text in self.stderr:
                return
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} not in the log:\n{self.stderr}")

    async def exit_code(self, timeout: float = 90) -> int:
        code = await asyncio.wait_for(self.process.wait(), timeout)
        await asyncio.wait_for(self._reader, 5)
        return code

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.exit_code()


Start = Callable[..., Awaitable["Served"]]


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Start]:
    started: list[Served] = []

    async def start(**env: str) -> Served:
        port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "TELEGRAM_", "LINE_"))}
        clean.update(EDUNET_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/edunet.db", EDUNET_PORT=str(port),
                     EDUNET_SECRET_KEY="k" * 64, EDUNET_LOG_LEVEL="INFO", HOME=str(tmp_path), **env)
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "edunet", "serve", cwd=tmp_path, env=clean,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        served = Served(process, port)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.process.returncode is None:
            served.process.kill()
            await served.process.wait()


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there: connections are refused


async def healthz(port: int) -> int:
    async with aiohttp.ClientSession() as session:
        for _ in range(900):  # a loaded machine starts a Python process slowly
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("the web server never answered")


async def test_an_unreachable_telegram_is_retried_while_line_and_the_web_server_work(serve: Start) -> None:
    telegram_url = closed_port_url()
    async with FakeLineAPI(access_token=LINE_TOKEN, spec=None) as line:
        served = await serve(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=telegram_url,
                             LINE_CHANNEL_SECRET=LINE_SECRET, LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
                             LINE_API_BASE_URL=line.url, EDUNET_PUBLIC_URL="https://bot.example.org")
        await served.wait_for(f"telegram: cannot reach {telegram_url}")
        await served.wait_for(f"telegram: still cannot reach {telegram_url}")  # it keeps trying
        assert await healthz(served.port) == 200
        await served.wait_for("start-up objects set aside from the garbage collector")  # once running
        # LINE works meanwhile: a private message is answered.
        body = webhook_body([text_event(USER, "/start", fake=line)])
        async with aiohttp.ClientSession() as session:
            async with session.post(f"http://127.0.0.1:{served.port}/webhooks/line", data=body,
                                    headers={"x-line-signature": sign(body, LINE_SECRET),
                                             "content-type": "application/json"}) as response:
                assert response.status == 200
        for _ in range(100):
            if line.texts_to(USER):
                break
            await asyncio.sleep(0.1)
        assert any("EduNet" in text for text in line.texts_to(USER)), line.requests
        assert await served.stop() == 0
    warnings = [line for line in served.stderr.splitlines() if "cannot reach" in line]
    assert warnings and all(telegram_url in line for line in warnings)
    assert "Traceback" not in served.stderr
    assert TOKEN not in served.stderr


async def test_telegram_answering_later_is_then_served(serve: Start) -> None:
    port = free_port()
    served = await serve(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}")
    await served.wait_for(f"telegram: cannot reach http://127.0.0.1:{port}")
    assert await healthz(served.port) == 200
    async with FakeTelegramAPI(token=TOKEN, bot_username=BOT_USERNAME, port=port) as fake:
        await served.wait_for(f"telegram: long polling as @{BOT_USERNAME}", timeout=90)
        fake.add_private_chat(42, "Somchai")
        fake.user_sends_text(42, 42, "/start")
        await fake.wait_for(lambda: fake.texts_to(42), timeout=90)
        assert await served.stop() == 0
    assert "Traceback" not in served.stderr


async def test_a_refused_telegram_token_stops_at_start_up_with_one_line(serve: Start) -> None:
    async with FakeTelegramAPI(token="999:OTHER", bot_username=BOT_USERNAME) as fake:
        served = await serve(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.url)
        assert await served.exit_code() == 1
    errors = [line for line in served.stderr.splitlines() if "TELEGRAM_BOT_TOKEN" in line]
    assert errors == ["edunet: Telegram rejected TELEGRAM_BOT_TOKEN (getMe answered 401 Unauthorized): copy the "
                      "token from @BotFather (/mybots → API Token) again"], served.stderr
    assert "Traceback" not in served.stderr and TOKEN not in served.stderr


async def test_a_refused_line_token_stops_at_start_up_with_one_line(serve: Start) -> None:
    async with FakeLineAPI(access_token="another-token", spec=None) as line:
        served = await serve(LINE_CHANNEL_SECRET=LINE_SECRET, LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
                             LINE_API_BASE_URL=line.url, EDUNET_PUBLIC_URL="https://bot.example.org")
        assert await served.exit_code() == 1
    errors = [line for line in served.stderr.splitlines() if "LINE_CHANNEL_ACCESS_TOKEN" in line]
    assert len(errors) == 1 and errors[0].startswith("edunet: LINE rejected LINE_CHANNEL_ACCESS_TOKEN (bot info "
                                                     "answered 401 Unauthorized)"), served.stderr
    assert "Traceback" not in served.stderr and LINE_TOKEN not in served.stderr


async def test_two_processes_with_a_refused_line_token_stop_with_one_line_and_no_restarts(serve: Start) -> None:
    """EDUNET_PROCESSES=2: the receiver does not call LINE (it only stores webhooks); its worker does, and
    when LINE refuses the token the worker stops and so does the receiver, instead of restarting the worker
    every second."""
    async with FakeLineAPI(access_token="another-token", spec=None) as line:
        served = await serve(EDUNET_PROCESSES="2", LINE_CHANNEL_SECRET=LINE_SECRET,
                             LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN, LINE_API_BASE_URL=line.url,
                             EDUNET_PUBLIC_URL="https://bot.example.org")
        assert await served.exit_code() == 1
    errors = [line for line in served.stderr.splitlines() if "LINE_CHANNEL_ACCESS_TOKEN" in line]
    assert len(errors) == 1 and errors[0].startswith("edunet: LINE rejected LINE_CHANNEL_ACCESS_TOKEN"), served.stderr
    assert "starting another" not in served.stderr and "Traceback" not in served.stderr
    assert LINE_TOKEN not in served.stderr


async def test_an_unreachable_line_is_retried_while_telegram_works(serve: Start) -> None:
    line_url = closed_port_url()
    async with FakeTelegramAPI(token=TOKEN, bot_username=BOT_USERNAME) as fake:
        served = await serve(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE_URL=fake.url,
                             LINE_CHANNEL_SECRET=LINE_SECRET, LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN,
                             LINE_API_BASE_URL=line_url, EDUNET_PUBLIC_URL="https://bot.example.org")
        await served.wait_for(f"line: cannot reach {line_url}")
        await served.wait_for(f"telegram: long polling as @{BOT_USERNAME}")
        fake.add_private_chat(42, "Somchai")
        fake.user_sends_text(42, 42, "/start")
        await fake.wait_for(lambda: fake.texts_to(42), timeout=90)
        assert await served.stop() == 0
    assert "Traceback" not in served.stderr


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


async def test_two_processes_receive_in_one_and_answer_from_the_other(serve: Start) -> None:
    """EDUNET_PROCESSES=2: the process started receives and stores; the worker process it starts
    answers. /healthz says 200 once the worker runs; a killed worker is started again and answers
    what came meanwhile; SIGTERM stops both."""
    async with FakeLineAPI(access_token=LINE_TOKEN, spec=None) as line:
        served = await serve(EDUNET_PROCESSES="2", LINE_CHANNEL_SECRET=LINE_SECRET,
                             LINE_CHANNEL_ACCESS_TOKEN=LINE_TOKEN, LINE_API_BASE_URL=line.url,
                             EDUNET_PUBLIC_URL="https://bot.example.org")
        await served.wait_for("(worker)")  # the worker process runs
        assert await healthz(served.port) == 200
        [worker] = children(served.process.pid)

        async def send(user: str) -> None:
            body = webhook_body([text_event(user, "/start", fake=line)])
            async with aiohttp.ClientSession() as session:
                async with session.post(f"http://127.0.0.1:{served.port}/webhooks/line", data=body,
                                        headers={"x-line-signature": sign(body, LINE_SECRET),
                                                 "content-type": "application/json"}) as response:
                    assert response.status == 200

        async def answered(user: str) -> bool:
            for _ in range(300):
                if line.texts_to(user):
                    return True
                await asyncio.sleep(0.1)
            return False

        await send(USER)
        assert await answered(USER)
        os.kill(worker, signal.SIGKILL)
        await asyncio.sleep(0.3)
        other = "U" + "2b" * 16
        await send(other)  # stored while no worker runs: acknowledged all the same
        await served.wait_for("the worker process exited")
        assert await answered(other)  # by the worker started in its place
        [second] = children(served.process.pid)
        assert second != worker
        assert await served.stop() == 0
        assert not Path(f"/proc/{second}").exists() or "zombie" in Path(f"/proc/{second}/status").read_text()
    assert "Traceback" not in served.stderr
