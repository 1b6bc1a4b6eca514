"""Kill -9 trials: N ``edunet serve`` instances on one PostgreSQL database, against the fake LINE and
Telegram APIs (tests/fakes/), one instance killed with SIGKILL during each trial's broadcast and
reminder burst, a fresh one started in its place.

    EDUNET_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.failover --trials 20

Each trial, at a fixed time: a broadcast (one urgent push to each LINE and Telegram group, written to
the outbox the way a feature writes it) and a reminder burst (meeting reminders due a moment later,
armed in every instance's scheduler since start-up); 0–0.8 s after an instance started on the
broadcast, the instance holding the most outbox leases (or, if none holds any, a random one) is killed. The report gives,
per trial and in total: messages expected, lost and duplicated per platform, LINE resends answered
409 (the same ``X-Line-Retry-Key``), pushes without a retry key, the takeover time (from the kill until
none of the dead instance's leased rows is still its own) and the reminders' worst lateness.
tests/test_kill9.py runs it and asserts the bounds (0 lost, 0 duplicate LINE pushes, at most one
Telegram duplicate per crash, takeover within 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.model import Text, reply_to_dict
from storage.db import Database, normalise_url
from storage.meetings import MeetingRepo
from storage.membership import ChatRepo, NetworkRepo
from storage.migrations.runner import upgrade_to_heads
from storage.runtime import OutboxRepo, TaskRepo
from storage.tables import outbox, scheduled_tasks
from tests.fakes.line_api import FakeLineAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.line.harness import all_text

ROOT = Path(__file__).resolve().parents[1]
LINE_SECRET = "failover-channel-secret-0123456789ab"
LINE_TOKEN = "failover-channel-access-token"
TELEGRAM_TOKEN = "123456789:FAILOVER-TOKEN"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SlowLine(FakeLineAPI):
    """LINE's push takes a while (30–400 ms), so a kill often lands while pushes are in flight."""

    async def _push(self, rec: Any, params: dict[str, str]) -> Any:
        await asyncio.sleep(random.uniform(0.03, 0.4))
        return await super()._push(rec, params)


@dataclass
class Instance:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    id: str | None = None


@dataclass
class Trial:
    number: int
    victim: str = ""
    victim_rows: int = 0
    takeover_s: float = 0.0
    line_expected: int = 0
    telegram_expected: int = 0
    line_lost: int = 0
    line_duplicated: int = 0
    telegram_lost: int = 0
    telegram_duplicated: int = 0
    reminders_late_s: float = 0.0
    # What the victim held when it was killed: (platform, platform chat id, needle) -> how many times
    # the platform had it at that moment (1: sent, the mark not written yet)
    held: dict[tuple[str, str, str], int] = field(default_factory=dict)
    crash_line_duplicates: int = 0
    crash_telegram_duplicates: int = 0
    # Rows held sent-but-unmarked, left so by an earlier crash and not sent again by this victim
    inherited_repeats: int = 0


