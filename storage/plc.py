"""The PLC logbook: professional-learning-community groups, their members, the sessions a
facilitator logs and who was present. Hours are not stored: a teacher's hours are the sum
of the sessions they attended (one source of truth, so a corrected session corrects every
total and every export).

Every row carries ``network_id`` and every read filters on it, so a group or session of
one network is never found from another (a forged button carrying another network's id
finds nothing). Groups and sessions are numbered per network, never reused
(:mod:`storage.counters`). A session's photo lives with the activities' photos
(:class:`storage.activity_repo.PhotoRepo`, entity ``"plc"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from storage.activities import activity_photos
from storage.counters import next_number
from storage.repo import Repo
from storage.tables import members, metadata, organisations
from storage.types import UTCDateTime

PHOTO_ENTITY = "plc"

plc_groups = sa.Table(
    "plc_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("facilitator_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_plc_groups_network_number"),
    sa.Index("ix_plc_groups_network_facilitator", "network_id", "facilitator_id"),
)

plc_members = sa.Table(
    "plc_members",
    metadata,
    sa.Column("group_id", sa.ForeignKey("plc_groups.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # "invited" until the teacher taps Join (or checks in), then "member".
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("invited_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("joined_at", UTCDateTime),
    sa.Index("ix_plc_members_network_member", "network_id", "member_id"),
)

plc_sessions = sa.Table(
    "plc_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("group_id", sa.ForeignKey("plc_groups.id", ondelete="CASCADE"), nullable=False),
    sa.Column("logged_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    # The local date (what the memo shows, what the academic year is taken from) and the UTC start.
    sa.Column("session_date", sa.Date, nullable=False),
    sa.Column("starts_at", UTCDateTime, nullable=False),
    sa.Column("minutes", sa.Integer, nullable=False),
    sa.Column("topic", sa.String(300), nullable=False),
    sa.Column("step", sa.String(16), nullable=False),
    sa.Column("reflection", sa.Text),
    sa.Column("has_photo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_plc_sessions_network_number"),
    sa.Index("ix_plc_sessions_network_group_date", "network_id", "group_id", "session_date"),
)

plc_attendance = sa.Table(
    "plc_attendance",
    metadata,
    sa.Column("session_id", sa.ForeignKey("plc_sessions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # "facilitator" (who ran it), "checkin" (tapped during the window) or "ticked" (by the facilitator).
    sa.Column("how", sa.String(12), nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
    sa.Index("ix_plc_attendance_network_member", "network_id", "member_id", "session_id"),
)


@dataclass(frozen=True)
class PlcGroup:
    id: int
    network_id: int
    number: int
    name: str
    facilitator_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class PlcMembership:
    member_id: int
    status: str


@dataclass(frozen=True)
class PlcSession:
    id: int
    network_id: int
    number: int
    group_id: int
    logged_by: int | None
    session_date: date
    starts_at: datetime
    minutes: int
    topic: str
    step: str
    reflection: str | None
    has_photo: bool
    created_at: datetime


@dataclass(frozen=True)
class Attendee:
    member_id: int
    display_name: str
    number: int
    how: str


@dataclass(frozen=True)
class TeacherHours:
    """A teacher's attended sessions and minutes in a span of dates."""

    member_id: int
    number: int
    display_name: str
    organisation_name: str | None
    sessions: int
    minutes: int


def _group(row: Any) -> PlcGroup:
    return PlcGroup(id=row.id, network_id=row.network_id, number=row.number, name=row.name,
                    facilitator_id=row.facilitator_id, created_at=row.created_at)


def _session(row: Any) -> PlcSession:
    return PlcSession(id=row.id, network_id=row.network_id, number=row.number, group_id=row.group_id,
                      logged_by=row.logged_by, session_date=row.session_date, starts_at=row.starts_at,
                      minutes=row.minutes, topic=row.topic, step=row.step, reflection=row.reflection,
                      has_photo=bool(row.has_photo), created_at=row.created_at)


