"""Meetings, RSVPs and announcements (tables and repositories).

Importing this module also declares the outbox columns added by migration 0004_outbox
(see :mod:`storage.deliveries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import storage.deliveries  # noqa: F401  (outbox lease columns)
from storage.counters import next_number
from storage.repo import Repo
from storage.tables import metadata
from storage.types import UTCDateTime

meetings = sa.Table(
    "meetings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # What members see (#3): per network, never reused (storage.counters).
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("duration_minutes", sa.Integer, nullable=False),
    sa.Column("place", sa.String(500), nullable=False, server_default=""),
    sa.Column("agenda", sa.Text, nullable=False, server_default=""),
    sa.Column("target_chat_ids", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="scheduled"),
    # Bumped on every reschedule, so the moved meeting's reminders get fresh outbox keys.
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_meetings_network_status_starts", "network_id", "status", "starts_at"),
    sa.Index("uq_meetings_network_number", "network_id", "number", unique=True),
)

meeting_rsvps = sa.Table(
    "meeting_rsvps",
    metadata,
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("answer", sa.String(8), nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Index("ix_meeting_rsvps_network_meeting", "network_id", "meeting_id"),
)

announcements = sa.Table(
    "announcements",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # What members see (#3): per network, never reused (storage.counters).
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("image", sa.LargeBinary),
    # {"kind": "all" | "role" | "org" | "groups", "values": [...]}
    sa.Column("audience", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),
    sa.Column("recipients", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Index("ix_announcements_network_created", "network_id", "created_at"),
    sa.Index("uq_announcements_network_number", "network_id", "number", unique=True),
)

ANSWERS = ("yes", "maybe", "no")


@dataclass(frozen=True)
class Meeting:
    id: int
    network_id: int
    number: int
    title: str
    starts_at: datetime
    duration_minutes: int
    place: str
    agenda: str
    target_chat_ids: list[int]
    status: str
    version: int
    created_by: int | None


@dataclass(frozen=True)
class Announcement:
    id: int
    network_id: int
    number: int
    text: str
    image: bytes | None
    audience: dict[str, Any]
    status: str
    recipients: int
    created_by: int | None
    created_at: datetime
    sent_at: datetime | None


def _meeting(row: Any) -> Meeting:
    return Meeting(id=row.id, network_id=row.network_id, number=row.number, title=row.title, starts_at=row.starts_at,
                   duration_minutes=row.duration_minutes, place=row.place, agenda=row.agenda,
                   target_chat_ids=[int(c) for c in row.target_chat_ids], status=row.status, version=row.version,
                   created_by=row.created_by)


def _announcement(row: Any) -> Announcement:
    return Announcement(id=row.id, network_id=row.network_id, number=row.number, text=row.text, image=row.image,
                        audience=dict(row.audience), status=row.status, recipients=row.recipients,
                        created_by=row.created_by, created_at=row.created_at, sent_at=row.sent_at)


class MeetingRepo(Repo):
    async def create(self, network_id: int, *, title: str, starts_at: datetime, duration_minutes: int, place: str,
                     agenda: str, target_chat_ids: list[int], created_by: int | None, now: datetime) -> Meeting:
        result = await self.conn.execute(
            meetings.insert().values(network_id=network_id, number=await next_number(self.conn, network_id, "meeting"),
                                     title=title, starts_at=starts_at,
                                     duration_minutes=duration_minutes, place=place, agenda=agenda,
                                     target_chat_ids=target_chat_ids, status="scheduled", version=1,
                                     created_by=created_by, created_at=now, updated_at=now)
            .returning(*meetings.c))
        return _meeting(result.one())

    async def get(self, network_id: int, meeting_id: int) -> Meeting | None:
        row = (await self.conn.execute(
            sa.select(meetings).where(meetings.c.network_id == network_id, meetings.c.id == meeting_id))).first()
        return _meeting(row) if row else None

    async def upcoming(self, network_id: int, now: datetime, *, until: datetime | None = None,
                       limit: int = 20) -> list[Meeting]:
        """Scheduled meetings that have not started yet, soonest first."""
        query = sa.select(meetings).where(meetings.c.network_id == network_id, meetings.c.status == "scheduled",
                                          meetings.c.starts_at > now)
        if until is not None:
            query = query.where(meetings.c.starts_at < until)
        rows = (await self.conn.execute(query.order_by(meetings.c.starts_at, meetings.c.id).limit(limit))).all()
        return [_meeting(r) for r in rows]

    async def count_between(self, network_id: int, start: datetime, end: datetime) -> int:
        return (await self.conn.execute(
            sa.select(sa.func.count()).select_from(meetings)
            .where(meetings.c.network_id == network_id, meetings.c.status == "scheduled",
                   meetings.c.starts_at >= start, meetings.c.starts_at < end))).scalar_one()

    async def reschedule(self, network_id: int, meeting_id: int, starts_at: datetime, now: datetime) -> Meeting | None:
        await self.conn.execute(
            meetings.update().where(meetings.c.network_id == network_id, meetings.c.id == meeting_id,
                                    meetings.c.status == "scheduled")
            .values(starts_at=starts_at, version=meetings.c.version + 1, updated_at=now))
        return await self.get(network_id, meeting_id)

    async def cancel(self, network_id: int, meeting_id: int, now: datetime) -> bool:
        result = await self.conn.execute(
            meetings.update().where(meetings.c.network_id == network_id, meetings.c.id == meeting_id,
                                    meetings.c.status == "scheduled")
            .values(status="cancelled", updated_at=now))
        return bool(result.rowcount)

    # ------------------------------------------------------------ RSVPs

    async def answer(self, network_id: int, meeting_id: int, member_id: int, answer: str, now: datetime) -> bool:
        """Record (or change) a member's answer; False when it was already that answer."""
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}")
        current = (await self.conn.execute(
            sa.select(meeting_rsvps.c.answer).where(meeting_rsvps.c.meeting_id == meeting_id,
                                                    meeting_rsvps.c.member_id == member_id))).scalar_one_or_none()
        if current == answer:
            return False
        if current is None:
            inserted = await self.insert_ignore(
                meeting_rsvps, {"meeting_id": meeting_id, "member_id": member_id, "network_id": network_id,
                                "answer": answer, "updated_at": now}, ["meeting_id", "member_id"])
            if inserted:
                return True
        await self.conn.execute(
            meeting_rsvps.update().where(meeting_rsvps.c.meeting_id == meeting_id,
                                         meeting_rsvps.c.member_id == member_id)
            .values(answer=answer, updated_at=now))
        return True

    async def counts(self, network_id: int, meeting_id: int) -> dict[str, int]:
        rows = (await self.conn.execute(
            sa.select(meeting_rsvps.c.answer, sa.func.count().label("n"))
            .where(meeting_rsvps.c.network_id == network_id, meeting_rsvps.c.meeting_id == meeting_id)
            .group_by(meeting_rsvps.c.answer))).all()
        counts = dict.fromkeys(ANSWERS, 0)
        counts.update({r.answer: r.n for r in rows})
        return counts

    async def attendee_ids(self, network_id: int, meeting_id: int, answers: tuple[str, ...] = ("yes", "maybe")
                           ) -> list[int]:
        rows = (await self.conn.execute(
            sa.select(meeting_rsvps.c.member_id)
            .where(meeting_rsvps.c.network_id == network_id, meeting_rsvps.c.meeting_id == meeting_id,
                   meeting_rsvps.c.answer.in_(answers))
            .order_by(meeting_rsvps.c.member_id))).scalars()
        return list(rows)


