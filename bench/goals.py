"""Benchmark of the queries behind /goals and /review at scale.

    python -m bench.goals --activities 1000000 --pledges 300000

Seeds a temporary SQLite database (and, when EDUNET_TEST_POSTGRES_URL is set, a temporary
PostgreSQL database of its own, dropped afterwards) with the activities, needs and pledges
of :mod:`bench.queries` (same generator, same loaders), then, for network 1, a plan for
ปีการศึกษา 2569: goals with one target of every kind, projects and tasks, meetings of the three
kinds with their attendance, a rated survey with its answers and manual indicator reports. It times each target's measure over the
academic year, the whole /goals screen, and what /review reads for term 2569/1 (every target
over the term, activities by aim, resources by channel, tasks done / late / blocked / overdue).
Figures are medians of ``--repeats`` runs after one warm-up. Nothing here is used by the bot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.queries import (REFERENCE_DAY, REFERENCE_NOW, Seed, analyze, load_postgres, load_sqlite, median_times,
                           with_postgres_database)
from bot.academic import DEFAULT_CALENDAR
from bot.goals import Progress, assess
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import BaseContext
from edunet import build_app
from storage.activity_repo import ActivityRepo
from storage.membership import NetworkRepo
from storage.db import Database
from storage.goals import GoalRepo, MeasureRepo, PlanRepo, Target, local_midnight, plan_tasks
from storage.meetings import MEETING_KINDS, meeting_attendance, meetings
from storage.migrations.runner import upgrade_to_heads
from storage.resource_repo import PledgeRepo
from storage.surveys import SurveyRepo, survey_answers, survey_responses

NETWORK = 1
YEAR = 2569
TZ = ZoneInfo("Asia/Bangkok")
# (aim, title, [(kind, params, target value, unit)]): one target of every kind.
PLAN: list[tuple[str, str, list[tuple[str, dict[str, Any], int, str]]]] = [
    ("personnel", "ครูได้รับการพัฒนา", [("activities", {"category": "workshop"}, 24, "ครั้ง"),
                                       ("participants", {}, 300, "คน"),
                                       ("hours", {"category": "workshop"}, 500, "ชม.")]),
    ("innovation", "นวัตกรรมการเรียนรู้", [("activities", {"aim": "innovation"}, 60, "ครั้ง")]),
    ("efficiency", "ระดมทรัพยากร", [("resources", {"stage": "pledged", "measure": "baht"}, 500_000, "บาท"),
                                   ("resources", {"stage": "delivered", "measure": "baht", "sector": "private"},
                                    200_000, "บาท"),
                                   ("resources", {"stage": "delivered", "measure": "quantity",
                                                  "resource_type": "technology", "unit": "เครื่อง"}, 100, "เครื่อง"),
                                   ("needs_fulfilled", {}, 50, "รายการ")]),
    ("equity", "ความพึงพอใจและการมีส่วนร่วม", [("survey_mean", {"survey": 1, "question": 1}, 4, "คะแนน"),
                                              ("survey_response_rate", {"survey": 1}, 80, "%"),
                                              ("meetings", {}, 12, "ครั้ง"),
                                              ("attendance", {}, 600, "คน-ครั้ง"),
                                              ("attendance", {"meeting_kind": "leaders"}, 100, "คน-ครั้ง"),
                                              ("tasks_on_time", {}, 100, "งาน"),
                                              ("manual", {}, 40, "โรงเรียน")]),
]

Timing = Callable[[], Awaitable[Any]]


# ------------------------------------------------------------------ the plan's data


async def seed_plan(db: Database, *, tasks: int, meetings_count: int, attendance: int, responses: int) -> None:
    """Goals, projects, tasks, meetings (up to ``attendance`` members present at each), one rated survey and
    indicator reports for network 1."""
    rng = random.Random(14)
    year = DEFAULT_CALENDAR.year(YEAR)
    async with db.transaction() as conn:
        goals = GoalRepo(conn)
        plan = PlanRepo(conn)
        for aim, title, targets in PLAN:
            goal = await goals.create(NETWORK, academic_year=YEAR, aim=aim, title=title, created_by=1,
                                      now=REFERENCE_NOW)
            for kind, params, value, unit in targets:
                target = await goals.add_target(goal, kind=kind, params=params, value=Decimal(value), unit=unit,
                                                owner_id=1 if kind == "manual" else None, now=REFERENCE_NOW)
                for days in range(0, 180, 10) if kind == "manual" else ():
                    await goals.report(target, value=Decimal(days // 10), reported_by=1, note=None,
                                       now=REFERENCE_NOW - timedelta(days=days))
        projects = [await plan.create_project(NETWORK, title=f"โครงการ {i}", goal_id=None, lead_organisation_id=1,
                                              starts_on=year.start, ends_on=year.end - timedelta(days=1),
                                              created_by=1, now=REFERENCE_NOW) for i in range(1, 51)]
        rows = []
        for number in range(1, tasks + 1):
            due = year.start + timedelta(days=rng.randint(0, 364))
            status = rng.choice(("todo", "started", "done", "done", "blocked")) if due < REFERENCE_DAY else "todo"
            done_on = due + timedelta(days=rng.randint(-10, 5)) if status == "done" else None
            rows.append({"network_id": NETWORK, "project_id": rng.choice(projects).id, "number": number,
                         "title": f"งาน {number}", "owner_member_id": rng.randint(1, 300),
                         "owner_organisation_id": rng.randint(1, 40), "due_on": due, "status": status,
                         "blocked_reason": "รองบ" if status == "blocked" else None,
                         "done_at": local_midnight(done_on, TZ) if done_on else None, "done_on": done_on,
                         "created_by": 1, "created_at": REFERENCE_NOW, "updated_at": REFERENCE_NOW})
        if rows:
            await conn.execute(plan_tasks.insert(), rows)
        if meetings_count:
            await conn.execute(meetings.insert(), [
                {"network_id": NETWORK, "number": number, "title": "ประชุมเครือข่าย", "duration_minutes": 90, "place": "", "agenda": "",
                 "target_chat_ids": [], "status": rng.choice(("scheduled", "scheduled", "cancelled")), "version": 1,
                 "created_by": 1, "created_at": REFERENCE_NOW, "updated_at": REFERENCE_NOW,
                 "kind": rng.choice(MEETING_KINDS),
                 "starts_at": REFERENCE_NOW - timedelta(days=rng.randint(-60, 3 * 365), hours=rng.randint(0, 23))}
                for number in range(1, meetings_count + 1)])
            ids = (await conn.execute(sa.select(meetings.c.id, meetings.c.starts_at)
                                      .where(meetings.c.network_id == NETWORK))).all()
            present = [{"meeting_id": row.id, "member_id": member, "network_id": NETWORK, "marked_by": member,
                        "marked_at": row.starts_at}
                       for row in ids for member in rng.sample(range(1, 301), rng.randint(0, attendance))]
            for start in range(0, len(present), 10_000):
                await conn.execute(meeting_attendance.insert(), present[start:start + 10_000])
        survey = await SurveyRepo(conn).create(
            NETWORK, kind="survey", title="ความพึงพอใจต่อเครือข่าย", anonymous=True, roles=[], organisations=[],
            chats=[], chat_id=None, created_by=1, closes_at=None, now=REFERENCE_NOW,
            questions=[{"kind": "rating", "text": "ความพึงพอใจโดยรวม", "options": []},
                       {"kind": "single", "text": "ช่องทาง", "options": ["LINE", "Telegram"]}])
        if responses:
            keys = [f"{i:032x}" for i in range(responses)]
            await conn.execute(survey_responses.insert(), [
                {"id": key, "network_id": NETWORK, "survey_id": survey.id, "voter_key": key, "member_id": None}
                for key in keys])
            await conn.execute(survey_answers.insert(), [
                {"response_id": key, "question_id": q.id, "choice": rng.randint(0, 4 if q.kind == "rating" else 1),
                 "network_id": NETWORK, "survey_id": survey.id, "text": None}
                for key in keys for q in survey.questions])
        await SurveyRepo(conn).close(NETWORK, survey.id, audience_size=responses + responses // 3 + 1,
                                     now=REFERENCE_NOW)


# ------------------------------------------------------------------ the queries


def label(target: Target) -> str:
    details = ", ".join(str(v) for _, v in sorted(target.params.items()))
    return f"{target.kind}({details})" if details else target.kind


async def targets_of_year(db: Database) -> list[Target]:
    async with db.transaction() as conn:
        return [t for g in await GoalRepo(conn).of_year(NETWORK, YEAR) for t in g.targets]


def queries(db: Database, targets: list[Target]) -> dict[str, Timing]:
    """The reads of /goals (the academic year) and /review (term 2569/1), as a handler would run them, and the
    same screens read from every row (the baseline: what they cost without the per-day totals)."""
    import handlers.goals as goals_feature

    year = DEFAULT_CALENDAR.year(YEAR)
    term = DEFAULT_CALENDAR.term(YEAR, 1).span
    share = year.elapsed_share(REFERENCE_DAY)

    def run(body: Callable[[Any], Awaitable[Any]]) -> Timing:
        async def timed() -> Any:
            async with db.transaction() as conn:
                return await body(conn)
        return timed

    def measure(target: Target, start: date, end: date) -> Callable[[Any], Awaitable[Any]]:
        return lambda conn: MeasureRepo(conn).actual(target, start, end, tz=TZ, now=REFERENCE_NOW)

    previous = DEFAULT_CALENDAR.previous(DEFAULT_CALENDAR.term(YEAR, 1)).span

    async def goals_screen(conn: Any, direct: bool = False) -> list[Progress]:
        repo = MeasureRepo(conn)
        targets = [t for g in await GoalRepo(conn).of_year(NETWORK, YEAR) for t in g.targets]
        measured = await repo.actuals(targets, repo.period(NETWORK, year.start, year.end, tz=TZ, direct=direct),
                                      now=REFERENCE_NOW)
        return [assess(t, m, share) for t, m in zip(targets, measured)]

    async def review_screen(conn: Any, direct: bool = False) -> Any:
        """What /review's Check reads (as build_check does): every target over the year so far (the term
        itself in term 1), what accumulates over the term and the previous term, and activities by aim,
        resources by channel and tasks for the term and the previous term."""
        repo = MeasureRepo(conn)
        targets = [t for g in await GoalRepo(conn).of_year(NETWORK, YEAR) for t in g.targets]
        flows = [t for t in targets if t.kind not in ("survey_mean", "survey_response_rate", "manual")]
        term_totals = repo.period(NETWORK, term.start, term.end, tz=TZ, direct=direct)
        previous_totals = repo.period(NETWORK, previous.start, previous.end, tz=TZ, direct=direct)
        found: list[Any] = [await repo.actuals(targets, term_totals, now=REFERENCE_NOW),
                            await repo.actuals(flows, term_totals, now=REFERENCE_NOW),
                            await repo.actuals(flows, previous_totals, now=REFERENCE_NOW)]
        for span, totals in ((term, term_totals), (previous, previous_totals)):
            found.append((await totals.activities(), await totals.pledges("pledged"), await totals.pledges("delivered"),
                          await PlanRepo(conn).counts(NETWORK, span.start, span.end, REFERENCE_DAY)))
        found.append(await PlanRepo(conn).overdue(NETWORK, REFERENCE_DAY, limit=10))
        return found

    app = build_app(Settings(database_url=db.url), db=db, clock=ManualClock(REFERENCE_NOW))

    async def handler_screen(conn: Any, which: str) -> Any:
        network = await NetworkRepo(conn).get(NETWORK)
        ctx = BaseContext(app, conn, network, "th")
        if which == "goals":
            return await goals_feature.year_progress(ctx, YEAR)
        return await goals_feature.build_check(ctx, DEFAULT_CALENDAR.term(YEAR, 1))

    timed: dict[str, Timing] = {"/goals: the year's goals and targets": run(
        lambda c: GoalRepo(c).of_year(NETWORK, YEAR))}
    for target in targets:
        timed[f"/goals: {label(target)}, year"] = run(measure(target, year.start, year.end))
    timed["/goals screen: every target + pace"] = run(goals_screen)
    timed["/goals screen, baseline (every row, no kept totals)"] = run(lambda c: goals_screen(c, direct=True))
    timed["/goals as the handler reads it (year_progress)"] = run(lambda c: handler_screen(c, "goals"))
    timed["/review: activities by aim, term"] = run(lambda c: MeasureRepo(c).activity_groups(NETWORK, term.start,
                                                                                           term.end))
    timed["/review: activities by aim, term, baseline (every row)"] = run(
        lambda c: ActivityRepo(c).totals(NETWORK, term.start, term.end))
    timed["/review: delivered by channel, term"] = run(lambda c: MeasureRepo(c).pledge_totals(
        NETWORK, "delivered", local_midnight(term.start, TZ), local_midnight(term.end, TZ)))
    timed["/review: delivered by channel, term, baseline (every row)"] = run(lambda c: PledgeRepo(c).totals_delivered(
        NETWORK, local_midnight(term.start, TZ), local_midnight(term.end, TZ)))
    timed["/review: tasks done / late / blocked"] = run(
        lambda c: PlanRepo(c).counts(NETWORK, term.start, term.end, REFERENCE_DAY))
    timed["/review: overdue tasks"] = run(lambda c: PlanRepo(c).overdue(NETWORK, REFERENCE_DAY, limit=10))
    timed["/review screen: every target over the term + the Check"] = run(review_screen)
    timed["/review screen, baseline (every row, no kept totals)"] = run(lambda c: review_screen(c, direct=True))
    timed["/review Check as the handler builds it (build_check)"] = run(lambda c: handler_screen(c, "review"))
    return timed


# ------------------------------------------------------------------ one engine


async def bench_engine(label_: str, url: str, seed: Seed, *, tasks: int, meetings_count: int, attendance: int,
                       responses: int, repeats: int, sqlite_path: Path | None, out: Callable[[str], None] = print
                       ) -> dict[str, float]:
    await asyncio.to_thread(upgrade_to_heads, url)
    db = Database(url)
    try:
        started = time.perf_counter()
        if sqlite_path is not None:
            await db.dispose()
            await asyncio.to_thread(load_sqlite, sqlite_path, seed)
        else:
            await load_postgres(url, seed)
        await seed_plan(db, tasks=tasks, meetings_count=meetings_count, attendance=attendance, responses=responses)
        loaded = time.perf_counter() - started
        await analyze(db)
        results = await median_times(queries(db, await targets_of_year(db)), repeats)
    finally:
        await db.dispose()
    out(f"\n== {label_}: {seed.activities:,} activities, {seed.needs:,} needs, {seed.pledges:,} pledges, "
        f"{tasks:,} tasks, {meetings_count:,} meetings (up to {attendance} present at each), {responses:,} survey "
        f"responses (loaded in {loaded:.1f} s)")
    width = max(len(name) for name in results)
    for name, ms in results.items():
        out(f"   {name:<{width}}  {ms:>8.1f} ms{'  (over 100 ms)' if ms > 100 else ''}")
    return results


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.goals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=200_000)
    parser.add_argument("--pledges", type=int, default=60_000)
    parser.add_argument("--needs", type=int, help="default: pledges / 20")
    parser.add_argument("--networks", type=int, default=1, help="networks sharing the rows (default 1: worst case)")
    parser.add_argument("--tasks", type=int, default=20_000, help="work-plan tasks of network 1")
    parser.add_argument("--meetings", type=int, default=2_000)
    parser.add_argument("--attendance", type=int, default=60, help="at most this many members present per meeting")
    parser.add_argument("--responses", type=int, default=2_000, help="answers to the rated survey")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--engine", choices=["all", "sqlite", "postgres"], default="all")
    args = parser.parse_args(argv)

    def seed() -> Seed:
        return Seed(args.activities, args.pledges, args.needs or max(1, args.pledges // 20), max(1, args.networks))

    sizes = {"tasks": args.tasks, "meetings_count": args.meetings, "attendance": args.attendance,
             "responses": args.responses,
             "repeats": args.repeats}
    if args.engine in ("all", "sqlite"):
        with tempfile.TemporaryDirectory(prefix="edunet-bench-") as folder:
            path = Path(folder) / "bench.db"
            await bench_engine("SQLite", f"sqlite+aiosqlite:///{path}", seed(), sqlite_path=path, **sizes)
    postgres = os.environ.get("EDUNET_TEST_POSTGRES_URL")
    if args.engine in ("all", "postgres"):
        if postgres:
            async def on_postgres(url: str) -> None:
                await bench_engine("PostgreSQL", url, seed(), sqlite_path=None, **sizes)
            await with_postgres_database(postgres, on_postgres)
        else:
            print("\n(PostgreSQL skipped: set EDUNET_TEST_POSTGRES_URL to include it)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
