"""Holes found by trying the bot from outside: secrets and rosters in groups, rejoining
after removal, huge numbers, control characters in names."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timezone

import pytest

from storage.blocks import BlockRepo
from storage.db import Database
from storage.membership import MemberRepo, NetworkRepo
from tests.support.conversation import Conversation, make_conversation

CODE = re.compile(r"\b[A-Z2-9]{4}-[A-Z2-9]{4}\b")


def group_lines(out: str, group: str) -> str:
    """What the bot said in ``group`` (continuation lines included)."""
    said, inside = [], False
    for line in out.split("\n"):
        if line.startswith("bot@"):
            inside = line.startswith(f"bot@{group} ")
        if inside:
            said.append(line)
    return "\n".join(said)


# ------------------------------------------------------------------ 1. invite codes only privately


async def test_invite_in_a_group_is_sent_privately_and_never_posted(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot("alice@teachers: /invite coordinator 10")
    in_group = group_lines(out, "teachers")
    assert "ส่งให้คุณทางแชตส่วนตัวแล้ว" in in_group
    assert not CODE.search(in_group), in_group
    private = group_lines(out, "dm:alice")
    assert "รหัสเชิญสำหรับผู้ประสานงาน" in private and CODE.search(private)
    assert "ลงทะเบียนเป็นผู้ประสานงาน" in await bot(f"bob@dm: /join {bot.last_code()}", "bob@dm: [Agree and register]")


async def test_invite_in_a_group_without_a_private_chat_creates_no_code(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("pim@teachers: [Register]")  # registered in the group: no private chat yet
    await bot("alice@dm: /role 2 coordinator")
    codes_before = len(CODE.findall(bot.transcript))
    out = await bot("pim@teachers: /invite teacher")
    assert "เปิดแชตส่วนตัวกับบอต" in out
    assert len(CODE.findall(bot.transcript)) == codes_before  # no code shown anywhere
    await bot("pim@dm: /start")  # Pim opens a private chat
    out = await bot("pim@teachers: /invite teacher")
    assert "ส่งให้คุณทางแชตส่วนตัวแล้ว" in group_lines(out, "teachers")
    assert "รหัสเชิญสำหรับครู" in group_lines(out, "dm:pim")
    assert "ลงทะเบียนเป็นครู" in await bot(f"bob@dm: /join {bot.last_code()}", "bob@dm: [Agree and register]")


async def test_invite_in_a_private_chat_is_answered_there(bot: Conversation) -> None:
    await bot.setup_network()
    out = await bot("alice@dm: /invite teacher")
    assert "รหัสเชิญสำหรับครู" in group_lines(out, "dm:alice") and CODE.search(out)


# ------------------------------------------------------------------ 2. the roster only privately


async def test_members_in_a_group_is_a_count_and_the_roster_stays_private(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("pim@teachers: [Register]", "alice@dm: /org โรงเรียนบ้านหนองบัว")
    out = await bot("alice@teachers: /members")
    assert "เครือข่ายนี้มีสมาชิก 3 คน — ดูรายชื่อได้ในแชตส่วนตัว" in out
    assert not any(word in out for word in ("Bob", "Pim", "ครู", "ผู้ปกครอง", "โรงเรียนบ้านหนองบัว"))
    out = await bot("alice@dm: สมาชิก")
    assert "2. Bob (ครู)" in out and "3. Pim (ผู้ปกครอง)" in out


# ------------------------------------------------------------------ 3. a removed member stays out


async def test_a_removed_parent_cannot_rejoin_with_one_tap_until_unblocked(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("pim@teachers: [Register]")
    assert "ลบ Pim ออกจากเครือข่ายแล้ว" in await bot("alice@dm: /remove 2")
    out = await bot("pim@teachers: [Register]")
    assert "ถูกลบออกจากเครือข่าย “เครือข่ายทดสอบ” แล้ว" in out and "ลงทะเบียนเป็นผู้ปกครองของ" not in out
    assert "ถูกลบออกจาก" in await bot("pim@teachers: /register")
    assert "ถูกลบและบล็อก" in await bot("alice@dm: /members") and "2. Pim" in bot.transcript
    assert "ไม่ได้ถูกบล็อก" in await bot("alice@dm: /unblock 1")
    assert "Pim ลงทะเบียนจากกลุ่มของเครือข่ายได้อีกครั้งแล้ว" in await bot("alice@dm: ปลดบล็อก 2")
    assert "Pim ลงทะเบียนเป็นผู้ปกครองของเครือข่าย “เครือข่ายทดสอบ” แล้ว" in await bot("pim@teachers: [Register]")
    assert "ถูกลบและบล็อก" not in await bot("alice@dm: /members")


async def test_a_fresh_invite_lets_a_removed_member_back(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("alice@dm: /remove 2")
    assert "ถูกลบออกจาก" in await bot("bob@teachers: /register")
    await bot.add_member("bob", "parent")  # /join with a fresh code works and lifts the block
    await bot("alice@dm: /remove 3")
    await bot("alice@dm: /invite teacher")
    await bot(f"bob@dm: /join {bot.last_code()}", "bob@dm: [Agree and register]")
    assert "ถูกลบและบล็อก" not in await bot("alice@dm: /members")


async def test_a_block_is_per_network(bot: Conversation) -> None:
    await bot.setup_network("alice", "teachers")
    await bot("pim@teachers: [Register]", "alice@dm: /remove 2")
    await bot.setup_network("zed", "riverside")
    assert "Pim ลงทะเบียนเป็นผู้ปกครองของเครือข่าย “เครือข่ายทดสอบ” แล้ว" in await bot("pim@riverside: [Register]")


async def test_blocks_are_durable_and_network_scoped_on_both_engines(db_url: str) -> None:
    now = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    db = Database(db_url)
    try:
        async with db.transaction() as conn:
            north = await NetworkRepo(conn).create("เหนือ", timezone="Asia/Bangkok", language="th", now=now)
            south = await NetworkRepo(conn).create("ใต้", timezone="Asia/Bangkok", language="th", now=now)
            pim = await MemberRepo(conn).add(north.id, platform="line", platform_user_id="U1", display_name="Pim",
                                             role="parent", language="th", now=now)
            await MemberRepo(conn).update(pim.id, status="removed")
            await BlockRepo(conn).block(pim, by_member_id=None, now=now)
            await BlockRepo(conn).block(pim, by_member_id=None, now=now)  # twice: still one block
        async with db.transaction() as conn:
            blocks = BlockRepo(conn)
            assert await blocks.is_blocked(north.id, "line", "U1")
            assert not await blocks.is_blocked(south.id, "line", "U1")
            assert not await blocks.is_blocked(north.id, "telegram", "U1")
            assert [m.display_name for m in await blocks.blocked_members(north.id)] == ["Pim"]
            assert await blocks.unblock_number(south.id, pim.number) is None
            unblocked = await blocks.unblock_number(north.id, pim.number)
            assert unblocked is not None and unblocked.id == pim.id
            assert not await blocks.is_blocked(north.id, "line", "U1")
    finally:
        await db.dispose()


# ------------------------------------------------------------------ 4. numbers beyond any range

HUGE = "99999999999999999999"


@pytest.fixture
async def any_engine_bot(db_url: str) -> AsyncIterator[Conversation]:
    """A conversation on SQLite and on PostgreSQL (when configured): overflows differ per engine."""
    conversation, app = await make_conversation(db_url, "telegram")
    yield conversation
    await app.close()


async def test_huge_numbers_get_a_clear_answer_never_a_crash(any_engine_bot: Conversation) -> None:
    bot = any_engine_bot
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    assert f"ไม่มีสมาชิกหมายเลข {HUGE}" in await bot(f"alice@dm: /remove {HUGE}")
    assert f"ไม่มีสมาชิกหมายเลข {HUGE}" in await bot(f"alice@dm: /role {HUGE} teacher")
    assert "ไม่มีสมาชิกหมายเลข" in await bot(f"alice@dm: /unblock ๙๙๙๙๙๙๙๙๙๙๙๙๙๙๙๙๙๙๙๙")
    assert "ตั้งแต่ 1 ถึง 1000" in await bot(f"alice@dm: /invite teacher {HUGE}")
    assert "ตั้งแต่ 1 ถึง 90" in await bot(f"alice@dm: /invite teacher 1 {HUGE}")
    for command in ("/results", "/closesurvey", "/exportsurvey", "/export survey"):
        assert "ไม่มีแบบสำรวจหรือโพลหมายเลข" in await bot(f"alice@dm: {command} {HUGE}"), command
    assert "ไม่พบประกาศ" in await bot(f"alice@dm: /announce report {HUGE}")
    assert f"#{HUGE}" in await bot(f"bob@dm: /pledge {HUGE}")
    out = await bot(f'bob@teachers: /log อบรม 20/11/2569 "ทดสอบ" {HUGE} คน 3 ชม.')
    assert "ขออภัย" not in out
    assert "ขออภัย" not in await bot(f"alice@dm: /settings reminders {HUGE}d")


# ------------------------------------------------------------------ 5. control characters in names

RLO, PDF, LRI, PDI, ZWSP, BOM = "\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\ufeff"
CONTROLS = (RLO, PDF, LRI, PDI, ZWSP, BOM, "\x07", "\u200c")


def assert_clean(out: str) -> None:
    assert not any(c in out for c in CONTROLS), ascii(out)


async def test_bidi_overrides_and_control_characters_are_stripped_from_names(bot: Conversation) -> None:
    out = await bot(f"alice@dm: /newnetwork {RLO}เครือข่าย{ZWSP}ทดสอบ{PDF}\x07")
    assert "“เครือข่ายทดสอบ”" in out
    await bot("alice@dm: [Join as coordinator]", "alice@teachers: /linkgroup")
    assert "โรงเรียนบ้านหนองบัว" in await bot(f"alice@dm: /org โรงเรียน{RLO}บ้าน{LRI}หนองบัว{PDI}")
    assert "โรงเรียนบ้านหนองบัว" in await bot("alice@dm: /me")
    out = await bot(f'alice@teachers: /log อบรม 20/11/2569 "สื่อ{RLO}การสอน{BOM}" 35 คน 3 ชม.')
    assert "สื่อการสอน" in out
    assert_clean(bot.transcript)


async def test_display_names_and_group_titles_from_the_platform_are_cleaned(bot: Conversation) -> None:
    from bot.model import ChatKind, ChatRef, Event, EventKind, Sender

    await bot.setup_network()
    platform = bot.console.platform
    event = Event(platform=platform, event_id="evil-1",
                  chat=ChatRef(platform, "group-teachers", ChatKind.GROUP, f"ครู{RLO}ม.1{PDF}"),
                  sender=Sender("mallory", display_name=f"Mal{RLO}lory{ZWSP}\nAdmin"), kind=EventKind.BUTTON,
                  payload="1|reg|n1")  # the Register button shown with the privacy notice
    outcome = await bot.app.handle(event)
    assert any("Mallory Admin ลงทะเบียนเป็นผู้ปกครอง" in str(r) for r in outcome.replies), outcome.replies
    out = await bot("alice@dm: /members")
    assert "2. Mallory Admin (ผู้ปกครอง)" in out
    assert_clean(out)
    async with bot.app.db.transaction() as conn:
        from storage.membership import ChatRepo

        chat = await ChatRepo(conn).by_platform_id(platform, "group-teachers")
    assert chat is not None and chat.title == "ครูม.1"