class PlcGroupRepo(Repo):
    async def create(self, network_id: int, *, name: str, facilitator_id: int, now: datetime) -> PlcGroup:
        result = await self.conn.execute(
            plc_groups.insert().values(network_id=network_id, number=await next_number(self.conn, network_id, "plc"),
                                       name=name, facilitator_id=facilitator_id, created_at=now)
            .returning(*plc_groups.c))
        group = _group(result.one())
        await self.conn.execute(plc_members.insert().values(
            group_id=group.id, member_id=facilitator_id, network_id=network_id, status="member",
            invited_by=facilitator_id, created_at=now, joined_at=now))
        return group

    async def get(self, network_id: int, group_id: int) -> PlcGroup | None:
        row = (await self.conn.execute(sa.select(plc_groups).where(
            plc_groups.c.network_id == network_id, plc_groups.c.id == group_id))).first()
        return _group(row) if row else None

    async def by_number(self, network_id: int, number: int) -> PlcGroup | None:
        row = (await self.conn.execute(sa.select(plc_groups).where(
            plc_groups.c.network_id == network_id, plc_groups.c.number == number))).first()
        return _group(row) if row else None

    async def same_name(self, network_id: int, facilitator_id: int, name: str) -> PlcGroup | None:
        row = (await self.conn.execute(sa.select(plc_groups).where(
            plc_groups.c.network_id == network_id, plc_groups.c.facilitator_id == facilitator_id,
            plc_groups.c.name == name))).first()
        return _group(row) if row else None

    async def facilitated_by(self, network_id: int, member_id: int) -> list[PlcGroup]:
        rows = (await self.conn.execute(sa.select(plc_groups).where(
            plc_groups.c.network_id == network_id, plc_groups.c.facilitator_id == member_id)
            .order_by(plc_groups.c.number))).all()
        return [_group(r) for r in rows]

    async def of_member(self, network_id: int, member_id: int) -> list[tuple[PlcGroup, str]]:
        """The groups ``member_id`` belongs to or is invited to, with that status."""
        rows = (await self.conn.execute(
            sa.select(plc_groups, plc_members.c.status.label("membership"))
            .select_from(plc_groups.join(plc_members, plc_members.c.group_id == plc_groups.c.id))
            .where(plc_groups.c.network_id == network_id, plc_members.c.network_id == network_id,
                   plc_members.c.member_id == member_id)
            .order_by(plc_groups.c.number))).all()
        return [(_group(r), str(r.membership)) for r in rows]

    async def membership(self, network_id: int, group_id: int, member_id: int) -> str | None:
        """"member", "invited", or None."""
        value = (await self.conn.execute(sa.select(plc_members.c.status).where(
            plc_members.c.network_id == network_id, plc_members.c.group_id == group_id,
            plc_members.c.member_id == member_id))).scalar_one_or_none()
        return str(value) if value is not None else None

    async def invite(self, network_id: int, group_id: int, member_id: int, *, by: int, now: datetime) -> bool:
        """Invite a member; False if they are already invited or in the group."""
        return await self.insert_ignore(plc_members, {
            "group_id": group_id, "member_id": member_id, "network_id": network_id, "status": "invited",
            "invited_by": by, "created_at": now, "joined_at": None}, ["group_id", "member_id"])

    async def join(self, network_id: int, group_id: int, member_id: int, now: datetime) -> bool:
        """An invited member joins; False if they were not invited or had already joined."""
        result = await self.conn.execute(plc_members.update().where(
            plc_members.c.network_id == network_id, plc_members.c.group_id == group_id,
            plc_members.c.member_id == member_id, plc_members.c.status == "invited")
            .values(status="member", joined_at=now))
        return bool(result.rowcount)

    async def members(self, network_id: int, group_id: int) -> list[tuple[int, str]]:
        """(member id, status) of everyone in or invited to the group, by member number."""
        rows = (await self.conn.execute(
            sa.select(plc_members.c.member_id, plc_members.c.status)
            .select_from(plc_members.join(members, members.c.id == plc_members.c.member_id))
            .where(plc_members.c.network_id == network_id, plc_members.c.group_id == group_id,
                   members.c.status == "active")
            .order_by(members.c.number))).all()
        return [(int(r.member_id), str(r.status)) for r in rows]


