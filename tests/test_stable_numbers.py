"""Numbers are never reused (issue 13, behaviour 1): every numbered item keeps its number for ever
within its network, and a button on a deleted item says so and acts on nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from bot.payload import encode
from storage.activities import activities
from storage.db import Database
from storage.migrations.runner import alembic_config, upgrade_to_heads
from tests.support.activities import said, send
from tests.support.conversation import Conversation


async def test_a_deleted_activity_keeps_its_number_and_its_old_buttons_act_on_nothing(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" 10 คน')
    await bot("bob@dm: [Delete]")
    assert "ลบกิจกรรม #1 แล้ว" in await bot("bob@dm: [Yes, delete]")
    assert "✅ บันทึกกิจกรรม #2 แล้ว" in await bot('bob@dm: /log อบรม วันนี้ "โครงงานวิทยาศาสตร์" 20 คน')
    # The first card's buttons still name the deleted activity: they say so and touch nothing.
    for action in ("aco", "acd", "acx"):
        assert "ไม่พบกิจกรรมนี้แล้ว" in said(await send(bot, "bob", payload=encode(action, 1)))
    async with bot.app.db.transaction() as conn:
        titles = (await conn.execute(sa.select(activities.c.title))).scalars().all()
    assert titles == ["โครงงานวิทยาศาสตร์"]
    assert "#2 " in await bot("bob@dm: /activities")


async def test_each_network_counts_its_own_items_from_one(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("bob@dm: /org โรงเรียนบ้านหนองบัว")
    await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" 10 คน')
    await bot("bob@dm: /need", "bob@dm: [materials/equipment]", "bob@dm: โปรเจกเตอร์", "bob@dm: 2 เครื่อง",
              "bob@dm: 15/1/2570", "bob@dm: [Post]")
    await bot("alice@dm: /pledge 1", "alice@dm: 1 เครื่อง", "alice@dm: [private sector]", "alice@dm: [Today]",
              "alice@dm: [Confirm pledge]")
    # A second network: its first activity, need and pledge are #1, not the next row's id.
    await bot("zed@dm: /newnetwork เครือข่ายใต้", "zed@dm: [Join as coordinator]", "zed@south: /linkgroup")
    await bot("zed@dm: /invite teacher")
    await bot(f"ben@dm: /join {bot.last_code()}", "ben@dm: [Agree and register]", "ben@dm: /org โรงเรียนบูรพา")
    await bot('bob@dm: /log อบรม วันนี้ "อบรมครั้งที่สอง" 10 คน')
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in await bot('ben@dm: /log อบรม วันนี้ "อบรมบูรพา" 10 คน')
    out = await bot("ben@dm: /need", "ben@dm: [materials/equipment]", "ben@dm: แท็บเล็ต",
                    "ben@dm: 40 เครื่อง", "ben@dm: 15/1/2570", "ben@dm: [Post]")
    assert "ประกาศความต้องการ #1" in out
    out = await bot("zed@dm: /pledge 1", "zed@dm: 10 เครื่อง", "zed@dm: [private sector]", "zed@dm: [Today]",
                    "zed@dm: [Confirm pledge]")
    assert "ร่วมสนับสนุน #1 แท็บเล็ต (โรงเรียนบูรพา)" in out and "บันทึกการแจ้งความประสงค์สนับสนุน #1 แล้ว" in out
    assert "#1 · 10 เครื่อง" in await bot("zed@dm: /pledges")


async def test_existing_rows_keep_their_numbers_and_the_counters_start_after_them(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    for head in ("0007_counters", "0002_activities", "0003_surveys", "0004_outbox"):  # before 0008_numbers
        await asyncio.to_thread(command.upgrade, alembic_config(url), head)
    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    db = Database(url)
    try:
        async with db.transaction() as conn:
            for network in (1, 2):
                await conn.execute(sa.text("INSERT INTO networks (id, name, settings, created_at) "
                                           "VALUES (:id, :name, '{}', :now)"), {"id": network, "name": f"N{network}",
                                                                                 "now": now})
            # Ids 1 and 3 in network 1 (2 was deleted), 4 in network 2: what members saw as #1, #3, #4.
            for activity_id, network in ((1, 1), (3, 1), (4, 2)):
                await conn.execute(sa.text(
                    "INSERT INTO activities (id, network_id, title, category, aim, activity_date, has_photo, "
                    "created_at) VALUES (:id, :network, 'old', 'workshop', 'innovation', '2026-11-20', 0, :now)"),
                    {"id": activity_id, "network": network, "now": now})
        await db.dispose()
        await asyncio.to_thread(upgrade_to_heads, url)
        db = Database(url)
        from storage.activity_repo import ActivityRepo

        async with db.transaction() as conn:
            numbers = (await conn.execute(sa.select(activities.c.id, activities.c.number)
                                          .order_by(activities.c.id))).all()
            assert [tuple(r) for r in numbers] == [(1, 1), (3, 3), (4, 4)]
            fresh = await ActivityRepo(conn).add(1, author_id=None, organisation_id=None, title="new",
                                                 category="workshop", aim="innovation",
                                                 activity_date=now.date(), participants=None, minutes=None,
                                                 notes=None, now=now)
            other = await ActivityRepo(conn).add(2, author_id=None, organisation_id=None, title="new",
                                                 category="workshop", aim="innovation",
                                                 activity_date=now.date(), participants=None, minutes=None,
                                                 notes=None, now=now)
            assert (fresh.number, other.number) == (4, 5)
            assert fresh.id == 5 and other.id == 6  # ids are never handed out twice either
    finally:
        await db.dispose()
