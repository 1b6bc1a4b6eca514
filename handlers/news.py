"""/news (ข่าวล่าสุด, the rich menu's "What's new" tile): what is waiting for this chat, now, for free.

On a platform that bills pushes, notifications that can wait ride on the chat's next free reply
(bot/catchup.py). /news asks for that reply at once: the answer says how many are waiting and the
same reply carries them, whatever the catch-up interval.
"""

from __future__ import annotations

from bot.context import Context
from bot.i18n import N_
from bot.router import Router
from storage.deliveries import CatchUpRepo

ORDER = 15
router = Router()


@router.command("news", "ข่าวล่าสุด", member=False, help=N_("What's new: notifications waiting for you"))
async def news(ctx: Context) -> None:
    waiting = 0
    if ctx.chat.platform in ctx.app.billed_platforms:
        waiting = await ctx.repo(CatchUpRepo).pending_count(ctx.chat.id)
    if not waiting:
        await ctx.reply(ctx.t("Nothing new is waiting for you."))
        return
    ctx.catch_up_asked = True
    await ctx.reply(ctx.t("What's new ({n} waiting):", n=waiting))
