"""Benchmark: broadcasts to Telegram along the production path (the outbox dispatcher, paced by
Telegram's declared :data:`bot.adapters.telegram.rate.RATE_PROFILE`, sending through the real
:class:`bot.adapters.telegram.send.TelegramSender` and python-telegram-bot) against a local fake
Bot API that enforces Telegram's limits with strict sliding windows, and, in the same run,
python-telegram-bot's own ``AIORateLimiter`` sending the same messages to the same fake.

    python -m bench.outbox_broadcast                      # Telegram's real limits (about 5 minutes)
    python -m bench.outbox_broadcast --scale 10           # limits ×10, for a quick look

Cases:

* ``groups``: one message to each of 2,000 groups;
* ``mixed``: 1,000 groups (one message each), 500 private chats (two each, so the 1 msg/s per chat
  limit counts) and 5 chats with four messages each whose first and third request the fake refuses
  with an injected 429 (``retry_after`` 2 s): the retried message and the ones after it must still
  arrive in order;
* ``groups ×2``: the ``groups`` case with two dispatchers on one database sharing one bot token
  (each paces half the rate);
* ``mixed, AIORateLimiter``: the mixed case sent by PTB's ``ExtBot`` with ``AIORateLimiter``
  (``max_retries=3``, the caller retrying after that), one task per chat sending its messages in
  order, every chat at once: how a PTB bot broadcasts.

The fake (aiohttp on 127.0.0.1, its own process) counts every accepted message in sliding windows
(30 per any 1 s overall, 1 per any 1 s per chat, 20 per any 60 s per group; ×``scale``) and answers
429 with ``retry_after`` when one would be exceeded ("429 drawn"; injected ones are counted apart).
Per case: the achieved rate as a fraction of the allowed one (the fewest seconds the limits allow
for that many messages over the first-to-last span), 429s drawn, messages lost, duplicated and out
of order, seconds from start to the last delivery, and the ratio to ``AIORateLimiter``'s seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import tempfile
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.adapters.telegram.adapter import build_bot
from bot.adapters.telegram.rate import RATE_PROFILE
from bot.adapters.telegram.send import TelegramSender
from bot.adapters.telegram.settings import TelegramSettings
from bot.app import App
from bot.config import Settings
from bot.model import Text, reply_to_dict
from bot.outbox import OutboxDispatcher
from bot.ratelimit import Pacer, RateProfile, Window
from edunet import build_app
from storage.membership import ChatRepo, NetworkRepo
from storage.runtime import OutboxRepo

TOKEN = "123456:bench"
INJECTED_RETRY_AFTER = 2
MESSAGE = re.compile(r"#(\d+) ")


@dataclass(frozen=True)
class Case:
    """Who gets how many messages: (chat id, kind, messages) per chat, and the chats whose requests
    number ``inject_on`` (1-based) draw an injected 429."""

    name: str
    chats: tuple[tuple[str, str, int], ...]
    flaky: frozenset[str] = frozenset()
    inject_on: tuple[int, ...] = (1, 3)

    @property
    def messages(self) -> int:
        return sum(n for _chat, _kind, n in self.chats)


def groups_case(groups: int) -> Case:
    return Case("groups", tuple((f"-100{i:06d}", "group", 1) for i in range(groups)))


def mixed_case(groups: int = 1000, private: int = 500, flaky: int = 5) -> Case:
    chats = [(f"-100{i:06d}", "group", 1) for i in range(groups)]
    chats += [(str(10_000 + i), "private", 2) for i in range(private)]
    flaky_ids = [f"-200{i:06d}" for i in range(flaky)]
    chats += [(chat, "group", 4) for chat in flaky_ids]
    return Case("mixed", tuple(chats), frozenset(flaky_ids))


@dataclass
class FakePlatform:
    """The Bot API side: strict sliding windows and a record of deliveries."""

    profile: RateProfile
    flaky: frozenset[str] = frozenset()
    inject_on: tuple[int, ...] = ()
    arrivals: list[float] = field(default_factory=list)
    received: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    rejected_429: int = 0
    injected_429: int = 0
    _requests: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _logs: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))
    _message_ids: int = 0

    def _over(self, key: str, window: Window, now: float) -> float:
        log = self._logs[key]
        while log and log[0] <= now - window.period:
            log.popleft()
        return log[-window.limit] + window.period - now if len(log) >= window.limit else 0.0

    async def get_me(self, _request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "Bench",
                                                         "username": "bench_bot"}})

    @staticmethod
    def too_many(seconds: int) -> web.Response:
        return web.json_response({"ok": False, "error_code": 429,
                                  "description": f"Too Many Requests: retry after {seconds}",
                                  "parameters": {"retry_after": seconds}}, status=429)

    async def send_message(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        params = dict(await request.post())
        chat = str(params["chat_id"])
        text = str(params.get("text", ""))
        is_group = chat.startswith("-")
        self._requests[chat] += 1
        if chat in self.flaky and self._requests[chat] in self.inject_on:
            self.injected_429 += 1
            return self.too_many(INJECTED_RETRY_AFTER)
        checks = [(f"*|{w.name}", w) for w in self.profile.shared_windows()]
        checks += [(f"{chat}|{w.name}", w) for w in self.profile.chat_windows(is_group)]
        wait = max((self._over(key, w, now) for key, w in checks), default=0.0)
        if wait > 0:
            self.rejected_429 += 1
            return self.too_many(math.ceil(wait))  # Telegram says whole seconds
        for key, _window in checks:
            self._logs[key].append(now)
        found = MESSAGE.search(text)
        self.received[chat].append(int(found.group(1)) if found else -1)
        self.arrivals.append(now)
        self._message_ids += 1
        return web.json_response({"ok": True, "result": {
            "message_id": self._message_ids, "date": int(time.time()), "text": text,
            "chat": {"id": int(chat), "type": "supergroup" if is_group else "private", "title": "bench"}}})

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"arrivals": self.arrivals, "received": self.received,
                                  "rejected_429": self.rejected_429, "injected_429": self.injected_429})

    async def reset(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.flaky = frozenset(body.get("flaky", []))
        self.inject_on = tuple(body.get("inject_on", []))
        self.arrivals, self.received = [], defaultdict(list)
        self.rejected_429 = self.injected_429 = 0
        self._requests, self._logs = defaultdict(int), defaultdict(deque)
        return web.json_response({"ok": True})


def serve_platform(scale: float, ports: Any) -> None:
    """The fake platform in its own process (so it does not share the dispatcher's CPU)."""

    async def main() -> None:
        platform = FakePlatform(RATE_PROFILE.scaled(scale) if scale != 1 else RATE_PROFILE)
        stopped = asyncio.Event()

        async def stop(_request: web.Request) -> web.Response:
            stopped.set()
            return web.json_response({"ok": True})

        web_app = web.Application()
        web_app.router.add_post(f"/bot{TOKEN}/getMe", platform.get_me)
        web_app.router.add_post(f"/bot{TOKEN}/sendMessage", platform.send_message)
        web_app.router.add_get("/stats", platform.stats)
        web_app.router.add_post("/reset", platform.reset)
        web_app.router.add_post("/stop", stop)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.wait_for(stopped.wait(), timeout=3600)
        await runner.cleanup()

    asyncio.run(main())


def text_of(seq: int, chat: str) -> str:
    return f"📢 ประกาศ #{seq} ถึง {chat}"


async def enqueue(app: App, case: Case) -> int:
    """A network with the case's chats linked and one outbox row per message, in order."""
    async with app.db.transaction() as conn:
        now = app.clock.now()
        network = await NetworkRepo(conn).create("bench", timezone="Asia/Bangkok", language="th", now=now)
        chats = ChatRepo(conn)
        outbox = OutboxRepo(conn)
        for chat_id, kind, count in case.chats:
            chat = await chats.upsert("telegram", chat_id, kind, f"chat {chat_id}", now=now)
            await chats.link(chat.id, network.id, by_member_id=None, now=now)
            for seq in range(count):
                await outbox.enqueue(key=f"announce:bench:{network.id}:{chat.id}:{seq}", network_id=network.id,
                                     chat_id=chat.id, messages=[reply_to_dict(Text(text_of(seq, chat_id)))], now=now)
    return network.id


def busiest_window(arrivals: list[float], period: float) -> int:
    best, start = 0, 0
    for end, t in enumerate(arrivals):
        while arrivals[start] <= t - period:
            start += 1
        best = max(best, end - start + 1)
    return best


class Platform:
    """The fake in its own process, reset for every case."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.base_url = ""

    async def __aenter__(self) -> Platform:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        ports = context.Queue()
        self.process = context.Process(target=serve_platform, args=(self.scale, ports), daemon=True)
        self.process.start()
        port = await asyncio.to_thread(ports.get, True, 60)
        self.base_url = f"http://127.0.0.1:{port}"
        self.session = aiohttp.ClientSession()
        return self

    async def reset(self, case: Case) -> None:
        async with self.session.post(f"{self.base_url}/reset", json={"flaky": sorted(case.flaky),
                                                                      "inject_on": list(case.inject_on)}):
            pass

    async def stats(self) -> dict[str, Any]:
        async with self.session.get(f"{self.base_url}/stats") as response:
            result: dict[str, Any] = await response.json()
            return result

    async def __aexit__(self, *_exc: object) -> None:
        async with self.session.post(f"{self.base_url}/stop"):
            pass
        await self.session.close()
        await asyncio.to_thread(self.process.join, 10)


def summarise(case: Case, platform: dict[str, Any], started: float, limits: RateProfile, **extra: Any) -> dict[str, Any]:
    arrivals: list[float] = platform["arrivals"]
    received: dict[str, list[int]] = platform["received"]
    expected = {chat: count for chat, _kind, count in case.chats}
    lost = duplicated = out_of_order = 0
    for chat, count in expected.items():
        got = received.get(chat, [])
        lost += len(set(range(count)) - set(got))
        duplicated += len(got) - len(set(got))
        out_of_order += sum(1 for a, b in zip(got, got[1:]) if b <= a)
    overall = limits.overall[0]
    n = len(arrivals)
    first, last = (arrivals[0], arrivals[-1]) if arrivals else (started, started)
    # The fewest seconds the limits allow for n messages: a full window at once, then one per period.
    ideal_span = ((n - 1) // overall.limit) * overall.period if n else 0.0
    return {
        "case": case.name, "messages": case.messages, "allowed_rate_per_s": overall.limit / overall.period,
        "delivered": n, "lost": lost, "duplicated": duplicated, "out_of_order": out_of_order,
        "rejected_429": platform["rejected_429"], "injected_429": platform["injected_429"],
        "elapsed_s": last - started, "span_s": last - first, "ideal_span_s": ideal_span,
        "fraction_of_allowed": ideal_span / (last - first) if last > first else float("nan"),
        "busiest_1s_window": busiest_window(arrivals, overall.period), **extra,
    }


async def run_dispatchers(platform: Platform, case: Case, *, scale: float, dispatchers: int = 1,
                          database_url: str | None = None, timeout: float = 600.0) -> dict[str, Any]:
    """The case through ``dispatchers`` outbox dispatchers on one database (one bot token)."""
    from storage.deliveries import DeliveryRepo

    limits = RATE_PROFILE.scaled(scale) if scale != 1 else RATE_PROFILE
    await platform.reset(case)
    tmp = None
    if database_url is None:
        tmp = tempfile.mkdtemp(prefix="edunet-bench-")
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
    apps = [build_app(Settings(database_url=database_url)) for _ in range(dispatchers)]
    await apps[0].start()
    network_id = await enqueue(apps[0], case)
    # Dispatchers sharing one bot token split its rate.
    share = limits.scaled(1 / dispatchers) if dispatchers > 1 else limits
    # What `edunet serve` builds: PTB's Bot with the adapter's request settings, the sender with its pacer.
    bots = [build_bot(TelegramSettings(bot_token=TOKEN, api_base_url=platform.base_url)) for _ in apps]
    for bot in bots:
        await bot.initialize()
    workers = [OutboxDispatcher(app, {"telegram": TelegramSender(bot, app, Pacer(share))}, idle_poll_seconds=0.5)
               for app, bot in zip(apps, bots)]
    started = time.monotonic()
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        deadline = started + timeout
        while time.monotonic() < deadline:  # until the outbox has recorded every row as settled
            async with apps[0].db.read() as conn:
                if not (await DeliveryRepo(conn).status_counts(network_id)).get("pending"):
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything still in flight would show up as a duplicate
    finally:
        for w in workers:
            w.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for bot in bots:
            await bot.shutdown()
    stats = await platform.stats()
    async with apps[0].db.read() as conn:
        statuses = await DeliveryRepo(conn).status_counts(network_id)
    for app in apps:
        await app.close()
    if tmp is not None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    name = case.name if dispatchers == 1 else f"{case.name} ×{dispatchers}"
    return summarise(Case(name, case.chats, case.flaky, case.inject_on), stats, started, limits,
                     outbox_status=statuses, claims=sum(w.claims for w in workers),
                     mark_commits=sum(w.marks.commits for w in workers))


async def run_aioratelimiter(platform: Platform, case: Case, *, scale: float) -> dict[str, Any]:
    """The same messages through python-telegram-bot's ``AIORateLimiter`` (its limits ×``scale``)."""
    from telegram.error import RetryAfter
    from telegram.ext import AIORateLimiter, ExtBot
    from telegram.request import HTTPXRequest

    from bot.adapters.telegram.adapter import api_urls
    from bot.adapters.telegram.send import retry_seconds

    limits = RATE_PROFILE.scaled(scale) if scale != 1 else RATE_PROFILE
    await platform.reset(case)
    base_url, base_file_url = api_urls(platform.base_url)
    limiter = AIORateLimiter(overall_max_rate=limits.overall[0].limit, overall_time_period=limits.overall[0].period,
                             group_max_rate=limits.per_group[0].limit, group_time_period=limits.per_group[0].period,
                             max_retries=3)
    bot = ExtBot(TOKEN, base_url=base_url, base_file_url=base_file_url, rate_limiter=limiter,
                 request=HTTPXRequest(connection_pool_size=32, connect_timeout=10, read_timeout=20, write_timeout=30,
                                      pool_timeout=60))
    await bot.initialize()

    async def one_chat(chat: str, count: int) -> None:
        for seq in range(count):
            while True:
                try:
                    await bot.send_message(int(chat), text_of(seq, chat))
                    break
                except RetryAfter as exc:  # AIORateLimiter gave up after max_retries: wait and go again
                    await asyncio.sleep(retry_seconds(exc))

    started = time.monotonic()
    try:
        await asyncio.gather(*(one_chat(chat, count) for chat, _kind, count in case.chats))
    finally:
        await bot.shutdown()
    stats = await platform.stats()
    return summarise(Case(f"{case.name}, AIORateLimiter", case.chats, case.flaky, case.inject_on), stats, started,
                     limits)


async def run_benchmark(groups: int = 2000, scale: float = 1.0, dispatchers: int = 1,
                        database_url: str | None = None, timeout: float = 600.0) -> dict[str, Any]:
    """One broadcast to ``groups`` groups (kept for quick checks)."""
    async with Platform(scale) as platform:
        return await run_dispatchers(platform, groups_case(groups), scale=scale, dispatchers=dispatchers,
                                     database_url=database_url, timeout=timeout)


async def run_all(*, groups: int = 2000, mixed: tuple[int, int, int] = (1000, 500, 5), scale: float = 1.0,
                  database_url: str | None = None, baseline: bool = True) -> list[dict[str, Any]]:
    results = []
    async with Platform(scale) as platform:
        results.append(await run_dispatchers(platform, groups_case(groups), scale=scale, database_url=database_url))
        results.append(await run_dispatchers(platform, mixed_case(*mixed), scale=scale, database_url=database_url))
        results.append(await run_dispatchers(platform, groups_case(groups), scale=scale, dispatchers=2,
                                             database_url=database_url))
        if baseline:
            results.append(await run_aioratelimiter(platform, mixed_case(*mixed), scale=scale))
    return results


def table(results: list[dict[str, Any]]) -> str:
    baseline = next((r for r in results if r["case"].endswith("AIORateLimiter")), None)
    lines = ["case                     messages  rate %  429 drawn  injected  lost  dup  out of order  seconds"
             "  vs AIORateLimiter",
             "-----------------------  --------  ------  ---------  --------  ----  ---  ------------  -------"
             "  -----------------"]
    for r in results:
        versus = ""
        if baseline is not None and r is not baseline and r["case"].startswith("mixed"):
            versus = f"{baseline['elapsed_s'] / r['elapsed_s']:.2f}× faster"
        lines.append(f"{r['case']:<23}  {r['messages']:>8}  {100 * r['fraction_of_allowed']:>6.1f}  "
                     f"{r['rejected_429']:>9}  {r['injected_429']:>8}  {r['lost']:>4}  {r['duplicated']:>3}  "
                     f"{r['out_of_order']:>12}  {r['elapsed_s']:>7.1f}  {versus}")
    one = next((r for r in results if r["case"] == "groups"), None)
    two = next((r for r in results if r["case"] == "groups ×2"), None)
    if one and two:
        lines.append(f"two dispatchers on one token: {two['elapsed_s']:.1f} s against {one['elapsed_s']:.1f} s "
                     f"for one ({one['elapsed_s'] / two['elapsed_s']:.2f}× the speed)")
    for r in results:
        if "claims" in r:
            lines.append(f"{r['case']}: {r['claims']} claim queries, {r['mark_commits']} sent-mark commits, "
                         f"busiest 1 s window {r['busiest_1s_window']} (limit {r['allowed_rate_per_s']:g}), "
                         f"outbox {r['outbox_status']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply Telegram's limits by this")
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file per case)")
    parser.add_argument("--no-baseline", action="store_true", help="skip AIORateLimiter")
    args = parser.parse_args()
    results = asyncio.run(run_all(groups=args.groups, scale=args.scale, database_url=args.database,
                                  baseline=not args.no_baseline))
    print(f"Telegram limits ×{args.scale:g}: {30 * args.scale:g} msg/s overall, {args.scale:g} msg/s per chat, "
          f"{20 * args.scale:g} msg/min per group (strict sliding windows)")
    print(table(results))


if __name__ == "__main__":
    main()
