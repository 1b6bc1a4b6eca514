"""Benchmark of the practice library's Thai search (`/kb คำค้น`) at scale, against a LIKE scan.

    python -m bench.knowledge_search --practices 100000

Seeds a temporary SQLite database (and, when EDUNET_TEST_POSTGRES_URL is set, a temporary
PostgreSQL database of its own, dropped afterwards) through the real migrations with
practices written from Thai and English word lists (titles, descriptions, aims, subjects,
grades), indexed by the product's own :func:`storage.thai_text.index_terms`, loaded in
bulk. It then times the `/kb`-style queries through :meth:`PracticeRepo.search` and, in the
same run, the baseline a library without a terms table would run: a ``LIKE '%word%'`` scan
of the same fields, ranked the same way. Nothing here is used by the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.queries import (MEMBERS_PER_NETWORK, ORGS_PER_NETWORK, _chunks, _sqlite_value, analyze, base_rows,
                           copy_base_rows, with_postgres_database)
from storage.db import Database
from storage.knowledge import PracticeRepo, practice_terms, practice_text, practices
from storage.migrations.runner import upgrade_to_heads
from storage.thai_text import index_terms, query_terms

REFERENCE_NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
TARGET_MS = 100.0

MEDIA = ["สื่อการสอน", "ใบงาน", "แบบฝึกทักษะ", "คลิปวิดีโอ", "บัตรคำ", "เกมกระดาน", "แอปพลิเคชัน", "สไลด์",
         "หนังสือเล่มเล็ก", "แผนการจัดการเรียนรู้", "ชุดกิจกรรม", "ข้อสอบออนไลน์", "โมเดลจำลอง", "ป้ายนิเทศ"]
METHODS = ["การจัดการเรียนรู้แบบโครงงาน", "ห้องเรียนกลับด้าน", "การเรียนรู้เชิงรุก", "Active Learning",
           "เกมมิฟิเคชัน", "การสอนแบบสืบเสาะ", "บันไดห้าขั้น", "การเรียนรู้ผ่านการเล่น", "STEM Education",
           "Coding", "การสอนแบบร่วมมือ", "Design Thinking", "การเรียนรู้ด้วยปัญหา", "ชุมชนการเรียนรู้ทางวิชาชีพ"]
TOOLS = ["AI", "ChatGPT", "Canva", "Google Classroom", "Kahoot", "Padlet", "LINE", "YouTube", "Micro:bit",
         "Scratch", "Quizizz", "Google Sheets"]
SUBJECTS = ["คณิตศาสตร์", "วิทยาศาสตร์", "ภาษาไทย", "ภาษาอังกฤษ", "สังคมศึกษา", "ประวัติศาสตร์", "สุขศึกษา",
            "ศิลปะ", "ดนตรี", "การงานอาชีพ", "เทคโนโลยี", "วิทยาการคำนวณ", "ภาษาจีน", "พลศึกษา"]
TOPICS = ["เศษส่วน", "การอ่านจับใจความ", "ระบบสุริยะ", "พืชและสัตว์", "การเขียนเรียงความ", "คำศัพท์", "ทศนิยม",
          "สมการ", "แรงและการเคลื่อนที่", "ภูมิศาสตร์ท้องถิ่น", "การคิดวิเคราะห์", "การแก้โจทย์ปัญหา",
          "ร่างกายมนุษย์", "วรรณคดีไทย", "การสื่อสาร", "ภูมิปัญญาท้องถิ่น", "สิ่งแวดล้อม", "ไฟฟ้า"]
GRADES = [f"ป.{n}" for n in range(1, 7)] + [f"ม.{n}" for n in range(1, 7)]
WHO = ["นักเรียน", "ครู", "ผู้ปกครอง", "ชุมชน", "นักเรียนกลุ่มเล็ก", "เพื่อนครู"]
DOES = ["ได้ฝึก", "ร่วมกัน", "เรียนรู้", "สร้าง", "นำเสนอ", "ทดลอง", "วิเคราะห์", "สะท้อนผล", "ออกแบบ"]
WHAT = ["ชิ้นงาน", "โครงงาน", "แผนภาพความคิด", "การทดลอง", "ละครสั้น", "บทความ", "แบบจำลอง", "เกม", "การอภิปราย"]
OUTCOMES = ["ผลสัมฤทธิ์สูงขึ้น", "มีความสุขในการเรียน", "เข้าใจบทเรียนมากขึ้น", "กล้าแสดงออก", "ทำงานเป็นทีม",
            "คิดอย่างมีวิจารณญาณ"]
VILLAGES = ["หนองบัว", "โนนสูง", "ดอนแก้ว", "ห้วยทราย", "บ่อใหญ่", "นาคำ", "โคกสว่าง", "หัวฝาย", "ป่าแดง",
            "ท่าช้าง", "หนองแวง", "บ้านเหล่า"]

QUERIES = ["สื่อการสอน", "คณิตศาสตร์ ป.4", "ห้องเรียนกลับด้าน", "Active Learning", "เศษส่วน", "AI",
           "การอ่านจับใจความ ภาษาไทย", "นักเรียน", "วิทยาศาสตร์ ระบบสุริยะ ม.1", "เกม", "ChatGPT ใบงาน",
           "นักเรียน ครู ใบงาน", "ไม่มีคำนี้ในคลัง"]
PRACTICE_COLUMNS = ["network_id", "number", "author_id", "organisation_id", "title", "description", "aim",
                    "subjects", "grades", "link", "photo_ref", "created_at", "updated_at", "deleted_at"]
TERM_COLUMNS = ["practice_id", "term", "network_id"]


# ------------------------------------------------------------------ data


def practice_values(rng: random.Random) -> dict[str, Any]:
    """One practice as a teacher might share it (deterministic for a given generator state)."""
    subject, topic, grade = rng.choice(SUBJECTS), rng.choice(TOPICS), rng.choice(GRADES)
    title = rng.choice([
        f"{rng.choice(MEDIA)}{subject}เรื่อง{topic}",
        f"{rng.choice(METHODS)} {subject} {grade}",
        f"การทำ{rng.choice(MEDIA)}ด้วย {rng.choice(TOOLS)}",
        f"{rng.choice(MEDIA)}เรื่อง{topic} {grade}",
    ])
    sentences = [f"{rng.choice(WHO)}{rng.choice(DOES)}{rng.choice(WHAT)}" for _ in range(rng.randint(1, 3))]
    description = " ".join([*sentences, f"ใช้ {rng.choice(TOOLS)}", f"โรงเรียนบ้าน{rng.choice(VILLAGES)}",
                            f"ครั้งที่ {rng.randint(1, 500)}"])
    return {"title": title, "description": description,
            "aim": f"{rng.choice(WHO)}{rng.choice(OUTCOMES)}", "subjects": [subject], "grades": [grade]}


class Seed:
    """``practices`` spread over ``networks``; 2% deleted (no terms), like a real library."""

    def __init__(self, practices: int, networks: int) -> None:
        self.practices, self.networks = practices, networks

    def rows(self) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
        """(practice row, its terms), in id order starting at 1."""
        rng = random.Random(2569)
        numbers = dict.fromkeys(range(1, self.networks + 1), 0)
        for index in range(self.practices):
            network = rng.randint(1, self.networks)
            numbers[network] += 1
            values = practice_values(rng)
            created = REFERENCE_NOW - timedelta(minutes=(self.practices - index) * 5)
            deleted = created + timedelta(days=1) if rng.random() < 0.02 else None
            author = (network - 1) * MEMBERS_PER_NETWORK + rng.randint(1, MEMBERS_PER_NETWORK)
            org = (network - 1) * ORGS_PER_NETWORK + rng.randint(1, ORGS_PER_NETWORK)
            row = (network, numbers[network], author, org, values["title"], values["description"], values["aim"],
                   json.dumps(values["subjects"], ensure_ascii=False), json.dumps(values["grades"], ensure_ascii=False),
                   None, None, created, created, deleted)
            yield row, [] if deleted else sorted(index_terms(practice_text(values)))

    def both(self) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        """Chunks of (practice rows, term rows) with the practices' ids already assigned."""
        practice_id = 0
        for chunk in _chunks(self.rows(), 20_000):
            rows, terms = [], []
            for row, words in chunk:
                practice_id += 1
                rows.append(row)
                terms.extend((practice_id, word, row[0]) for word in words)
            yield rows, terms


