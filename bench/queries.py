"""Benchmark of every summary, goal and report query at scale, against a plain count in the same run.

    python -m bench.queries --activities 1000000 --pledges 300000 --answers 500000

Seeds a SQLite database (and, when EDUNET_TEST_POSTGRES_URL is set, a PostgreSQL database of its
own on that server) through the real migrations, loads the rows with bulk inserts (executemany on
SQLite, COPY on PostgreSQL) with the feature's indexes and the rollups' triggers dropped, builds the
indexes and fills the rollups once, then adds network 1's plan for the year (goals with a target of
every kind, projects, tasks, meetings: :func:`bench.goals.seed_plan`) and a poll of the network's
members. It times every query a user's screen runs (every summary section and the whole /summary,
/goals and /review, the SAR report, /results, the survey and comment exports, a poll's live count,
/needs, /pledges, the exports, the web view's overview with its panels and its pages), median and
p95 after one warm-up, and, in the same run, the baseline: a plain count of the rows of each big
table in network 1 (``--index-baseline`` also times everything again with the indexes dropped, and
builds them again).

Seeding takes minutes at full scale, so it can be split from the timing (which then fits a short
exclusive run): ``--sqlite-file F --postgres-db NAME --seed-only`` seeds and keeps both databases;
``--sqlite-file F --postgres-db NAME --reuse`` times them again (upgraded to the migrations' heads
first), as often as needed; ``--match TEXT`` times only the queries whose name contains TEXT; ``--drop``
with ``--reuse`` drops the kept PostgreSQL database at the end. ``--write-digests F`` writes a digest of
each query's output (run once more after the timing) to the JSON file F, ``--check-digests F`` compares
them with F's and says which differ (exit status 1): a change of a query proves its output unchanged. Without ``--sqlite-file`` /
``--postgres-db`` the databases are temporary. Nothing here is used by the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import hashlib
import hmac
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import types
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage import activity_rollups, survey_tallies
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


BENCH_SECRET = "bench-queries-secret"  # the server key of the anonymous surveys' voter keys (bench only)
SURVEY_QUESTIONS = [  # (kind, options): four Likert ratings, two single choices, one multiple, one free text
    ("rating", []), ("rating", []), ("rating", []), ("rating", []),
    ("single", ["ใช่", "ไม่ใช่", "ไม่แน่ใจ"]), ("single", ["ประถม", "มัธยมต้น", "มัธยมปลาย", "อาชีวะ"]),
    ("multi", ["ภาษาไทย", "คณิตศาสตร์", "วิทยาศาสตร์", "สังคมศึกษา", "ภาษาอังกฤษ", "ศิลปะ"]), ("text", []),
]
SURVEY_COLUMNS = ["id", "network_id", "number", "kind", "title", "anonymous", "status", "audience", "chat_id",
                  "created_by", "opened_at", "closes_at", "closed_at", "audience_size", "created_at"]
QUESTION_COLUMNS = ["id", "network_id", "survey_id", "position", "kind", "text", "options"]
RESPONSE_COLUMNS = ["id", "network_id", "survey_id", "voter_key", "member_id"]
ANSWER_COLUMNS = ["response_id", "question_id", "choice", "network_id", "survey_id", "text"]


def bench_voter_key(network_id: int, survey_id: int, member_id: int, anonymous: bool) -> str:
    """What :func:`handlers.surveys.logic.voter_key` computes with ``Settings(secret_key=BENCH_SECRET)``."""
    if not anonymous:
        return f"m{member_id}"
    from bot.config import Settings
    from handlers.surveys.logic import server_key

    key = server_key(Settings(secret_key=BENCH_SECRET))
    return hmac.new(key, f"edunet-survey-voter|{network_id}|{survey_id}|{member_id}".encode(),
                    hashlib.sha256).hexdigest()


class Seed:
    """Deterministic synthetic rows (same seed, same data on both engines)."""

    def __init__(self, activities: int, pledges: int, needs: int, networks: int, answers: int = 0) -> None:
        self.activities, self.pledges, self.needs, self.networks = activities, pledges, needs, networks
        self.answers = answers
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


    def survey_rows(self) -> tuple[list[tuple[Any, ...]], ...]:
        """Surveys (every second one anonymous), their questions, responses and answers, until
        ``answers`` answers: each survey answered by 60 to all 300 of its network's members. The
        newest surveys are open in the benchmark's week and the week before (the summary's)."""
        rng = random.Random(2570)
        surveys: list[tuple[Any, ...]] = []
        questions: list[tuple[Any, ...]] = []
        responses: list[tuple[Any, ...]] = []
        answers: list[tuple[Any, ...]] = []
        numbers: dict[int, int] = {}
        question_id = 0
        while len(answers) < self.answers:
            survey_id = len(surveys) + 1
            network = rng.randint(1, self.networks)
            numbers[network] = numbers.get(network, 0) + 1
            anonymous = survey_id % 2 == 0
            age = rng.randint(0, 3 * 365) if survey_id > 6 else survey_id  # the first six: this week's and last
            opened = REFERENCE_NOW - timedelta(days=age, hours=rng.randint(0, 23))
            closes = opened + timedelta(days=14)
            closed = closes if closes < REFERENCE_NOW else None
            surveys.append((survey_id, network, numbers[network], "survey", f"แบบสำรวจ {survey_id}", anonymous,
                            "closed" if closed else "open", {"roles": [], "organisations": [], "chats": []}, None,
                            (network - 1) * MEMBERS_PER_NETWORK + 1, opened, closes, closed,
                            MEMBERS_PER_NETWORK if closed else None, opened))
            mine = []
            for position, (kind, options) in enumerate(SURVEY_QUESTIONS, start=1):
                question_id += 1
                mine.append((question_id, kind, options))
                questions.append((question_id, network, survey_id, position, kind, f"คำถาม {position}", options))
            voters = rng.sample(range(1, MEMBERS_PER_NETWORK + 1), rng.randint(60, MEMBERS_PER_NETWORK))
            for voter in voters:
                member = (network - 1) * MEMBERS_PER_NETWORK + voter
                response = "%032x" % rng.getrandbits(128)
                responses.append((response, network, survey_id, bench_voter_key(network, survey_id, member, anonymous),
                                  None if anonymous else member))
                for qid, kind, options in mine:
                    if rng.random() < 0.05:
                        continue  # a question left unanswered
                    if kind == "rating":
                        picked = [min(4, max(0, int(rng.gauss(1.5, 1.0) + 0.5)))]
                    elif kind == "single":
                        picked = [rng.randrange(len(options))]
                    elif kind == "multi":
                        picked = rng.sample(range(len(options)), rng.randint(1, 3))
                    elif rng.random() < 0.4:
                        answers.append((response, qid, -1, network, survey_id, f"ความเห็น {rng.randint(1, 10**6)}"))
                        continue
                    else:
                        continue
                    answers.extend((response, qid, choice, network, survey_id, None) for choice in picked)
        return surveys, questions, responses, answers


ACTIVITY_COLUMNS = ["network_id", "number", "organisation_id", "author_id", "title", "category", "aim", "activity_date",
                    "participants", "minutes", "notes", "has_photo", "created_at"]
NEED_COLUMNS = ["network_id", "number", "organisation_id", "posted_by", "resource_type", "description", "target_x100", "unit",
                "needed_by", "status", "created_at", "fulfilled_at"]
async def ledger_page(repo: Any, network_id: int, start: datetime, end: datetime) -> Any:
    """What the web view's pledge ledger reads: one page and the filters' choices."""
    return await repo.ledger(network_id, start, end, limit=300), await repo.ledger_choices(network_id, start, end)


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
        # The kept totals: filled once after the bulk load, as the migrations do, not row by row.
        for statement in rollups.DROP_SQLITE + activity_rollups.DROP_SQLITE + survey_tallies.DROP_SQLITE:
            conn.execute(statement)
        insert("networks", ["id", "name", "timezone", "language", "settings", "created_at"], nets)
        insert("organisations", ["id", "network_id", "name", "kind", "created_at"], orgs)
        insert("members", ["id", "network_id", "number", "platform", "platform_user_id", "display_name", "role",
                           "organisation_id", "language", "status", "reachable", "joined_at"], people)
        insert("activities", ACTIVITY_COLUMNS, seed.activity_rows())
        insert("needs", NEED_COLUMNS, seed.need_rows())
        need_list = conn.execute("SELECT id, network_id, resource_type FROM needs").fetchall()
        insert("pledges", PLEDGE_COLUMNS, seed.pledge_rows(need_list))
        if seed.answers:
            rows = seed.survey_rows()
            for table, columns, found in zip(("surveys", "survey_questions", "survey_responses", "survey_answers"),
                                             (SURVEY_COLUMNS, QUESTION_COLUMNS, RESPONSE_COLUMNS, ANSWER_COLUMNS),
                                             rows):
                insert(table, columns, ([json.dumps(v) if isinstance(v, (dict, list)) else v for v in row]
                                        for row in found))
        conn.execute("INSERT INTO network_counters (network_id, kind, last) SELECT network_id, 'survey', "
                     "max(number) FROM surveys GROUP BY network_id")
        for statement in (rollups.backfill("sqlite") + rollups.SQLITE_TRIGGERS + activity_rollups.backfill("sqlite")
                          + activity_rollups.SQLITE_TRIGGERS + survey_tallies.BACKFILL + survey_tallies.SQLITE_TRIGGERS):
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
        for statement in (rollups.DROP_POSTGRES + activity_rollups.DROP_POSTGRES  # kept totals: filled after the load
                          + survey_tallies.DROP_POSTGRES):
            await conn.execute(statement)
        await copy_base_rows(conn, seed.networks)
        for table, columns, rows in (("activities", ACTIVITY_COLUMNS, seed.activity_rows()),
                                     ("needs", NEED_COLUMNS, seed.need_rows())):
            for chunk in _chunks(rows, 200_000):
                await conn.copy_records_to_table(table, records=chunk, columns=columns)
        need_list = [tuple(r) for r in await conn.fetch("SELECT id, network_id, resource_type FROM needs")]
        for chunk in _chunks(seed.pledge_rows(need_list), 200_000):
            await conn.copy_records_to_table("pledges", records=chunk, columns=PLEDGE_COLUMNS)
        if seed.answers:
            rows = seed.survey_rows()
            for table, columns, found in zip(("surveys", "survey_questions", "survey_responses", "survey_answers"),
                                             (SURVEY_COLUMNS, QUESTION_COLUMNS, RESPONSE_COLUMNS, ANSWER_COLUMNS),
                                             rows):
                for chunk in _chunks(([json.dumps(v) if isinstance(v, (dict, list)) else v for v in row]
                                      for row in found), 200_000):
                    await conn.copy_records_to_table(table, records=[tuple(r) for r in chunk], columns=columns)
        for table in ("networks", "organisations", "members", "surveys", "survey_questions"):
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        await conn.execute("INSERT INTO network_counters (network_id, kind, last) SELECT network_id, 'survey', "
                           "max(number) FROM surveys GROUP BY network_id")
        for statement in (rollups.backfill("postgresql") + rollups.POSTGRES_TRIGGERS
                          + activity_rollups.backfill("postgresql") + activity_rollups.POSTGRES_TRIGGERS
                          + survey_tallies.BACKFILL + survey_tallies.POSTGRES_TRIGGERS):
            await conn.execute(statement)
    finally:
        await conn.close()


# ------------------------------------------------------------------ indexes


def bench_indexes() -> tuple[sa.Index, ...]:
    """The indexes dropped for the baseline: the activities' and mobilisation's, and the surveys' own."""
    from storage.surveys import survey_answers, survey_responses, surveys

    return FEATURE_INDEXES + tuple(surveys.indexes) + tuple(survey_responses.indexes) + tuple(survey_answers.indexes)


