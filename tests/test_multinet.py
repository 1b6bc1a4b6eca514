"""One person, several networks: an invite adds a network, /network lists and switches, group
chats act on their own network, private cards name theirs, removal in one leaves the other, and
pushes of each network reach its own people."""

from __future__ import annotations

import sqlalchemy as sa

from bot.payload import encode
from storage.tables import members
from tests.support.activities import said, send
from tests.support.conversation import Conversation

A, B = "เครือข่ายอำเภอเมือง", "เครือข่ายมหาวิทยาลัย"


async def switch(bot: Conversation, user: str, network: str) -> None:
    out = await bot(f"{user}@dm: /network", f"{user}@dm: [ใช้ “{network}”]")
    assert f"สลับไปใช้เครือข่าย “{network}” แล้ว" in out, out


async def two_networks(bot: Conversation) -> None:
    """A (alice, group north) and B (zed, group south); tina is a teacher in A, then a parent in B."""
    for name, coordinator, group in ((A, "alice", "north"), (B, "zed", "south")):
        await bot(f"{coordinator}@dm: /newnetwork {name}", f"{coordinator}@dm: [Join as coordinator]",
                  f"{coordinator}@{group}: /linkgroup")
    await bot.add_member("tina", "teacher")
    await bot("zed@dm: /invite parent")
    out = await bot(f"tina@dm: /join {bot.last_code()}", "tina@dm: [Agree and register]")  # the notice's consent
    assert f"ยินดีต้อนรับสู่เครือข่าย “{B}” คุณลงทะเบียนเป็นผู้ปกครองแล้ว" in out
    assert f"ตอนนี้คุณเป็นสมาชิก 2 เครือข่าย บอตจะใช้งานเครือข่าย “{B}”" in out


async def test_an_invite_to_another_network_adds_it_and_network_switches(bot: Conversation) -> None:
    await two_networks(bot)
    out = await bot("tina@dm: /me")
    assert f"เครือข่าย: {B}" in out and "บทบาท: ผู้ปกครอง" in out  # the new network is the current one
    out = await bot("tina@dm: /network")
    assert f"• “{A}”: ครู" in out and f"▶ “{B}”: ผู้ปกครอง (ใช้งานอยู่)" in out
    out = await bot(f"tina@dm: [ใช้ “{A}”]")  # the button under /network's list
    assert f"สลับไปใช้เครือข่าย “{A}” แล้ว คุณเป็นครูในเครือข่ายนี้" in out
    out = await bot("tina@dm: /me")
    assert f"เครือข่าย: {A}" in out and "บทบาท: ครู" in out
    assert f"▶ “{A}”: ครู (ใช้งานอยู่)" in await bot("tina@dm: เครือข่าย")  # the Thai word, no slash
    # Her A membership was not moved: A's coordinator still lists her as a teacher; B's as a parent.
    assert "Tina (ครู)" in await bot("alice@dm: /members")
    assert "Tina (ผู้ปกครอง)" in await bot("zed@dm: /members")
    # The same code again changes nothing and keeps its use for someone else.
    await bot("alice@dm: /invite teacher 2")
    code = bot.last_code()
    assert f"คุณลงทะเบียนในเครือข่าย “{A}” แล้ว ในบทบาทครู" in await bot(f"tina@dm: /join {code}")
    assert "ลงทะเบียนเป็นครูแล้ว" in await bot(f"bob@dm: /join {code}", "bob@dm: [Agree and register]")


async def test_group_commands_act_on_the_groups_network_with_the_role_there(bot: Conversation) -> None:
    await two_networks(bot)  # her private chat is on B now, where she is a parent
    log = '/log อบรม 20/11/2569 "อบรมสื่อ" 10 คน 2 ชม.'
    assert "บันทึกแล้ว #1: อบรมสื่อ" in await bot(f"tina@north: {log}")  # a teacher in A's group
    out = await bot(f"tina@south: {log}")
    assert "บทบาทของคุณ: ผู้ปกครอง" in out and "บันทึก" not in out.split("บทบาทของคุณ")[0][-40:]
    assert "บทบาท: ผู้ปกครอง" in await bot("tina@south: /me")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot(f"tina@dm: {log}")  # her private chat acts on B


async def test_private_cards_name_their_network_for_people_in_several(bot: Conversation) -> None:
    await two_networks(bot)
    await switch(bot, "tina", A)
    out = await bot('tina@dm: /log อบรม 20/11/2569 "อบรมสื่อ" 10 คน 2 ชม.')
    assert f"[{A}]\n" in out and "#1 อบรมสื่อ" in out  # the card's header names the network
    out = await bot('alice@dm: /log อบรม 20/11/2569 "อบรมครู" 5 คน 1 ชม.')  # alice is only in A
    assert "#2 อบรมครู" in out and f"[{A}]" not in out
    out = await bot('tina@north: /log อบรม 20/11/2569 "อบรมกลุ่ม" 5 คน 1 ชม.')  # a group is one network
    assert "#3: อบรมกลุ่ม" in out and f"[{A}]" not in out


