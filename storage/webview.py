"""The coordinator's web view: one-time sign-in links and browser sessions.

Only hashes are stored (an HMAC of the token with the server secret, computed by the caller):
a copy of the database opens no session and no link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.repo import Repo
from storage.tables import metadata
from storage.types import UTCDateTime

web_login_links = sa.Table(
    "web_login_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("used_at", UTCDateTime),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("session_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("last_seen_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class WebSession:
    id: int
    network_id: int
    member_id: int
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


class WebAuthRepo(Repo):
    async def add_link(self, token_hash: str, *, network_id: int, member_id: int, now: datetime,
                       expires_at: datetime) -> None:
        await self.conn.execute(web_login_links.insert().values(
            token_hash=token_hash, network_id=network_id, member_id=member_id, created_at=now,
            expires_at=expires_at))

    async def link_is_open(self, token_hash: str, now: datetime) -> bool:
        row = (await self.conn.execute(sa.select(web_login_links.c.id).where(
            web_login_links.c.token_hash == token_hash, web_login_links.c.used_at.is_(None),
            web_login_links.c.expires_at > now))).first()
        return row is not None

    async def use_link(self, token_hash: str, now: datetime) -> tuple[int, int] | None:
        """(network id, member id) of an unused, unexpired link, marking it used; else None.

        The conditional update makes a link open one session only, even when two requests race."""
        row = (await self.conn.execute(sa.select(web_login_links).where(
            web_login_links.c.token_hash == token_hash))).first()
        if row is None:
            return None
        result = await self.conn.execute(web_login_links.update().where(
            web_login_links.c.id == row.id, web_login_links.c.used_at.is_(None),
            web_login_links.c.expires_at > now).values(used_at=now))
        if not result.rowcount:
            return None
        return int(row.network_id), int(row.member_id)

    async def add_session(self, session_hash: str, *, csrf_token: str, network_id: int, member_id: int,
                          now: datetime) -> None:
        await self.conn.execute(web_sessions.insert().values(
            session_hash=session_hash, csrf_token=csrf_token, network_id=network_id, member_id=member_id,
            created_at=now, last_seen_at=now))

    async def session(self, session_hash: str) -> WebSession | None:
        row = (await self.conn.execute(sa.select(web_sessions).where(
            web_sessions.c.session_hash == session_hash))).first()
        if row is None:
            return None
        return WebSession(id=row.id, network_id=row.network_id, member_id=row.member_id, csrf_token=row.csrf_token,
                          created_at=row.created_at, last_seen_at=row.last_seen_at)

    async def touch(self, session_id: int, now: datetime) -> None:
        await self.conn.execute(web_sessions.update().where(web_sessions.c.id == session_id).values(last_seen_at=now))

    async def end(self, session_id: int) -> None:
        await self.conn.execute(web_sessions.delete().where(web_sessions.c.id == session_id))

    async def prune(self, *, links_before: datetime, sessions_idle_before: datetime) -> None:
        await self.conn.execute(web_login_links.delete().where(web_login_links.c.expires_at < links_before))
        await self.conn.execute(web_sessions.delete().where(web_sessions.c.last_seen_at < sessions_idle_before))
