"""The web view's routes on the bot's own aiohttp server (``edunet serve``).

Every route and who may use it is declared once, in :data:`ROUTES`; :func:`guard` checks it before a
page runs: a live session (cookie), the page's network is the session's network, the viewer's role as
the database has it now, and the CSRF token of every form. Coordinators see and manage their whole
network; teachers and partners see their own organisation's pages, read-only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.academic import AcademicCalendar
from bot.app import App
from bot.i18n import Translator
from bot.roles import ROLE_LABELS, Role, parse_role
from bot.charts.bars import activities_by_aim
from bot.i18n import N_
from handlers.activities import AIMS, XLSX_MIME, aim_label, build_export, category_label
from handlers.resources import sector_label, type_label
from handlers.dashboard.auth import COOKIE, IDLE_MINUTES, LOGIN_PATH, Viewer, csrf_ok, digest, open_session, viewer
from handlers.dashboard import compose
from handlers.dashboard.inapp import add_inapp_routes
from handlers.announcements import WAIT_REASONS
from storage.activity_repo import ActivityRepo, PhotoRepo
from storage.blocks import BlockRepo
from storage.deliveries import DeliveryRepo
from storage.membership import Member, MemberRepo, Network, NetworkRepo, OrganisationRepo
from storage.repo import Repo
from storage.resource_repo import NeedRepo, PledgeRepo
from storage.runtime import AuditRepo
from storage.webview import WebAuthRepo

TEMPLATES = Path(__file__).with_name("templates")
STAFF_VIEW = frozenset({Role.COORDINATOR, Role.TEACHER, Role.PARTNER})
MANAGE = frozenset({Role.COORDINATOR})
PARAM_NETWORK = "network"


@dataclass
class PageRequest:
    """What a page handler gets: the request, the open transaction, who is looking, and a renderer."""

    request: web.Request
    app: App
    conn: AsyncConnection
    viewer: Viewer
    network: Network
    t: Translator
    env: jinja2.Environment
    form: dict[str, str]
    # Run after the page's transaction commits (e.g. wake the outbox dispatcher for rows it wrote).
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def member(self) -> Member:
        return self.viewer.member

    @property
    def manages(self) -> bool:
        return self.member.role == Role.COORDINATOR.value

    def repo(self, cls: type[Repo]) -> Any:
        return cls(self.conn)

    @property
    def base(self) -> str:
        return f"/dashboard/n/{self.network.id}"

    def render(self, template: str, **values: Any) -> web.Response:
        page = self.env.get_template(template).render(
            page=values.pop("page_name", template.removesuffix(".html")), t=self.t, network=self.network, viewer=self.member, manages=self.manages, csrf=self.viewer.csrf,
            base=self.base, role_label=lambda code: self.t(ROLE_LABELS[Role(code)]) if code in Role._value2member_map_
            else code, **values)
        return html_response(page)


PageHandler = Callable[[PageRequest], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under /dashboard/n/{network}
    handler: PageHandler
    roles: frozenset[Role]


def html_response(page: str, status: int = 200) -> web.Response:
    return web.Response(text=page, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Referrer-Policy": "no-referrer",
                                 "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                                                            "style-src 'self' 'unsafe-inline'; form-action 'self'"})


def redirect(location: str) -> web.Response:
    """303: after a form, the browser loads the page anew (a reload does not post again)."""
    return web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined)


# ------------------------------------------------------------------ pages

# More of the overview's panels: functions of the page giving values for overview.html (panels.py adds its own).
OVERVIEW_PANELS: list[Callable[[PageRequest], Awaitable[dict[str, Any]]]] = []


async def overview(page: PageRequest) -> web.StreamResponse:
    network, t = page.network, page.t
    today = page.app.clock.now().astimezone(ZoneInfo(network.timezone)).date()
    calendar = AcademicCalendar.from_settings(network.settings)
    year = calendar.year_of(today)
    span = calendar.year(year)
    organisation = None if page.manages else page.member.organisation_id
    totals = {row.key: row for row in await ActivityRepo(page.conn).totals(
        network.id, span.start, span.end, by="aim", organisation_id=organisation)}
    aims = [(aim_label(t, code), totals[code].count if code in totals else 0,
             totals[code].participants if code in totals else 0) for code in AIMS]
    open_needs, overdue = await NeedRepo(page.conn).count_open(network.id, today)
    members = await MemberRepo(page.conn).list(network.id)
    by_role = [(t(ROLE_LABELS[role]), sum(1 for m in members if m.role == role.value)) for role in Role]
    quota = None
    billed = sorted(page.app.billed_platforms)
    if page.manages and billed and (reading := page.app.quotas.get(billed[0])) is not None:
        quota = {"used": reading.used, "limit": reading.limit}
    more: dict[str, Any] = {}
    for panel in OVERVIEW_PANELS:
        more.update(await panel(page))
    return page.render("overview.html", quota=quota, year=year, aims=aims, most=max([n for _, n, _ in aims] + [1]),
                       open_needs=open_needs, overdue=overdue, by_role=by_role, today=t.date(today),
                       own_organisation=organisation is not None, **more)


async def members_page(page: PageRequest) -> web.StreamResponse:
    repo = MemberRepo(page.conn)
    if page.manages:
        shown = await repo.list(page.network.id)
    elif page.member.organisation_id is not None:
        shown = await repo.list(page.network.id, organisation_ids=[page.member.organisation_id])
    else:
        shown = [page.member]
    organisations = {o.id: o.name for o in await OrganisationRepo(page.conn).list(page.network.id)}
    notice = page.request.query.get("done", "")
    removed = await BlockRepo(page.conn).blocked_members(page.network.id) if page.manages else []
    return page.render("members.html", members=shown, organisations=organisations, roles=list(Role),
                       notice=notice, removed=removed, removed_notice=page.request.query.get("removed", ""))


async def change_role(page: PageRequest) -> web.StreamResponse:
    t, repo = page.t, MemberRepo(page.conn)
    number = page.request.match_info.get("number", "")
    member = await repo.by_number(page.network.id, int(number)) if number.isdigit() else None
    if member is None or member.status != "active":
        return page.render("message.html", title=t("Not found"),
                           text=t("There is no member {n} in this network.", n=number))
    role = parse_role(page.form.get("role", ""))
    if role is None:
        return page.render("message.html", title=t("Not changed"),
                           text=t("Please choose one of the roles in the list."))
    if (member.role == Role.COORDINATOR.value and role != Role.COORDINATOR
            and len(await repo.list(page.network.id, roles=[Role.COORDINATOR.value])) <= 1):
        return page.render("message.html", title=t("Not changed"),
                           text=t("The network needs at least one coordinator. Promote someone else first."))
    if role.value != member.role:
        await repo.update(member.id, role=role.value)
        await AuditRepo(page.conn).record(
            network_id=page.network.id, member_id=page.member.id, action="update", entity="member",
            entity_id=member.id, details={"role": role.value, "previous": member.role, "via": "web"},
            now=page.app.clock.now())
    return redirect(f"{page.base}/members?done={member.number}")


def _today(page: PageRequest) -> Any:
    return page.app.clock.now().astimezone(ZoneInfo(page.network.timezone)).date()


async def aims_chart(page: PageRequest) -> web.StreamResponse:
    """The overview's chart (bot/charts, as in /summary): activities by aim, this academic year and the last."""
    t, network = page.t, page.network
    calendar = AcademicCalendar.from_settings(network.settings)
    year = calendar.year_of(_today(page))
    organisation = None if page.manages else page.member.organisation_id
    counts: dict[str, list[int]] = {code: [0, 0] for code in AIMS}
    for slot, be_year in enumerate((year, year - 1)):
        span = calendar.year(be_year)
        for row in await ActivityRepo(page.conn).totals(network.id, span.start, span.end, by="aim",
                                                        organisation_id=organisation):
            if row.key in counts:
                counts[row.key][slot] = row.count
    png = activities_by_aim(f"{network.name} · {t('Academic year {year}', year=year)}",
                            {aim_label(t, code): (now, before) for code, (now, before) in counts.items()},
                            this_period=t("Academic year {year}", year=year),
                            previous_period=t("Academic year {year}", year=year - 1), unit=t("activities"),
                            subtitle=t("Activities by aim"))
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private, max-age=300"})


