"""One person, several networks: ``/network`` lists a member's networks (their role in each)
and switches the one their private chat acts on.

A group chat always acts on the network it is linked to; a private chat on the current network,
which every card there names when the person is in more than one (bot/context.py). The switch is
a row in ``current_networks``; memberships themselves never change here.
"""

from __future__ import annotations

from bot.context import MemberContext
from bot.i18n import N_
from bot.model import Text
from bot.router import Router, Where
from storage.membership import MemberRepo

ORDER = 11
router = Router()


@router.command("network", "เครือข่าย", where=Where.PRIVATE,
                help=N_("Your networks: see them and switch the one I work in"))
async def networks_command(ctx: MemberContext) -> None:
    await ctx.reply(await networks_list(ctx))


@router.button("nets", where=Where.PRIVATE)
async def networks_button(ctx: MemberContext) -> None:
    await ctx.reply(await networks_list(ctx))


async def networks_list(ctx: MemberContext) -> Text:
    mine = await ctx.repo(MemberRepo).memberships(ctx.member.platform, ctx.member.platform_user_id)
    lines = [ctx.t("Your networks ({count}):", count=len(mine))]
    buttons = []
    for member, network in mine:
        here = network.id == ctx.network.id
        line = ctx.t("{network}: {role}", network=network.name, role=ctx.t(member.role))
        lines.append(("▶ " if here else "• ") + line + (" " + ctx.t("(now)") if here else ""))
        if not here:
            buttons.append([ctx.button(ctx.t("Work in {network}", network=network.name), "netsw", network.id)])
    if buttons:
        lines.append(ctx.t("I work in {network} now. To work in another network, tap its button.",
                           network=ctx.network.name))
    else:
        lines.append(ctx.t("An invite code from another network's coordinator adds that network here (/join CODE)."))
    return Text("\n".join(lines), buttons=buttons)


@router.button("netsw", where=Where.PRIVATE)
async def switch_network(ctx: MemberContext) -> None:
    network_id = ctx.payload.int_arg(0)
    members = ctx.repo(MemberRepo)
    target = next(((m, n) for m, n in await members.memberships(ctx.member.platform, ctx.member.platform_user_id)
                   if n.id == network_id), None)
    if target is None:  # a forged button, or a membership that ended since the list was shown
        await ctx.say(ctx.t("You are not a member of that network (any more). See /network."))
        return
    member, network = target
    if network.id == ctx.network.id:
        await ctx.say(ctx.t("I already work in {network} for you.", network=network.name))
        return
    await members.set_current(member.platform, member.platform_user_id, network.id, now=ctx.now)
    await ctx.audit("switch", "network", network.id, previous=ctx.network.id)
    ctx.member, ctx.network = member, network
    await ctx.reply(Text(ctx.t("I work in {network} for you now, where you are a {role}. "
                               "Commands in this chat act on it; groups act on the network they are linked to.",
                               network=network.name, role=ctx.t(member.role)),
                         buttons=[[ctx.button(ctx.t("My networks"), "nets"), ctx.button(ctx.t("Help"), "help")]]))
