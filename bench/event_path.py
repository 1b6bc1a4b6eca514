"""The per-event path in one process: N stored LINE events worked by the real LINE adapter
(against the fake LINE API), timed, and optionally profiled with pyinstrument.

``python -m bench.event_path [--events 300] [--rounds 3] [--case simple|mix] [--engine sqlite|postgresql|both]
[--profile FILE.txt]``

On PostgreSQL (``--engine postgresql`` or ``both``, with ``EDUNET_TEST_POSTGRES_URL`` set) each case runs on a
database of its own, created for the run and dropped after it; the server runs beside this process, so its
CPU is not in the "CPU ms/event" column (only this process's is) but its round trips are in events/s.

Two cases: "simple" (new users' /start and /help) and "mix" (members of a network: commands,
button presses, messages in linked groups). Prints processed events/s, CPU ms and SQL statements
per event, beside a floor measured in the same run: the same number of events through aiohttp's
HMAC check and python-telegram-bot's ``Application.process_update`` with an echo handler whose
reply goes through PTB's Bot to a fake Telegram API on 127.0.0.1 in this process (as the edunet
side's replies go to the fake LINE API here), and, as a second row, the same without sending.
The floors and the cases are measured ``--rounds`` times, one after another; each case's "of floor" is
the median of its rate over the floor of its own round (the spread beside it), so the machine's
slower and faster minutes fall on both sides of each ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, NamedTuple

from bench.webhook_load import SECRET, TOKEN, drop_created_databases, load_average, postgres_database


class Measured(NamedTuple):
    rate: float  # processed events/s
    cpu_ms: float  # CPU of this process per event (the fake LINE API it answers runs here too)
    statements: float  # SQL statements per event, BEGIN included


# The cases: who sends what. "simple": new users' /start and /help in private chats. "mix": members of
# a seeded network, a third each sending a command, pressing a button (postback) and writing in one of
# the network's linked groups.
CASES = ("simple", "mix")
GROUPS = 10


ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


async def edunet_path(events: int, workdir: Path, profile: Path | None, case: str = "simple",
                      engine: str = "sqlite") -> Measured:
    saved = dict(os.environ)
    try:
        if engine == "postgresql":
            url = await postgres_database()
            if url is None:
                raise SystemExit("--engine postgresql needs EDUNET_TEST_POSTGRES_URL (a server to create databases on)")
        else:
            url = f"sqlite+aiosqlite:///{workdir}/edunet-{case}.db"
        return await _edunet_path(events, url, profile, case)
    finally:  # the settings are read from the environment: leave it as it was
        os.environ.clear()
        os.environ.update(saved)


async def _seed(app: Any, fake: Any, events: int) -> tuple[list[str], list[str]]:
    """A network with ``events`` members and GROUPS linked groups (its members); their ids. Each member's
    private chat is known, as it is once they registered there (``/join`` is sent in it)."""
    from datetime import datetime, timezone

    from storage.membership import ChatRepo, MemberRepo, NetworkRepo

    now = datetime.now(timezone.utc)
    users = ["U" + uuid.uuid4().hex for _ in range(events)]
    groups = ["C" + uuid.uuid4().hex for _ in range(GROUPS)]
    async with app.db.transaction() as conn:
        network = await NetworkRepo(conn).create("Bench network", timezone="Asia/Bangkok", language="th", now=now)
        for number, user in enumerate(users):
            await MemberRepo(conn).add(network.id, platform="line", platform_user_id=user, display_name=f"Member {number}",
                                       role="coordinator" if number == 0 else "teacher", language="th", now=now)
            await MemberRepo(conn).set_current("line", user, network.id, now=now)
            await ChatRepo(conn).upsert("line", user, "private", None, now=now)
        for group in groups:
            chat = await ChatRepo(conn).upsert("line", group, "group", f"Group {group[-4:]}", now=now)
            await ChatRepo(conn).link(chat.id, network.id, by_member_id=None, now=now)
            fake.add_group(group, members=users)
    return users, groups


def _mix_events(users: list[str], groups: list[str], fake: Any) -> list[dict[str, Any]]:
    from bot.payload import encode
    from tests.fakes.line_api import postback_event, text_event

    raw = []
    for i, user in enumerate(users):
        if i % 3 == 0:
            raw.append(text_event(user, "/help" if i % 2 else "/me", fake=fake))
        elif i % 3 == 1:
            raw.append(postback_event(user, encode("help" if i % 2 else "me"), fake=fake))
        else:
            raw.append(text_event(user, f"Hello from member {i}", groups[i % len(groups)], fake=fake))
    return raw


async def _edunet_path(events: int, url: str, profile: Path | None, case: str) -> Measured:
    from sqlalchemy import event as sa_event

    from tests.fakes.line_api import FakeLineAPI, text_event

    async with FakeLineAPI(access_token=TOKEN, spec=None, default_rate_limit=1_000_000,
                           reply_token_ttl=3600) as fake:
        os.environ.update(EDUNET_DATABASE_URL=url,
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
            if case == "mix":
                users, groups = await _seed(app, fake, events)
                raw = _mix_events(users, groups, fake)
            else:
                raw = [text_event("U" + uuid.uuid4().hex, "/help" if i % 2 else "/start", fake=fake)
                       for i in range(events)]
            await line.inbox.store((e["webhookEventId"], _chat_of(e), e) for e in raw)  # type: ignore[attr-defined]
            statements = 0

            def count(*_args: Any) -> None:
                nonlocal statements
                statements += 1

            engines = {app.db.engine.sync_engine, app.db.read_engine.sync_engine}
            for engine in engines:  # BEGIN counts too: it is a round trip like any other
                sa_event.listen(engine, "before_cursor_execute", count)
            profiler = None
            if profile:
                from pyinstrument import Profiler

                profiler = Profiler(async_mode="enabled")
                profiler.start()
            wall, cpu = time.perf_counter(), time.process_time()
            done = await line.inbox.drain()  # type: ignore[attr-defined]
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            for engine in engines:
                sa_event.remove(engine, "before_cursor_execute", count)
            if profiler is not None and profile is not None:
                profiler.stop()
                profile.write_text(profiler.output_text(unicode=False, color=False, show_all=False))
            assert done == events, done
            replies = len(fake.replies)
            assert replies >= events * (2 if case == "mix" else 3) // 3, replies  # the group messages need none
            return Measured(events / wall, cpu * 1000 / events, statements / events)
        finally:
            await line.stop()  # type: ignore[attr-defined]
            await app.close()


def _chat_of(raw: dict[str, Any]) -> str:
    source = raw["source"]
    return str(source.get("groupId") or source.get("roomId") or source["userId"])


def _floor_bodies(events: int) -> list[tuple[bytes, str]]:
    """Signed Telegram updates: ``events`` users' /help in their private chats."""
    import json

    from tests.fakes.line_api import sign

    bodies = []
    for i in range(events):
        payload = {"update_id": i + 1, "message": {
            "message_id": i + 1, "date": int(time.time()), "text": "/help",
            "chat": {"id": 1000 + i, "type": "private"}, "from": {"id": 1000 + i, "is_bot": False, "first_name": "u"}}}
        body = json.dumps(payload).encode()
        bodies.append((body, sign(body, SECRET)))
    return bodies