class AnnouncementRepo(Repo):
    async def create(self, network_id: int, *, text: str, created_by: int | None, now: datetime) -> Announcement:
        result = await self.conn.execute(
            announcements.insert().values(network_id=network_id,
                                          number=await next_number(self.conn, network_id, "announcement"),
                                          text=text, image=None, audience={"kind": "all"}, status="draft",
                                          recipients=0, created_by=created_by, created_at=now)
            .returning(*announcements.c))
        return _announcement(result.one())

    async def get(self, network_id: int, announcement_id: int) -> Announcement | None:
        row = (await self.conn.execute(
            sa.select(announcements).where(announcements.c.network_id == network_id,
                                           announcements.c.id == announcement_id))).first()
        return _announcement(row) if row else None

    async def by_number(self, network_id: int, number: int) -> Announcement | None:
        """The announcement members know as #``number`` in the network."""
        row = (await self.conn.execute(
            sa.select(announcements).where(announcements.c.network_id == network_id,
                                           announcements.c.number == number))).first()
        return _announcement(row) if row else None

    async def latest_sent(self, network_id: int) -> Announcement | None:
        row = (await self.conn.execute(
            sa.select(announcements).where(announcements.c.network_id == network_id,
                                           announcements.c.status == "sent")
            .order_by(announcements.c.sent_at.desc(), announcements.c.id.desc()).limit(1))).first()
        return _announcement(row) if row else None

    async def update_draft(self, network_id: int, announcement_id: int, **values: Any) -> None:
        allowed = {"text", "image", "audience"}
        if set(values) - allowed:
            raise ValueError(f"cannot update announcement columns {set(values) - allowed}")
        await self.conn.execute(
            announcements.update().where(announcements.c.network_id == network_id,
                                         announcements.c.id == announcement_id, announcements.c.status == "draft")
            .values(**values))

    async def mark_sent(self, network_id: int, announcement_id: int, recipients: int, now: datetime) -> bool:
        """Draft → sent, once; False if it was already sent or cancelled (a double tap)."""
        result = await self.conn.execute(
            announcements.update().where(announcements.c.network_id == network_id,
                                         announcements.c.id == announcement_id, announcements.c.status == "draft")
            .values(status="sent", recipients=recipients, sent_at=now))
        return bool(result.rowcount)

    async def discard(self, network_id: int, announcement_id: int) -> bool:
        result = await self.conn.execute(
            announcements.update().where(announcements.c.network_id == network_id,
                                         announcements.c.id == announcement_id, announcements.c.status == "draft")
            .values(status="cancelled"))
        return bool(result.rowcount)
