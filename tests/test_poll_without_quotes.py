"""``/poll`` without quotes (issue 13, behaviour 7): where the split is clear it is understood
and previewed; otherwise the answer shows the quoted form."""

from __future__ import annotations

from tests.support.conversation import Conversation


async def test_a_poll_without_quotes_is_previewed_then_posted(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    out = await bot("alice@parents: /poll วันไหนดี เสาร์ | อาทิตย์")
    assert "อย่างน้อย 2 ตัวเลือก" not in out
    assert "คำถาม: วันไหนดี" in out and "1. เสาร์" in out and "2. อาทิตย์" in out
    assert '/poll "วันไหนดี" เสาร์ | อาทิตย์' in out and "📊" not in out  # nothing posted before the check
    out = await bot("alice@parents: [ประกาศ]")
    assert "📊" in out and "วันไหนดี" in out and "[เสาร์]" in out and "[อาทิตย์]" in out
    # Cancel posts nothing.
    await bot("alice@parents: /poll ไปไหนดี ทะเล | ภูเขา")
    assert "ไม่มีการบันทึก" in await bot("alice@parents: [ยกเลิก]")
    assert "ไปไหนดี" not in await bot("alice@parents: /results")


async def test_a_poll_whose_split_is_not_clear_gets_the_quoted_form(bot: Conversation) -> None:
    await bot.setup_network("alice", "parents")
    out = await bot("alice@parents: /poll วันไหนดีเสาร์ | อาทิตย์")
    assert "อย่างน้อย 2 ตัวเลือก" in out
    assert '/poll "วันไหนดีเสาร์" อาทิตย์ | …' in out
    # The written forms keep working as before: quoted, and the question before the first |.
    assert "📊" in await bot('alice@parents: /poll "ไปไหนดี" ทะเล | ภูเขา')
    assert "📊" in await bot("alice@parents: /poll ไปไหนดี | ทะเล | ภูเขา")
