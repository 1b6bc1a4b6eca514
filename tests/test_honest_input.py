"""Nothing wrong is stored without a word, and the natural answer works (issue 13, behaviour 2
and 3): the one-line /log checks what the guided one checks and says what was expected, words
it cannot place are echoed back, amounts are read with their units, and names have limits."""

from __future__ import annotations

import sqlalchemy as sa

from storage.activities import activities
from storage.tables import networks
from tests.support.conversation import Conversation


async def teacher(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")


async def stored(bot: Conversation, table: sa.Table) -> int:
    async with bot.app.db.transaction() as conn:
        return int((await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar_one())


async def test_the_one_line_log_refuses_what_the_guided_one_refuses_and_says_why(bot: Conversation) -> None:
    await teacher(bot)
    out = await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" -5 คน')
    assert "จำนวนผู้เข้าร่วมต้องอยู่ระหว่าง 1 ถึง 100,000" in out
    assert "จำนวนชั่วโมงต้องมากกว่าศูนย์" in await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" 10 คน -3 ชม.')
    assert "ยังว่างอยู่" in await bot('bob@dm: /log อบรม วันนี้ "" 10 คน')
    out = await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" 1000000000000 คน')
    assert "จำนวนผู้เข้าร่วมต้องอยู่ระหว่าง 1 ถึง 100,000" in out and "จำนวนเต็ม" not in out
    # Words that fit nowhere are echoed back, not dropped.
    out = await bot('bob@dm: /log อบรม วันนี้ "สื่อการสอน" 10 คน ที่ห้องสมุดโรงเรียน 35')
    assert "“ที่ห้องสมุดโรงเรียน 35”" in out
    assert await stored(bot, activities) == 0


async def test_the_guided_log_accepts_the_number_with_its_unit(bot: Conversation) -> None:
    await teacher(bot)
    await bot("bob@dm: /log", "bob@dm: อบรมสื่อการสอน", "bob@dm: อบรม")
    await bot("bob@dm: [Yesterday]")
    assert "มีผู้เข้าร่วมกี่คน" in await bot("bob@dm: [Skip]")  # no organisation
    assert "กี่ชั่วโมง" in await bot("bob@dm: 35 คน")
    assert "บันทึกเพิ่มเติม" in await bot("bob@dm: 3 ชม.")
    await bot("bob@dm: [Skip]", "bob@dm: [Skip]")
    out = await bot("bob@dm: [Save]")
    assert "ผู้เข้าร่วม: 35" in out and "ระยะเวลา: 3 ชั่วโมง" in out


async def test_a_network_name_has_the_same_limit_in_one_line_as_step_by_step(bot: Conversation) -> None:
    out = await bot("alice@dm: /newnetwork " + "ก" * 5000)
    assert "กรุณาส่งชื่อความยาว 1 ถึง 200 ตัวอักษร" in out and "สร้างเครือข่าย" not in out
    assert await stored(bot, networks) == 0
