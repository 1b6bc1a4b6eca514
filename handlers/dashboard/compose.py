"""The announcement composer of the web view (coordinators), and "share it myself" inside LINE.

A page composes an announcement as ``/announce`` does (same table, same limits, same audiences) and
then offers three ways out: the bot pushes it now, the bot delivers it free as groups talk (both
exactly as ``/announce`` does, :func:`handlers.announcements.queue`), or — inside the chat app, where
the platform has a share picker (LINE's ``liff.shareTargetPicker``) — the coordinator posts the
announcement's card into the chats they pick, as themselves, billed to nobody.

What a share records is what is known: the platform answers only "sent" or "closed", not which
chats. So a share marks the announcement sent, records "shared by X on DATE" (``announcement_shares``,
via ``share``) and queues nothing. The bot does not guess which chats the coordinator covered: the
announcement's page then lists the audience's chats and the coordinator ticks those the bot should
still deliver to (free as groups talk); chats on platforms without the picker are ticked already.
A closed picker records nothing, and the draft stays a draft.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import App
from bot.context import BaseContext
from bot.i18n import N_, Translator
from bot.roles import Role, parse_role
from handlers.announcements import (FREE_DELIVERY_WINDOW, MAX_TEXT, announcement_card, audience, audience_text,
                                    cost_text, queue, share_lines)
from handlers.dashboard.auth import Viewer
from handlers.dashboard.inapp import config_json, content_security_policy, in_app_platform, sdk_tag_type
from storage.announcement_shares import AnnouncementShareRepo
from storage.meetings import Announcement, AnnouncementRepo
from storage.membership import Chat, ChatRepo, Member, Network, OrganisationRepo

AUDIENCES = {"all": N_("All linked groups"), "groups": N_("Chosen groups"), "role": N_("Members of a role, privately"),
             "org": N_("Members of an organisation, privately")}
ROLES = (Role.COORDINATOR, Role.TEACHER, Role.PARENT, Role.PARTNER)


class PageRequest(Protocol):
    """What these pages use of :class:`handlers.dashboard.web.PageRequest` (the guard has checked the
    session, the network, the role and the form's CSRF token before a page runs)."""

    request: web.Request
    app: App
    conn: AsyncConnection
    viewer: Viewer
    network: Network
    t: Translator
    form: dict[str, str]
    after_commit: list[Callable[[], None]]

    @property
    def member(self) -> Member: ...

    @property
    def base(self) -> str: ...

    def render(self, template: str, **values: Any) -> web.Response: ...


class WebContext(BaseContext):
    """What the announcement functions need from a page: the transaction, the network, the clock, and
    who acts (for the audit log)."""

    def __init__(self, page: PageRequest) -> None:
        super().__init__(page.app, page.conn, page.network, page.member.language)
        self.member_id = page.member.id

    @property
    def actor_id(self) -> int | None:
        return self.member_id


def _redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def _json(values: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(values, status=status, headers={"Cache-Control": "no-store"})


async def _options(page: PageRequest) -> dict[str, Any]:
    return {"groups": await ChatRepo(page.conn).linked_groups(page.network.id),
            "organisations": await OrganisationRepo(page.conn).list(page.network.id),
            "roles": [(r.value, page.t(r.value)) for r in ROLES],
            "audiences": [(code, page.t(label)) for code, label in AUDIENCES.items()],
            "max_text": MAX_TEXT, "platform_label": _label(page)}


def _display_name(page: PageRequest, platform: str) -> str:
    info = page.app.platforms.get(platform)
    return info.display_name if info else platform.capitalize()


def _label(page: PageRequest) -> Any:
    return lambda chat: _display_name(page, chat.platform)


async def compose_form(page: PageRequest) -> web.StreamResponse:
    return page.render("compose.html", page_name="announce", error="", text="", chosen="all", **await _options(page))


async def compose(page: PageRequest) -> web.StreamResponse:
    """A new draft from the form: the same checks as /announce's questions, then its page."""
    t, form = page.t, page.form
    posted = await page.request.post()
    text = form.get("text", "").replace("\r\n", "\n").strip()
    kind = form.get("audience", "all")
    groups = {c.id for c in await ChatRepo(page.conn).linked_groups(page.network.id)}
    error = ""
    chosen_audience: dict[str, Any] = {"kind": "all"}
    if not 1 <= len(text) <= MAX_TEXT:
        error = t("Please send a text of 1 to {max} characters.", max=MAX_TEXT)
    elif kind == "groups":
        picked = sorted({int(str(v)) for v in posted.getall("group", []) if str(v).isdigit()} & groups)
        if not picked:
            error = t("Please choose at least one group.")
        chosen_audience = {"kind": "groups", "values": picked}
    elif kind == "role":
        role = parse_role(form.get("role", ""))
        if role is None:
            error = t("Please choose a role with the buttons.")
        else:
            chosen_audience = {"kind": "role", "values": [role.value]}
    elif kind == "org":
        raw = form.get("organisation", "")
        org = await OrganisationRepo(page.conn).get(page.network.id, int(raw)) if raw.isdigit() else None
        if org is None:
            error = t("Please choose an organisation with the buttons.")
        else:
            chosen_audience = {"kind": "org", "values": [org.id]}
    elif kind != "all":
        error = t("Please choose with the buttons.")
    if error:
        return page.render("compose.html", page_name="announce", error=error, text=text, chosen=kind,
                           **await _options(page))
    repo = AnnouncementRepo(page.conn)
    ann = await repo.create(page.network.id, text=text, created_by=page.member.id, now=page.app.clock.now())
    await repo.update_draft(page.network.id, ann.id, audience=chosen_audience)
    await WebContext(page).audit("create", "announcement", ann.id, via="web")
    return _redirect(f"{page.base}/announce/{ann.number}")


async def _announcement(page: PageRequest) -> Announcement | None:
    raw = page.request.match_info.get("number", "")
    return await AnnouncementRepo(page.conn).by_number(page.network.id, int(raw)) if raw.isdigit() else None


def _not_found(page: PageRequest) -> web.StreamResponse:
    return page.render("message.html", title=page.t("Not found"), text=page.t("No sent announcement found. Usage: /announce report [number]"))


async def announcement_page(page: PageRequest) -> web.StreamResponse:
    """The draft's preview with its ways out, or a sent announcement with what is known of its delivery."""
    t = page.t
    ann = await _announcement(page)
    if ann is None or ann.status == "cancelled":
        return _not_found(page)
    ctx = WebContext(page)
    groups, people = await audience(ctx, ann)
    chosen = in_app_platform(page.app)
    platform, in_app = chosen if chosen is not None else ("", None)
    card = announcement_card(t, ann, page.network.name)
    shares = await AnnouncementShareRepo(page.conn).of(page.network.id, ann.id)
    path = f"{page.base}/announce/{ann.number}"
    values: dict[str, Any] = {
        "ann": ann, "card": card, "audience": audience_text(t, groups, people, lambda p: _display_name(page, p)),
        "cost": await cost_text(ctx, groups, people), "shares": await share_lines(ctx, ann), "share": None,
        "groups": groups, "people": len(people), "platform": platform, "platform_label": _label(page),
        "platform_name": _display_name(page, platform) if platform else "",
        "notice": page.request.query.get("done", ""), "created": t.datetime(ctx.local(ann.created_at)),
        "free_by": t.datetime(ctx.local(ctx.now + FREE_DELIVERY_WINDOW)),
    }
    if ann.status == "draft" and in_app is not None and in_app.share_messages is not None:
        messages = await in_app.share_messages([card], t)
        config = {"mode": "share", "appId": in_app.app_id, "csrf": page.viewer.csrf, "reportUrl": f"{path}/shared",
                  "text": {"cancelled": t("Nothing was shared: the chat list was closed. The announcement is still a draft."),
                           "unavailable": t("Sharing works only inside the {platform} app. Open this page from "
                                            "{platform}.", platform=_display_name(page, platform)),
                           "failed": t("Sharing did not work. Please try again."),
                           "recording": t("Shared. Recording it…")}}
        values["share"] = {"messages": config_json({"messages": messages}), "config": config_json(config),
                           "sdk_url": in_app.sdk_url, "sdk_type": sdk_tag_type(in_app),
                           "open_url": f"{in_app.open_url}?next={path}" if in_app.open_url else ""}
    response = page.render("announcement.html", page_name="announce", **values)
    response.headers["Content-Security-Policy"] = content_security_policy(in_app)
    return response


async def send_by_bot(page: PageRequest) -> web.StreamResponse:
    """The bot sends the draft: pushed now, or free as groups talk (as /announce's Send and free choice)."""
    ann = await _announcement(page)
    if ann is None or ann.status == "cancelled":
        return _not_found(page)
    ctx = WebContext(page)
    groups, people = await audience(ctx, ann)
    if not await AnnouncementRepo(page.conn).mark_sent(page.network.id, ann.id, len(groups) + len(people), ctx.now):
        return page.render("message.html", title=page.t("Not changed"), text=page.t("This announcement was already sent."))
    free = page.form.get("how") == "free"
    queued, unreachable = await queue(ctx, ann, groups, people, free=free)
    await ctx.audit("send", "announcement", ann.id, audience=ann.audience, queued=queued, unreachable=unreachable,
                    via="web")
    _wake(page, ctx)
    return _redirect(f"{page.base}/announce/{ann.number}?done=sent")


async def shared(page: PageRequest) -> web.StreamResponse:
    """The page reports that the share picker sent the card: record it (nothing is queued or billed)."""
    t = page.t
    ann = await _announcement(page)
    chosen = in_app_platform(page.app)
    if ann is None or chosen is None or page.form.get("result") != "sent":
        return _json({"error": t("Not found")}, status=404)
    ctx = WebContext(page)
    if not await AnnouncementRepo(page.conn).mark_sent(page.network.id, ann.id, 0, ctx.now):
        return _json({"error": t("This announcement was already sent.")}, status=409)
    await AnnouncementShareRepo(page.conn).record(page.network.id, ann.id, member_id=page.member.id,
                                                  platform=chosen[0], now=ctx.now)
    await ctx.audit("share", "announcement", ann.id, via="share", platform=chosen[0])
    return _json({"next": f"{page.base}/announce/{ann.number}?done=shared"})


async def cover_rest(page: PageRequest) -> web.StreamResponse:
    """After a share: the bot delivers to the chats the coordinator ticked (free as groups talk)."""
    ann = await _announcement(page)
    if ann is None or ann.status != "sent":
        return _not_found(page)
    ctx = WebContext(page)
    groups, people = await audience(ctx, ann)
    posted = await page.request.post()
    ticked = {int(str(v)) for v in posted.getall("chat", []) if str(v).isdigit()}
    chosen_groups = [c for c in groups if c.id in ticked]
    chosen_people = people if page.form.get("people") == "1" else []
    queued, unreachable = await queue(ctx, ann, chosen_groups, chosen_people, free=True)
    await ctx.audit("send", "announcement", ann.id, after_share=True, queued=queued, unreachable=unreachable,
                    via="web")
    _wake(page, ctx)
    return _redirect(f"{page.base}/announce/{ann.number}?done=rest")


def _wake(page: PageRequest, ctx: BaseContext) -> None:
    if ctx.outbox_touched:  # the dispatcher is woken once the rows are committed
        page.after_commit.append(page.app.notify_outbox)