def load_sqlite(path: Path, seed: Seed) -> int:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA foreign_keys=OFF")
    nets, orgs, people = base_rows(seed.networks)
    terms = 0

    def insert(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        conn.executemany(sql, [tuple(_sqlite_value(v) for v in row) for row in rows])

    with conn:
        insert("networks", ["id", "name", "timezone", "language", "settings", "created_at"], nets)
        insert("organisations", ["id", "network_id", "name", "kind", "created_at"], orgs)
        insert("members", ["id", "network_id", "number", "platform", "platform_user_id", "display_name", "role",
                           "organisation_id", "language", "status", "reachable", "joined_at"], people)
        for rows, term_rows in seed.both():
            insert("practices", PRACTICE_COLUMNS, rows)
            insert("practice_terms", TERM_COLUMNS, term_rows)
            terms += len(term_rows)
    conn.close()
    return terms


async def load_postgres(url: str, seed: Seed) -> int:
    import asyncpg

    conn = await asyncpg.connect(sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    terms = 0
    try:
        await copy_base_rows(conn, seed.networks)
        for rows, term_rows in seed.both():
            await conn.copy_records_to_table("practices", records=rows, columns=PRACTICE_COLUMNS)
            await conn.copy_records_to_table("practice_terms", records=term_rows, columns=TERM_COLUMNS)
            terms += len(term_rows)
    finally:
        await conn.close()
    return terms


async def drop_index(db: Database) -> None:
    async with db.transaction() as conn:
        for index in practice_terms.indexes:
            await conn.execute(sa.text(f"DROP INDEX IF EXISTS {index.name}"))


async def create_index(db: Database) -> float:
    started = time.perf_counter()
    async with db.transaction() as conn:
        for index in practice_terms.indexes:
            await conn.run_sync(lambda sync, ix=index: ix.create(sync, checkfirst=True))
    return time.perf_counter() - started


# ------------------------------------------------------------------ the queries


async def like_scan(conn: Any, network_id: int, query: str, limit: int = 5) -> list[Any]:
    """The baseline: every query word looked for with LIKE in every searched field, same ranking."""
    words = query_terms(query)
    if not words:
        return []
    text = sa.func.lower(practices.c.title + " " + practices.c.description + " " + practices.c.aim + " "
                         + sa.cast(practices.c.subjects, sa.String) + " " + sa.cast(practices.c.grades, sa.String))
    matched = sum((sa.case((text.like(f"%{w}%"), 1), else_=0) for w in words), sa.literal(0)).label("matched")
    inner = (sa.select(practices.c.id, matched)
             .where(practices.c.network_id == network_id, practices.c.deleted_at.is_(None)).subquery())
    return list((await conn.execute(sa.select(inner).where(inner.c.matched > 0)
                                    .order_by(inner.c.matched.desc(), inner.c.id.desc()).limit(limit))).all())


async def time_queries(db: Database, network_id: int, repeats: int,
                       body: Callable[[Any, int, str], Awaitable[Any]]) -> dict[str, list[float]]:
    """Wall times (ms) of each query, after one warm-up run, each in its own transaction as /kb runs."""
    samples: dict[str, list[float]] = {}
    for query in QUERIES:
        async with db.transaction() as conn:
            await body(conn, network_id, query)
        samples[query] = []
        for _ in range(repeats):
            started = time.perf_counter()
            async with db.transaction() as conn:
                await body(conn, network_id, query)
            samples[query].append((time.perf_counter() - started) * 1000)
    return samples


async def search(conn: Any, network_id: int, query: str) -> Any:
    return await PracticeRepo(conn).search(network_id, query)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def bench_engine(label: str, url: str, seed: Seed, repeats: int, sqlite_path: Path | None) -> dict[str, float]:
    await asyncio.to_thread(upgrade_to_heads, url)
    db = Database(url)
    try:
        await drop_index(db)
        started = time.perf_counter()
        if sqlite_path is not None:
            await db.dispose()
            terms = await asyncio.to_thread(load_sqlite, sqlite_path, seed)
        else:
            terms = await load_postgres(url, seed)
        loaded = time.perf_counter() - started
        built = await create_index(db)
        await analyze(db)
        async with db.transaction() as conn:
            in_network = (await conn.execute(sa.select(sa.func.count()).select_from(practices)
                                             .where(practices.c.network_id == 1))).scalar_one()
        indexed = await time_queries(db, 1, repeats, search)
        baseline = await time_queries(db, 1, repeats, like_scan)
    finally:
        await db.dispose()
    print(f"\n== {label}: {seed.practices:,} practices ({in_network:,} in the queried network), "
          f"{terms:,} search terms, {seed.networks} network(s)")
    print(f"   generating + bulk load {loaded:.1f} s, building the terms index {built:.1f} s")
    width = max(len(q) for q in QUERIES)
    print(f"   {'query':<{width}}  {'terms ms':>9}  {'LIKE ms':>9}  {'speed-up':>8}")
    for query in QUERIES:
        fast, slow = statistics.median(indexed[query]), statistics.median(baseline[query])
        print(f"   {query:<{width}}  {fast:>9.1f}  {slow:>9.1f}  {slow / fast if fast else 0:>7.1f}x")
    every_fast = [v for values in indexed.values() for v in values]
    every_slow = [v for values in baseline.values() for v in values]
    figures = {"median": statistics.median(every_fast), "p95": p95(every_fast),
               "baseline median": statistics.median(every_slow), "baseline p95": p95(every_slow)}
    verdict = "within" if figures["p95"] < TARGET_MS else "OVER"
    print(f"   all queries: median {figures['median']:.1f} ms, p95 {figures['p95']:.1f} ms ({verdict} the "
          f"{TARGET_MS:.0f} ms target); LIKE scan median {figures['baseline median']:.1f} ms, "
          f"p95 {figures['baseline p95']:.1f} ms")
    return figures


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.knowledge_search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--practices", type=int, default=100_000)
    parser.add_argument("--networks", type=int, default=1, help="networks sharing the rows (default 1: worst case)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--engine", choices=["all", "sqlite", "postgres"], default="all")
    args = parser.parse_args(argv)
    seed = Seed(args.practices, max(1, args.networks))
    if args.engine in ("all", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="edunet-bench-") as folder:
            path = Path(folder) / "bench.db"
            await bench_engine("SQLite", f"sqlite+aiosqlite:///{path}", seed, args.repeats, path)
    postgres = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if args.engine in ("all", "postgres"):
        if postgres:
            async def on_postgres(url: str) -> None:
                await bench_engine("PostgreSQL", url, seed, args.repeats, None)

            await with_postgres_database(postgres, on_postgres)
        else:
            print("\n(PostgreSQL skipped: set EDUNET_TEST_POSTGRES_URL to include it)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