async def test_nothing_of_one_network_shows_through_the_other(bot: Conversation) -> None:
    await two_networks(bot)
    await bot('zed@dm: /log อบรม 20/11/2569 "อบรมบูรพา" 10 คน 2 ชม.')
    await switch(bot, "tina", A)
    await bot('tina@dm: /log อบรม 20/11/2569 "อบรมอรุณ" 10 คน 2 ชม.')
    out = await bot("tina@dm: /activities", "tina@dm: [เครือข่าย]")
    assert "อบรมอรุณ" in out and "อบรมบูรพา" not in out
    await switch(bot, "tina", B)
    out = await bot("tina@dm: /activities", "tina@dm: [เครือข่าย]")
    assert "อบรมบูรพา" in out and "อบรมอรุณ" not in out
    # Activity numbers are per network: #1 in B is B's, whichever button or number she uses.
    out = await bot("tina@dm: /activities", "tina@dm: [เครือข่าย]", "tina@dm: [#1]")
    assert "อบรมบูรพา" in out and "อบรมอรุณ" not in out
    # A forged switch to a network she is not in changes nothing.
    async with bot.app.db.transaction() as conn:
        other = (await conn.execute(sa.select(sa.func.max(members.c.network_id)))).scalar_one() + 1
    out = said(await send(bot, "tina", payload=encode("netsw", other)))
    assert "คุณไม่ได้เป็นสมาชิกของเครือข่ายนั้น" in out
    assert f"เครือข่าย: {B}" in await bot("tina@dm: /me")


async def test_removal_in_one_network_leaves_the_others(bot: Conversation) -> None:
    await two_networks(bot)
    out = await bot("zed@dm: /remove 2")
    assert "Tina" in out
    out = await bot("tina@dm: /me")  # B is gone: her private chat falls back to A
    assert f"เครือข่าย: {A}" in out and "บทบาท: ครู" in out
    out = await bot("tina@dm: /network")
    assert f"“{A}”: ครู" in out and B not in out
    assert "กลุ่มนี้เชื่อมกับเครือข่ายอื่น ซึ่งคุณไม่ได้เป็นสมาชิก" in await bot("tina@south: /me")
    assert "ถูกลบออกจากเครือข่าย" in await bot("tina@south: [Register]")  # blocked in B only
    assert "บทบาท: ครู" in await bot("tina@north: /me")
    # A removal in A (the last one) leaves her in no network at all.
    assert "Tina" in await bot("alice@dm: /remove 2")
    assert "ยังไม่ได้ลงทะเบียน" in await bot("tina@dm: /me")


async def test_registering_in_another_networks_group_adds_it_as_a_parent(bot: Conversation) -> None:
    await two_networks(bot)
    out = await bot("alice@south: [Register]")  # alice coordinates A
    assert f"Alice ลงทะเบียนเป็นผู้ปกครองของเครือข่าย “{B}” แล้ว" in out
    out = await bot("alice@dm: /me")  # her private chat stays on A
    assert f"เครือข่าย: {A}" in out and "บทบาท: ผู้ประสานงาน" in out
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot("alice@south: /members")
    assert "สมาชิก" in await bot("alice@north: /members")


async def test_a_draft_stays_with_the_network_it_was_started_in(bot: Conversation) -> None:
    await two_networks(bot)
    await switch(bot, "tina", A)
    await bot("tina@dm: /log")
    await switch(bot, "tina", B)
    out = await bot("tina@dm: อบรมสื่อ")
    assert f"ร่างที่ยังทำไม่เสร็จเป็นของเครือข่าย “{A}”" in out
    await switch(bot, "tina", A)
    out = await bot("tina@dm: [ทำต่อ]")
    assert "ร่างที่ยังทำไม่เสร็จ" not in out


async def test_each_networks_pushes_reach_its_own_people(bot: Conversation) -> None:
    await two_networks(bot)
    await bot('zed@dm: /log อบรม 20/11/2569 "อบรมบูรพา" 10 คน 2 ชม.')
    await bot('tina@north: /log อบรม 20/11/2569 "อบรมอรุณ" 10 คน 2 ชม.')
    await bot("zed@south: /meeting ประชุมบูรพา", "zed@south: 23/11/2569 14:00", "zed@south: [1.5 ชั่วโมง]",
              "zed@south: ห้องประชุม", "zed@south: [ไม่มีวาระ]", "zed@south: [ทุกกลุ่ม]", "zed@south: [สร้าง]")
    await bot("tina@south: [ไป]")  # a parent in B
    out = await bot(":clock 2026-11-22 14:00")
    assert "bot@dm:tina → ⏰ เตือนความจำ: “ประชุมบูรพา”" in out
    assert "bot@south → ⏰ เตือนความจำ" in out and "bot@north → ⏰" not in out
    out = await bot(":clock 2026-11-23 08:00")  # Monday: each group gets its own network's week
    assert f"bot@north → 📊 สรุปความคืบหน้า: {A}" in out and f"bot@south → 📊 สรุปความคืบหน้า: {B}" in out
    assert f"bot@north → 📊 สรุปความคืบหน้า: {B}" not in out and f"bot@south → 📊 สรุปความคืบหน้า: {A}" not in out
    assert "bot@dm:tina → 📊" not in out  # summaries go to groups
    out = await bot("zed@dm: /role 2 teacher")
    assert f"bot@dm:tina → บทบาทของคุณในเครือข่าย “{B}” ตอนนี้คือ: ครู" in out
    # Her private chat still acts on B (the push did not move her), and A still sees her as a teacher.
    assert "บทบาท: ครู" in await bot("tina@dm: /me") and f"เครือข่าย: {B}" in await bot("tina@dm: /me")


