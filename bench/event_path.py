"""The per-event path in one process: N stored LINE events worked by the real LINE adapter
(against the fake LINE API), timed, and optionally profiled with pyinstrument.

``python -m bench.event_path [--events 300] [--profile FILE.txt]``

Prints processed events/s and CPU ms per event, beside a floor measured in the same run: the same
events through aiohttp's HMAC check and python-telegram-bot's ``Application.process_update``
with an echo handler (no network; the echo's send is a no-op).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.webhook_load import SECRET, TOKEN, load_average


async def edunet_path(events: int, workdir: Path, profile: Path | None) -> tuple[float, float]:
    saved = dict(os.environ)
    try:
        return await _edunet_path(events, workdir, profile)
    finally:  # the settings are read from the environment: leave it as it was
        os.environ.clear()
        os.environ.update(saved)


async def _edunet_path(events: int, workdir: Path, profile: Path | None) -> tuple[float, float]:
    from tests.fakes.line_api import FakeLineAPI, text_event

    async with FakeLineAPI(access_token=TOKEN, spec=None, default_rate_limit=1_000_000,
                           reply_token_ttl=3600) as fake:
        os.environ.update(EDUNET_DATABASE_URL=f"sqlite+aiosqlite:///{workdir}/edunet.db",
                          EDUNET_SECRET_KEY="k" * 64, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                          LINE_API_BASE_URL=fake.url, EDUNET_LOG_LEVEL="WARNING")
        from bot.adapters import discover
        from bot.config import Settings
        from bot.web import WebServer
        from edunet import build_app
        from edunet.serve import configured_adapters

        settings = Settings()
        specs = [spec for spec in discover() if spec.name == "line"]
        app = build_app(settings, specs=specs, billed_platforms=frozenset({"line"}))
        adapters = configured_adapters(app, WebServer(settings), specs)
        [line] = adapters
        await app.start()
        try:
            raw = [text_event("U" + uuid.uuid4().hex, "/help" if i % 2 else "/start", fake=fake)
                   for i in range(events)]
            await line.inbox.store((e["webhookEventId"], e["source"]["userId"], e) for e in raw)  # type: ignore[attr-defined]
            profiler = None
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            wall, cpu = time.perf_counter(), time.process_time()
            done = await line.inbox.drain()  # type: ignore[attr-defined]
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if profiler is not None and profile is not None:
                profiler.stop()
                profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
            assert done == events, done
            return events / wall, cpu * 1000 / events
        finally:
            await line.stop()  # type: ignore[attr-defined]
            await app.close()


async def floor_path(events: int) -> tuple[float, float]:
    """HMAC check + PTB's process_update with an echo handler, per event."""
    from telegram import Bot, Update
    from telegram.ext import Application, MessageHandler, filters

    from bot.adapters.line.events import signature_ok
    from tests.fakes.line_api import sign

    answered = 0

    async def echo(update: Update, _context: Any) -> None:
        nonlocal answered
        assert update.message is not None
        answered += 1  # sending is not timed: the edunet side answers a local fake

    application = Application.builder().token("1:" + "a" * 35).updater(None).build()
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application._initialized = True  # no getMe: nothing here talks to Telegram
    bot = application.bot
    bodies = []
    for i in range(events):
        payload = {"update_id": i + 1, "message": {
            "message_id": i + 1, "date": int(time.time()), "text": "/help",
            "chat": {"id": 1000 + i, "type": "private"}, "from": {"id": 1000 + i, "is_bot": False, "first_name": "u"}}}
        import json

        body = json.dumps(payload).encode()
        bodies.append((body, sign(body, SECRET)))
    wall, cpu = time.perf_counter(), time.process_time()
    for body, signature in bodies:
        if not signature_ok(SECRET, body, signature):
            raise AssertionError("bad signature")
        import json

        await application.process_update(Update.de_json(json.loads(body), bot))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    application._initialized = False
    assert answered == events
    _ = Bot
    return events / wall, cpu * 1000 / events


async def run_benchmark(events: int, profile: Path | None = None) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="edunet-events-") as tmp:
        floor = await floor_path(events)
        edunet = await edunet_path(events, Path(tmp), profile)
    return {"floor (HMAC + PTB echo)": floor, "edunet (LINE adapter, SQLite)": edunet}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--profile", type=Path)
    args = parser.parse_args(argv)
    print(f"{args.events} events (new users' /start and /help); load average before: {load_average()}")
    results = asyncio.run(run_benchmark(args.events, args.profile))
    floor_rate = results["floor (HMAC + PTB echo)"][0]
    print(f"{'path':<32} {'events/s':>9} {'CPU ms/event':>13} {'of floor':>9}")
    for name, (rate, cpu_ms) in results.items():
        print(f"{name:<32} {rate:>9.0f} {cpu_ms:>13.1f} {rate / floor_rate:>8.1%}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