async def needs_board(page: PageRequest) -> web.StreamResponse:
    repo = NeedRepo(page.conn)
    today = _today(page)
    shown = await repo.open_needs(page.network.id, limit=200)
    if not page.manages:
        shown = [n for n in shown if n.organisation_id == page.member.organisation_id]
    rows = []
    for item in await repo.with_progress(shown):
        target = float(item.need.target) or 1.0
        rows.append({"need": item.need, "type": type_label(page.t, item.need.resource_type),
                     "pledged": item.pledged, "delivered": item.delivered,
                     "pledged_pct": min(100, round(100 * float(item.pledged) / target)),
                     "delivered_pct": min(100, round(100 * float(item.delivered) / target)),
                     "needed_by": page.t.date(item.need.needed_by), "overdue": item.need.needed_by < today})
    return page.render("needs.html", page_name="needs", rows=rows, number=page.t.number)


LEDGER_ROWS = 300  # a page a phone can hold; the XLSX file has every pledge
PLEDGE_STATUSES = {"pledged": N_("awaiting delivery"), "delivered": N_("delivered"), "cancelled": N_("cancelled")}


async def pledge_ledger(page: PageRequest) -> web.StreamResponse:
    t, network = page.t, page.network
    calendar = AcademicCalendar.from_settings(network.settings)
    year = calendar.year_of(_today(page))
    span = calendar.year(year)
    tz = ZoneInfo(network.timezone)
    start = datetime.combine(span.start, time(), tz)
    end = datetime.combine(span.end, time(), tz)
    scope: dict[str, int | None] = {}
    if not page.manages:  # an organisation's view: pledges toward its needs, and the member's own
        scope = {"organisation_id": page.member.organisation_id, "pledger_id": page.member.id}
    repo = PledgeRepo(page.conn)
    query = page.request.query
    chosen = {key: query.get(key, "") for key in ("status", "type", "sector")}
    rows, total = await repo.ledger(network.id, start, end, status=chosen["status"], resource_type=chosen["type"],
                                    source_sector=chosen["sector"], limit=LEDGER_ROWS, **scope)
    types, sectors = await repo.ledger_choices(network.id, start, end, **scope)
    options = {"status": [(code, t(label)) for code, label in PLEDGE_STATUSES.items()],
               "type": sorted((code, type_label(t, code)) for code in types),
               "sector": sorted((code, sector_label(t, code)) for code in sectors)}
    shown = [{"number": r["number"], "pledger": r["pledger_name"] or "", "type": type_label(t, r["resource_type"]),
              "sector": sector_label(t, r["source_sector"]), "amount": t.number(float(r["amount"]), 2
                                                                                 if r["amount"] % 1 else 0),
              "unit": r["unit"], "expected": t.date(r["expected_date"]),
              "status": t(PLEDGE_STATUSES.get(r["status"], r["status"])), "need": r["need_number"],
              "organisation": r["need_organisation"] or ""} for r in rows]
    return page.render("pledges.html", page_name="pledges", rows=shown, options=options, chosen=chosen, year=year,
                       total=total, more=total > len(shown))


