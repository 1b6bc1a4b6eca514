"""The activities and mobilisation queries on SQLite and PostgreSQL: totals per period,
organisation, aim, resource type and sector; need progress; network scoping; exact sums."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path


from storage.activity_repo import ActivityRepo
from storage.db import Database
from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
from storage.resource_repo import NeedRepo, PledgeRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)


async def two_networks(conn):  # type: ignore[no-untyped-def]
    a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
    b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
    school = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียน ก", now=NOW)
    other = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียน ข", now=NOW)
    members = MemberRepo(conn)
    bob = await members.add(a.id, platform="line", platform_user_id="U1", display_name="Bob", role="teacher",
                            language="th", now=NOW)
    zed = await members.add(b.id, platform="line", platform_user_id="U2", display_name="Zed", role="teacher",
                            language="th", now=NOW)
    return a, b, school, other, bob, zed


async def test_activity_totals_by_aim_category_and_organisation(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, other, bob, zed = await two_networks(conn)
        repo = ActivityRepo(conn)
        for day, category, aim, org, people, minutes in [
                (date(2026, 11, 2), "workshop", "innovation", school.id, 30, 180),
                (date(2026, 11, 20), "exchange", "innovation", school.id, 10, None),
                (date(2026, 11, 30), "meeting", "efficiency", other.id, None, 60),
                (date(2026, 12, 1), "meeting", "efficiency", other.id, 99, 99)]:  # outside November
            await repo.add(a.id, author_id=bob.id, organisation_id=org, title="t", category=category, aim=aim,
                           activity_date=day, participants=people, minutes=minutes, notes=None, now=NOW)
        await repo.add(b.id, author_id=zed.id, organisation_id=None, title="other network", category="workshop",
                       aim="innovation", activity_date=date(2026, 11, 5), participants=500, minutes=600, notes=None,
                       now=NOW)
    async with db.transaction() as conn:
        repo = ActivityRepo(conn)
        november = (date(2026, 11, 1), date(2026, 12, 1))
        by_aim = {t.key: (t.count, t.participants, t.minutes) for t in await repo.totals(a.id, *november)}
        assert by_aim == {"innovation": (2, 40, 180), "efficiency": (1, 0, 60)}
        by_category = {t.key: t.count for t in await repo.totals(a.id, *november, by="category")}
        assert by_category == {"workshop": 1, "exchange": 1, "meeting": 1}
        by_org = {t.key: t.count for t in await repo.totals(a.id, *november, by="organisation")}
        assert by_org == {school.id: 2, other.id: 1}
        one_org = await repo.totals(a.id, *november, organisation_id=other.id)
        assert [(t.key, t.count) for t in one_org] == [("efficiency", 1)]
        items, total = await repo.page(a.id, "org", organisation_id=school.id, limit=1)
        assert total == 2 and items[0].activity_date == date(2026, 11, 20)
        items, total = await repo.page(b.id, "network")
        assert total == 1 and items[0].title == "other network"
        assert await repo.get(b.id, items[0].id) is not None and await repo.get(a.id, items[0].id) is None
        assert not await repo.delete(a.id, items[0].id)  # another network's row is untouched
        rows = await repo.export_rows(a.id, *november)
        assert [r["organisation_name"] for r in rows] == ["โรงเรียน ก", "โรงเรียน ก", "โรงเรียน ข"]
        assert rows[0]["author_name"] == "Bob"


async def test_pledge_totals_progress_and_fulfilment_are_exact(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, _other, bob, zed = await two_networks(conn)
        need = await NeedRepo(conn).add(a.id, organisation_id=school.id, posted_by=bob.id, resource_type="funding",
                                        description="ค่าเดินทาง", target=Decimal("1000.30"), unit="THB",
                                        needed_by=date(2027, 1, 15), now=NOW)
        pledges = PledgeRepo(conn)
        first = await pledges.add(a.id, need_id=need.id, pledger_id=bob.id, resource_type="funding",
                                  source_sector="private", amount=Decimal("0.10"), unit="THB",
                                  expected_date=date(2026, 11, 25), note=None, now=NOW)
        second = await pledges.add(a.id, need_id=need.id, pledger_id=bob.id, resource_type="funding",
                                   source_sector="private", amount=Decimal("1000.20"), unit="THB",
                                   expected_date=date(2026, 11, 20), note=None, now=NOW)
        dropped = await pledges.add(a.id, need_id=need.id, pledger_id=bob.id, resource_type="funding",
                                    source_sector="public", amount=Decimal("500"), unit="THB",
                                    expected_date=date(2026, 11, 20), note=None, now=NOW)
        await pledges.add(b.id, need_id=None, pledger_id=zed.id, resource_type="venue", source_sector="community",
                          amount=Decimal("1"), unit="ห้อง", expected_date=date(2026, 11, 20), note=None, now=NOW)
    async with db.transaction() as conn:
        pledges, needs = PledgeRepo(conn), NeedRepo(conn)
        assert await pledges.cancel(a.id, dropped.id, by=bob.id, now=NOW)
        assert not await pledges.cancel(a.id, dropped.id, by=bob.id, now=NOW)
        assert not await pledges.deliver(b.id, first.id, by=zed.id, note=None, has_photo=False, now=NOW)
        later = NOW + timedelta(days=2)
        assert await pledges.deliver(a.id, first.id, by=bob.id, note="รับแล้ว", has_photo=False, now=later)
        assert not await needs.mark_fulfilled_if_reached(a.id, need.id, now=later)
        assert await pledges.deliver(a.id, second.id, by=bob.id, note=None, has_photo=False, now=later)
        assert await needs.mark_fulfilled_if_reached(a.id, need.id, now=later)
        assert not await needs.mark_fulfilled_if_reached(a.id, need.id, now=later)  # once
    async with db.transaction() as conn:
        pledges, needs = PledgeRepo(conn), NeedRepo(conn)
        (progress,) = await needs.with_progress([await needs.get(a.id, need.id)])  # type: ignore[list-item]
        assert (progress.pledged, progress.delivered) == (Decimal("1000.30"), Decimal("1000.30"))
        assert progress.need.status == "fulfilled" and progress.need.target == Decimal("1000.30")
        week = (NOW - timedelta(days=1), NOW + timedelta(days=6))
        made = [(t.resource_type, t.source_sector, t.count, t.amount) for t in await pledges.totals_pledged(a.id, *week)]
        assert made == [("funding", "private", 2, Decimal("1000.30"))]  # the cancelled one does not count
        done = [(t.source_sector, t.amount) for t in await pledges.totals_delivered(a.id, *week)]
        assert done == [("private", Decimal("1000.30"))]
        assert await pledges.totals_delivered(a.id, NOW - timedelta(days=8), NOW - timedelta(days=1)) == []
        assert await needs.count_open(a.id, date(2026, 11, 21)) == (0, 0)
        assert await pledges.count_overdue(b.id, date(2026, 11, 21)) == 1
        assert await pledges.count_overdue(a.id, date(2026, 11, 21)) == 0
        assert await needs.get(b.id, need.id) is None
        rows = await pledges.export_rows(a.id, *week)
        assert [(r["id"], r["status"], r["amount"]) for r in rows] == [
            (first.id, "delivered", Decimal("0.10")), (second.id, "delivered", Decimal("1000.20")),
            (dropped.id, "cancelled", Decimal("500.00"))]
        assert rows[0]["need_organisation"] == "โรงเรียน ก"


def test_the_benchmark_script_runs_and_reports_both_timings() -> None:
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-m", "bench.queries", "--activities", "3000", "--pledges", "600",
                           "--answers", "3000", "--repeats", "1", "--engine", "sqlite"],
                          cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3,000 activities, 30 needs, 600 pledges, 3,000 survey answers" in done.stdout
    rows = [line.removesuffix("  over 100 ms").rstrip() for line in done.stdout.splitlines() if line.startswith("   ")]
    figures = {row.strip().rsplit(None, 2)[0].strip(): row.split()[-2:] for row in rows if row[-1:].isdigit()}
    # The baseline, every summary section, the goals, the review, the report and the survey queries, timed.
    for name in ("baseline: count(*) of network 1's activities", "summary section: activities",
                 "/summary, every section", "/goals as the handler reads it (year_progress)",
                 "/review Check as the handler builds it (build_check)", "/export sar (one school, the academic year)",
                 "/exportsurvey N, anonymous: comments file", "poll live count (the card's counts)",
                 "web view overview page, rendered (every panel)"):
        assert name in figures and all(float(v) > 0 for v in figures[name]), name


def test_the_benchmark_seeds_once_and_times_again_saying_what_the_database_holds(tmp_path: Path) -> None:
    """``--seed-only`` keeps the file; ``--reuse`` times it and says what it holds (not the sizes given)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    base = [sys.executable, "-m", "bench.queries", "--engine", "sqlite", "--sqlite-file", str(tmp_path / "b.db")]
    seeded = subprocess.run([*base, "--activities", "2000", "--pledges", "400", "--answers", "1000", "--seed-only"],
                            cwd=root, capture_output=True, text=True, timeout=300)
    assert seeded.returncode == 0, seeded.stderr
    again = subprocess.run([*base, "--reuse", "--repeats", "1", "--match", "baseline"], cwd=root,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "which holds 2,000 activities, 20 needs, 400 pledges" in again.stdout, again.stdout
    assert "baseline: count(*) of network 1's activities" in again.stdout