async def floor_path(events: int, send: bool = True) -> Measured:
    """HMAC check + PTB's process_update with an echo handler, per event.

    ``send``: the echo replies through PTB's Bot to a fake Telegram API on 127.0.0.1 in this process (its
    server's CPU counted, as the fake LINE API's is on the edunet side); without it the echo only counts.
    """
    import json

    from telegram import Update
    from telegram.ext import Application, MessageHandler, filters

    from bot.adapters.line.events import signature_ok
    from tests.fakes.telegram_api import FakeTelegramAPI, MessageLimits, RateLimits

    answered = 0

    async def echo(update: Update, _context: Any) -> None:
        nonlocal answered
        assert update.message is not None and update.message.text is not None
        if send:
            await update.message.reply_text(update.message.text)
        answered += 1

    bodies = _floor_bodies(events)
    async with FakeTelegramAPI("1:" + "a" * 35, rate_limits=RateLimits.disabled(),
                               limits=MessageLimits.unlimited()) as fake:
        for i in range(events):
            fake.add_private_chat(1000 + i, "u")
        application = (Application.builder().token(fake.token).base_url(fake.base_url)
                       .base_file_url(fake.base_file_url).updater(None).build())
        application.add_handler(MessageHandler(filters.TEXT, echo))
        await application.initialize()  # getMe, at the fake
        try:
            wall, cpu = time.perf_counter(), time.process_time()
            for body, signature in bodies:
                if not signature_ok(SECRET, body, signature):
                    raise AssertionError("bad signature")
                await application.process_update(Update.de_json(json.loads(body), application.bot))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            await application.shutdown()
        assert answered == events, answered
        if send:
            sent = len(fake.sent)
            assert sent == events, sent
    return Measured(events / wall, cpu * 1000 / events, 0.0)