class PlcSessionRepo(Repo):
    async def add(self, network_id: int, *, group_id: int, logged_by: int, session_date: date, starts_at: datetime,
                  minutes: int, topic: str, step: str, reflection: str | None, now: datetime) -> PlcSession:
        result = await self.conn.execute(
            plc_sessions.insert().values(
                network_id=network_id, number=await next_number(self.conn, network_id, "plc_session"),
                group_id=group_id, logged_by=logged_by, session_date=session_date, starts_at=starts_at,
                minutes=minutes, topic=topic, step=step, reflection=reflection, has_photo=False, created_at=now)
            .returning(*plc_sessions.c))
        return _session(result.one())

    async def get(self, network_id: int, session_id: int) -> PlcSession | None:
        row = (await self.conn.execute(sa.select(plc_sessions).where(
            plc_sessions.c.network_id == network_id, plc_sessions.c.id == session_id))).first()
        return _session(row) if row else None

    async def by_number(self, network_id: int, number: int) -> PlcSession | None:
        row = (await self.conn.execute(sa.select(plc_sessions).where(
            plc_sessions.c.network_id == network_id, plc_sessions.c.number == number))).first()
        return _session(row) if row else None

    async def duplicate(self, network_id: int, group_id: int, starts_at: datetime, topic: str) -> PlcSession | None:
        """The same group's session at the same start with the same topic (a double send)."""
        row = (await self.conn.execute(sa.select(plc_sessions).where(
            plc_sessions.c.network_id == network_id, plc_sessions.c.group_id == group_id,
            plc_sessions.c.starts_at == starts_at, plc_sessions.c.topic == topic).limit(1))).first()
        return _session(row) if row else None

    async def set_reflection(self, network_id: int, session_id: int, reflection: str | None) -> None:
        await self.conn.execute(plc_sessions.update().where(
            plc_sessions.c.network_id == network_id, plc_sessions.c.id == session_id).values(reflection=reflection))

    async def set_photo(self, network_id: int, session_id: int, content: bytes, now: datetime) -> None:
        await self.conn.execute(activity_photos.insert().values(
            network_id=network_id, entity=PHOTO_ENTITY, entity_id=session_id, content=content, created_at=now))
        await self.conn.execute(plc_sessions.update().where(
            plc_sessions.c.network_id == network_id, plc_sessions.c.id == session_id).values(has_photo=True))

    async def open_for(self, network_id: int, member_id: int, since: datetime, until: datetime) -> list[PlcSession]:
        """Sessions of the member's groups starting in [since, until) (check-in candidates)."""
        rows = (await self.conn.execute(
            sa.select(plc_sessions)
            .select_from(plc_sessions.join(plc_members, sa.and_(plc_members.c.group_id == plc_sessions.c.group_id,
                                                                plc_members.c.member_id == member_id)))
            .where(plc_sessions.c.network_id == network_id, plc_sessions.c.starts_at >= since,
                   plc_sessions.c.starts_at < until)
            .order_by(plc_sessions.c.starts_at))).all()
        return [_session(r) for r in rows]

    async def of_group(self, network_id: int, group_id: int, *, limit: int = 10) -> list[PlcSession]:
        rows = (await self.conn.execute(sa.select(plc_sessions).where(
            plc_sessions.c.network_id == network_id, plc_sessions.c.group_id == group_id)
            .order_by(plc_sessions.c.starts_at.desc()).limit(limit))).all()
        return [_session(r) for r in rows]

    # ------------------------------------------------------------ attendance

    async def mark(self, network_id: int, session_id: int, member_id: int, how: str, now: datetime) -> bool:
        """Record ``member_id`` as present; False if already recorded."""
        return await self.insert_ignore(plc_attendance, {
            "session_id": session_id, "member_id": member_id, "network_id": network_id, "how": how,
            "recorded_at": now}, ["session_id", "member_id"])

    async def unmark(self, network_id: int, session_id: int, member_id: int) -> bool:
        result = await self.conn.execute(plc_attendance.delete().where(
            plc_attendance.c.network_id == network_id, plc_attendance.c.session_id == session_id,
            plc_attendance.c.member_id == member_id))
        return bool(result.rowcount)

    async def attendees(self, network_id: int, session_id: int) -> list[Attendee]:
        rows = (await self.conn.execute(
            sa.select(plc_attendance.c.member_id, plc_attendance.c.how, members.c.display_name, members.c.number)
            .select_from(plc_attendance.join(members, members.c.id == plc_attendance.c.member_id))
            .where(plc_attendance.c.network_id == network_id, plc_attendance.c.session_id == session_id)
            .order_by(members.c.number))).all()
        return [Attendee(member_id=int(r.member_id), display_name=str(r.display_name), number=int(r.number),
                         how=str(r.how)) for r in rows]

    # ------------------------------------------------------------ hours

    async def hours(self, network_id: int, start: date, end: date, *, member_ids: list[int] | None = None,
                    organisation_id: int | None = None) -> list[TeacherHours]:
        """Sessions attended and minutes in [start, end) per member: of ``member_ids``, or of the
        members of ``organisation_id`` (members without attendance are absent)."""
        query = (
            sa.select(members.c.id, members.c.number, members.c.display_name,
                      organisations.c.name.label("organisation_name"),
                      sa.func.count(plc_sessions.c.id).label("sessions"),
                      sa.func.coalesce(sa.func.sum(plc_sessions.c.minutes), 0).label("minutes"))
            .select_from(plc_attendance
                         .join(plc_sessions, plc_sessions.c.id == plc_attendance.c.session_id)
                         .join(members, members.c.id == plc_attendance.c.member_id)
                         .outerjoin(organisations, organisations.c.id == members.c.organisation_id))
            .where(plc_attendance.c.network_id == network_id, plc_sessions.c.network_id == network_id,
                   plc_sessions.c.session_date >= start, plc_sessions.c.session_date < end)
            .group_by(members.c.id, members.c.number, members.c.display_name, organisations.c.name)
            .order_by(members.c.number))
        if member_ids is not None:
            query = query.where(plc_attendance.c.member_id.in_(member_ids))
        if organisation_id is not None:
            query = query.where(members.c.organisation_id == organisation_id)
        rows = (await self.conn.execute(query)).all()
        return [TeacherHours(member_id=int(r.id), number=int(r.number), display_name=str(r.display_name),
                             organisation_name=r.organisation_name, sessions=int(r.sessions),
                             minutes=int(r.minutes)) for r in rows]

    async def export_rows(self, network_id: int, start: date, end: date, *, member_id: int | None = None,
                          organisation_id: int | None = None) -> list[dict[str, Any]]:
        """Sessions in [start, end) attended by ``member_id`` (or by a member of ``organisation_id``),
        oldest first, with the group's name, the facilitator's name and everyone present."""
        attended = sa.select(plc_attendance.c.session_id).select_from(
            plc_attendance.join(members, members.c.id == plc_attendance.c.member_id)).where(
            plc_attendance.c.network_id == network_id)
        if member_id is not None:
            attended = attended.where(plc_attendance.c.member_id == member_id)
        if organisation_id is not None:
            attended = attended.where(members.c.organisation_id == organisation_id)
        facilitator = members.alias("facilitator")
        rows = (await self.conn.execute(
            sa.select(plc_sessions, plc_groups.c.name.label("group_name"),
                      facilitator.c.display_name.label("facilitator_name"))
            .select_from(plc_sessions.join(plc_groups, plc_groups.c.id == plc_sessions.c.group_id)
                         .outerjoin(facilitator, facilitator.c.id == plc_groups.c.facilitator_id))
            .where(plc_sessions.c.network_id == network_id, plc_sessions.c.session_date >= start,
                   plc_sessions.c.session_date < end, plc_sessions.c.id.in_(attended))
            .order_by(plc_sessions.c.session_date, plc_sessions.c.starts_at, plc_sessions.c.id))).all()
        found = []
        for row in rows:
            item = dict(row._mapping)
            item["attendees"] = await self.attendees(network_id, int(row.id))
            found.append(item)
        return found
