"""Meetings, RSVPs and announcements (tables and repositories).

Importing this module also declares the outbox columns added by migration 0004_outbox
(see :mod:`storage.deliveries`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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
    # leaders | members | assignment (migration 0010_plan); see MEETING_KINDS.
    sa.Column("kind", sa.String(16), nullable=False, server_default="members"),
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

# Who was there (migration 0010_plan): a member's own tap on [มาแล้ว] (marked_by is the member) or the
# coordinator's tick on the list. Counts feed the goals' "meetings held" and attendance, and PLC hours.
meeting_attendance = sa.Table(
    "meeting_attendance",
    metadata,
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("marked_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("marked_at", UTCDateTime, nullable=False),
    sa.Index("ix_meeting_attendance_network_meeting", "network_id", "meeting_id"),
)

# The minutes of a meeting (migration 0010_plan): its decisions, and the plan project that holds
# the tasks its action items became.
meeting_minutes = sa.Table(
    "meeting_minutes",
    metadata,
    sa.Column("meeting_id", sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("decisions", sa.JSON, nullable=False),  # a list of strings
    # plan_projects.id (storage.goals); no foreign key, so this branch of migrations needs none of goals'.
    sa.Column("project_id", sa.Integer),
    sa.Column("recorded_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Index("ix_meeting_minutes_network", "network_id", "recorded_at"),
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
MEETING_KINDS = ("leaders", "members", "assignment")  # ประชุมผู้บริหาร / ประชุมสมาชิก / ประชุมมอบหมายงาน


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
    kind: str = "members"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


@dataclass(frozen=True)
class Minutes:
    meeting_id: int
    network_id: int
    decisions: list[str]
    project_id: int | None
    recorded_by: int | None
    recorded_at: datetime


@dataclass(frozen=True)
class Attendance:
    """Meetings held in a period (scheduled, started) and how many attendances were recorded at them."""

    meetings: int
    with_attendance: int
    attendances: int


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


@dataclass
class AttendedMeeting:
    """A meeting and which of some members attended it (:meth:`MeetingRepo.attended_between`)."""

    id: int
    number: int
    title: str
    starts_at: datetime
    attendees: set[int]


def _meeting(row: Any) -> Meeting:
    return Meeting(id=row.id, network_id=row.network_id, number=row.number, title=row.title, starts_at=row.starts_at,
                   duration_minutes=row.duration_minutes, place=row.place, agenda=row.agenda,
                   target_chat_ids=[int(c) for c in row.target_chat_ids], status=row.status, version=row.version,
                   created_by=row.created_by, kind=row.kind)


def _announcement(row: Any) -> Announcement:
    return Announcement(id=row.id, network_id=row.network_id, number=row.number, text=row.text, image=row.image,
                        audience=dict(row.audience), status=row.status, recipients=row.recipients,
                        created_by=row.created_by, created_at=row.created_at, sent_at=row.sent_at)


class MeetingRepo(Repo):
    async def create(self, network_id: int, *, title: str, starts_at: datetime, duration_minutes: int, place: str,
                     agenda: str, target_chat_ids: list[int], created_by: int | None, now: datetime,
                     kind: str = "members") -> Meeting:
        if kind not in MEETING_KINDS:
            raise ValueError(f"unknown meeting kind {kind!r}")
        result = await self.conn.execute(
            meetings.insert().values(network_id=network_id, number=await next_number(self.conn, network_id, "meeting"),
                                     title=title, starts_at=starts_at,
                                     duration_minutes=duration_minutes, place=place, agenda=agenda,
                                     target_chat_ids=target_chat_ids, status="scheduled", version=1,
                                     created_by=created_by, created_at=now, updated_at=now, kind=kind)
            .returning(*meetings.c))
        return _meeting(result.one())

    async def by_number(self, network_id: int, number: int) -> Meeting | None:
        row = (await self.conn.execute(
            sa.select(meetings).where(meetings.c.network_id == network_id, meetings.c.number == number))).first()
        return _meeting(row) if row else None

    async def recent(self, network_id: int, since: datetime, until: datetime, *, limit: int = 10) -> list[Meeting]:
        """Scheduled meetings starting in [since, until), latest first (those whose minutes may be due)."""
        rows = (await self.conn.execute(
            sa.select(meetings).where(meetings.c.network_id == network_id, meetings.c.status == "scheduled",
                                      meetings.c.starts_at >= since, meetings.c.starts_at < until)
            .order_by(meetings.c.starts_at.desc(), meetings.c.id.desc()).limit(limit))).all()
        return [_meeting(r) for r in rows]

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


    # ------------------------------------------------------------ attendance

    async def attend(self, network_id: int, meeting_id: int, member_id: int, *, by: int | None,
                     now: datetime) -> bool:
        """Record that the member was there; False if already recorded."""
        return await self.insert_ignore(
            meeting_attendance, {"meeting_id": meeting_id, "member_id": member_id, "network_id": network_id,
                                 "marked_by": by, "marked_at": now}, ["meeting_id", "member_id"])

    async def unattend(self, network_id: int, meeting_id: int, member_id: int) -> bool:
        result = await self.conn.execute(meeting_attendance.delete().where(
            meeting_attendance.c.network_id == network_id, meeting_attendance.c.meeting_id == meeting_id,
            meeting_attendance.c.member_id == member_id))
        return bool(result.rowcount)

    async def attended_ids(self, network_id: int, meeting_id: int) -> list[int]:
        rows = (await self.conn.execute(
            sa.select(meeting_attendance.c.member_id)
            .where(meeting_attendance.c.network_id == network_id, meeting_attendance.c.meeting_id == meeting_id)
            .order_by(meeting_attendance.c.member_id))).scalars()
        return list(rows)

    async def attended_between(self, network_id: int, start: datetime, end: datetime,
                               member_ids: set[int]) -> list[AttendedMeeting]:
        """Scheduled meetings starting in [start, end) that any of ``member_ids`` attended, oldest first, each
        with those of them who came: one query over their attendance, not every meeting of the period (the
        SAR pack of a school)."""
        m, a = meetings.c, meeting_attendance.c
        found: dict[int, AttendedMeeting] = {}
        if member_ids:
            for row in await self.conn.execute(
                    sa.select(m.id, m.number, m.title, m.starts_at, a.member_id)
                    .select_from(meetings.join(meeting_attendance, a.meeting_id == m.id))
                    .where(m.network_id == network_id, m.status == "scheduled", m.starts_at >= start,
                           m.starts_at < end, a.network_id == network_id, a.member_id.in_(member_ids))
                    .order_by(m.starts_at, m.id)):
                held = found.get(row.id)
                if held is None:
                    held = found[row.id] = AttendedMeeting(row.id, row.number, row.title, row.starts_at, set())
                held.attendees.add(int(row.member_id))
        return list(found.values())

    async def minutes_of(self, network_id: int, meeting_ids: list[int]) -> dict[int, Minutes]:
        """:meth:`minutes` of many meetings in one query (meetings without minutes are absent)."""
        found: dict[int, Minutes] = {}
        if meeting_ids:
            for row in await self.conn.execute(sa.select(meeting_minutes).where(
                    meeting_minutes.c.network_id == network_id, meeting_minutes.c.meeting_id.in_(meeting_ids))):
                found[row.meeting_id] = Minutes(meeting_id=row.meeting_id, network_id=row.network_id,
                                                decisions=[str(d) for d in row.decisions], project_id=row.project_id,
                                                recorded_by=row.recorded_by, recorded_at=row.recorded_at)
        return found

    async def attendance_count(self, network_id: int, meeting_id: int) -> int:
        return int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(meeting_attendance)
            .where(meeting_attendance.c.network_id == network_id,
                   meeting_attendance.c.meeting_id == meeting_id))).scalar_one())

    async def attendance_between(self, network_id: int, start: datetime, end: datetime, *,
                                 kind: str | None = None) -> Attendance:
        """Meetings (not cancelled) that started in [start, end), optionally of one kind, and their attendance:
        what goal targets ("meetings held", attendance) and PLC hours read."""
        m, a = meetings.c, meeting_attendance.c
        where = [m.network_id == network_id, m.status == "scheduled", m.starts_at >= start, m.starts_at < end]
        if kind is not None:
            where.append(m.kind == kind)
        held = int((await self.conn.execute(
            sa.select(sa.func.count()).select_from(meetings).where(*where))).scalar_one())
        row = (await self.conn.execute(
            sa.select(sa.func.count(sa.distinct(a.meeting_id)).label("meetings"), sa.func.count().label("n"))
            .select_from(meeting_attendance.join(meetings, meetings.c.id == a.meeting_id))
            .where(a.network_id == network_id, *where))).one()
        return Attendance(meetings=held, with_attendance=int(row.meetings), attendances=int(row.n))

    async def attended_minutes(self, network_id: int, start: datetime, end: datetime, *,
                               member_id: int | None = None) -> int:
        """Minutes of meetings (started in [start, end), not cancelled) summed over the attendances
        recorded, or one member's: the meeting hours PLC logbooks count."""
        m, a = meetings.c, meeting_attendance.c
        query = (sa.select(sa.func.coalesce(sa.func.sum(m.duration_minutes), 0))
                 .select_from(meeting_attendance.join(meetings, meetings.c.id == a.meeting_id))
                 .where(a.network_id == network_id, m.status == "scheduled", m.starts_at >= start, m.starts_at < end))
        if member_id is not None:
            query = query.where(a.member_id == member_id)
        return int((await self.conn.execute(query)).scalar_one())

    # ------------------------------------------------------------ minutes

    async def minutes(self, network_id: int, meeting_id: int) -> Minutes | None:
        row = (await self.conn.execute(sa.select(meeting_minutes).where(
            meeting_minutes.c.network_id == network_id, meeting_minutes.c.meeting_id == meeting_id))).first()
        if row is None:
            return None
        return Minutes(meeting_id=row.meeting_id, network_id=row.network_id, decisions=[str(d) for d in row.decisions],
                       project_id=row.project_id, recorded_by=row.recorded_by, recorded_at=row.recorded_at)

    async def save_minutes(self, network_id: int, meeting_id: int, *, decisions: list[str], project_id: int | None,
                           recorded_by: int | None, now: datetime) -> bool:
        """Record the minutes once; False if the meeting already has minutes (a double tap)."""
        return await self.insert_ignore(
            meeting_minutes, {"meeting_id": meeting_id, "network_id": network_id, "decisions": decisions,
                              "project_id": project_id, "recorded_by": recorded_by, "recorded_at": now},
            ["meeting_id"])


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