FLOOR = "floor (HMAC + PTB echo, sent)"
FLOOR_UNSENT = "floor without sending"


async def run_benchmark(events: int, profile: Path | None = None,
                        cases: tuple[str, ...] = CASES, engines: tuple[str, ...] = ("sqlite",)) -> dict[str, Measured]:
    """The floor and each case on each engine, in this run (``profile``: of the last case)."""
    results = {FLOOR: await floor_path(events), FLOOR_UNSENT: await floor_path(events, send=False)}
    try:
        with tempfile.TemporaryDirectory(prefix="edunet-events-") as tmp:
            for engine in engines:
                for case in cases:
                    last = case == cases[-1] and engine == engines[-1]
                    results[f"edunet {case} (LINE, {ENGINES[engine]})"] = await edunet_path(
                        events, Path(tmp), profile if last else None, case, engine)
    finally:
        await drop_created_databases()
    return results


class Row(NamedTuple):
    """One path over the rounds: medians, and its rate against the floor of its own round."""

    name: str
    rate: float
    cpu_ms: float
    statements: float
    of_floor: float  # median over the rounds of rate / that round's floor
    of_floor_low: float
    of_floor_high: float
    of_unsent: float


def summarise(rounds: list[dict[str, Measured]]) -> list[Row]:
    """Medians over the rounds; each round's rates are divided by the floors measured in that round, just
    before them, so a machine that slows down between rounds moves both sides of a ratio together."""
    from statistics import median

    rows = []
    for name in rounds[0]:
        ratios = sorted(r[name].rate / r[FLOOR].rate for r in rounds)
        rows.append(Row(name, median(r[name].rate for r in rounds), median(r[name].cpu_ms for r in rounds),
                        median(r[name].statements for r in rounds), median(ratios), ratios[0], ratios[-1],
                        median(r[name].rate / r[FLOOR_UNSENT].rate for r in rounds)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3,
                        help="floors and cases measured this many times, one after another (medians are printed)")
    parser.add_argument("--case", choices=CASES, action="append",
                        help="simple (new users' /start, /help) or mix (members' commands, buttons, group messages); "
                             "default both")
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="sqlite",
                        help="the database: sqlite (default), postgresql (EDUNET_TEST_POSTGRES_URL) or both")
    parser.add_argument("--profile", type=Path, help="pyinstrument text profile of the last case (of the last round)")
    args = parser.parse_args(argv)
    cases = tuple(args.case or CASES)
    engines = tuple(ENGINES) if args.engine == "both" else (args.engine,)
    print(f"{args.events} events per case, {args.rounds} rounds; load average before: {load_average()}")
    rounds = [asyncio.run(run_benchmark(args.events, args.profile if n == args.rounds - 1 else None, cases, engines))
              for n in range(args.rounds)]
    print(f"{'path':<32} {'events/s':>9} {'CPU ms/event':>13} {'SQL/event':>10} {'of floor':>9} "
          f"{'(lowest-highest)':>17} {'of unsent':>10}")
    for row in summarise(rounds):
        spread = f"{row.of_floor_low:.0%}-{row.of_floor_high:.0%}"
        print(f"{row.name:<32} {row.rate:>9.0f} {row.cpu_ms:>13.2f} {row.statements:>10.1f} {row.of_floor:>8.1%} "
              f"{spread:>17} {row.of_unsent:>9.1%}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
