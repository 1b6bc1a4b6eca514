"""Answers that must never be posted in a group (invite codes, member lists): in a group
they go to the sender's private chat, and the group only hears that they were sent."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.context import Context
from bot.delivery_policy import Urgency
from bot.i18n import Translator
from bot.model import Reply
from storage.membership import ChatRepo, Member


async def reachable_privately(ctx: Context, member: Member) -> bool:
    """True when the bot can message ``member`` privately: they opened a private chat
    (Telegram: pressed Start; LINE: added the bot) and have not blocked it since."""
    if not member.reachable:
        return False
    chat = await ctx.repo(ChatRepo).private_chat_of(member.platform, member.platform_user_id)
    return chat is not None and chat.active


async def ask_for_private_chat(ctx: Context) -> None:
    await ctx.reply(ctx.t("I can only send this to you in a private chat, and I cannot reach you privately yet. "
                          "Please open a private chat with me (LINE: add me as a friend; Telegram: press Start), "
                          "then send the command there."))


async def answer_privately(ctx: Context, render: Callable[[Translator], Sequence[Reply]], *, key: str) -> None:
    """Reply in a private chat; from a group, push to the sender privately and tell the group.

    The caller checks :func:`reachable_privately` first when the answer must not exist
    unless it can be delivered (an invite code).
    """
    if ctx.event.is_private:
        for reply in render(ctx.t):
            await ctx.reply(reply)
        return
    assert ctx.member is not None
    # The sender is waiting for it: it goes at once.
    if await ctx.push_member(ctx.member, render, key=key, urgency=Urgency.URGENT):
        await ctx.reply(ctx.t("{name}, I sent it to you in our private chat.", name=ctx.member.display_name))
    else:
        await ask_for_private_chat(ctx)
