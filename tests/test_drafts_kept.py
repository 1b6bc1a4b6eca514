"""Drafts are not thrown away (issue 13, behaviour 4): a command in the middle of a flow answers,
then offers to go on with the draft or drop it; the draft stays until it expires."""

from __future__ import annotations

import sqlalchemy as sa

from storage.activities import activities
from tests.support.conversation import Conversation


async def test_a_command_in_the_middle_of_log_answers_and_the_draft_goes_on(bot: Conversation) -> None:
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("bob@dm: /log", "bob@dm: อบรมสื่อการสอน", "bob@dm: อบรม")
    out = await bot("bob@dm: /me")
    assert "Bob" in out  # the command answered
    assert "[ทำต่อ] [ยกเลิก]" in out and "ร่างที่ทำค้างไว้" in out
    assert "จัดเมื่อวันที่เท่าไร" in await bot("bob@dm: [ทำต่อ]")  # the question where it stopped
    await bot("bob@dm: [Yesterday]", "bob@dm: [Skip]", "bob@dm: 35", "bob@dm: 3", "bob@dm: [Skip]",
              "bob@dm: [Skip]")
    assert "✅ บันทึกกิจกรรม #1 แล้ว" in await bot("bob@dm: [Save]")
    async with bot.app.db.transaction() as conn:
        assert (await conn.execute(sa.select(activities.c.title))).scalars().all() == ["อบรมสื่อการสอน"]


async def test_the_kept_draft_can_be_dropped_and_expires(bot: Conversation) -> None:
    await bot.setup_network()
    await bot("alice@dm: /survey", "alice@dm: ความพึงพอใจ")
    assert "[ทำต่อ] [ยกเลิก]" in await bot("alice@dm: /help")
    assert "ยกเลิกแล้ว" in await bot("alice@dm: [ยกเลิก]")
    assert "ไม่มีรายการที่ต้องยกเลิก" in await bot("alice@dm: /cancel")
    # A kept draft lasts as long as any unfinished conversation, not longer.
    await bot("alice@dm: /survey", "alice@dm: ความพึงพอใจ", "alice@dm: /me")
    await bot(":clock +25h")  # a survey draft is kept for 24 hours
    assert "หมดอายุ" in await bot("alice@dm: [ทำต่อ]")
