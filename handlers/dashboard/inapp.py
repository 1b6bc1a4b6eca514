"""The web view inside a chat app (LINE's LIFF): sign in with the platform's token, and the pages'
in-app script.

``GET /dashboard`` is the in-app entry (the LIFF app's endpoint URL): it loads the platform's SDK and
its client script (:class:`bot.platforms.InAppWeb`, from the adapter), which hands over the
platform's sign-in token (LINE: the LIFF ID token). ``POST /dashboard/app/{platform}/session`` asks
the platform who the token belongs to (``InAppWeb.verify``; a user id the page sends is never used),
finds that identity's membership and opens the same session a one-time link opens (``auth.start_session``).
Unknown people, parents, expired tokens and tokens issued to another app are refused.

Login CSRF (a page elsewhere signing the browser in as someone else) is refused with a double-submit
state: the entry page sets a random ``edunet_inapp`` cookie (SameSite=Lax) and the sign-in must carry
the same value.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import secrets
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.app import App
from bot.i18n import N_, Translator
from bot.platforms import InAppWeb, SignInRefused
from bot.roles import Role
from handlers.dashboard.auth import COOKIE, MAX_HOURS, start_session
from storage.membership import Member, MemberRepo
from storage.runtime import AuditRepo
from storage.webview import WebAuthRepo

log = logging.getLogger(__name__)

ENTRY_PATH = "/dashboard"
STATE_COOKIE = "edunet_inapp"
STATIC = Path(__file__).with_name("static")
# Who may use the web view (as /dashboard): parents have no pages yet.
VIEWERS = frozenset({Role.COORDINATOR.value, Role.TEACHER.value, Role.PARTNER.value})
NEXT = re.compile(r"^/dashboard/n/(?P<network>\d+)(?:/[A-Za-z0-9_./-]*)?$")

REFUSED = {
    "expired": N_("Your LINE sign-in has expired. Please close this page and open it again from LINE."),
    "audience": N_("This sign-in was issued to another LINE app, not to this web view. Please open the web "
                   "view from the bot's menu."),
    "invalid": N_("LINE did not confirm this sign-in. Please close this page and open it again from LINE."),
    "unavailable": N_("LINE could not be reached to confirm the sign-in. Please try again in a moment."),
}


def in_app_platform(app: App, name: str | None = None) -> tuple[str, InAppWeb] | None:
    """The platform (``name``, or the only one configured) whose in-app web pages are set up."""
    found = [(info.name, info.in_app) for info in app.platforms.values() if info.in_app is not None
             and (name is None or info.name == name)]
    return found[0] if len(found) == 1 or (found and name) else None


def content_security_policy(in_app: InAppWeb | None) -> str:
    """The web view's policy, opened just enough for the platform's SDK on in-app pages."""
    scripts = " ".join(("'self'",) + (in_app.script_origins if in_app else ()))
    connects = " ".join(("'self'",) + (in_app.connect_origins if in_app else ()))
    return (f"default-src 'self'; script-src {scripts}; connect-src {connects}; img-src 'self' data:; "
            "style-src 'self' 'unsafe-inline'; form-action 'self'")


def page_response(text: str, in_app: InAppWeb | None, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8",
                        headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY",
                                 "Referrer-Policy": "no-referrer",
                                 "Content-Security-Policy": content_security_policy(in_app)})


def sdk_tag_type(in_app: InAppWeb) -> str:
    return "module" if in_app.sdk_url.split("?", 1)[0].endswith(".mjs") else "text/javascript"


def config_json(values: dict[str, Any]) -> str:
    """JSON for a ``<script type="application/json">`` block (no ``</script>`` can close it early)."""
    return json.dumps(values, ensure_ascii=False).replace("<", "\\u003c")


def secure(app: App) -> bool:
    return app.settings.public_url.strip().lower().startswith("https://")


async def choose_member(members: MemberRepo, platform: str, user_id: str, wanted: str) -> Member | None:
    """The membership the sign-in opens: that of the network ``wanted`` names, when the person is a member
    there; otherwise the one their private chat acts on."""
    match = NEXT.match(wanted)
    if match:
        member = await members.active_in(int(match["network"]), platform, user_id)
        if member is not None:
            return member
    return await members.current(platform, user_id)


def add_inapp_routes(server: Any, app: App, env: jinja2.Environment) -> None:
    """Mount the in-app entry, the sign-in and the pages' scripts on the bot's web server."""

    async def entry(request: web.Request) -> web.StreamResponse:
        t = Translator("th")
        chosen = in_app_platform(app, request.query.get("app") or None)
        if chosen is None:
            return page_response(env.get_template("refused.html").render(
                t=t, status=404, text=t("The web view inside the chat app is not set up on this server. "
                                        "Send /dashboard to the bot in a private chat for a sign-in link.")),
                None, status=404)
        platform, in_app = chosen
        state = secrets.token_urlsafe(24)
        wanted = request.query.get("next", "")
        config = {"mode": "sign-in", "appId": in_app.app_id, "state": state,
                  "sessionUrl": f"/dashboard/app/{platform}/session", "next": wanted if NEXT.match(wanted) else "",
                  "text": {"failed": t("The sign-in did not work. Please close this page and open it again."),
                           "waiting": t("Signing you in…")}}
        page = env.get_template("inapp.html").render(t=t, config=config_json(config), sdk_url=in_app.sdk_url,
                                                     sdk_type=sdk_tag_type(in_app), platform=platform)
        response = page_response(page, in_app)
        response.set_cookie(STATE_COOKIE, state, httponly=True, samesite="Lax", secure=secure(app),
                            path="/dashboard/app", max_age=3600)
        return response

    async def session(request: web.Request) -> web.StreamResponse:
        t = Translator("th")
        platform = request.match_info["platform"]
        chosen = in_app_platform(app, platform)
        if chosen is None:
            return web.json_response({"error": t("Not found")}, status=404)
        in_app = chosen[1]
        form = {k: str(v) for k, v in (await request.post()).items()}
        state = form.get("state", "")
        if not state or not hmac.compare_digest(state.encode(), request.cookies.get(STATE_COOKIE, "").encode()):
            return web.json_response({"error": t("This page has expired. Please close it and open it again.")},
                                     status=403)
        now = app.clock.now()
        try:
            user = await in_app.verify(form.get("token", ""), now)
        except SignInRefused as refused:
            log.info("in-app sign-in on %s refused: %s", platform, refused)
            return web.json_response({"error": t(REFUSED.get(refused.reason, REFUSED["invalid"]))},
                                     status=503 if refused.reason == "unavailable" else 401)
        async with app.db.transaction() as conn:
            member = await choose_member(MemberRepo(conn), platform, user.user_id, form.get("next", ""))
            if member is None or member.status != "active" or member.role not in VIEWERS:
                return web.json_response({"error": t(
                    "The web view is for the network's coordinators, teachers and partners. If you are one, "
                    "join the network with the bot first.")}, status=403)
            token = await start_session(WebAuthRepo(conn), app.settings, member.network_id, member.id, now)
            await AuditRepo(conn).record(network_id=member.network_id, member_id=member.id, action="create",
                                         entity="web_session", entity_id=member.id,
                                         details={"via": f"{platform}:in-app"}, now=now)
        wanted = form.get("next", "")
        match = NEXT.match(wanted)
        target = wanted if match and int(match["network"]) == member.network_id else f"/dashboard/n/{member.network_id}"
        response = web.json_response({"next": target}, headers={"Cache-Control": "no-store"})
        response.set_cookie(COOKIE, token, httponly=True, samesite="Lax", secure=secure(app), path="/dashboard",
                            max_age=MAX_HOURS * 3600)
        response.del_cookie(STATE_COOKIE, path="/dashboard/app")
        return response

    async def client_script(request: web.Request) -> web.StreamResponse:
        chosen = in_app_platform(app, request.match_info["platform"])
        if chosen is None:
            raise web.HTTPNotFound()
        return web.Response(text=chosen[1].client_script, content_type="text/javascript", charset="utf-8",
                            headers={"Cache-Control": "no-cache"})

    async def page_script(_request: web.Request) -> web.StreamResponse:
        return web.Response(text=(STATIC / "inapp-page.js").read_text(encoding="utf-8"),
                            content_type="text/javascript", charset="utf-8", headers={"Cache-Control": "no-cache"})

    server.add_route("GET", ENTRY_PATH, entry)
    server.add_route("POST", "/dashboard/app/{platform}/session", session)
    server.add_route("GET", "/dashboard/app/{platform}/client.js", client_script)
    server.add_route("GET", "/dashboard/app/page.js", page_script)