async def drop_indexes(db: Database) -> None:
    async with db.transaction() as conn:
        for index in bench_indexes():
            await conn.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))


async def create_indexes(db: Database) -> float:
    started = time.perf_counter()
    async with db.transaction() as conn:
        for index in bench_indexes():
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


async def pick_surveys(db: Database, network_id: int) -> dict[str, int]:
    """The network's most answered named and anonymous surveys (the /results and exports timed), and its
    most answered poll (the live count timed)."""
    from storage.surveys import survey_responses, surveys

    picked: dict[str, int] = {}
    async with db.transaction() as conn:
        for label, kind, anonymous in (("named", "survey", False), ("anonymous", "survey", True),
                                       ("poll", "poll", None)):
            count = sa.func.count(survey_responses.c.id)
            query = (sa.select(surveys.c.number).select_from(surveys.join(survey_responses,
                                                                          survey_responses.c.survey_id == surveys.c.id))
                     .where(surveys.c.network_id == network_id, surveys.c.kind == kind)
                     .group_by(surveys.c.number).order_by(count.desc(), surveys.c.number).limit(1))
            if anonymous is not None:
                query = query.where(surveys.c.anonymous == anonymous)
            row = (await conn.execute(query)).first()
            if row is not None:
                picked[label] = int(row.number)
    return picked


