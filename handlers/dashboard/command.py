"""``/dashboard`` (แดชบอร์ด): a one-time sign-in link to the web view, always in the private chat."""

from __future__ import annotations

from bot.context import MemberContext
from bot.i18n import N_
from bot.model import Text
from bot.roles import Role
from bot.router import Router
from handlers._private import answer_privately, ask_for_private_chat, reachable_privately
from handlers.dashboard.auth import LINK_MINUTES, login_url, new_link
from storage.webview import WebAuthRepo

router = Router()

# Parents have no page of their own yet: the web view is for the network's staff and partners.
VIEWERS = {Role.COORDINATOR, Role.TEACHER, Role.PARTNER}


@router.command("dashboard", "แดชบอร์ด", roles=VIEWERS,
                help=N_("A sign-in link to the network's web view (charts, tables, exports)"))
async def dashboard(ctx: MemberContext) -> None:
    if not ctx.app.settings.public_url.strip():
        await ctx.reply(ctx.t("The web view is not set up on this server yet (EDUNET_PUBLIC_URL is empty). "
                              "Please tell the person who runs the bot."))
        return
    if not ctx.event.is_private and not await reachable_privately(ctx, ctx.member):
        await ask_for_private_chat(ctx)  # a sign-in link is a secret: never posted in a group
        return
    token, _expires = await new_link(ctx.repo(WebAuthRepo), ctx.app.settings, ctx.member, ctx.now)
    await ctx.audit("create", "web_login_link", ctx.member.id)
    link = login_url(ctx.app.settings, token)
    await answer_privately(ctx, lambda t: [Text(t(
        "Your sign-in link to the web view of {network}: {link}\n"
        "It works once, within {minutes} minutes. Do not forward it: whoever opens it signs in as you.",
        network=ctx.network.name, link=link, minutes=LINK_MINUTES))], key=f"dashboard:{token[:12]}")
