"""The web view's pledge ledger reads one page in SQL: filters, an organisation's view, newest first, and
how many match in all (a year of 300 k pledges used to be loaded whole: about 5 s)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal


from storage.db import Database
from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
from storage.resource_repo import NeedRepo, PledgeRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
YEAR = (datetime(2026, 5, 15, 17, 0, tzinfo=timezone.utc), datetime(2027, 5, 15, 17, 0, tzinfo=timezone.utc))


async def test_the_ledger_filters_scopes_and_pages_in_the_database(db: Database) -> None:
    async with db.transaction() as conn:
        a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
        b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
        school = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียน ก", now=NOW)
        other = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียน ข", now=NOW)
        members = MemberRepo(conn)
        pat = await members.add(a.id, platform="line", platform_user_id="U1", display_name="Pat", role="partner",
                                language="th", now=NOW)
        zed = await members.add(b.id, platform="line", platform_user_id="U2", display_name="Zed", role="partner",
                                language="th", now=NOW)
        needs = NeedRepo(conn)
        ours = await needs.add(a.id, organisation_id=school.id, posted_by=None, resource_type="money",
                               description="ทุนการศึกษา", target=Decimal(10000), unit="บาท",
                               needed_by=date(2026, 12, 31), now=NOW)
        theirs = await needs.add(a.id, organisation_id=other.id, posted_by=None, resource_type="materials",
                                 description="หนังสือ", target=Decimal(100), unit="เล่ม",
                                 needed_by=date(2026, 12, 31), now=NOW)
        repo = PledgeRepo(conn)
        made = []
        for i in range(12):  # alternately toward our school's need and the other's; one before the year
            need = ours if i % 2 == 0 else theirs
            when = NOW - timedelta(days=400) if i == 11 else NOW + timedelta(minutes=i)
            pledge = await repo.add(a.id, need_id=need.id, pledger_id=pat.id, resource_type=need.resource_type,
                                    source_sector="private" if i % 3 else "community", amount=Decimal(i + 1),
                                    unit=need.unit, expected_date=date(2026, 12, 1), note=None, now=when)
            made.append(pledge)
        await repo.add(b.id, need_id=None, pledger_id=zed.id, resource_type="money", source_sector="private",
                       amount=Decimal(1), unit="บาท", expected_date=date(2026, 12, 1), note=None, now=NOW)
        await repo.cancel(a.id, made[0].id, by=None, now=NOW)

    async with db.transaction() as conn:
        repo = PledgeRepo(conn)
        rows, total = await repo.ledger(a.id, *YEAR, limit=5)
        assert total == 11  # the year's, this network's only
        assert [r["number"] for r in rows] == [11, 10, 9, 8, 7]  # newest first, one page
        assert rows[0]["pledger_name"] == "Pat" and rows[0]["need_organisation"] == "โรงเรียน ก"
        assert rows[0]["amount"] == Decimal(11)

        rows, total = await repo.ledger(a.id, *YEAR, resource_type="money", source_sector="community")
        assert total == len(rows) == 2 and {r["number"] for r in rows} == {1, 7}
        rows, total = await repo.ledger(a.id, *YEAR, status="cancelled")
        assert [r["number"] for r in rows] == [1] and total == 1

        # A teacher of the other school sees pledges toward its needs (and would see their own).
        rows, total = await repo.ledger(a.id, *YEAR, organisation_id=other.id, pledger_id=-5)
        assert total == 5 and {r["need_organisation"] for r in rows} == {"โรงเรียน ข"}
        assert await repo.ledger_choices(a.id, *YEAR, organisation_id=other.id, pledger_id=-5) == \
            (["materials"], ["community", "private"])
        assert await repo.ledger_choices(a.id, *YEAR) == (["materials", "money"], ["community", "private"])