async def activities_page(page: PageRequest) -> web.StreamResponse:
    """The academic year's activities, newest first, with their photos (coordinators: the network's; others:
    their organisation's)."""
    t, network = page.t, page.network
    calendar = AcademicCalendar.from_settings(network.settings)
    year = calendar.year_of(_today(page))
    span = calendar.year(year)
    own = None if page.manages else page.member.organisation_id
    rows = [] if own is None and not page.manages else await ActivityRepo(page.conn).export_rows(
        network.id, span.start, span.end, newest_first=True, limit=301, organisation_id=own)
    shown = [{"id": r["id"], "number": r["number"], "title": r["title"], "date": t.date(r["activity_date"]),
              "kind": category_label(t, r["category"]), "aim": aim_label(t, r["aim"]),
              "organisation": r["organisation_name"] or "", "participants": r["participants"],
              "hours": t.number(r["minutes"] / 60, 1) if r["minutes"] else "", "photo": bool(r["has_photo"]),
              "author": r["author_name"] or ""} for r in rows[:300]]
    return page.render("activities.html", page_name="activities", rows=shown, year=year, more=len(rows) > 300)


async def activity_photo(page: PageRequest) -> web.StreamResponse:
    raw = page.request.match_info.get("id", "")
    activity = await ActivityRepo(page.conn).get(page.network.id, int(raw)) if raw.isdigit() else None
    if activity is None or (not page.manages and activity.organisation_id != page.member.organisation_id):
        raise web.HTTPNotFound()
    photos = await PhotoRepo(page.conn).for_entity(page.network.id, "activity", activity.id)
    if not photos:
        raise web.HTTPNotFound()
    kind = "image/png" if photos[0].startswith(b"\x89PNG") else "image/jpeg"
    return web.Response(body=photos[0], content_type=kind, headers={"Cache-Control": "private, max-age=3600"})


