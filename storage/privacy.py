"""Personal data (Thailand's PDPA): consents per purpose, members' requests (a copy of their
data, erasure) with the legal clock, a member's data gathered for /mydata, and erasure.

Erasure keeps the member's row as a nameless tombstone ("อดีตสมาชิก / former member", no
platform id, no organisation): every row that pointed at the member still counts in the
network's figures, and the number is never given again (members are numbered max + 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from storage.inbox import inbox
from storage.membership import Member
from storage.repo import Repo
from storage.tables import audit_log, chats, flow_states, members, metadata
from storage.types import UTCDateTime

FORMER_MEMBER = "อดีตสมาชิก / former member"
ERASED_STATUS = "erased"

privacy_consents = sa.Table(
    "privacy_consents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("granted", sa.Boolean, nullable=False),
    sa.Column("notice_version", sa.String(16), nullable=False),
    # Where it was given or withdrawn: join (invite code), group (tap to register), consent (/consent), forget.
    sa.Column("via", sa.String(16), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_privacy_consents_member", "member_id", "purpose", "id"),
)

privacy_requests = sa.Table(
    "privacy_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("member_number", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),  # export | erase
    sa.Column("status", sa.String(16), nullable=False),  # pending | done | cancelled
    sa.Column("requested_at", UTCDateTime, nullable=False),
    sa.Column("done_at", UTCDateTime),
    sa.Index("ix_privacy_requests_network", "network_id", "requested_at"),
)


@dataclass(frozen=True)
class Consent:
    purpose: str
    granted: bool
    notice_version: str
    via: str
    at: datetime


@dataclass(frozen=True)
class PrivacyRequest:
    id: int
    member_number: int
    kind: str
    status: str
    requested_at: datetime
    done_at: datetime | None


def _request(row: Any) -> PrivacyRequest:
    return PrivacyRequest(id=row.id, member_number=row.member_number, kind=row.kind, status=row.status,
                          requested_at=row.requested_at, done_at=row.done_at)


class ConsentRepo(Repo):
    async def record(self, member: Member, purpose: str, *, granted: bool, notice_version: str, via: str,
                     now: datetime) -> None:
        """Append one decision; the latest per purpose is the member's current choice."""
        await self.conn.execute(privacy_consents.insert().values(
            network_id=member.network_id, member_id=member.id, purpose=purpose, granted=granted,
            notice_version=notice_version, via=via, at=now))

    async def history(self, member_id: int) -> list[Consent]:
        rows = (await self.conn.execute(
            sa.select(privacy_consents).where(privacy_consents.c.member_id == member_id)
            .order_by(privacy_consents.c.id))).all()
        return [Consent(r.purpose, r.granted, r.notice_version, r.via, r.at) for r in rows]

    async def current(self, member_id: int) -> dict[str, Consent]:
        """The latest decision per purpose."""
        latest: dict[str, Consent] = {}
        for consent in await self.history(member_id):
            latest[consent.purpose] = consent
        return latest


class PrivacyRequestRepo(Repo):
    async def add(self, member: Member, kind: str, *, status: str, now: datetime) -> int:
        result = await self.conn.execute(privacy_requests.insert().values(
            network_id=member.network_id, member_id=member.id, member_number=member.number, kind=kind,
            status=status, requested_at=now, done_at=now if status == "done" else None)
            .returning(privacy_requests.c.id))
        return int(result.scalar_one())

    async def pending_of(self, member_id: int, kind: str) -> PrivacyRequest | None:
        row = (await self.conn.execute(
            sa.select(privacy_requests).where(privacy_requests.c.member_id == member_id,
                                              privacy_requests.c.kind == kind,
                                              privacy_requests.c.status == "pending")
            .order_by(privacy_requests.c.id.desc()))).first()
        return _request(row) if row else None

    async def finish(self, request_id: int, status: str, now: datetime) -> None:
        await self.conn.execute(privacy_requests.update().where(privacy_requests.c.id == request_id)
                                .values(status=status, done_at=now))

    async def of_network(self, network_id: int, *, limit: int = 50) -> list[PrivacyRequest]:
        rows = (await self.conn.execute(
            sa.select(privacy_requests).where(privacy_requests.c.network_id == network_id)
            .order_by(privacy_requests.c.requested_at.desc(), privacy_requests.c.id.desc()).limit(limit))).all()
        return [_request(r) for r in rows]


# ------------------------------------------------------------------ a member's data


