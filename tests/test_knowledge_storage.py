"""The practice library and offers on SQLite and PostgreSQL: numbering that never reuses a
number, Thai search (compounds, mixed Thai/English, ranking, deleted practices, network
isolation), "useful" reactions, offers listed, expired and matched to needs."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from storage.counters import next_number
from storage.db import Database
from storage.knowledge import OfferRepo, PracticeRepo
from storage.membership import MemberRepo, NetworkRepo, OrganisationRepo
from storage.resource_repo import NeedRepo, PledgeRepo

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
TODAY = date(2026, 11, 21)


async def two_networks(conn: Any) -> Any:
    a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
    b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
    school = await OrganisationRepo(conn).get_or_create(a.id, "โรงเรียนบ้านหนองบัว", now=NOW)
    members = MemberRepo(conn)
    kru = await members.add(a.id, platform="line", platform_user_id="U1", display_name="ครูแก้ว", role="teacher",
                            language="th", now=NOW)
    pim = await members.add(a.id, platform="line", platform_user_id="U2", display_name="Pim", role="partner",
                            language="th", now=NOW)
    zed = await members.add(b.id, platform="line", platform_user_id="U3", display_name="Zed", role="teacher",
                            language="th", now=NOW)
    return a, b, school, kru, pim, zed


async def share(repo: PracticeRepo, network_id: int, title: str, *, author_id: int | None = None,
                description: str = "", subjects: list[str] | None = None, minutes: int = 0) -> Any:
    return await repo.add(network_id, author_id=author_id, organisation_id=None, title=title,
                          description=description, aim="", subjects=subjects or [], grades=[], link=None,
                          photo_ref=None, now=NOW + timedelta(minutes=minutes))


async def titles(repo: PracticeRepo, network_id: int, query: str, **kwargs: Any) -> list[str]:
    return [hit.practice.title for hit in await repo.search(network_id, query, **kwargs)]


async def test_the_migration_creates_what_the_tables_say(db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import storage.all_tables  # noqa: F401
    from storage.tables import metadata

    ours = ("practice", "offers", "network_counters")
    async with db.transaction() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(
            MigrationContext.configure(sync, opts={"compare_type": True}), metadata))
    assert [d for d in diff if any(name in repr(d) for name in ours)] == []


async def test_numbers_are_per_network_and_never_reused(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        first = await share(repo, a.id, "หนึ่ง")
        second = await share(repo, a.id, "สอง")
        elsewhere = await share(repo, b.id, "อื่น")
        assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
        assert await repo.delete(a.id, second.number, now=NOW)
        assert not await repo.delete(a.id, second.number, now=NOW)  # already gone
        third = await share(repo, a.id, "สาม")
        assert third.number == 3  # 2 stays taken
        assert await repo.get(a.id, 2) is None and await repo.get(b.id, first.number) == elsewhere
        # Offers count on their own.
        offer = await OfferRepo(conn).add(a.id, member_id=pim.id, organisation_id=None, resource_type="materials",
                                          source_sector="private", description="", quantity=Decimal(1), unit="ชุด",
                                          skill=None, place=None, available_from=None, available_until=TODAY,
                                          now=NOW)
        assert offer.number == 1
        assert await next_number(conn, a.id, "practice") == 4


async def test_concurrent_writers_never_share_a_number(db: Database) -> None:
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)

    async def take() -> list[int]:
        async with db.transaction() as conn:
            return [await next_number(conn, network.id, "practice") for _ in range(5)]

    taken = await asyncio.gather(*(take() for _ in range(4)))
    assert sorted(n for numbers in taken for n in numbers) == list(range(1, 21))


async def test_thai_search_finds_a_word_inside_a_compound(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        await share(repo, a.id, "การทำสื่อการสอนด้วย AI", author_id=kru.id,
                    description="ครูใช้ ChatGPT ช่วยออกแบบใบงาน", subjects=["คณิตศาสตร์"])
        await share(repo, a.id, "ห้องเรียนกลับด้าน", description="นักเรียนดูคลิปที่บ้าน", minutes=1)
        assert await titles(repo, a.id, "สื่อการสอน") == ["การทำสื่อการสอนด้วย AI"]
        assert await titles(repo, a.id, "สื่อ") == ["การทำสื่อการสอนด้วย AI"]  # inside "สื่อการสอน"
        assert await titles(repo, a.id, "คณิต") == ["การทำสื่อการสอนด้วย AI"]  # inside a subject
        assert await titles(repo, a.id, "chatgpt") == ["การทำสื่อการสอนด้วย AI"]
        assert await titles(repo, a.id, "กลับด้าน") == ["ห้องเรียนกลับด้าน"]
        assert await titles(repo, a.id, "ห้องเรียน") == ["ห้องเรียนกลับด้าน"]
        assert await titles(repo, a.id, "ภาษาอังกฤษ") == [] and await titles(repo, a.id, "และ") == []
        hit = (await repo.search(a.id, "สื่อการสอน"))[0]
        assert (hit.matched, hit.practice.author_name, hit.practice.subjects) == (1, "ครูแก้ว", ["คณิตศาสตร์"])


async def test_mixed_thai_and_english_rank_by_words_matched_then_newest(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        await share(repo, a.id, "สื่อการสอนด้วย AI", minutes=0)
        await share(repo, a.id, "AI ช่วยตรวจการบ้าน", minutes=1)
        await share(repo, a.id, "สื่อการสอนวิทยาศาสตร์", minutes=2)
        await share(repo, a.id, "Active Learning", minutes=3)
        assert await titles(repo, a.id, "สื่อการสอน AI") == [
            "สื่อการสอนด้วย AI",  # both words
            "สื่อการสอนวิทยาศาสตร์", "AI ช่วยตรวจการบ้าน"]  # one word each, newest first
        assert await titles(repo, a.id, "ACTIVE learning") == ["Active Learning"]
        assert await titles(repo, a.id, "สื่อการสอนAI") == await titles(repo, a.id, "สื่อการสอน AI")
        assert [h.matched for h in await repo.search(a.id, "สื่อการสอน ai")] == [2, 1, 1]
        # A pasted paragraph looks for its first ten words only.
        assert await titles(repo, a.id, "แมว หมา ช้าง ม้า วัว ควาย ไก่ เป็ด ปลา นก Active") == []
        # Pages.
        assert await titles(repo, a.id, "สื่อการสอน AI", limit=1, offset=1) == ["สื่อการสอนวิทยาศาสตร์"]


async def test_an_old_practice_with_every_word_outranks_thousands_of_newer_ones_with_one(db: Database) -> None:
    """The search reads the index in windows of ids, newest first: an old practice that has every
    word must still come before 6,000 newer ones that have one word of the query."""
    import sqlalchemy as sa

    from storage.knowledge import practice_terms, practices

    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        old = await share(repo, a.id, "ใบงานนักเรียน")
        words = (await conn.execute(sa.select(practice_terms.c.term)
                                    .where(practice_terms.c.practice_id == old.id))).scalars().all()
        assert len(words) >= 2, words
        common = sorted(words)[0]
        await conn.execute(practices.insert(), [
            {"network_id": a.id, "number": 100 + i, "title": f"เรื่องที่ {i}", "description": "", "aim": "",
             "subjects": [], "grades": [], "created_at": NOW, "updated_at": NOW} for i in range(6000)])
        newer = (await conn.execute(sa.select(practices.c.id).where(practices.c.number >= 100))).scalars().all()
        await conn.execute(practice_terms.insert(), [
            {"practice_id": i, "term": common, "network_id": a.id} for i in newer])
        hits = await repo.search(a.id, "ใบงานนักเรียน", limit=3)
        assert [h.practice.title for h in hits][0] == "ใบงานนักเรียน"
        assert hits[0].matched >= 2 and [h.matched for h in hits[1:]] == [1, 1]
        assert [h.practice.id for h in hits[1:]] == sorted(newer, reverse=True)[:2]  # then the newest


async def test_search_sees_one_network_and_no_deleted_practice(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        await share(repo, a.id, "เกมคณิตศาสตร์")
        mine = await share(repo, a.id, "สื่อการสอนของเครือข่าย A")
        await share(repo, b.id, "สื่อการสอนของเครือข่าย B")
        assert await titles(repo, a.id, "สื่อการสอน") == ["สื่อการสอนของเครือข่าย A"]
        assert await titles(repo, b.id, "สื่อการสอน") == ["สื่อการสอนของเครือข่าย B"]
        assert await repo.update(b.id, mine.number, title="x", now=NOW) is None  # numbers are per network
        await repo.delete(a.id, mine.number, now=NOW)
        assert await titles(repo, a.id, "สื่อการสอน") == []
        assert [p.title for p in await repo.recent(a.id)] == ["เกมคณิตศาสตร์"]
        assert await titles(repo, b.id, "สื่อการสอน") == ["สื่อการสอนของเครือข่าย B"]


async def test_an_edit_is_searched_by_its_new_words(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        practice = await share(repo, a.id, "เกมคณิตศาสตร์", description="บัตรคำ")
        edited = await repo.update(a.id, practice.number, title="โครงงานวิทยาศาสตร์", organisation_id=school.id,
                                   now=NOW + timedelta(hours=1))
        assert edited is not None and edited.organisation_name == "โรงเรียนบ้านหนองบัว"
        assert edited.updated_at == NOW + timedelta(hours=1) and edited.created_at == NOW
        assert await titles(repo, a.id, "คณิตศาสตร์") == []
        assert await titles(repo, a.id, "วิทยาศาสตร์ บัตรคำ") == ["โครงงานวิทยาศาสตร์"]
        with pytest.raises(ValueError):
            await repo.update(a.id, practice.number, network_id=2, now=NOW)


async def test_useful_once_per_member_and_the_weeks_new_practices(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = PracticeRepo(conn)
        first = await share(repo, a.id, "หนึ่ง", author_id=kru.id)
        second = await share(repo, a.id, "สอง", minutes=60 * 24 * 8)
        assert await repo.react(a.id, first.id, pim.id, now=NOW)
        assert not await repo.react(a.id, first.id, pim.id, now=NOW)  # one per member
        assert await repo.react(a.id, first.id, kru.id, now=NOW)
        assert await repo.reactions(a.id, [first.id, second.id], member_id=pim.id) == {
            first.id: (2, True), second.id: (0, False)}
        assert await repo.reactions(b.id, [first.id]) == {first.id: (0, False)}  # another network's view
        assert await repo.unreact(a.id, first.id, pim.id) and not await repo.unreact(a.id, first.id, pim.id)
        assert (await repo.reactions(a.id, [first.id], member_id=pim.id))[first.id] == (1, False)
        week = await repo.created_between(a.id, NOW - timedelta(days=1), NOW + timedelta(days=6))
        assert [p.title for p in week] == ["หนึ่ง"]
        assert [p.title for p in await repo.recent(a.id)] == ["สอง", "หนึ่ง"]
        assert [p.title for p in await repo.recent(a.id, author_id=kru.id)] == ["หนึ่ง"]


# ------------------------------------------------------------------ offers


async def offer(conn: Any, network_id: int, member_id: int, resource_type: str, quantity: str, unit: str,
                until: date, *, available_from: date | None = None, skill: str | None = None) -> Any:
    return await OfferRepo(conn).add(network_id, member_id=member_id, organisation_id=None,
                                     resource_type=resource_type, source_sector="private", description="",
                                     quantity=Decimal(quantity), unit=unit, skill=skill, place="ขอนแก่น",
                                     available_from=available_from, available_until=until, now=NOW)


async def test_open_offers_by_type_and_expiry(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = OfferRepo(conn)
        tablets = await offer(conn, a.id, pim.id, "technology", "10", "เครื่อง", TODAY + timedelta(days=30))
        money = await offer(conn, a.id, pim.id, "funding", "5000", "THB", TODAY + timedelta(days=3))
        past = await offer(conn, a.id, pim.id, "funding", "100", "THB", TODAY - timedelta(days=1))
        await offer(conn, b.id, zed.id, "funding", "9", "THB", TODAY + timedelta(days=3))
        assert [o.number for o in await repo.open_offers(a.id, TODAY)] == [money.number, tablets.number]
        assert [o.number for o in await repo.open_offers(a.id, TODAY, resource_type="technology")] == [1]
        assert money.member_name == "Pim" and money.quantity == Decimal("5000.00") and money.place == "ขอนแก่น"
        assert await repo.expire_due(a.id, TODAY, now=NOW) == [past.number]
        assert await repo.expire_due(a.id, TODAY, now=NOW) == []
        assert (await repo.get(a.id, past.number)).status == "expired"  # type: ignore[union-attr]
        assert await repo.mark_used(a.id, tablets.number, now=NOW)
        assert not await repo.mark_used(a.id, tablets.number, now=NOW)
        assert not await repo.mark_used(b.id, money.number + 5, now=NOW)
        assert [o.number for o in await repo.open_offers(a.id, TODAY)] == [money.number]
        assert [o.member_name for o in await repo.open_offers(b.id, TODAY)] == ["Zed"]


async def test_an_offer_is_taken_in_parts_until_nothing_is_left(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        repo = OfferRepo(conn)
        hours = await offer(conn, a.id, pim.id, "volunteer", "30", "hours", TODAY + timedelta(days=30))
        assert await repo.take(b.id, hours.number, Decimal(5), now=NOW) is None  # another network's number
        assert await repo.take(a.id, hours.number, Decimal("20.5"), now=NOW) == Decimal("9.5")
        assert (await repo.get(a.id, hours.number)).status == "open"  # type: ignore[union-attr]
        assert await repo.take(a.id, hours.number, Decimal(10), now=NOW) is None  # more than is left
        assert await repo.take(a.id, hours.number, Decimal("9.5"), now=NOW) == Decimal(0)
        left = await repo.get(a.id, hours.number)
        assert left is not None and (left.status, left.quantity) == ("used", Decimal(0))
        assert await repo.take(a.id, hours.number, Decimal(1), now=NOW) is None
        assert await repo.open_offers(a.id, TODAY) == []


async def test_offers_matched_to_a_need_enough_or_partial(db: Database) -> None:
    async with db.transaction() as conn:
        a, b, school, kru, pim, zed = await two_networks(conn)
        needs = NeedRepo(conn)
        need = await needs.add(a.id, organisation_id=school.id, posted_by=kru.id, resource_type="technology",
                               description="แท็บเล็ตสำหรับห้องคอม", target=Decimal(40), unit="เครื่อง",
                               needed_by=TODAY + timedelta(days=20), now=NOW)
        await PledgeRepo(conn).add(a.id, need_id=need.id, pledger_id=pim.id, resource_type="technology",
                                   source_sector="private", amount=Decimal(10), unit="เครื่อง",
                                   expected_date=TODAY, note=None, now=NOW)
        big = await offer(conn, a.id, pim.id, "technology", "50", "เครื่อง", TODAY + timedelta(days=60))
        small = await offer(conn, a.id, pim.id, "technology", "5", "เครื่อง", TODAY + timedelta(days=5))
        await offer(conn, a.id, pim.id, "technology", "99", "ชุด", TODAY + timedelta(days=60))  # another unit
        await offer(conn, a.id, pim.id, "materials", "99", "เครื่อง", TODAY + timedelta(days=60))  # another type
        await offer(conn, a.id, pim.id, "technology", "99", "เครื่อง", TODAY + timedelta(days=60),
                    available_from=TODAY + timedelta(days=21))  # only after the needed-by date
        await offer(conn, b.id, zed.id, "technology", "99", "เครื่อง", TODAY + timedelta(days=60))  # network B
        fits = await OfferRepo(conn).for_need(a.id, need, TODAY)
        assert [(f.offer.number, f.coverage, f.covers, f.remaining) for f in fits] == [
            (big.number, "enough", Decimal(30), Decimal(30)), (small.number, "partial", Decimal(5), Decimal(30))]
        assert await OfferRepo(conn).for_need(b.id, need, TODAY) == []
        # From the offer's side: the open needs it fits.
        back = await OfferRepo(conn).needs_for(small, TODAY)
        assert [(f.need.id, f.coverage) for f in back] == [(need.id, "partial")]
        # Fully pledged needs want nothing more.
        await PledgeRepo(conn).add(a.id, need_id=need.id, pledger_id=pim.id, resource_type="technology",
                                   source_sector="private", amount=Decimal(30), unit="เครื่อง",
                                   expected_date=TODAY, note=None, now=NOW)
        assert await OfferRepo(conn).for_need(a.id, need, TODAY) == []
        assert await OfferRepo(conn).needs_for(big, TODAY) == []


async def test_the_search_benchmark_runs_on_tiny_data(capsys: pytest.CaptureFixture[str]) -> None:
    from bench.knowledge_search import QUERIES, main

    assert await main(["--practices", "300", "--networks", "2", "--repeats", "1", "--engine", "sqlite"]) == 0
    out = capsys.readouterr().out
    assert "== SQLite: 300 practices" in out and "search terms, 2 network(s)" in out
    rows = [line for line in out.splitlines() if line.strip().startswith(QUERIES[0] + " ")]
    assert len(rows) == 1 and rows[0].rstrip().endswith("x")
    assert "all queries: median" in out and "LIKE scan median" in out
