"""The totals the database keeps that the goals read (activities: storage/activity_rollups.py, pledges:
storage/goals/rollups.py) give exactly what the activities and pledges themselves give, on SQLite and PostgreSQL, after inserts, edits, deliveries,
cancellations and deletions, for periods whose edges fall inside a UTC day (Bangkok midnight is 17:00
UTC), and after the migration fills them from rows written before it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.activity_repo import ActivityRepo
from storage.db import Database
from storage.goals import MeasureRepo, local_midnight
from storage.goals.rollups import MADE_DELIVERED, backfill, goal_pledge_days
from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
from storage.resource_repo import PledgeRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
BANGKOK = ZoneInfo("Asia/Bangkok")
PERIODS = [(date(2026, 5, 16), date(2027, 5, 16)), (date(2026, 11, 1), date(2026, 11, 22)),
           (date(2026, 11, 20), date(2026, 11, 21)), (date(2025, 1, 1), date(2028, 1, 1)),
           (date(2026, 1, 2), date(2026, 3, 2)), (date(2026, 2, 1), date(2026, 3, 1)),
           (date(2025, 12, 31), date(2026, 2, 2))]


async def agree(conn, network_id: int) -> None:  # type: ignore[no-untyped-def]
    measures, pledges = MeasureRepo(conn), PledgeRepo(conn)
    for first, end in PERIODS:
        kept = sorted(await measures.activity_groups(network_id, first, end), key=repr)
        assert kept == sorted(await measures.activity_groups_direct(network_id, first, end), key=repr)
        start, stop = local_midnight(first, BANGKOK), local_midnight(end, BANGKOK)
        assert await measures.pledge_totals(network_id, "pledged", start, stop) == \
            await pledges.totals_pledged_direct(network_id, start, stop)
        assert await measures.pledge_totals(network_id, "delivered", start, stop) == \
            await pledges.totals_delivered_direct(network_id, start, stop)
        assert await measures.pledge_totals(network_id, MADE_DELIVERED, start, stop) == \
            await pledges.totals_made_delivered_direct(network_id, start, stop)
        # The summary's reads (kept totals for whole days) agree with the rows too.
        assert await pledges.totals_pledged(network_id, start, stop) == \
            await pledges.totals_pledged_direct(network_id, start, stop)
        # So does the web view's resources panel: the period's pledges by status.
        assert await pledges.status_totals(network_id, start, stop) == \
            await pledges.status_totals_direct(network_id, start, stop)


async def test_the_kept_totals_match_the_rows_through_every_kind_of_write(db: Database) -> None:
    rng = random.Random(14)
    async with db.transaction() as conn:
        a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
        b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
        school = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียน ก", now=NOW)
        bob = await MemberRepo(conn).add(a.id, platform="line", platform_user_id="U1", display_name="Bob",
                                         role="teacher", language="th", now=NOW)
        zed = await MemberRepo(conn).add(b.id, platform="line", platform_user_id="U2", display_name="Zed",
                                         role="teacher", language="th", now=NOW)
        logged, made = [], []
        for i in range(60):
            network, author = (a, bob) if i % 4 else (b, zed)
            activity = await ActivityRepo(conn).add(
                network.id, author_id=author.id, organisation_id=school.id if network is a else None, title="t",
                category=rng.choice(("workshop", "exchange", "meeting")), aim=rng.choice(("innovation", "equity")),
                activity_date=date(2026, 11, 21) - timedelta(days=rng.randint(0, 400)),
                participants=rng.choice((None, 5, 30)), minutes=rng.choice((None, 60, 180)), notes=None, now=NOW)
            logged.append((network.id, activity.id))
            # Pledges made at every hour of the day: some before and some after Bangkok's midnight in UTC.
            at = NOW - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
            kind = rng.choice(("funding", "technology"))
            pledge = await PledgeRepo(conn).add(
                network.id, need_id=None, pledger_id=author.id, resource_type=kind,
                source_sector=rng.choice(("private", "public")), amount=Decimal(rng.choice((500, 1200))),
                unit="THB" if kind == "funding" else "เครื่อง", expected_date=date(2027, 1, 1), note=None, now=at)
            made.append((network.id, pledge.id, at))
        await agree(conn, a.id)
        await agree(conn, b.id)

        for network_id, pledge_id, at in made[::3]:
            await PledgeRepo(conn).deliver(network_id, pledge_id, by=None, note=None, has_photo=False,
                                           now=at + timedelta(days=3, hours=rng.randint(0, 23)))
        for network_id, pledge_id, _ in made[1::5]:
            await PledgeRepo(conn).cancel(network_id, pledge_id, by=None, now=NOW)
        for network_id, activity_id in logged[::4]:
            await ActivityRepo(conn).update(network_id, activity_id, now=NOW, participants=99, category="meeting",
                                            activity_date=date(2026, 11, 20))
        for network_id, activity_id in logged[1::6]:
            assert await ActivityRepo(conn).delete(network_id, activity_id)
        await agree(conn, a.id)
        await agree(conn, b.id)

        # The migration's fill from existing rows gives the same totals as the triggers kept.
        kept = sorted(map(tuple, (await conn.execute(sa.select(goal_pledge_days))).all()))
        await conn.execute(goal_pledge_days.delete())
        for statement in backfill(conn.dialect.name):
            await conn.execute(sa.text(statement))
        filled = sorted(map(tuple, (await conn.execute(sa.select(goal_pledge_days))).all()))
        assert filled == [row for row in kept if row[-2] != 0]