POLL_OPTIONS = ["เห็นด้วย", "ไม่เห็นด้วย", "งดออกเสียง", "ขอข้อมูลเพิ่ม"]


async def seed_extras(db: Database) -> None:
    """Network 1's first member made coordinator (the web view's viewer), its plan for the year
    (:func:`bench.goals.seed_plan`: goals, projects, 20,000 tasks, 2,000 meetings with attendance) and an
    open poll every one of its members answered."""
    from bench.goals import seed_plan
    from storage.surveys import SurveyRepo, survey_answers, survey_responses
    from storage.tables import members

    await seed_plan(db, tasks=20_000, meetings_count=2_000, attendance=60, responses=0)
    rng = random.Random(2571)
    async with db.transaction() as conn:
        await conn.execute(members.update().where(members.c.id == 1).values(role="coordinator"))
        poll = await SurveyRepo(conn).create(
            1, kind="poll", title="วันประชุมครั้งต่อไป", anonymous=False, roles=[], organisations=[], chats=[],
            chat_id=None, created_by=1, closes_at=REFERENCE_NOW + timedelta(days=2), now=REFERENCE_NOW,
            questions=[{"kind": "single", "text": "เห็นด้วยกับข้อเสนอหรือไม่", "options": POLL_OPTIONS}])
        voters = range(1, MEMBERS_PER_NETWORK + 1)
        await conn.execute(survey_responses.insert(), [
            {"id": "%032x" % rng.getrandbits(128), "network_id": 1, "survey_id": poll.id, "voter_key": f"m{m}",
             "member_id": m} for m in voters])
        ids = (await conn.execute(sa.select(survey_responses.c.id)
                                  .where(survey_responses.c.survey_id == poll.id))).scalars().all()
        await conn.execute(survey_answers.insert(), [
            {"response_id": rid, "question_id": poll.questions[0].id, "choice": rng.randrange(len(POLL_OPTIONS)),
             "network_id": 1, "survey_id": poll.id, "text": None} for rid in ids])