async def deliveries_page(page: PageRequest) -> web.StreamResponse:
    """What the bot is sending for the network: pending (and why it waits), failed, per chat."""
    t, repo = page.t, DeliveryRepo(page.conn)
    waiting = await repo.waiting(page.network.id)
    reasons = [(t(label), waiting.get(reason.value, 0)) for reason, label in WAIT_REASONS.items()]
    reasons.insert(0, (t("due now"), waiting.get("due", 0)))
    chats = await repo.by_chat(page.network.id)
    failed = [{"title": d.title or t("private chat"), "error": d.error or "",
               "at": t.datetime(d.dead_at.astimezone(ZoneInfo(page.network.timezone))) if d.dead_at else ""} for d in await repo.dead_letters(page.network.id, 20)]
    return page.render("deliveries.html", page_name="deliveries", reasons=reasons, chats=chats, failed=failed,
                       counts=await repo.status_counts(page.network.id))


EXPORT_KINDS = ("activities", "pledges")


async def export_xlsx(page: PageRequest) -> web.StreamResponse:
    """The academic year's activities or pledges as XLSX (the same file as /export … xlsx)."""
    kind = page.request.match_info.get("kind", "")
    if kind not in EXPORT_KINDS:
        return page.render("message.html", title=page.t("Not found"), text=page.t("There is no such export."))
    network = page.network
    calendar = AcademicCalendar.from_settings(network.settings)
    year = calendar.year_of(_today(page))
    span = calendar.year(year)
    content, count = await build_export(page.conn, network.id, kind, span.start, span.end, page.t,
                                        ZoneInfo(network.timezone), fmt="xlsx", network_name=network.name)
    await AuditRepo(page.conn).record(network_id=network.id, member_id=page.member.id, action="export", entity=kind,
                                      details={"year": year, "rows": count, "format": "xlsx", "via": "web"},
                                      now=page.app.clock.now())
    return web.Response(body=content, content_type=XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="{kind}-{year}.xlsx"', "Cache-Control": "no-store"})


# Every page of the web view and who may open it: the one place permissions are declared.
ROUTES: tuple[Route, ...] = (
    Route("GET", "", overview, STAFF_VIEW),
    Route("GET", "/charts/aims.png", aims_chart, STAFF_VIEW),
    Route("GET", "/activities", activities_page, STAFF_VIEW),
    Route("GET", "/activities/{id}/photo", activity_photo, STAFF_VIEW),
    Route("GET", "/needs", needs_board, STAFF_VIEW),
    Route("GET", "/pledges", pledge_ledger, STAFF_VIEW),
    Route("GET", "/members", members_page, STAFF_VIEW),
    Route("GET", "/deliveries", deliveries_page, MANAGE),
    Route("GET", "/export/{kind}.xlsx", export_xlsx, MANAGE),
    Route("POST", "/members/{number}/role", change_role, MANAGE),
    Route("GET", "/announce", compose.compose_form, MANAGE),
    Route("POST", "/announce", compose.compose, MANAGE),
    Route("GET", "/announce/{number}", compose.announcement_page, MANAGE),
    Route("POST", "/announce/{number}/send", compose.send_by_bot, MANAGE),
    Route("POST", "/announce/{number}/shared", compose.shared, MANAGE),
    Route("POST", "/announce/{number}/rest", compose.cover_rest, MANAGE),
)


# ------------------------------------------------------------------ the guard


def _translator(member: Member | None, network: Network | None) -> Translator:
    return Translator(member.language if member else (network.language if network else "th"))


def refusal(env: jinja2.Environment, t: Translator, status: int, text: str) -> web.Response:
    return html_response(env.get_template("refused.html").render(t=t, text=text, status=status), status=status)


def guard(app: App, env: jinja2.Environment, route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        now = app.clock.now()
        form: dict[str, str] = {}
        if request.method == "POST":
            form = {k: str(v) for k, v in (await request.post()).items()}
        async with app.db.transaction() as conn:
            who = await viewer(WebAuthRepo(conn), MemberRepo(conn), app.settings, request.cookies.get(COOKIE), now)
            if who is None:
                t = Translator("th")
                return refusal(env, t, 401, t("You are not signed in, or your session ended after {minutes} "
                                              "minutes without use. Send /dashboard to the bot in a private "
                                              "chat for a new sign-in link.", minutes=IDLE_MINUTES))
            network = await NetworkRepo(conn).get(who.member.network_id)
            t = _translator(who.member, network)
            wanted = request.match_info.get(PARAM_NETWORK, "")
            if network is None or wanted != str(network.id):
                return refusal(env, t, 403, t("This page belongs to another network. You are signed in to {network}.",
                                              network=network.name if network else ""))
            if Role(who.member.role) not in route.roles:
                return refusal(env, t, 403, t("Only the network's coordinators can do this."))
            if request.method == "POST" and not csrf_ok(who.csrf, form.get("csrf")):
                return refusal(env, t, 403, t("This form has expired. Please open the page again and retry."))
            page = PageRequest(request=request, app=app, conn=conn, viewer=who, network=network, t=t, env=env,
                               form=form)
            response = await route.handler(page)
        for callback in page.after_commit:
            callback()
        return response
    return handle


def secure_cookie(app: App) -> bool:
    return app.settings.public_url.strip().lower().startswith("https://")


def add_routes(server: Any, app: App, routes: tuple[Route, ...] = ROUTES) -> None:
    """Mount the web view on the bot's web server (:class:`bot.web.WebServer`); ``routes``: every page
    (the package's ``ROUTES``: these and the other page modules')."""
    env = environment()

    async def login_form(request: web.Request) -> web.StreamResponse:
        # A GET only shows a button: link previews (LINE fetches links) must not use up the link.
        token = request.query.get("t", "")
        t = Translator("th")
        async with app.db.transaction() as conn:
            is_open = bool(token) and await WebAuthRepo(conn).link_is_open(digest(app.settings, token), app.clock.now())
        if not is_open:
            return refusal(env, t, 410, t("This sign-in link has been used or has expired. Send /dashboard to the bot "
                                          "in a private chat for a new one."))
        return html_response(env.get_template("login.html").render(t=t, token=token))

    async def login(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        t = Translator("th")
        async with app.db.transaction() as conn:
            session_token = await open_session(WebAuthRepo(conn), app.settings, str(form.get("t", "")),
                                               app.clock.now())
            network_id = None
            if session_token is not None:
                session = await WebAuthRepo(conn).session(digest(app.settings, session_token))
                network_id = session.network_id if session else None
        if session_token is None or network_id is None:
            return refusal(env, t, 410, t("This sign-in link has been used or has expired. Send /dashboard to the bot "
                                          "in a private chat for a new one."))
        response = redirect(f"/dashboard/n/{network_id}")
        response.set_cookie(COOKIE, session_token, httponly=True, samesite="Lax", secure=secure_cookie(app),
                            path="/dashboard", max_age=12 * 3600)
        return response

    async def logout(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        async with app.db.transaction() as conn:
            who = await viewer(WebAuthRepo(conn), MemberRepo(conn), app.settings, request.cookies.get(COOKIE),
                               app.clock.now())
            if who is not None and csrf_ok(who.csrf, str(form.get("csrf", ""))):
                await WebAuthRepo(conn).end(who.session.id)
        response = redirect(LOGIN_PATH)
        response.del_cookie(COOKIE, path="/dashboard")
        return response

    add_inapp_routes(server, app, env)  # the web view inside LINE (LIFF): handlers/dashboard/inapp.py
    server.add_route("GET", LOGIN_PATH, login_form)
    server.add_route("POST", LOGIN_PATH, login)
    server.add_route("POST", "/dashboard/logout", logout)
    for route in routes:
        server.add_route(route.method, f"/dashboard/n/{{{PARAM_NETWORK}}}{route.path}", guard(app, env, route))
