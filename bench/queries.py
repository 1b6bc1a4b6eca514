"""Benchmark of the activities and mobilisation queries at scale, with and without their indexes.

    python -m bench.queries --activities 1000000 --pledges 300000

Seeds a temporary SQLite database (and, when EDUNET_TEST_POSTGRES_URL is set, a temporary
PostgreSQL database of its own, dropped afterwards) through the real migrations, loads the
rows with bulk inserts (executemany on SQLite, COPY on PostgreSQL) with the feature's
indexes dropped, builds the indexes, then times every query the product runs (the repository
methods themselves, and the two summary sections end to end). Then it drops the indexes and
times everything again in the same run: the baseline. Nothing here is used by the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from storage.activities import FEATURE_INDEXES
from storage.goals import rollups
from storage.db import Database, normalise_url
from storage.migrations.runner import upgrade_to_heads

REFERENCE_DAY = date(2026, 11, 21)  # "today" for the data and the queries: reproducible figures
REFERENCE_NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
CATEGORIES = [("exchange", "innovation"), ("workshop", "innovation"), ("meeting", "efficiency"),
              ("academic", "equity"), ("community", "efficiency"), ("personnel", "personnel"), ("other", "efficiency")]
TYPES = ["funding", "community", "volunteer", "technology", "international", "materials", "venue"]
SECTORS = ["public", "private", "community", "individual", "international"]
UNITS = {"funding": "THB", "community": "ชุด", "volunteer": "hours", "technology": "เครื่อง",
         "international": "โครงการ", "materials": "ชุด", "venue": "ห้อง"}
ORGS_PER_NETWORK = 40
MEMBERS_PER_NETWORK = 300
CHUNK = 50_000

Timing = Callable[[], Awaitable[Any]]


# ------------------------------------------------------------------ data


class Seed:
    """Deterministic synthetic rows (same seed, same data on both engines)."""

    def __init__(self, activities: int, pledges: int, needs: int, networks: int) -> None:
        self.activities, self.pledges, self.needs, self.networks = activities, pledges, needs, networks
        self.rng = random.Random(2569)

    def org(self, network: int) -> int:
        return (network - 1) * ORGS_PER_NETWORK + self.rng.randint(1, ORGS_PER_NETWORK)

    def member(self, network: int) -> int:
        return (network - 1) * MEMBERS_PER_NETWORK + self.rng.randint(1, MEMBERS_PER_NETWORK)

    def activity_rows(self) -> Any:
        rng = self.rng
        # A running number is unique within each network too (the counters are not needed to read).
        for number in range(1, self.activities + 1):
            network = rng.randint(1, self.networks)
            category, aim = rng.choice(CATEGORIES)
            day = REFERENCE_DAY - timedelta(days=rng.randint(0, 5 * 365))
            created = datetime.combine(day, datetime.min.time(), timezone.utc) + timedelta(hours=rng.randint(8, 40))
            yield (network, number, self.org(network), self.member(network), f"กิจกรรม {rng.randint(1, 10**6)}", category,
                   aim, day, rng.randint(5, 120), rng.choice((60, 90, 120, 180, 360, None)), None, False, created)

    def need_rows(self) -> Any:
        rng = self.rng
        for number in range(1, self.needs + 1):
            network = rng.randint(1, self.networks)
            kind = rng.choice(TYPES)
            created = REFERENCE_NOW - timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1440))
            needed_by = created.date() + timedelta(days=rng.randint(7, 120))
            status = "open" if rng.random() < 0.15 else "fulfilled"
            target = rng.choice((5_000, 20_000, 100_000)) if kind == "funding" else rng.randint(1, 200)
            yield (network, number, self.org(network), self.member(network), kind, f"ความต้องการ {rng.randint(1, 10**6)}",
                   target * 100, UNITS[kind], needed_by, status, created, created if status == "fulfilled" else None)

    def pledge_rows(self, needs: list[tuple[int, int, str]]) -> Any:
        """``needs``: (id, network, type) of every need."""
        rng = self.rng
        for number in range(1, self.pledges + 1):
            if needs and rng.random() < 0.8:
                need_id, network, kind = rng.choice(needs)
            else:
                need_id, network, kind = None, rng.randint(1, self.networks), rng.choice(TYPES)
            created = REFERENCE_NOW - timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1440))
            roll = rng.random()
            status = "delivered" if roll < 0.6 else "pledged" if roll < 0.9 else "cancelled"
            delivered = created + timedelta(days=rng.randint(1, 30)) if status == "delivered" else None
            amount = rng.choice((500, 1_000, 5_000)) if kind == "funding" else rng.randint(1, 20)
            yield (network, number, need_id, self.member(network), kind, rng.choice(SECTORS), amount * 100, UNITS[kind],
                   created.date() + timedelta(days=rng.randint(1, 60)), None, status, created, delivered, None, None,
                   False, created + timedelta(days=2) if status == "cancelled" else None, None)


ACTIVITY_COLUMNS = ["network_id", "number", "organisation_id", "author_id", "title", "category", "aim", "activity_date",
                    "participants", "minutes", "notes", "has_photo", "created_at"]
NEED_COLUMNS = ["network_id", "number", "organisation_id", "posted_by", "resource_type", "description", "target_x100", "unit",
                "needed_by", "status", "created_at", "fulfilled_at"]
PLEDGE_COLUMNS = ["network_id", "number", "need_id", "pledger_id", "resource_type", "source_sector", "amount_x100", "unit",
                  "expected_date", "note", "status", "created_at", "delivered_at", "delivered_by", "delivery_note",
                  "has_photo", "cancelled_at", "cancelled_by"]


def base_rows(networks: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    nets = [(n, f"เครือข่าย {n}", "Asia/Bangkok", "th", "{}", REFERENCE_NOW) for n in range(1, networks + 1)]
    orgs = [((n - 1) * ORGS_PER_NETWORK + i, n, f"โรงเรียน {n}-{i}", "school", REFERENCE_NOW)
            for n in range(1, networks + 1) for i in range(1, ORGS_PER_NETWORK + 1)]
    people = [((n - 1) * MEMBERS_PER_NETWORK + i, n, i, "line", f"U{n}-{i}", f"สมาชิก {i}", "teacher",
               (n - 1) * ORGS_PER_NETWORK + 1 + i % ORGS_PER_NETWORK, "th", "active", True, REFERENCE_NOW)
              for n in range(1, networks + 1) for i in range(1, MEMBERS_PER_NETWORK + 1)]
    return nets, orgs, people


# ------------------------------------------------------------------ loading


def _sqlite_value(value: Any) -> Any:
    """What SQLAlchemy stores on SQLite: ISO dates, naive-UTC timestamps with microseconds, 0/1."""
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _chunks(rows: Any, size: int = CHUNK) -> Any:
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_sqlite(path: Path, seed: Seed) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")
    nets, orgs, people = base_rows(seed.networks)

    def insert(table: str, columns: list[str], rows: Any) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for chunk in _chunks(rows):
            conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in chunk])

    with conn:
        # The goals' per-day totals: filled once after the bulk load, as the migration does, not row by row.
        for statement in rollups.DROP_SQLITE:
            conn.execute(statement)
        insert("networks", ["id", "name", "timezone", "language", "settings", "created_at"], nets)
        insert("organisations", ["id", "network_id", "name", "kind", "created_at"], orgs)
        insert("members", ["id", "network_id", "number", "platform", "platform_user_id", "display_name", "role",
                           "organisation_id", "language", "status", "reachable", "joined_at"], people)
        insert("activities", ACTIVITY_COLUMNS, seed.activity_rows())
        insert("needs", NEED_COLUMNS, seed.need_rows())
        need_list = conn.execute("SELECT id, network_id, resource_type FROM needs").fetchall()
        insert("pledges", PLEDGE_COLUMNS, seed.pledge_rows(need_list))
        for statement in rollups.backfill("sqlite") + rollups.SQLITE_TRIGGERS:
            conn.execute(statement)
    conn.close()


async def copy_base_rows(conn: Any, networks: int) -> None:
    """COPY the networks, organisations and members of :func:`base_rows` (an asyncpg connection)."""
    nets, orgs, people = base_rows(networks)
    await conn.copy_records_to_table("networks", records=nets,
                                     columns=["id", "name", "timezone", "language", "settings", "created_at"])
    await conn.copy_records_to_table("organisations", records=orgs,
                                     columns=["id", "network_id", "name", "kind", "created_at"])
    await conn.copy_records_to_table("members", records=people, columns=[
        "id", "network_id", "number", "platform", "platform_user_id", "display_name", "role", "organisation_id",
        "language", "status", "reachable", "joined_at"])


async def load_postgres(url: str, seed: Seed) -> None:
    import asyncpg

    conn = await asyncpg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        for statement in rollups.DROP_POSTGRES:  # the goals' per-day totals: filled once after the load
            await conn.execute(statement)
        await copy_base_rows(conn, seed.networks)
        for table, columns, rows in (("activities", ACTIVITY_COLUMNS, seed.activity_rows()),
                                     ("needs", NEED_COLUMNS, seed.need_rows())):
            for chunk in _chunks(rows, 200_000):
                await conn.copy_records_to_table(table, records=chunk, columns=columns)
        need_list = [tuple(r) for r in await conn.fetch("SELECT id, network_id, resource_type FROM needs")]
        for chunk in _chunks(seed.pledge_rows(need_list), 200_000):
            await conn.copy_records_to_table("pledges", records=chunk, columns=PLEDGE_COLUMNS)
        for table in ("networks", "organisations", "members"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        for statement in rollups.backfill("postgresql") + rollups.POSTGRES_TRIGGERS:
            await conn.execute(statement)
    finally:
        await conn.close()


# ------------------------------------------------------------------ indexes


async def drop_indexes(db: Database) -> None:
    async with db.transaction() as conn:
        for index in FEATURE_INDEXES:
            await conn.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))


async def create_indexes(db: Database) -> float:
    started = time.perf_counter()
    async with db.transaction() as conn:
        for index in FEATURE_INDEXES:
            await conn.run_sync(lambda sync, ix=index: ix.create(sync, checkfirst=True))
    return time.perf_counter() - started


async def analyze(db: Database) -> None:
    if db.is_sqlite:
        async with db.transaction() as conn:
            await conn.execute(sa.text("ANALYZE"))
    else:
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(sa.text("VACUUM ANALYZE"))


# ------------------------------------------------------------------ the queries


def queries(db: Database, network_id: int) -> dict[str, Callable[[], Awaitable[Any]]]:
    """Every query the product runs on these tables, as the handlers call them."""
    from bot.app import App
    from edunet import build_app
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.context import BaseContext
    from bot.summary import Period
    from handlers import activities as activity_handlers
    from handlers import resources as resource_handlers
    from storage.activity_repo import ActivityRepo
    from storage.membership import NetworkRepo
    from storage.resource_repo import NeedRepo, PledgeRepo

    month = (REFERENCE_DAY.replace(day=1), date(2026, 12, 1))
    year = (date(2026, 1, 1), date(2027, 1, 1))
    term = (date(2026, 11, 1), date(2027, 4, 1))
    utc = lambda d: datetime.combine(d, datetime.min.time(), timezone.utc)  # noqa: E731
    app = build_app(Settings(database_url=db.url), db=db, clock=ManualClock(REFERENCE_NOW))
    week = Period(start=utc(date(2026, 11, 16)), end=utc(date(2026, 11, 23)), previous_start=utc(date(2026, 11, 9)),
                  previous_end=utc(date(2026, 11, 16)))

    def run(body: Callable[[Any], Awaitable[Any]]) -> Callable[[], Awaitable[Any]]:
        async def timed() -> Any:
            async with db.transaction() as conn:
                return await body(conn)
        return timed

    async def summary(conn: Any, feature: Any) -> Any:
        (section,) = feature.router.summary_sections
        network = await NetworkRepo(conn).get(network_id)
        return await section.provider(BaseContext(app, conn, network, "th"), week)

    async def needs_screen(conn: Any) -> Any:
        repo = NeedRepo(conn)
        return await repo.with_progress(await repo.open_needs(network_id, limit=6))

    return {
        "activities by aim, this month": run(lambda c: ActivityRepo(c).totals(network_id, *month)),
        "activities by aim, this year": run(lambda c: ActivityRepo(c).totals(network_id, *year)),
        "activities by category, this term": run(lambda c: ActivityRepo(c).totals(network_id, *term, by="category")),
        "activities per organisation, this year": run(
            lambda c: ActivityRepo(c).totals(network_id, *year, by="organisation")),
        "one organisation by aim, this year": run(
            lambda c: ActivityRepo(c).totals(network_id, *year, organisation_id=1)),
        "/activities network page 1": run(lambda c: ActivityRepo(c).page(network_id, "network")),
        "/activities network, offset 1000": run(lambda c: ActivityRepo(c).page(network_id, "network", offset=1000)),
        "/activities mine page 1": run(lambda c: ActivityRepo(c).page(network_id, "mine", member_id=1)),
        "/activities my organisation, this month": run(
            lambda c: ActivityRepo(c).page(network_id, "org", organisation_id=1, start=month[0], end=month[1])),
        "pledged by type and sector, this month": run(
            lambda c: PledgeRepo(c).totals_pledged(network_id, utc(month[0]), utc(month[1]))),
        "pledged by type and sector, this year": run(
            lambda c: PledgeRepo(c).totals_pledged(network_id, utc(year[0]), utc(year[1]))),
        "delivered by type and sector, this year": run(
            lambda c: PledgeRepo(c).totals_delivered(network_id, utc(year[0]), utc(year[1]))),
        "open and overdue needs (counts)": run(lambda c: NeedRepo(c).count_open(network_id, REFERENCE_DAY)),
        "overdue pledges (count)": run(lambda c: PledgeRepo(c).count_overdue(network_id, REFERENCE_DAY)),
        "/needs screen (open needs + progress)": run(needs_screen),
        "/pledges awaiting delivery (coordinator)": run(lambda c: PledgeRepo(c).awaiting(network_id)),
        "/pledges mine": run(lambda c: PledgeRepo(c).of_member(network_id, 1)),
        "summary section: activities": run(lambda c: summary(c, activity_handlers)),
        "summary section: mobilisation": run(lambda c: summary(c, resource_handlers)),
    }


async def time_all(db: Database, network_id: int, repeats: int) -> dict[str, float]:
    """Median wall time (ms) of each summary query after one warm-up run."""
    return await median_times(queries(db, network_id), repeats)


async def median_times(timed: dict[str, Callable[[], Awaitable[Any]]], repeats: int) -> dict[str, float]:
    """Median wall time (ms) of each query after one warm-up run (the other benchmarks use it too)."""
    results = {}
    for name, query in timed.items():
        await query()
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            await query()
            samples.append((time.perf_counter() - started) * 1000)
        results[name] = statistics.median(samples)
    return results


# ------------------------------------------------------------------ one engine


async def bench_engine(label: str, url: str, seed_args: tuple[int, int, int, int], repeats: int,
                       sqlite_path: Path | None) -> None:
    await asyncio.to_thread(upgrade_to_heads, url)
    db = Database(url)
    try:
        await drop_indexes(db)  # bulk loads are faster without them; built afterwards
        seed = Seed(*seed_args)
        started = time.perf_counter()
        if sqlite_path is not None:
            await db.dispose()
            await asyncio.to_thread(load_sqlite, sqlite_path, seed)
        else:
            await load_postgres(url, seed)
        loaded = time.perf_counter() - started
        built = await create_indexes(db)
        await analyze(db)
        print(f"\n== {label}: {seed.activities:,} activities, {seed.needs:,} needs, {seed.pledges:,} pledges in "
              f"{seed.networks} networks (querying network 1, about 1/{seed.networks} of the rows)")
        print(f"   bulk load {loaded:.1f} s, building the indexes {built:.1f} s")
        indexed = await time_all(db, 1, repeats)
        await drop_indexes(db)
        await analyze(db)
        baseline = await time_all(db, 1, repeats)
    finally:
        await db.dispose()
    width = max(len(name) for name in indexed)
    print(f"   {'query':<{width}}  {'indexed ms':>10}  {'no index ms':>11}  {'speed-up':>8}")
    for name, fast in indexed.items():
        slow = baseline[name]
        print(f"   {name:<{width}}  {fast:>10.1f}  {slow:>11.1f}  {slow / fast if fast else 0:>7.1f}x")


async def with_postgres_database(base: str, body: Callable[[str], Awaitable[None]]) -> None:
    """Run ``body`` against a fresh database on the server at ``base``, dropped afterwards."""
    from sqlalchemy.ext.asyncio import create_async_engine

    base = normalise_url(base)
    name = f"edunet_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            await body(sa.make_url(base).set(database=name).render_as_string(hide_password=False))
        finally:
            async with admin.connect() as conn:
                await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queries", description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--pledges", type=int, default=60_000)
    parser.add_argument("--needs", type=int, help="default: pledges / 20")
    parser.add_argument("--networks", type=int, default=1, help="networks sharing the rows (default 1: worst case)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engine", choices=["all", "sqlite", "postgres"], default="all")
    args = parser.parse_args(argv)
    seed_args = (args.activities, args.pledges, args.needs or max(1, args.pledges // 20), max(1, args.networks))
    if args.engine in ("all", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="edunet-bench-") as folder:
            path = Path(folder) / "bench.db"
            await bench_engine("SQLite", f"sqlite+aiosqlite:///{path}", seed_args, args.repeats, path)
    postgres = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if args.engine in ("all", "postgres"):
        if postgres:
            await with_postgres_database(postgres, lambda url: bench_engine("PostgreSQL", url, seed_args,
                                                                            args.repeats, None))
        else:
            print("\n(PostgreSQL skipped: set EDUNET_TEST_POSTGRES_URL to include it)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