# ------------------------------------------------------------------ the migration keeps existing data

from tests.test_neutral_storage_migration import empty_url, timed  # noqa: E402,F401  (the fixture, both engines)


async def test_the_migration_makes_every_existing_membership_the_current_one(empty_url: str) -> None:  # noqa: F811
    import asyncio
    from concurrent.futures import ThreadPoolExecutor
    from datetime import datetime, timezone

    from alembic import command

    from storage.db import Database
    from storage.membership import MemberRepo
    from storage.migrations.runner import alembic_config, current_heads, upgrade_to_heads

    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:  # Alembic runs its own event loop
        heads = await loop.run_in_executor(pool, current_heads, empty_url)
        cfg = alembic_config(empty_url)
        for head in sorted(heads - {"0010_multinet"}):
            await loop.run_in_executor(pool, command.upgrade, cfg, head)
    db = Database(empty_url)
    try:
        async with db.transaction() as conn:
            await conn.execute(timed("INSERT INTO networks (name, timezone, language, settings, created_at) VALUES "
                                     "('A', 'Asia/Bangkok', 'th', '{}', :now), ('B', 'Asia/Bangkok', 'th', '{}', :now)",
                                     "now"), {"now": now})
            a, b = (await conn.execute(sa.text("SELECT id FROM networks ORDER BY id"))).scalars().all()
            for network, number, user, status in ((a, 1, "U1", "removed"), (b, 1, "U1", "active"),
                                                  (a, 2, "U2", "active")):
                await conn.execute(timed(
                    "INSERT INTO members (network_id, number, platform, platform_user_id, display_name, role, "
                    "language, status, reachable, joined_at) VALUES (:n, :number, 'line', :u, :u, 'teacher', 'th', "
                    ":s, :t, :now)", "now"), {"n": network, "number": number, "u": user, "s": status, "t": True,
                                              "now": now})
    finally:
        await db.dispose()
    with ThreadPoolExecutor(1) as pool:
        await loop.run_in_executor(pool, upgrade_to_heads, empty_url)
    db = Database(empty_url)
    try:
        async with db.transaction() as conn:
            rows = (await conn.execute(sa.text("SELECT platform_user_id, network_id FROM current_networks "
                                               "ORDER BY platform_user_id"))).all()
            assert [tuple(r) for r in rows] == [("U1", b), ("U2", a)]
            repo = MemberRepo(conn)
            assert (await repo.current("line", "U1")).network_id == b  # type: ignore[union-attr]
            await repo.add(b, platform="line", platform_user_id="U2", display_name="U2", role="parent",
                           language="th", now=now)  # a second network beside the first: allowed now
            assert (await repo.current("line", "U2")).network_id == a  # type: ignore[union-attr]
    finally:
        await db.dispose()


async def test_a_coordinator_of_two_networks_picks_the_one_a_new_group_links_to(bot: Conversation) -> None:
    await two_networks(bot)  # tina: a teacher in A, a parent in B
    await bot("zed@dm: /invite coordinator")
    await bot(f"alice@dm: /join {bot.last_code()}", "alice@dm: [Agree and register]")  # alice coordinates both
    out = await bot("alice@east: /linkgroup")
    assert "จะเชื่อมกลุ่มนี้กับเครือข่ายใด" in out and "เชื่อมกลุ่มนี้กับเครือข่าย “" not in out  # not linked yet
    # tina may see the buttons, but she coordinates neither network: the role is checked in the one she taps
    assert "บทบาทของคุณ: ครู" in await bot(f"tina@east: [{A}]")
    assert "บทบาทของคุณ: ผู้ปกครอง" in await bot(f"tina@east: [{B}]")
    out = await bot(f"alice@east: [{B}]")
    assert f"เชื่อมกลุ่มนี้กับเครือข่าย “{B}” แล้ว" in out
    assert f"กลุ่มนี้เชื่อมกับเครือข่าย “{B}” อยู่แล้ว" in await bot("zed@east: /linkgroup")
    # the other button is spent now that the group belongs to B
    assert "ปุ่มนี้หมดอายุแล้ว" in await bot(f"alice@east: [{A}]")
    # a coordinator of one network links at once, as before
    out = await bot("zed@west: /linkgroup")
    assert f"เชื่อมกลุ่มนี้กับเครือข่าย “{B}” แล้ว" in out