SECTION_NAMES = {"resources": "mobilisation"}  # the name earlier runs reported it under


def queries(db: Database, network_id: int, picked: dict[str, int] | None = None,
            targets: list[Any] | None = None) -> dict[str, Timing]:
    """Every query a user's screen runs on these tables, as the handlers call them."""
    from bot.academic import AcademicCalendar
    from bot.clock import ManualClock
    from bot.config import Settings
    from bot.context import BaseContext
    from bot.summary import Period
    from edunet import build_app
    from handlers.activities.export import utc_bounds
    from handlers.summary import collect_sections
    from handlers.surveys import logic as survey_logic
    from storage.activity_repo import ActivityRepo
    from storage.membership import MemberRepo, NetworkRepo
    from storage.resource_repo import NeedRepo, PledgeRepo
    from storage.surveys import SurveyRepo

    month = (REFERENCE_DAY.replace(day=1), date(2026, 12, 1))
    year = (date(2026, 1, 1), date(2027, 1, 1))
    term = (date(2026, 11, 1), date(2027, 4, 1))
    utc = lambda d: datetime.combine(d, datetime.min.time(), timezone.utc)  # noqa: E731
    app = build_app(Settings(database_url=db.url, secret_key=BENCH_SECRET), db=db, clock=ManualClock(REFERENCE_NOW))
    week = Period(start=utc(date(2026, 11, 16)), end=utc(date(2026, 11, 23)), previous_start=utc(date(2026, 11, 9)),
                  previous_end=utc(date(2026, 11, 16)))
    this_year = Period(start=datetime(2025, 12, 31, 17, tzinfo=timezone.utc), end=datetime(2026, 12, 31, 17, tzinfo=timezone.utc),
                       previous_start=datetime(2024, 12, 31, 17, tzinfo=timezone.utc),
                       previous_end=datetime(2025, 12, 31, 17, tzinfo=timezone.utc))  # Bangkok midnights
    calendar = AcademicCalendar.from_settings({})
    academic = calendar.year(calendar.year_of(REFERENCE_DAY))
    tz = ZoneInfo(app.settings.timezone)

    def run(body: Callable[[Any], Awaitable[Any]]) -> Timing:
        async def timed() -> Any:
            async with db.transaction() as conn:
                return await body(conn)
        return timed

    async def context(conn: Any) -> BaseContext:
        return BaseContext(app, conn, await NetworkRepo(conn).get(network_id), "th")

    def section(route: Any) -> Timing:
        return run(lambda c: _section(c, route))

    async def _section(conn: Any, route: Any) -> Any:
        return await route.provider(await context(conn), week)

    async def whole_summary(conn: Any) -> Any:
        return await collect_sections(await context(conn), week)

    async def whole_summary_year(conn: Any) -> Any:
        return await collect_sections(await context(conn), this_year)

    async def needs_screen(conn: Any) -> Any:
        repo = NeedRepo(conn)
        return await repo.with_progress(await repo.open_needs(network_id, limit=6))

    async def overview(conn: Any) -> Any:  # handlers.dashboard.web.overview, a coordinator's
        totals = await ActivityRepo(conn).totals(network_id, academic.start, academic.end, by="aim")
        needs = await NeedRepo(conn).count_open(network_id, REFERENCE_DAY)
        return totals, needs, await MemberRepo(conn).list(network_id)

    async def survey(conn: Any, which: str, body: Callable[[BaseContext, Any], Awaitable[Any]]) -> Any:
        ctx = await context(conn)
        found = await SurveyRepo(conn).by_number(network_id, (picked or {})[which])
        return await body(ctx, found)

    async def results_list(conn: Any) -> Any:  # /results without a number: the last 90 days
        repo = SurveyRepo(conn)
        recent = await repo.active_between(network_id, REFERENCE_NOW - timedelta(days=90),
                                           REFERENCE_NOW + timedelta(days=1), with_questions=False)
        return await repo.response_counts(network_id, [s.id for s in recent[-20:]])

    timed: dict[str, Timing] = {
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
        "/pledges awaiting delivery (one organisation)": run(
            lambda c: PledgeRepo(c).awaiting(network_id, organisation_id=1)),
        "/pledges mine": run(lambda c: PledgeRepo(c).of_member(network_id, 1)),
        "/export activities, this week": run(lambda c: ActivityRepo(c).export_rows(network_id, date(2026, 11, 16),
                                                                                   date(2026, 11, 23))),
        "/export pledges, this week": run(lambda c: PledgeRepo(c).export_rows(
            network_id, *utc_bounds(date(2026, 11, 16), date(2026, 11, 23), tz))),
        "web view overview (academic year)": run(overview),
        "web view activities page (newest 301 of the year)": run(lambda c: ActivityRepo(c).export_rows(
            network_id, academic.start, academic.end, newest_first=True, limit=301)),
        "web view pledge ledger (newest 300 of the year, and its filters)": run(lambda c: ledger_page(
            PledgeRepo(c), network_id, *utc_bounds(academic.start, academic.end, tz))),
    }
    for route in app.router.sections():  # every feature's @router.summary_section, in card order
        feature = route.name.split(".")[1]
        timed[f"summary section: {SECTION_NAMES.get(feature, feature)}"] = section(route)
    timed["/summary, every section"] = run(whole_summary)
    timed["/summary this year, every section"] = run(whole_summary_year)
    if picked:
        timed["/results (list, last 90 days)"] = run(results_list)
        for which in ("named", "anonymous"):
            if which in picked:
                timed[f"/results N, {which}"] = run(lambda c, w=which: survey(c, w, survey_logic.survey_stats))
                timed[f"/exportsurvey N, {which}"] = run(lambda c, w=which: survey(c, w, survey_logic.export_csv))
        if "anonymous" in picked:
            timed["/exportsurvey N, anonymous: comments file"] = run(
                lambda c: survey(c, "anonymous", survey_logic.export_comments_csv))
        if "poll" in picked:
            timed["poll live count (the card's counts)"] = run(lambda c: survey(c, "poll", live_counts))
    if targets is not None:
        timed.update(extra_queries(db, app, context, run, targets))
    return timed