@dataclass
class Report:
    trials: list[Trial] = field(default_factory=list)
    line_409: int = 0
    line_pushes_without_retry_key: int = 0
    rows_not_sent: int = 0
    tasks_not_done: int = 0
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(t, name) for t in self.trials)

    @property
    def max_crash_telegram(self) -> int:
        return max((t.crash_telegram_duplicates for t in self.trials), default=0)

    def crash_distribution(self) -> dict[int, int]:
        """How many crashes repeated 0, 1, 2 … Telegram pushes."""
        counts: dict[int, int] = {}
        for t in self.trials:
            counts[t.crash_telegram_duplicates] = counts.get(t.crash_telegram_duplicates, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def max_takeover_s(self) -> float:
        return max((t.takeover_s for t in self.trials), default=0.0)

    def table(self) -> str:
        lines = ["trial  victim rows  takeover s  crash dup LINE/Telegram  LINE exp/lost/dup  Telegram exp/lost/dup"
                 "  reminder late s",
                 "-----  -----------  ----------  -----------------------  -----------------  ---------------------"
                 "  ---------------"]
        for t in self.trials:
            lines.append(f"{t.number:>5}  {t.victim_rows:>11}  {t.takeover_s:>10.1f}  "
                         f"{t.crash_line_duplicates:>14}/{t.crash_telegram_duplicates:<8}  "
                         f"{t.line_expected:>7}/{t.line_lost}/{t.line_duplicated:<7}  "
                         f"{t.telegram_expected:>11}/{t.telegram_lost}/{t.telegram_duplicated:<7}  "
                         f"{t.reminders_late_s:>15.1f}")
        lines += [
            "",
            f"trials {len(self.trials)}, kills {len(self.trials)}, run time {self.seconds:.0f} s",
            f"LINE:     expected {self.total('line_expected')}, lost {self.total('line_lost')}, duplicated "
            f"{self.total('line_duplicated')}; resends answered 409 (same retry key) {self.line_409}; "
            f"pushes without X-Line-Retry-Key {self.line_pushes_without_retry_key}",
            f"Telegram: expected {self.total('telegram_expected')}, lost {self.total('telegram_lost')}, duplicated "
            f"{self.total('telegram_duplicated')}; repeated by a crash (sent, not yet marked, sent again): "
            f"{self.total('crash_telegram_duplicates')} (max {self.max_crash_telegram} per crash; per-crash counts "
            f"{self.crash_distribution()}); held again by a later victim before being resent, counted for the "
            f"crash that left them: {self.total('inherited_repeats')}",
            f"takeover: max {self.max_takeover_s:.1f} s, mean "
            f"{sum(t.takeover_s for t in self.trials) / max(1, len(self.trials)):.1f} s; reminders late by at most "
            f"{max((t.reminders_late_s for t in self.trials), default=0.0):.1f} s",
            f"outbox rows not sent {self.rows_not_sent}, scheduled tasks not done {self.tasks_not_done}",
        ]
        return "\n".join(lines)


class Cluster:
    """The instances, the fakes and the database of one run."""

    def __init__(self, database_url: str, workdir: Path, line: FakeLineAPI, telegram: FakeTelegramAPI) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.line = line
        self.telegram = telegram
        self.instances: list[Instance] = []
        self.db = Database(database_url)
        self._count = 0

    def env(self, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("EDUNET_", "LINE_", "TELEGRAM_"))}
        env.update({
            "EDUNET_DATABASE_URL": self.database_url, "EDUNET_HOST": "127.0.0.1", "EDUNET_PORT": str(port),
            "EDUNET_QUIET_HOURS": "off", "EDUNET_SECRET_KEY": "failover-survey-key-0123456789",
            "EDUNET_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
            "LINE_CHANNEL_SECRET": LINE_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": LINE_TOKEN,
            "LINE_API_BASE_URL": self.line.url, "LINE_DATA_API_BASE_URL": self.line.url, "LINE_FREE_DELIVERY": "0",
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE_URL": self.telegram.url,
            # Webhook mode (several instances must not long-poll one bot); no updates are sent here.
            "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}", "TELEGRAM_WEBHOOK_SECRET": "failover-secret",
        })
        return env

    def spawn(self) -> Instance:
        self._count += 1
        port = free_port()
        log_path = self.workdir / f"serve-{self._count}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen([sys.executable, "-m", "edunet", "serve"], cwd=ROOT, env=self.env(port),
                                       stdout=log, stderr=subprocess.STDOUT)
        instance = Instance(process, port, log_path)
        self.instances.append(instance)
        return instance

    async def identify(self, instance: Instance, timeout: float = 90.0) -> None:
        """Wait until the instance heartbeats; learn its id."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if instance.process.poll() is not None:
                raise RuntimeError(f"edunet serve exited:\n{instance.log_path.read_text(errors='replace')[-3000:]}")
            async with self.db.transaction() as conn:
                found = (await conn.execute(sa.text("SELECT id FROM instances WHERE pid = :pid"),
                                            {"pid": instance.process.pid})).scalar_one_or_none()
            if found:
                instance.id = found
                return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"edunet serve did not heartbeat:\n{instance.log_path.read_text(errors='replace')[-3000:]}")

    async def identify_quietly(self, instance: Instance) -> None:
        try:
            await self.identify(instance, timeout=60)
        except RuntimeError as exc:
            print(f"a replacement instance did not start: {exc}", file=sys.stderr)

    async def ready(self, count: int, *, at_least: int = 2, patience: float = 3.0, timeout: float = 90.0) -> None:
        """Wait (``patience`` seconds) for ``count`` instances to run and heartbeat; then settle for
        ``at_least`` (a replacement still starting on a slow machine), waiting up to ``timeout``."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            ready = len([i for i in self.live if i.id])
            if ready >= count or (ready >= at_least and time.monotonic() - started >= patience):
                return
            await asyncio.sleep(0.1)

    @property
    def live(self) -> list[Instance]:
        return [i for i in self.instances if i.process.poll() is None]

    async def leases(self) -> dict[str, int]:
        async with self.db.transaction() as conn:
            rows = (await conn.execute(
                sa.select(outbox.c.claimed_by, sa.func.count()).where(outbox.c.status == "pending",
                                                                      outbox.c.claimed_by.is_not(None))
                .group_by(outbox.c.claimed_by))).all()
        return {r[0]: r[1] for r in rows}

    async def activity(self) -> str:
        async with self.db.transaction() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT pid, state, wait_event_type, wait_event, now() - xact_start AS age, left(query, 120) "
                "FROM pg_stat_activity WHERE datname = current_database()"))).all()
        return "\n".join(str(tuple(r)) for r in rows)

    async def wait_for_leases(self, timeout: float) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while not (leases := await self.leases()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return leases

    async def held_rows(self, instance: str) -> list[tuple[str, str, str]]:
        """(platform, chat, needle) of every pending row ``instance`` holds."""
        from storage.tables import chats

        async with self.db.transaction() as conn:
            rows = (await conn.execute(
                sa.select(chats.c.platform, chats.c.platform_chat_id, outbox.c.messages)
                .join(chats, chats.c.id == outbox.c.chat_id)
                .where(outbox.c.status == "pending", outbox.c.claimed_by == instance))).all()
        held = []
        for row in rows:
            text = str((row.messages or [{}])[0].get("text", ""))
            title = re.search(r"“[^”]+”", text)
            held.append((row.platform, row.platform_chat_id, title.group(0) if title else text))
        return held

    async def held_by(self, instance: str) -> int:
        async with self.db.transaction() as conn:
            return int((await conn.execute(
                sa.select(sa.func.count()).where(outbox.c.status == "pending", outbox.c.claimed_by == instance)
            )).scalar_one())

    async def stop_all(self) -> None:
        for instance in self.live:
            instance.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        while self.live and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for instance in self.live:
            instance.process.kill()
        for instance in self.instances:
            instance.process.wait(5)
        await self.db.dispose()


async def create_database(server_url: str) -> tuple[str, str]:
    """A fresh database on the server; returns (its URL, its name)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    base = normalise_url(server_url)
    name = f"edunet_failover_{uuid.uuid4().hex[:10]}"
    engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()
    url = sa.make_url(base).set(database=name).render_as_string(hide_password=False)
    await asyncio.to_thread(upgrade_to_heads, url)
    return url, name


async def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@dataclass
class Plan:
    network_id: int
    line_groups: dict[int, str]  # chat id -> LINE group id
    telegram_groups: dict[int, int]  # chat id -> Telegram chat id
    starts: list[datetime]  # each trial's start (wall clock)


async def seed(db: Database, line: FakeLineAPI, telegram: FakeTelegramAPI, *, groups: int, reminders: int,
               trials: int, first: datetime, period: float) -> Plan:
    """A network with ``groups`` LINE and ``groups`` Telegram groups, and every trial's reminder burst:
    ``reminders`` meetings, each reminding one group (LINE and Telegram in turn) 0.3 s into its trial."""
    now = datetime.now(timezone.utc)
    line_groups: dict[int, str] = {}
    telegram_groups: dict[int, int] = {}
    starts = [first + timedelta(seconds=i * period) for i in range(trials)]
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("เครือข่ายทดสอบ", timezone="Asia/Bangkok", language="th", now=now)
        chats = ChatRepo(conn)
        for i in range(groups):
            gid = "C" + uuid.uuid4().hex
            line.add_group(gid, f"LINE {i}", members=[f"U{uuid.uuid4().hex}" for _ in range(3)])
            chat = await chats.upsert("line", gid, "group", f"LINE {i}", now=now)
            await chats.link(chat.id, network.id, by_member_id=None, now=now)
            line_groups[chat.id] = gid
            tid = -100_000 - i
            telegram.add_group(tid, f"Telegram {i}", bot_status="member")
            chat = await chats.upsert("telegram", str(tid), "group", f"Telegram {i}", now=now)
            await chats.link(chat.id, network.id, by_member_id=None, now=now)
            telegram_groups[chat.id] = tid
        targets = [c for pair in zip(line_groups, telegram_groups) for c in pair]
        for trial, start in enumerate(starts):
            due = start + timedelta(seconds=0.3)
            for j in range(reminders):
                target = targets[(trial * reminders + j) % len(targets)]
                meeting = await MeetingRepo(conn).create(
                    network.id, title=f"t{trial}-m{j}", starts_at=due + timedelta(minutes=60), duration_minutes=60,
                    place="ห้องประชุม", agenda="", target_chat_ids=[target], created_by=None, now=now)
                await TaskRepo(conn).schedule(key=f"meeting:{meeting.id}:remind:-60m", kind="meeting_reminder",
                                              run_at=due, payload={"meeting_id": meeting.id, "offset": 60},
                                              network_id=network.id, now=now)
    return Plan(network.id, line_groups, telegram_groups, starts)


async def broadcast(db: Database, plan: Plan, trial: int) -> None:
    """One urgent push to every group, as a feature queues it (one transaction)."""
    now = datetime.now(timezone.utc)
    async with db.transaction() as conn:
        repo = OutboxRepo(conn)
        for chat_id in [*plan.line_groups, *plan.telegram_groups]:
            await repo.enqueue(key=f"failover:{trial}:chat:{chat_id}", network_id=plan.network_id, chat_id=chat_id,
                               messages=[reply_to_dict(Text(f"t{trial} ประกาศ {chat_id}"))], now=now)


async def shift(cluster: Cluster, plan: Plan, trial: int, seconds: float) -> None:
    """Move trials ``trial``… (and their pending reminders) ``seconds`` later."""
    delta = timedelta(seconds=seconds)
    moved = plan.starts[trial]
    plan.starts[trial:] = [s + delta for s in plan.starts[trial:]]
    async with cluster.db.transaction() as conn:
        await conn.execute(
            scheduled_tasks.update()
            .where(scheduled_tasks.c.kind == "meeting_reminder", scheduled_tasks.c.status == "pending",
                   scheduled_tasks.c.run_at >= moved)
            .values(run_at=scheduled_tasks.c.run_at + sa.literal(delta, sa.Interval())))


async def watch_takeover(cluster: Cluster, victim: str, killed_at: float, timeout: float = 30.0) -> float:
    """Seconds from the kill until none of the victim's leased rows is still its own."""
    deadline = killed_at + timeout
    while time.monotonic() < deadline:
        if await cluster.held_by(victim) == 0:
            return time.monotonic() - killed_at
        await asyncio.sleep(0.1)
    return float("inf")


async def run(server_url: str, *, trials: int = 20, instances: int = 3, groups: int = 20, reminders: int = 10,
              period: float = 7.0, seed_value: int | None = None, workdir: Path | None = None,
              settle_timeout: float = 40.0) -> Report:
    rng = random.Random(seed_value)
    started = time.monotonic()
    database_url, name = await create_database(server_url)
    workdir = workdir or Path(os.environ.get("TMPDIR", "/tmp")) / f"failover-{uuid.uuid4().hex[:8]}"
    workdir.mkdir(parents=True, exist_ok=True)
    report = Report()
    async with SlowLine(access_token=LINE_TOKEN) as line, FakeTelegramAPI(
            token=TELEGRAM_TOKEN, bot_username="EduNetFailoverBot", rate_limits=None) as telegram:
        cluster = Cluster(database_url, workdir, line, telegram)
        try:
            lead = 8.0  # the instances start meanwhile
            first = datetime.now(timezone.utc) + timedelta(seconds=lead)
            plan = await seed(cluster.db, line, telegram, groups=groups, reminders=reminders, trials=trials,
                              first=first, period=period)
            for _ in range(instances):
                cluster.spawn()
            await asyncio.gather(*(cluster.identify(i) for i in cluster.instances))
            watchers: list[asyncio.Task[float]] = []
            for trial in range(len(plan.starts)):
                await cluster.ready(instances)
                # Behind the plan (a slow machine, a slow start): this trial and the later ones move,
                # reminders included; each instance's armed job finds its task moved and re-arms it.
                behind = (datetime.now(timezone.utc) + timedelta(seconds=0.7) - plan.starts[trial]).total_seconds()
                if behind > 0:
                    await shift(cluster, plan, trial, behind)
                start = plan.starts[trial]
                await asyncio.sleep(max(0.0, (start - datetime.now(timezone.utc)).total_seconds()))
                await broadcast(cluster.db, plan, trial)
                # Rows queued outside the instances wake no dispatcher: they find them within their 2 s
                # poll. The kill comes a random moment after one has started on them.
                leases = await cluster.wait_for_leases(timeout=3.0)
                await asyncio.sleep(rng.uniform(0.0, 0.8))
                leases = await cluster.leases()
                live = {i.id: i for i in cluster.live if i.id}
                holders = [(n, who) for who, n in leases.items() if who in live]
                victim_id = max(holders)[1] if holders else rng.choice(list(live))
                victim = live[victim_id]
                victim.process.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                victim.process.wait(5)
                held = {row: delivered(line, telegram, *row) for row in await cluster.held_rows(victim_id)}
                result = Trial(trial, victim=victim_id, victim_rows=len(held), held=held)
                report.trials.append(result)
                watchers.append(asyncio.create_task(watch_takeover(cluster, victim_id, killed_at)))
                replacement = cluster.spawn()
                asyncio.get_running_loop().create_task(cluster.identify_quietly(replacement))
            takeovers = await asyncio.gather(*watchers)
            if os.environ.get("FAILOVER_DEBUG"):
                print(await cluster.activity(), file=sys.stderr)
            for result, seconds in zip(report.trials, takeovers):
                result.takeover_s = seconds if result.victim_rows else 0.0
            await settle(cluster, settle_timeout)
            count(report, plan, line, telegram, reminders)
            await outcome(cluster, report)
        finally:
            await cluster.stop_all()
            report.seconds = time.monotonic() - started
    await drop_database(server_url, name)
    return report


async def settle(cluster: Cluster, timeout: float) -> None:
    """Wait until every outbox row is sent and every scheduled reminder has run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with cluster.db.transaction() as conn:
            pending = (await conn.execute(sa.select(sa.func.count()).where(outbox.c.status == "pending"))).scalar_one()
            tasks = (await conn.execute(sa.select(sa.func.count()).where(
                scheduled_tasks.c.status == "pending", scheduled_tasks.c.kind == "meeting_reminder"))).scalar_one()
        if not pending and not tasks:
            await asyncio.sleep(0.5)  # the fakes' last answers
            return
        await asyncio.sleep(0.2)


def delivered(line: FakeLineAPI, telegram: FakeTelegramAPI, platform: str, chat: str, needle: str) -> int:
    """How many times the platform has delivered the message ``needle`` names to ``chat``."""
    if platform == "line":
        return sum(needle in all_text([m]) for m in line.messages_to(chat))
    return sum(needle in text for text in telegram.texts_to(int(chat)))


def count(report: Report, plan: Plan, line: FakeLineAPI, telegram: FakeTelegramAPI, reminders: int) -> None:
    line_seen = {gid: [all_text([m]) for m in line.messages_to(gid)] for gid in plan.line_groups.values()}
    telegram_seen = {tid: telegram.texts_to(tid) for tid in plan.telegram_groups.values()}
    targets = [c for pair in zip(plan.line_groups, plan.telegram_groups) for c in pair]
    for result in report.trials:
        trial = result.number
        expected: list[tuple[int, str]] = [(c, f"t{trial} ประกาศ {c}") for c in [*plan.line_groups,
                                                                               *plan.telegram_groups]]
        expected += [(targets[(trial * reminders + j) % len(targets)], f"“t{trial}-m{j}”") for j in range(reminders)]
        for chat_id, needle in expected:
            if chat_id in plan.line_groups:
                got = sum(needle in text for text in line_seen[plan.line_groups[chat_id]])
                result.line_expected += 1
                result.line_lost += got == 0
                result.line_duplicated += max(0, got - 1)
            else:
                got = sum(needle in text for text in telegram_seen[plan.telegram_groups[chat_id]])
                result.telegram_expected += 1
                result.telegram_lost += got == 0
                result.telegram_duplicated += max(0, got - 1)
    # What each crash repeated: a row it had sent and not yet marked, sent again. A row an earlier crash
    # had left sent-but-unmarked, taken over by this victim and not sent again before it died in turn,
    # is the earlier crash's repeat (one resend in all), not this one's: it is counted once.
    counted: dict[tuple[str, str, str], int] = {}
    for result in report.trials:
        for row, before in result.held.items():
            platform, chat, needle = row
            after = delivered(line, telegram, platform, chat, needle)
            again = before >= 1 and after > before
            repeated = int(again and counted.get(row) != before)
            if repeated:
                counted[row] = before
            elif again:
                result.inherited_repeats += 1
            if platform == "line":
                result.crash_line_duplicates += repeated
            else:
                result.crash_telegram_duplicates += repeated
    pushes = [r for r in line.requests if r.path == "/v2/bot/message/push"]
    report.line_409 = sum(1 for r in pushes if r.status == 409)
    report.line_pushes_without_retry_key = sum(1 for r in pushes if not r.header("X-Line-Retry-Key"))


async def outcome(cluster: Cluster, report: Report) -> None:
    async with cluster.db.transaction() as conn:
        report.rows_not_sent = int((await conn.execute(
            sa.select(sa.func.count()).where(outbox.c.status != "sent"))).scalar_one())
        report.tasks_not_done = int((await conn.execute(
            sa.select(sa.func.count()).where(scheduled_tasks.c.kind == "meeting_reminder",
                                             scheduled_tasks.c.status != "done"))).scalar_one())
        rows = (await conn.execute(
            sa.select(scheduled_tasks.c.payload, scheduled_tasks.c.run_at, scheduled_tasks.c.done_at)
            .where(scheduled_tasks.c.kind == "meeting_reminder", scheduled_tasks.c.status == "done"))).all()
        titles = {m.id: m.title for m in (await conn.execute(sa.text("SELECT id, title FROM meetings"))).all()}
    for row in rows:
        title = titles.get(int(row.payload["meeting_id"]), "")
        trial = int(title[1:].split("-")[0]) if title.startswith("t") else -1
        late = (row.done_at - row.run_at).total_seconds() if row.done_at else 0.0
        for result in report.trials:
            if result.number == trial:
                result.reminders_late_s = max(result.reminders_late_s, late)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--groups", type=int, default=20, help="LINE groups, and as many Telegram groups")
    parser.add_argument("--reminders", type=int, default=10, help="reminders per trial")
    parser.add_argument("--period", type=float, default=7.0, help="seconds between trials")
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    url = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if not url:
        sys.exit("set EDUNET_TEST_POSTGRES_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    report = asyncio.run(run(url, trials=args.trials, instances=args.instances, groups=args.groups,
                             reminders=args.reminders, period=args.period, seed_value=args.seed))
    print(report.table())


if __name__ == "__main__":
    main()
