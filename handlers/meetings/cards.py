"""What the meeting feature's parts share: settings, the card, the calendar file, who is invited and
how they are told, reminders' scheduling."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.context import BaseContext
from bot.dates import from_thai_digits
from bot.delivery_policy import Urgency, before_quiet
from bot.i18n import N_, Translator
from bot.model import Button, Card
from bot.payload import encode
from bot.roles import Role
from handlers._common.formatting import example_date
from handlers._common.groups import duration_text
from storage.meetings import Meeting, MeetingRepo
from storage.membership import ChatRepo, MemberRepo, Network

COORDINATOR = {Role.COORDINATOR}
DEFAULT_REMINDERS = (1440, 60)  # minutes before the start: 1 day and 1 hour
REMINDER_KIND = "meeting_reminder"
ANSWER_CODES = {"y": "yes", "m": "maybe", "n": "no"}
MAX_TITLE = 200
MAX_PLACE = 500
MAX_AGENDA = 1500
KIND_LABELS = {"leaders": N_("leaders' meeting"), "members": N_("members' meeting"),
               "assignment": N_("assignment meeting")}
# Members tap [มาแล้ว] from this long before the start until the meeting's end plus the same margin.
ATTENDANCE_MARGIN = timedelta(minutes=30)

# ------------------------------------------------------------------ settings and small helpers


def reminder_offsets(network: Network | None) -> list[int]:
    """Minutes before a meeting at which reminders go out (network setting, largest first)."""
    raw = (network.settings if network else {}).get("meeting_reminders", list(DEFAULT_REMINDERS))
    offsets = sorted({int(m) for m in raw if int(m) > 0}, reverse=True)
    return offsets


def date_error(ctx: BaseContext, code: str) -> str:
    t, example = ctx.t, example_date(ctx, 4, "14:00")
    messages = {
        "missing_time": t("Please add a time too, e.g. {example}.", example=example),
        "impossible": t("That date or time does not exist. Please check it."),
        "ambiguous_year": t("Please write the year in full, e.g. 2569 or 2026."),
        "year_out_of_range": t("That year is out of range. Please check it."),
    }
    return messages.get(code, t("I could not read that date and time. Examples: {example}, พรุ่งนี้ 9 น.",
                                example=example))


DURATION_RE = re.compile(r"^(?P<n>\d+(?:[.,]\d+)?)\s*(?P<unit>h|hr|hrs|hour|hours|ชม\.?|ชั่วโมง|"
                         r"m|min|mins|minute|minutes|นาที)?$")


def parse_duration(text: str) -> int | None:
    """Minutes from ``90``, ``90 นาที``, ``1.5 ชม.``, ``2h``; a bare small number means hours."""
    match = DURATION_RE.match(from_thai_digits(text).strip().lower())
    if not match:
        return None
    value = float(match["n"].replace(",", "."))
    unit = match["unit"] or ("h" if value <= 8 else "m")
    minutes = round(value * 60) if unit[0] in "hชc" else round(value)
    return minutes if 5 <= minutes <= 24 * 60 else None


def rsvp_buttons(t: Translator, meeting_id: int) -> list[Button]:
    return [Button(t("Going"), encode("rsvp", meeting_id, "y")), Button(t("Maybe"), encode("rsvp", meeting_id, "m")),
            Button(t("Not going"), encode("rsvp", meeting_id, "n"))]


def meeting_card(t: Translator, meeting: Meeting, counts: dict[str, int], tz: Any, *,
                 manage: bool = False) -> Card:
    """The meeting as a card: details, live RSVP counts, RSVP and calendar buttons."""
    fields = [(t("Kind"), t(KIND_LABELS.get(meeting.kind, KIND_LABELS["members"]))),
              (t("When"), t.datetime(meeting.starts_at.astimezone(tz))),
              (t("Duration"), duration_text(t, meeting.duration_minutes)),
              (t("Place"), meeting.place or "-")]
    if meeting.agenda:
        fields.append((t("Agenda"), meeting.agenda))
    body = t("Going {yes} · Maybe {maybe} · Not going {no}", yes=counts.get("yes", 0),
             maybe=counts.get("maybe", 0), no=counts.get("no", 0))
    if counts.get("attended"):
        body += "\n" + t("Present: {n}", n=counts["attended"])
    buttons = [rsvp_buttons(t, meeting.id), [Button(t("I'm here"), encode("mtatt", meeting.id)),
                                             Button(t("Calendar file"), encode("ics", meeting.id))]]
    if manage:
        buttons.append([Button(t("Reschedule"), encode("mtgmove", meeting.id)),
                        Button(t("Cancel meeting"), encode("mtgcxl", meeting.id))])
        buttons.append([Button(t("Attendance list"), encode("mtroll", meeting.id)),
                        Button(t("Record minutes"), encode("mtmin", meeting.id))])
    if meeting.status == "cancelled":
        body = t("This meeting was cancelled.")
        buttons = []
    return Card(title=f"📅 {meeting.title}", fields=fields, body=body, buttons=buttons,
                alt_text=t("Meeting: {title}", title=meeting.title), update_key=f"meeting:{meeting.id}")


def ics_file(meeting: Meeting, now: datetime, network_name: str) -> bytes:
    """An iCalendar (RFC 5545) file for the meeting; SEQUENCE follows reschedules. A cancelled
    meeting's file is a cancellation (RFC 5546 METHOD:CANCEL): opening it removes the event."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//EduNet//meetings//TH")
    calendar.add("version", "2.0")
    cancelled = meeting.status == "cancelled"
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}-n{meeting.network_id}@edunet")
    event.add("dtstamp", now)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.starts_at + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", meeting.title)
    # The cancellation must outrank the last published version of the event.
    event.add("sequence", meeting.version if cancelled else meeting.version - 1)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if meeting.place:
        event.add("location", meeting.place)
        if re.match(r"^https?://", meeting.place):
            event.add("url", meeting.place)
    event.add("description", "\n".join(filter(None, [meeting.agenda, network_name])))
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


