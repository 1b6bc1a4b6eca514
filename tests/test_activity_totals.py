"""The activity totals the database keeps (storage/activity_rollups.py) and the pledge totals /summary
reads from the goals' kept totals give exactly what counting the rows gives, on SQLite and PostgreSQL,
after inserts, edits (date, organisation, category, counts), deletions, deliveries and cancellations,
for periods of whole months, partial months and single days, and after the migration's fill from
activities logged before it."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from storage.activity_repo import ActivityRepo
from storage.activity_rollups import activity_totals, backfill
from storage.db import Database
from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
from storage.resource_repo import PledgeRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
BANGKOK = ZoneInfo("Asia/Bangkok")
PERIODS = [(date(2026, 1, 1), date(2027, 1, 1)), (date(2026, 5, 16), date(2027, 5, 16)),
           (date(2026, 11, 1), date(2026, 12, 1)), (date(2026, 11, 1), date(2026, 11, 22)),
           (date(2026, 11, 20), date(2026, 11, 21)), (date(2025, 12, 31), date(2026, 2, 2)),
           (date(2026, 2, 1), date(2026, 3, 1)), (date(2025, 1, 15), date(2025, 1, 20)),
           (date(2024, 1, 1), date(2028, 1, 1)), (date(2026, 3, 5), date(2026, 3, 5))]


async def agree(conn, network_id: int, organisations: list[int]) -> int:  # type: ignore[no-untyped-def]
    """Every grouping and filter of ActivityRepo.totals against a direct count; the number of groups seen."""
    repo, seen = ActivityRepo(conn), 0
    for start, end in PERIODS:
        for by in ("aim", "category", "organisation"):
            for organisation in [None, *organisations]:
                kept = await repo.totals(network_id, start, end, by=by, organisation_id=organisation)
                assert kept == await repo.totals_direct(network_id, start, end, by=by, organisation_id=organisation), \
                    (start, end, by, organisation)
                seen += len(kept)
    pledges = PledgeRepo(conn)
    for start, end in PERIODS:
        since = datetime.combine(start, datetime.min.time(), BANGKOK)
        until = datetime.combine(end, datetime.min.time(), BANGKOK)
        assert await pledges.totals_pledged(network_id, since, until) == \
            await pledges.totals_pledged_direct(network_id, since, until)
        assert await pledges.totals_delivered(network_id, since, until) == \
            await pledges.totals_delivered_direct(network_id, since, until)
    return seen


async def test_the_kept_totals_equal_a_direct_count_through_every_kind_of_write(db: Database) -> None:
    rng = random.Random(18)
    async with db.transaction() as conn:
        a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
        b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
        schools = [(await OrganisationRepo(conn).get_or_create(a.id, name, now=NOW)).id
                   for name in ("โรงเรียน ก", "โรงเรียน ข")]
        bob = await MemberRepo(conn).add(a.id, platform="line", platform_user_id="U1", display_name="Bob",
                                         role="teacher", language="th", now=NOW)
        zed = await MemberRepo(conn).add(b.id, platform="line", platform_user_id="U2", display_name="Zed",
                                         role="teacher", language="th", now=NOW)
        logged, made = [], []
        for i in range(80):
            network, author = (a, bob) if i % 4 else (b, zed)
            activity = await ActivityRepo(conn).add(
                network.id, author_id=author.id,
                organisation_id=rng.choice(schools + [None]) if network is a else None, title="t",
                category=rng.choice(("workshop", "exchange", "meeting")), aim=rng.choice(("innovation", "equity")),
                activity_date=date(2026, 11, 21) - timedelta(days=rng.randint(0, 700)),
                participants=rng.choice((None, 5, 30)), minutes=rng.choice((None, 60, 180)), notes=None, now=NOW)
            logged.append((network.id, activity.id))
            at = NOW - timedelta(days=rng.randint(0, 400), hours=rng.randint(0, 23))
            kind = rng.choice(("funding", "technology"))
            pledge = await PledgeRepo(conn).add(
                network.id, need_id=None, pledger_id=author.id, resource_type=kind,
                source_sector=rng.choice(("private", "public")), amount=Decimal(rng.choice((500, 1200))),
                unit="THB" if kind == "funding" else "เครื่อง", expected_date=date(2027, 1, 1), note=None, now=at)
            made.append((network.id, pledge.id, at))
        assert await agree(conn, a.id, schools) > 100  # the periods hold activities: not a comparison of nothing
        await agree(conn, b.id, [])

        for network_id, activity_id in logged[::4]:  # edits that move an activity to another day, month, school
            await ActivityRepo(conn).update(network_id, activity_id, now=NOW, participants=99, category="meeting",
                                            activity_date=date(2026, 11, 20), minutes=None)
        for network_id, activity_id in logged[2::5]:
            if network_id == a.id:
                await ActivityRepo(conn).update(network_id, activity_id, now=NOW,
                                                organisation_id=rng.choice(schools + [None]))
        for network_id, activity_id in logged[1::6]:
            assert await ActivityRepo(conn).delete(network_id, activity_id)
        for network_id, pledge_id, at in made[::3]:
            await PledgeRepo(conn).deliver(network_id, pledge_id, by=None, note=None, has_photo=False,
                                           now=at + timedelta(days=3, hours=rng.randint(0, 23)))
        for network_id, pledge_id, _ in made[1::5]:
            await PledgeRepo(conn).cancel(network_id, pledge_id, by=None, now=NOW)
        await agree(conn, a.id, schools)
        await agree(conn, b.id, [])

        # The migration's fill from activities logged before it gives what the triggers kept.
        kept = sorted(tuple(r) for r in (await conn.execute(
            sa.select(activity_totals).where(activity_totals.c.n != 0))).all())
        await conn.execute(activity_totals.delete())
        assert await ActivityRepo(conn).totals(a.id, *PERIODS[0]) == []
        for statement in backfill(conn.dialect.name):
            await conn.execute(sa.text(statement))
        assert sorted(tuple(r) for r in (await conn.execute(sa.select(activity_totals))).all()) == kept
        await agree(conn, a.id, schools)


async def test_an_activity_without_an_organisation_is_its_own_group(db: Database) -> None:
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
        school = await OrganisationRepo(conn).get_or_create(network.id, "โรงเรียน ก", now=NOW)
        for organisation, people in ((school.id, 10), (None, 4), (None, 6)):
            await ActivityRepo(conn).add(network.id, author_id=None, organisation_id=organisation, title="t",
                                         category="workshop", aim="equity", activity_date=date(2026, 11, 3),
                                         participants=people, minutes=60, notes=None, now=NOW)
        rows = await ActivityRepo(conn).totals(network.id, date(2026, 1, 1), date(2027, 1, 1), by="organisation")
        assert [(r.key, r.count, r.participants, r.minutes) for r in rows] == [(None, 2, 10, 120),
                                                                              (school.id, 1, 10, 60)]
