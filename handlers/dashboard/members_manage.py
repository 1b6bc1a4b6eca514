"""Remove a member and re-invite a removed one from the web view (coordinators; CSRF-checked by the guard).

The same rules and storage calls as /remove and /invite in the chat (``handlers.membership``): the last
coordinator cannot be removed, a removal blocks registering again from a group, and a re-invite is a
one-use invite code for the member's old role, valid 7 days, whose use lifts the block. The code is shown
on the coordinator's page only (the page is never cached); it is never sent to a group.
"""

from __future__ import annotations

from aiohttp import web

from bot.roles import Role, parse_role
from handlers.dashboard.web import MANAGE, PageRequest, Route, redirect
from handlers.dashboard.webctx import web_context
from handlers.membership import create_invite, remove_membership, show_code
from storage.blocks import BlockRepo
from storage.membership import Member, MemberRepo

INVITE_DAYS = 7


async def _member(page: PageRequest) -> Member | None:
    raw = page.request.match_info.get("number", "")
    return await MemberRepo(page.conn).by_number(page.network.id, int(raw)) if raw.isdigit() else None


async def remove(page: PageRequest) -> web.StreamResponse:
    t = page.t
    member = await _member(page)
    if member is None or member.status != "active":
        return page.render("message.html", title=t("Not found"),
                           text=t("There is no member {n} in this network.", n=page.request.match_info["number"]))
    if member.id == page.member.id:
        return page.render("message.html", title=t("Not changed"),
                           text=t("You cannot remove yourself here. Ask another coordinator, or send /forget."))
    if not await remove_membership(web_context(page), member, by=page.member):
        return page.render("message.html", title=t("Not changed"),
                           text=t("The network needs at least one coordinator. Promote someone else first."))
    return redirect(f"{page.base}/members?removed={member.number}")


async def reinvite(page: PageRequest) -> web.StreamResponse:
    t = page.t
    raw = page.request.match_info.get("number", "")
    member = next((m for m in await BlockRepo(page.conn).blocked_members(page.network.id)
                   if str(m.number) == raw), None)  # removed memberships (by_number finds only active ones)
    if member is None:
        return page.render("message.html", title=t("Not found"),
                           text=t("Member {n} has not been removed, so there is no one to invite again.",
                                  n=page.request.match_info["number"]))
    role = parse_role(page.form.get("role", "")) or parse_role(member.role) or Role.PARENT
    ctx = web_context(page)
    code, expires = await create_invite(ctx, page.member, role, 1, INVITE_DAYS)
    return page.render("invite.html", page_name="members", name=member.display_name, number=member.number,
                       code=show_code(code), role=page.t(role.value), until=t.date(ctx.local(expires).date()))


ROUTES: tuple[Route, ...] = (
    Route("POST", "/members/{number}/remove", remove, MANAGE),
    Route("POST", "/members/{number}/invite", reinvite, MANAGE),
)