async def get_meeting(ctx: BaseContext, meeting_id: int) -> Meeting | None:
    if ctx.network is None:
        return None
    return await ctx.repo(MeetingRepo).get(ctx.network.id, meeting_id)


async def card_counts(ctx: BaseContext, meeting: Meeting) -> dict[str, int]:
    """RSVP counts and, under ``attended``, how many were recorded present."""
    assert ctx.network is not None
    repo = ctx.repo(MeetingRepo)
    counts = await repo.counts(ctx.network.id, meeting.id)
    counts["attended"] = await repo.attendance_count(ctx.network.id, meeting.id)
    return counts


async def target_chats(ctx: BaseContext, meeting: Meeting) -> list:  # type: ignore[type-arg]
    """The meeting's target groups that are still linked to its network and active."""
    assert ctx.network is not None
    linked = {c.id: c for c in await ctx.repo(ChatRepo).linked_groups(ctx.network.id)}
    return [linked[c] for c in meeting.target_chat_ids if c in linked]


async def attendees(ctx: BaseContext, meeting: Meeting) -> list:  # type: ignore[type-arg]
    assert ctx.network is not None
    members = ctx.repo(MemberRepo)
    found = []
    for member_id in await ctx.repo(MeetingRepo).attendee_ids(ctx.network.id, meeting.id):
        member = await members.get(ctx.network.id, member_id)
        if member is not None and member.status == "active":
            found.append(member)
    return found


def change_urgency(ctx: BaseContext, *starts: datetime) -> Urgency:
    """A meeting cancelled or moved within 24 hours of (either) start is urgent news; later ones are
    timely (they must arrive before the meeting)."""
    return Urgency.URGENT if min(starts) - ctx.now <= timedelta(hours=24) else Urgency.TIMELY


async def tell_everyone(ctx: BaseContext, meeting: Meeting, key: str, render, *,  # type: ignore[no-untyped-def]
                        urgency: Urgency, deliver_by: datetime) -> int:
    """Push once to the target groups and privately to those going or maybe."""
    count = 0
    for chat in await target_chats(ctx, meeting):
        count += await ctx.push(chat, render, key=f"{key}:chat:{chat.id}", urgency=urgency, deliver_by=deliver_by)
    for member in await attendees(ctx, meeting):
        count += await ctx.push_member(member, render, key=f"{key}:member:{member.id}", urgency=urgency,
                                       deliver_by=deliver_by)
    return count


async def schedule_reminders(ctx: BaseContext, meeting: Meeting) -> list[int]:
    """(Re)schedule the meeting's reminders; offsets already past are cancelled. Returns the kept offsets."""
    kept = []
    quiet = ctx.quiet_hours(ctx.network)
    await ctx.unschedule(f"meeting:{meeting.id}:remind:", prefix=True)
    for offset in reminder_offsets(ctx.network):
        # A reminder never wakes anyone: one due in quiet hours runs just before they begin.
        run_at = before_quiet(meeting.starts_at - timedelta(minutes=offset), quiet, ctx.tz)
        if run_at <= ctx.now:
            continue
        await ctx.schedule(f"meeting:{meeting.id}:remind:-{offset}m", REMINDER_KIND, run_at,
                           {"meeting_id": meeting.id, "offset": offset})
        kept.append(offset)
    return kept


def reminders_text(t: Translator, offsets: list[int]) -> str:
    if not offsets:
        return t("none")
    return t.join(t("{time} before", time=duration_text(t, o)) for o in offsets)