def _plain(value: Any) -> Any:
    """A column value as JSON has it."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return value


def member_columns() -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every (table, column) that points at a member, over all features' tables."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table is members for fk in column.foreign_keys):
                found.append((table, column))
    return found


# Columns never shown in a member's copy: other people's actions, and free-form details written
# about someone else (the audit log's "details" may name the member a coordinator removed).
_HIDDEN = {("audit_log", "details")}


class MemberDataRepo(Repo):
    async def collect(self, member: Member) -> dict[str, list[dict[str, Any]]]:
        """Every row that belongs to ``member``: their member row, their private chat, their
        unfinished conversations, and each row of any table whose member column is theirs.
        Other members' ids in those rows are left out (only this member's own id is shown)."""
        data: dict[str, list[dict[str, Any]]] = {}
        row = (await self.conn.execute(sa.select(members).where(members.c.id == member.id))).one()
        data["members"] = [{k: _plain(v) for k, v in row._mapping.items()}]
        chat = (await self.conn.execute(
            sa.select(chats.c.platform, chats.c.platform_chat_id, chats.c.kind, chats.c.created_at)
            .where(chats.c.platform == member.platform, chats.c.platform_chat_id == member.platform_user_id,
                   chats.c.kind == "private"))).first()
        if chat is not None:
            data["chats"] = [{k: _plain(v) for k, v in chat._mapping.items()}]
        flows = (await self.conn.execute(
            sa.select(flow_states).where(flow_states.c.platform == member.platform,
                                         flow_states.c.user_id == member.platform_user_id))).all()
        if flows:
            data["flow_states"] = [{k: _plain(v) for k, v in r._mapping.items()} for r in flows]
        by_table: dict[str, list[sa.Column[Any]]] = {}
        tables: dict[str, sa.Table] = {}
        for table, column in member_columns():
            by_table.setdefault(table.name, []).append(column)
            tables[table.name] = table
        for name, columns in by_table.items():
            table = tables[name]
            query = sa.select(table).where(sa.or_(*(c == member.id for c in columns)))
            if "network_id" in table.c:
                query = query.where(table.c.network_id == member.network_id)
            rows = (await self.conn.execute(query)).all()
            if not rows:
                continue
            member_cols = {c.name for c in columns}
            out = []
            for r in rows:
                item = {}
                for key, value in r._mapping.items():
                    if (name, key) in _HIDDEN:
                        continue
                    if key in member_cols and value is not None and value != member.id:
                        value = None  # someone else
                    item[key] = _plain(value)
                out.append(item)
            data.setdefault(name, []).extend(out)
        # Answers of named surveys hang off the member's responses (anonymous ones have no member).
        response_ids = [r["id"] for r in data.get("survey_responses", [])]
        if response_ids:
            from storage.surveys import survey_answers

            rows = (await self.conn.execute(
                sa.select(survey_answers).where(survey_answers.c.response_id.in_(response_ids)))).all()
            data["survey_answers"] = [{k: _plain(v) for k, v in r._mapping.items()} for r in rows]
        return data

    async def erase(self, member: Member, *, now: datetime) -> None:
        """Erase ``member``'s identity; their rows stay, pointing at the nameless tombstone."""
        await self.conn.execute(members.update().where(members.c.id == member.id).values(
            display_name=FORMER_MEMBER, platform_user_id=f"erased-{member.id}", organisation_id=None,
            status=ERASED_STATUS, reachable=False))
        await self.conn.execute(flow_states.delete().where(flow_states.c.platform == member.platform,
                                                           flow_states.c.user_id == member.platform_user_id))
        # The private chat keeps its row until the answer to /forget has gone (see the task);
        # its title may be the person's name.
        await self.conn.execute(chats.update().where(chats.c.platform == member.platform,
                                                     chats.c.platform_chat_id == member.platform_user_id,
                                                     chats.c.kind == "private").values(title=None))
        # What the audit log wrote about the member (their name at a removal, the invite code).
        await self.conn.execute(audit_log.update().where(audit_log.c.entity == "member",
                                                         audit_log.c.entity_id == str(member.id))
                                .values(details={}))
        # Consents go; their withdrawal (recorded by the caller) stays as the record of the erasure.
        await self.conn.execute(privacy_consents.delete().where(privacy_consents.c.member_id == member.id,
                                                                privacy_consents.c.granted == sa.true()))

    async def private_chat_id(self, member: Member) -> int | None:
        row = (await self.conn.execute(sa.select(chats.c.id).where(
            chats.c.platform == member.platform, chats.c.platform_chat_id == member.platform_user_id,
            chats.c.kind == "private"))).first()
        return int(row.id) if row else None

    async def forget_private_chat(self, chat_id: int) -> None:
        """Delete a private chat row (and, by cascade, anything still queued for it), its flows and the
        finished inbox events of that chat (their bodies hold the platform id and name)."""
        row = (await self.conn.execute(sa.select(chats).where(chats.c.id == chat_id,
                                                              chats.c.kind == "private"))).first()
        if row is None:
            return
        await self.conn.execute(inbox.delete().where(inbox.c.platform == row.platform,
                                                     inbox.c.chat_id == row.platform_chat_id,
                                                     inbox.c.status.in_(("done", "failed"))))
        await self.conn.execute(flow_states.delete().where(flow_states.c.platform == row.platform,
                                                           flow_states.c.chat_id == row.platform_chat_id))
        await self.conn.execute(chats.delete().where(chats.c.id == chat_id))