async def live_counts(ctx: Any, survey: Any) -> Any:
    """What a poll's or survey's live card reads (:func:`handlers.surveys.service.live_card`), rendered."""
    from handlers.surveys.service import live_card

    return (await live_card(ctx, survey))(ctx.t)


def extra_queries(db: Database, app: Any, context: Callable[[Any], Awaitable[Any]],
                  run: Callable[[Callable[[Any], Awaitable[Any]]], Timing], targets: list[Any]) -> dict[str, Timing]:
    """/goals and /review (as :mod:`bench.goals` times them, without its baselines), the SAR report of a
    school and the web view's overview page with its panels, rendered: what network 1's plan
    (:func:`seed_extras`) gives them to read."""
    from bench import goals as goals_bench
    from handlers.reports.sar import collect
    from storage.membership import OrganisationRepo

    async def sar(conn: Any) -> Any:
        ctx = await context(conn)
        school = (await OrganisationRepo(conn).list(1))[0]
        return await collect(ctx, ctx.network, school, goals_bench.YEAR)

    async def overview_page(conn: Any) -> Any:
        return await dashboard_page(app, conn, "overview")

    timed: dict[str, Timing] = {}
    for name, query in goals_bench.queries(db, targets).items():
        if "baseline" not in name:
            timed[name] = query
    timed["/export sar (one school, the academic year)"] = run(sar)
    timed["web view overview page, rendered (every panel)"] = run(overview_page)
    return timed


@functools.cache
def page_environment() -> Any:
    """The web view's templates, loaded once as :func:`handlers.dashboard.web.add_routes` loads them for
    the server's life (a fresh environment per page would time compiling the templates, not the page)."""
    from handlers.dashboard import web

    return web.environment()


async def dashboard_page(app: Any, conn: Any, which: str) -> Any:
    """A web view page as the guard runs it for network 1's first coordinator (no HTTP)."""
    from aiohttp.test_utils import make_mocked_request

    from handlers.dashboard import routes, web
    from storage.membership import MemberRepo, NetworkRepo

    routes()  # registers the overview's panels
    network = await NetworkRepo(conn).get(1)
    member = next(m for m in await MemberRepo(conn).list(1) if m.role == "coordinator")
    viewer = types.SimpleNamespace(member=member, csrf_token="bench", csrf="bench")
    page = web.PageRequest(request=make_mocked_request("GET", "/dashboard/n/1"), app=app, conn=conn, viewer=viewer,
                           network=network, t=web._translator(member, network), env=page_environment(), form={})
    return await getattr(web, which)(page)


