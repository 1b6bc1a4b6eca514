"""Benchmark: a broadcast to N Telegram groups along the production path (the outbox
dispatcher, paced by Telegram's declared :data:`bot.adapters.telegram.rate.RATE_PROFILE`,
sending through the real :class:`bot.adapters.telegram.send.TelegramSender` and
python-telegram-bot) against a local fake Bot API that enforces Telegram's limits, scaled
up so the run is short.

    python -m bench.outbox_broadcast --groups 2000            # ×10 limits: 300 msg/s
    python -m bench.outbox_broadcast --groups 2000 --dispatchers 2

The server (aiohttp on 127.0.0.1, an ephemeral port, its own process) answers ``getMe`` and
``sendMessage``, counts every message in sliding windows (overall, per chat, per group) and
answers 429 with ``retry_after`` when one is exceeded. The report gives the achieved rate as
a fraction of the allowed rate, the busiest one-second window, 429s, and lost and duplicated
messages (both must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import math
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


@dataclass
class FakePlatform:
    """The Bot API side: limits and a record of deliveries."""

    profile: RateProfile
    arrivals: list[float] = field(default_factory=list)
    delivered: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rejected_429: int = 0
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

    async def send_message(self, request: web.Request) -> web.Response:
        now = time.monotonic()
        params = dict(await request.post())
        chat = str(params["chat_id"])
        is_group = chat.startswith("-")
        checks = [(f"*|{w.name}", w) for w in self.profile.shared_windows()]
        checks += [(f"{chat}|{w.name}", w) for w in self.profile.chat_windows(is_group)]
        wait = max((self._over(key, w, now) for key, w in checks), default=0.0)
        if wait > 0:
            self.rejected_429 += 1
            seconds = math.ceil(wait)  # Telegram says whole seconds
            return web.json_response({"ok": False, "error_code": 429,
                                      "description": f"Too Many Requests: retry after {seconds}",
                                      "parameters": {"retry_after": seconds}}, status=429)
        for key, _window in checks:
            self._logs[key].append(now)
        self.delivered[chat] += 1
        self.arrivals.append(now)
        self._message_ids += 1
        return web.json_response({"ok": True, "result": {
            "message_id": self._message_ids, "date": int(time.time()), "text": params.get("text", ""),
            "chat": {"id": int(chat), "type": "supergroup" if is_group else "private", "title": "bench"}}})

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"arrivals": self.arrivals, "delivered": self.delivered,
                                  "rejected_429": self.rejected_429})


def serve_platform(scale: float, ports: Any) -> None:
    """The fake platform in its own process (so it does not share the dispatcher's CPU)."""

    async def main() -> None:
        platform = FakePlatform(RATE_PROFILE.scaled(scale))
        stopped = asyncio.Event()

        async def stop(_request: web.Request) -> web.Response:
            stopped.set()
            return web.json_response({"ok": True})

        web_app = web.Application()
        web_app.router.add_post(f"/bot{TOKEN}/getMe", platform.get_me)
        web_app.router.add_post(f"/bot{TOKEN}/sendMessage", platform.send_message)
        web_app.router.add_get("/stats", platform.stats)
        web_app.router.add_post("/stop", stop)
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ports.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.wait_for(stopped.wait(), timeout=900)
        await runner.cleanup()

    asyncio.run(main())


async def enqueue_broadcast(app: App, groups: int) -> int:
    """A network with ``groups`` linked groups and one broadcast row for each."""
    async with app.db.transaction() as conn:
        now = app.clock.now()
        network = await NetworkRepo(conn).create("bench", timezone="Asia/Bangkok", language="th", now=now)
        chats = ChatRepo(conn)
        outbox = OutboxRepo(conn)
        message = [reply_to_dict(Text("📢 ประกาศ: ทดสอบการส่งถึงทุกกลุ่ม"))]
        for i in range(groups):
            chat = await chats.upsert("telegram", f"-100{i:06d}", "group", f"group {i}", now=now)
            await chats.link(chat.id, network.id, by_member_id=None, now=now)
            await outbox.enqueue(key=f"announce:bench:chat:{chat.id}", network_id=network.id, chat_id=chat.id,
                                 messages=message, now=now)
    return network.id


def busiest_window(arrivals: list[float], period: float) -> int:
    best, start = 0, 0
    for end, t in enumerate(arrivals):
        while arrivals[start] <= t - period:
            start += 1
        best = max(best, end - start + 1)
    return best


async def run_benchmark(groups: int = 2000, scale: float = 10.0, dispatchers: int = 1,
                        database_url: str | None = None, timeout: float = 300.0) -> dict[str, Any]:
    import multiprocessing

    limits = RATE_PROFILE.scaled(scale)
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve_platform, args=(scale, ports), daemon=True)
    server.start()
    port = await asyncio.to_thread(ports.get, True, 60)
    base_url = f"http://127.0.0.1:{port}"

    tmp = None
    if database_url is None:
        tmp = tempfile.mkdtemp(prefix="edunet-bench-")
        database_url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
    apps = [build_app(Settings(database_url=database_url)) for _ in range(dispatchers)]
    await apps[0].start()
    await enqueue_broadcast(apps[0], groups)
    # Several dispatcher processes share one bot token, so they split its rate.
    share = limits.scaled(1 / dispatchers) if dispatchers > 1 else limits
    # What `edunet serve` builds: PTB's Bot with the adapter's request settings, the sender with its pacer.
    bots = [build_bot(TelegramSettings(bot_token=TOKEN, api_base_url=base_url)) for _ in apps]
    for bot in bots:
        await bot.initialize()
    workers = [OutboxDispatcher(app, {"telegram": TelegramSender(bot, app, Pacer(share))}, batch_size=250,
                                idle_poll_seconds=0.2) for app, bot in zip(apps, bots)]
    started = time.monotonic()
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        deadline = started + timeout
        while time.monotonic() < deadline:  # until the outbox has recorded every row as settled
            async with apps[0].db.transaction() as conn:
                from storage.deliveries import DeliveryRepo

                if not (await DeliveryRepo(conn).status_counts(1)).get("pending"):
                    break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)  # anything still in flight would show up as a duplicate
    finally:
        for w in workers:
            w.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for bot in bots:
            await bot.shutdown()
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base_url}/stats") as response:
                platform = await response.json()
            async with session.post(f"{base_url}/stop"):
                pass
        await asyncio.to_thread(server.join, 10)
    async with apps[0].db.transaction() as conn:
        from storage.deliveries import DeliveryRepo

        statuses = await DeliveryRepo(conn).status_counts(1)
    for app in apps:
        await app.close()
    if tmp is not None:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)

    arrivals = platform["arrivals"]
    delivered: dict[str, int] = platform["delivered"]
    overall = limits.overall[0]
    allowed = overall.limit / overall.period
    first, last = arrivals[0], arrivals[-1]
    n = len(arrivals)
    # The fastest the platform allows: a full window at once, then one window per period.
    ideal_span = ((n - 1) // overall.limit) * overall.period
    duplicated = sum(c - 1 for c in delivered.values() if c > 1)
    return {
        "groups": groups, "scale": scale, "dispatchers": dispatchers,
        "allowed_rate_per_s": allowed,
        "delivered": sum(delivered.values()),
        "lost": groups - len(delivered),
        "duplicated": duplicated,
        "rejected_429": platform["rejected_429"],
        "elapsed_s": last - started,
        "span_s": last - first,
        "ideal_span_s": ideal_span,
        "average_rate_per_s": (n - 1) / (last - first) if last > first else float("nan"),
        "fraction_of_allowed": ideal_span / (last - first) if last > first else float("nan"),
        "busiest_1s_window": busiest_window(arrivals, overall.period),
        "outbox_status": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--scale", type=float, default=10.0, help="multiply Telegram's limits by this")
    parser.add_argument("--dispatchers", type=int, default=1, help="dispatcher processes sharing the database")
    parser.add_argument("--database", help="database URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    result = asyncio.run(run_benchmark(args.groups, args.scale, args.dispatchers, args.database))
    allowed = result["allowed_rate_per_s"]
    print(f"broadcast to {result['groups']} groups, Telegram limits ×{result['scale']:g} "
          f"(overall {allowed:g}/s, 1 chat {args.scale:g}/s, 1 group {20 * args.scale:g}/min), "
          f"{result['dispatchers']} dispatcher(s)")
    print(f"delivered {result['delivered']} in {result['elapsed_s']:.2f} s; lost {result['lost']}, "
          f"duplicated {result['duplicated']}; 429s {result['rejected_429']}")
    print(f"first to last delivery {result['span_s']:.2f} s, the limits allow {result['ideal_span_s']:.2f} s at best: "
          f"{result['fraction_of_allowed']:.1%} of the allowed rate (average {result['average_rate_per_s']:.1f}/s "
          f"of {allowed:g}/s)")
    print(f"busiest 1 s window: {result['busiest_1s_window']} messages (limit {int(allowed)})")
    print(f"outbox rows by status: {result['outbox_status']}")


if __name__ == "__main__":
    main()
