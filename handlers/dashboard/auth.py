"""Sign-in without passwords: one-time links, browser sessions and CSRF tokens.

A link token and a session token are random (256 bits) and reach the database only as an HMAC with the
server secret (``bot/server_key.py``), so neither a database copy nor a guess opens a session. A link
opens one session within ``LINK_MINUTES``; a session ends after ``IDLE_MINUTES`` without a request, or
``MAX_HOURS`` after it was opened, whichever comes first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.config import Settings
from bot.server_key import server_key
from storage.membership import Member, MemberRepo
from storage.webview import WebAuthRepo, WebSession

LINK_MINUTES = 10
IDLE_MINUTES = 30
MAX_HOURS = 12
COOKIE = "edunet_dashboard"
LOGIN_PATH = "/dashboard/login"


def digest(settings: Settings, token: str) -> str:
    return hmac.new(server_key(settings), f"dashboard:{token}".encode(), hashlib.sha256).hexdigest()


def login_url(settings: Settings, token: str) -> str:
    base = settings.public_url.strip().rstrip("/")
    return f"{base}{LOGIN_PATH}?t={token}"


async def new_link(repo: WebAuthRepo, settings: Settings, member: Member, now: datetime) -> tuple[str, datetime]:
    """A fresh one-time token for ``member`` and when it expires."""
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=LINK_MINUTES)
    await repo.add_link(digest(settings, token), network_id=member.network_id, member_id=member.id, now=now,
                        expires_at=expires)
    return token, expires


async def open_session(repo: WebAuthRepo, settings: Settings, token: str, now: datetime) -> str | None:
    """Trade a link's token for a session token (the cookie's value); None when used or expired."""
    used = await repo.use_link(digest(settings, token), now)
    if used is None:
        return None
    network_id, member_id = used
    return await start_session(repo, settings, network_id, member_id, now)


async def start_session(repo: WebAuthRepo, settings: Settings, network_id: int, member_id: int, now: datetime) -> str:
    """A new session for a member the caller has identified (a link, or an in-app sign-in token the
    platform vouched for); its token is the cookie's value."""
    session_token = secrets.token_urlsafe(32)
    await repo.add_session(digest(settings, session_token), csrf_token=secrets.token_urlsafe(24),
                           network_id=network_id, member_id=member_id, now=now)
    return session_token


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the session's member as the database has them now (role changes apply at once)."""

    session: WebSession
    member: Member

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


async def viewer(repo: WebAuthRepo, members: MemberRepo, settings: Settings, session_token: str | None,
                 now: datetime) -> Viewer | None:
    """The live session for the cookie's token, its idle clock restarted; None when absent or expired."""
    if not session_token:
        return None
    session = await repo.session(digest(settings, session_token))
    if session is None:
        return None
    if (now - session.last_seen_at > timedelta(minutes=IDLE_MINUTES)
            or now - session.created_at > timedelta(hours=MAX_HOURS)):
        await repo.end(session.id)
        return None
    member = await members.get(session.network_id, session.member_id)
    if member is None or member.status != "active":
        await repo.end(session.id)
        return None
    await repo.touch(session.id, now)
    return Viewer(session=session, member=member)


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