async def time_all(db: Database, network_id: int, repeats: int, picked: dict[str, int] | None = None,
                   targets: list[Any] | None = None, match: list[str] | None = None
                   ) -> dict[str, tuple[float, float]]:
    """Median and p95 wall time (ms) of each query (of those whose name contains one of ``match``)
    after one warm-up run."""
    from edunet.processes import freeze_start_up_objects

    timed = queries(db, network_id, picked, targets)
    if match:
        timed = {name: q for name, q in timed.items() if any(m.casefold() in name.casefold() for m in match)}
    freeze_start_up_objects()  # as `edunet serve` does once started: the app and the modules built above
    return await sample_times(timed, repeats)


def canonical(value: Any, *, unordered_lines: bool = False) -> Any:
    """``value`` as plain JSON-able data that two equal outputs share whatever their dicts' and sets'
    order: dataclasses and objects by their fields, dicts and sets sorted, lists and tuples in their
    order, bytes as their SHA-256 (``unordered_lines``: of their sorted lines, for a file shuffled on
    purpose), everything else by its ``repr``."""
    def again(item: Any) -> Any:
        return canonical(item, unordered_lines=unordered_lines)

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (float, Decimal, date, datetime)):
        return repr(value)
    if isinstance(value, (bytes, bytearray)):
        data = b"\n".join(sorted(bytes(value).splitlines())) if unordered_lines else bytes(value)
        return "sha256:" + hashlib.sha256(data).hexdigest()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, {f.name: again(getattr(value, f.name)) for f in dataclasses.fields(value)}]
    if isinstance(value, dict):
        return sorted(([again(k), again(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (set, frozenset)):
        return sorted((again(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)) or hasattr(value, "_mapping"):  # a SQLAlchemy row is a tuple
        return [again(v) for v in value]
    if hasattr(value, "__dict__"):
        return [type(value).__name__, again(vars(value))]
    return repr(value)


def digest(name: str, value: Any) -> str:
    """The SHA-256 of ``value``'s :func:`canonical` form (the comments file's rows are shuffled by design:
    its lines are compared sorted)."""
    plain = canonical(value, unordered_lines="comments" in name)
    return hashlib.sha256(json.dumps(plain, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


async def output_digests(db: Database, network_id: int, picked: dict[str, int] | None, targets: list[Any] | None,
                         match: list[str] | None) -> dict[str, str]:
    """The :func:`digest` of each query's output (of those :func:`time_all` times), from one more run."""
    timed = queries(db, network_id, picked, targets)
    if match:
        timed = {name: q for name, q in timed.items() if any(m.casefold() in name.casefold() for m in match)}
    return {name: digest(name, await query()) for name, query in timed.items()}


def compare_digests(label: str, found: dict[str, str], path: Path) -> bool:
    """Print which of ``found`` differ from (or are missing in) the digests kept in ``path``; True if none."""
    kept = json.loads(path.read_text(encoding="utf-8")).get(label, {})
    differ = [name for name, value in found.items() if kept.get(name) != value]
    print(f"   outputs against {path.name}: {len(found) - len(differ)} of {len(found)} the same"
          + ("" if not differ else "; differ or not kept: " + "; ".join(differ)))
    return not differ


def write_digests(label: str, found: dict[str, str], path: Path) -> None:
    """Keep ``found`` under ``label`` (the engine) in the JSON file ``path``, beside the other engine's."""
    kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    kept[label] = {**kept.get(label, {}), **found}
    path.write_text(json.dumps(kept, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def plain_counts(db: Database, network_id: int) -> dict[str, Timing]:
    """The baseline: a plain count of network 1's rows of each big table (what any query reading them all
    would at least cost)."""
    from storage.activities import activities, pledges
    from storage.surveys import survey_answers

    def count(table: sa.Table) -> Timing:
        async def timed() -> Any:
            async with db.transaction() as conn:
                return (await conn.execute(sa.select(sa.func.count()).select_from(table)
                                           .where(table.c.network_id == network_id))).scalar_one()
        return timed

    return {f"baseline: count(*) of network 1's {table.name}": count(table)
            for table in (activities, pledges, survey_answers)}


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered) + 0.5) - 1))]


async def sample_times(timed: dict[str, Timing], repeats: int) -> dict[str, tuple[float, float]]:
    """(median, p95) wall time (ms) of each query after one warm-up run."""
    results = {}
    for name, query in timed.items():
        await query()
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            await query()
            samples.append((time.perf_counter() - started) * 1000)
        results[name] = (statistics.median(samples), p95(samples))
        if PROGRESS:
            print(f"   ... {name}: {results[name][0]:.1f} / {results[name][1]:.1f} ms", file=sys.stderr, flush=True)
    return results


PROGRESS = False  # main() turns it on: each figure on stderr as soon as it is measured


async def median_times(timed: dict[str, Callable[[], Awaitable[Any]]], repeats: int) -> dict[str, float]:
    """Median wall time (ms) of each query after one warm-up run (the other benchmarks use it too)."""
    return {name: median for name, (median, _) in (await sample_times(timed, repeats)).items()}


# ------------------------------------------------------------------ one engine


async def seeded(db: Database) -> bool:
    """Whether the database holds a finished seed (the last thing seeding writes is the poll)."""
    from storage.surveys import surveys

    async with db.transaction() as conn:
        return bool((await conn.execute(sa.select(sa.func.count()).select_from(surveys)
                                        .where(surveys.c.kind == "poll"))).scalar_one())


async def row_counts(db: Database) -> dict[str, int]:
    """How many rows the big tables (and the networks) hold: what a reused database was seeded with."""
    names = ("activities", "needs", "pledges", "survey_answers", "networks")
    async with db.transaction() as conn:
        return {name: int((await conn.execute(sa.text(f"SELECT count(*) FROM {name}"))).scalar_one())
                for name in names}


async def seed_engine(url: str, seed: Seed, sqlite_path: Path | None) -> tuple[float, float]:
    """Load the rows, build the indexes, add network 1's plan and poll: (load s, index s)."""
    db = Database(url)
    try:
        await drop_indexes(db)  # bulk loads are faster without them; built afterwards
        started = time.perf_counter()
        if sqlite_path is not None:
            await db.dispose()
            await asyncio.to_thread(load_sqlite, sqlite_path, seed)
        else:
            await load_postgres(url, seed)
        loaded = time.perf_counter() - started
        built = await create_indexes(db)
        await seed_extras(db)
        await analyze(db)
        return loaded, built
    finally:
        await db.dispose()


async def bench_engine(label: str, url: str, seed_args: tuple[int, ...], repeats: int,
                       sqlite_path: Path | None, *, reuse: bool = False, seed_only: bool = False,
                       index_baseline: bool = False, match: list[str] | None = None,
                       write_digests_to: Path | None = None, check_digests_in: Path | None = None) -> bool:
    """Seed (unless ``reuse``) and time one engine; False if ``check_digests_in`` found an output changed."""
    from bench.goals import targets_of_year

    await asyncio.to_thread(upgrade_to_heads, url)
    seed = Seed(*seed_args)
    answers = f", {seed.answers:,} survey answers" if seed.answers else ""
    if reuse:
        db = Database(url)
        try:
            if not await seeded(db):
                raise SystemExit(f"{label}: --reuse, but {url} holds no finished seed (seed it with --seed-only)")
            held = await row_counts(db)
        finally:
            await db.dispose()
        print(f"\n== {label}: reusing the seeded database {url.rsplit('/', 1)[-1]}, which holds {held['activities']:,} "
              f"activities, {held['needs']:,} needs, {held['pledges']:,} pledges and {held['survey_answers']:,} survey "
              f"answers in {held['networks']} networks")
    else:
        loaded, built = await seed_engine(url, seed, sqlite_path)
        print(f"\n== {label}: {seed.activities:,} activities, {seed.needs:,} needs, {seed.pledges:,} pledges{answers} "
              f"in {seed.networks} networks (querying network 1, about 1/{seed.networks} of the rows)")
        print(f"   bulk load {loaded:.1f} s, building the indexes {built:.1f} s")
        if seed_only:
            return True
    db = Database(url)
    try:
        picked = await pick_surveys(db, 1)
        targets = await targets_of_year(db)
        load_before = os.getloadavg()[0]
        baseline = await sample_times(plain_counts(db, 1), repeats)
        indexed = await time_all(db, 1, repeats, picked, targets, match)
        without: dict[str, tuple[float, float]] = {}
        if index_baseline:
            await drop_indexes(db)
            await analyze(db)
            without = await time_all(db, 1, repeats, picked, targets, match)
            await create_indexes(db)
            await analyze(db)
        load_after = os.getloadavg()[0]
        digests = (await output_digests(db, 1, picked, targets, match)
                   if write_digests_to or check_digests_in else {})
    finally:
        await db.dispose()
    print_table(baseline, indexed, without, load_before, load_after, repeats)
    same = True
    if check_digests_in:
        same = compare_digests(label, digests, check_digests_in)
    if write_digests_to:
        write_digests(label, digests, write_digests_to)
        print(f"   {len(digests)} outputs' digests written to {write_digests_to}")
    return same


def print_table(baseline: dict[str, tuple[float, float]], indexed: dict[str, tuple[float, float]],
                without: dict[str, tuple[float, float]], load_before: float, load_after: float, repeats: int) -> None:
    width = max(len(name) for name in [*baseline, *indexed])
    print(f"   machine load (1-min average, {os.cpu_count()} cores): {load_before:.1f} before, {load_after:.1f} after;"
          f" {repeats} runs of each after a warm-up; target 100 ms")
    extra = f"  {'no index':>8}  {'no ix p95':>9}  {'speed-up':>8}" if without else ""
    print(f"   {'query':<{width}}  {'median ms':>9}  {'p95 ms':>7}{extra}")
    for name, (median, p) in baseline.items():
        print(f"   {name:<{width}}  {median:>9.1f}  {p:>7.1f}")
    over = 0
    for name, (fast, fast95) in indexed.items():
        flag = "  over 100 ms" if fast95 >= 100 else ""
        over += bool(flag)
        cells = ""
        if name in without:
            slow, slow95 = without[name]
            cells = f"  {slow:>8.1f}  {slow95:>9.1f}  {slow / fast if fast else 0:>7.1f}x"
        print(f"   {name:<{width}}  {fast:>9.1f}  {fast95:>7.1f}{cells}{flag}")
    print(f"   {len(indexed)} queries, {over} with a p95 over 100 ms")


async def with_postgres_database(base: str, body: Callable[[str], Awaitable[None]], *, name: str | None = None,
                                 drop: bool = True) -> None:
    """Run ``body`` against the database ``name`` on the server at ``base`` (created unless it exists; a
    fresh uniquely named one without ``name``), dropped afterwards when ``drop``."""
    from sqlalchemy.ext.asyncio import create_async_engine

    base = normalise_url(base)
    name = name or f"edunet_bench_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(base, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = (await conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})).first()
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            await body(sa.make_url(base).set(database=name).render_as_string(hide_password=False))
        finally:
            if drop:
                async with admin.connect() as conn:
                    await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.queries", description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--pledges", type=int, default=60_000)
    parser.add_argument("--needs", type=int, help="default: pledges / 20")
    parser.add_argument("--answers", type=int, default=100_000, help="survey answers (default 100,000)")
    parser.add_argument("--networks", type=int, default=1, help="networks sharing the rows (default 1: worst case)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engine", choices=["all", "sqlite", "postgres"], default="all")
    parser.add_argument("--sqlite-file", type=Path, help="seed (or, with --reuse, read) this file and keep it")
    parser.add_argument("--postgres-db", help="seed (or, with --reuse, read) this database on the server and keep it")
    parser.add_argument("--seed-only", action="store_true", help="seed and keep the databases, time nothing")
    parser.add_argument("--reuse", action="store_true", help="time the databases an earlier --seed-only seeded")
    parser.add_argument("--drop", action="store_true", help="drop the --postgres-db database at the end")
    parser.add_argument("--index-baseline", action="store_true",
                        help="also time every query with the indexes dropped (then builds them again)")
    parser.add_argument("--match", action="append", help="only the queries whose name contains this (repeatable)")
    parser.add_argument("--write-digests", type=Path, metavar="FILE",
                        help="write a digest of each query's output to this JSON file (per engine)")
    parser.add_argument("--check-digests", type=Path, metavar="FILE",
                        help="compare each query's output with the digests in this file (exit status 1 if any differ)")
    args = parser.parse_args(argv)
    global PROGRESS
    PROGRESS = True
    if (args.seed_only or args.reuse) and not (args.sqlite_file or args.postgres_db):
        parser.error("--seed-only and --reuse need --sqlite-file and/or --postgres-db")
    seed_args = (args.activities, args.pledges, args.needs or max(1, args.pledges // 20), max(1, args.networks),
                 args.answers)
    options: dict[str, Any] = {"reuse": args.reuse, "seed_only": args.seed_only,
                               "index_baseline": args.index_baseline, "match": args.match,
                               "write_digests_to": args.write_digests, "check_digests_in": args.check_digests}
    same = True
    if args.engine in ("all", "sqlite") and (args.sqlite_file or not args.postgres_db):
        if args.sqlite_file:
            path = args.sqlite_file.resolve()
            if not args.reuse and path.exists():
                path.unlink()  # a fresh seed
            same &= await bench_engine("SQLite", f"sqlite+aiosqlite:///{path}", seed_args, args.repeats, path,
                                       **options)
        else:
            with tempfile.TemporaryDirectory(prefix="edunet-bench-") as folder:
                path = Path(folder) / "bench.db"
                same &= await bench_engine("SQLite", f"sqlite+aiosqlite:///{path}", seed_args, args.repeats, path,
                                           **options)
    postgres = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if args.engine in ("all", "postgres") and (args.postgres_db or not args.sqlite_file):
        if postgres:
            if args.postgres_db and not args.reuse:  # a fresh seed
                await with_postgres_database(postgres, _nothing, name=args.postgres_db, drop=True)
            found: list[bool] = []

            async def postgres_run(url: str) -> None:
                found.append(await bench_engine("PostgreSQL", url, seed_args, args.repeats, None, **options))

            await with_postgres_database(postgres, postgres_run, name=args.postgres_db,
                                         drop=not args.postgres_db or args.drop)
            same &= all(found)
        else:
            print("\n(PostgreSQL skipped: set EDUNET_TEST_POSTGRES_URL to include it)")
    return 0 if same else 1


async def _nothing(url: str) -> None:
    return None


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
