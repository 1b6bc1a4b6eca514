"""Meetings: a guided /meeting flow (a leaders', members' or assignment meeting), RSVP buttons with
live counts, reminders, /meetings, reschedule and cancel (everyone told once), an .ics calendar file
per meeting, attendance ([มาแล้ว] during the meeting, or the coordinator's list) and the minutes:
decisions and action items, each of which becomes a task of the work plan (handlers.plan)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import handlers.plan as plan
from bot.args import parse_whole
from bot.context import BaseContext, Context, MemberContext, TaskContext
from bot.dates import DateInputError, from_thai_digits, parse_datetime
from bot.delivery_policy import Urgency, before_quiet
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_, Translator
from bot.model import Button, Card, Document, Text
from bot.payload import encode
from bot.roles import Role
from bot.router import Router, Where
from bot.summary import Period, SummarySection
from handlers._common.buttons import load_or_expire
from handlers._common.flows import confirm, skippable
from handlers._common.formatting import example_date
from handlers._common.groups import duration_text, group_picker, linked_groups, short, toggle
from storage.deliveries import TaskOutcomeRepo
from storage.goals import PlanRepo
from storage.meetings import MEETING_KINDS, Meeting, MeetingRepo
from storage.membership import ChatRepo, MemberRepo, Network

ORDER = 40
router = Router()

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


# ------------------------------------------------------------------ /meeting: the guided flow


@router.command("meeting", "ประชุม", roles=COORDINATOR, help=N_("Call a meeting (guided)"))
async def meeting_command(ctx: MemberContext) -> None:
    origin = ctx.chat.id if (ctx.chat.kind == "group" and ctx.chat.network_id == ctx.member.network_id) else None
    await begin(ctx, "meeting", "title", {"origin": origin}, answer=ctx.args)


async def ask_title(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("New meeting. What is its title?"))


async def read_title(ctx: MemberContext, value: str) -> Data | Retry:
    if not 1 <= len(value) <= MAX_TITLE:
        return Retry(ctx.t("Please send a title of 1 to {max} characters.", max=MAX_TITLE))
    return {"title": value}


async def ask_when(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("When is it? Send the date and time, e.g. {example} or พรุ่งนี้ 9 น.",
                          example=example_date(ctx, 4, "14:00")))


async def read_when(ctx: MemberContext, value: str) -> Data | Retry:
    try:
        starts = ctx.to_utc(parse_datetime(value, ctx.today))
    except DateInputError as exc:
        return Retry(date_error(ctx, exc.code))
    if starts <= ctx.now:
        return Retry(ctx.t("That time has already passed. Please send a future date and time."))
    return {"starts": starts.isoformat()}


async def ask_duration(ctx: MemberContext) -> None:
    t = ctx.t
    await ctx.reply(Text(t("How long will it last? e.g. 90 (minutes) or 1.5 ชม."),
                         buttons=[[ctx.flow_button(t("1 hour"), "60"), ctx.flow_button(t("1.5 hours"), "90"),
                                   ctx.flow_button(t("2 hours"), "120")]]))


async def read_duration(ctx: MemberContext, value: str) -> Data | Retry:
    minutes = parse_duration(value)
    if minutes is None:
        return Retry(ctx.t("Please send a duration from 5 minutes to 24 hours, e.g. 90 or 1.5 ชม."))
    return {"duration": minutes}


async def ask_place(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Where? Send the place or the online meeting link."))


async def read_place(ctx: MemberContext, value: str) -> Data | Retry:
    if not 1 <= len(value) <= MAX_PLACE:
        return Retry(ctx.t("Please send a place or link of 1 to {max} characters.", max=MAX_PLACE))
    return {"place": value}


async def ask_agenda(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("What is the agenda? Send it, or tap No agenda."),
                         buttons=[[ctx.flow_button(ctx.t("No agenda"), "-")]]))


async def read_agenda(ctx: MemberContext, value: str) -> Data | Retry:
    if len(value) > MAX_AGENDA:
        return Retry(ctx.t("The agenda is too long (at most {max} characters).", max=MAX_AGENDA))
    return {"agenda": "" if value == "-" else value}


async def ask_pick(ctx: MemberContext) -> None:
    await ctx.reply(await group_picker(ctx, [], ctx.t("Tap groups to choose them, then Done.")))


async def read_pick(ctx: MemberContext, value: str) -> Retry | None:
    """Toggle groups until Done (moves to the preview itself), or cancel."""
    assert ctx.flow is not None
    t = ctx.t
    if value == "cancel":
        await ctx.end_flow()
        await ctx.reply(t("Cancelled. Nothing was saved."))
    elif value == "done":
        if not ctx.flow.data.get("targets"):
            return Retry(await group_picker(ctx, [], t("Please choose at least one group.")))
        await show_preview(ctx)
    elif value.startswith("g:"):
        selected = toggle(list(ctx.flow.data.get("targets", [])), value)
        await ctx.goto("pick", targets=selected)
        await ctx.reply(await group_picker(ctx, selected, t("Tap groups to choose them, then Done.")))
    else:
        return Retry(t("Please use the buttons: tap groups, then Done."))
    return None


async def read_confirm(ctx: MemberContext, value: str) -> Retry | None:
    if value.startswith("kind:") and value[5:] in MEETING_KINDS:
        await ctx.goto("confirm", kind=value[5:])
        await show_preview(ctx)
    elif value == "create":
        await create_meeting(ctx)
    elif value == "cancel":
        await ctx.end_flow()
        await ctx.reply(ctx.t("Cancelled. Nothing was saved."))
    else:
        return Retry(ctx.t("Please tap Create or Cancel."))
    return None


async def ask_targets(ctx: MemberContext) -> None:
    t = ctx.t
    groups = await linked_groups(ctx)
    if not groups:
        await ctx.end_flow()
        await ctx.reply(t("No group is linked to the network yet, so there is nobody to invite. "
                          "Link a group with /linkgroup first."))
        return
    row = []
    if ctx.flow and ctx.flow.data.get("origin"):
        row.append(ctx.flow_button(t("This group"), "here"))
    row.append(ctx.flow_button(t("All groups"), "all"))
    row.append(ctx.flow_button(t("Choose groups"), "choose"))
    await ctx.reply(Text(t("Which groups are invited?"), buttons=[row]))


async def read_targets(ctx: MemberContext, value: str) -> Retry | None:
    """This group, all groups (both straight to the preview) or choosing them one by one."""
    assert ctx.flow is not None
    groups = [c.id for c in await linked_groups(ctx)]
    if value == "here" and ctx.flow.data.get("origin") in groups:
        await ctx.goto("confirm", targets=[ctx.flow.data["origin"]])
        await show_preview(ctx)
    elif value == "all":
        await ctx.goto("confirm", targets=groups)
        await show_preview(ctx)
    elif value == "choose":
        await ctx.goto("pick", targets=[])
        await ask_pick(ctx)
    else:
        return Retry(ctx.t("Please choose with the buttons."))
    return None


def draft_meeting(ctx: Context) -> Meeting:
    assert ctx.flow is not None and ctx.network is not None
    d = ctx.flow.data
    return Meeting(id=0, network_id=ctx.network.id, number=0, title=d["title"], starts_at=datetime.fromisoformat(d["starts"]),
                   duration_minutes=int(d["duration"]), place=d["place"], agenda=d.get("agenda", ""),
                   target_chat_ids=[int(c) for c in d.get("targets", [])], status="scheduled", version=1,
                   created_by=None, kind=d.get("kind", "members"))


async def show_preview(ctx: Context) -> None:
    assert ctx.flow is not None
    await ctx.goto("confirm")
    draft = draft_meeting(ctx)
    card = meeting_card(ctx.t, draft, {}, ctx.tz)
    # The kind is chosen on the preview (a members' meeting unless another is tapped).
    kinds = [ctx.flow_button(("✓ " if k == draft.kind else "") + ctx.t(KIND_LABELS[k]), f"kind:{k}")
             for k in MEETING_KINDS]
    card.buttons = [kinds, [ctx.flow_button(ctx.t("Create"), "create"), ctx.flow_button(ctx.t("Cancel"), "cancel")]]
    card.update_key = None
    card.body = ctx.t("Invited groups: {count}. Reminders: {reminders}.", count=len(draft.target_chat_ids),
                      reminders=reminders_text(ctx.t, reminder_offsets(ctx.network)))
    await ctx.reply(card)


router.steps("meeting", {
    "title": Step(ask_title, read_title, next="when"),
    "when": Step(ask_when, read_when, next="duration"),
    "duration": Step(ask_duration, read_duration, next="place"),
    "place": Step(ask_place, read_place, next="agenda"),
    "agenda": Step(ask_agenda, read_agenda, next="targets"),
    # The last three move on by themselves: the preview follows a choice of groups.
    "targets": Step(ask_targets, read_targets),
    "pick": Step(ask_pick, read_pick),
    "confirm": Step(show_preview, read_confirm),
}, roles=COORDINATOR)


def reminders_text(t: Translator, offsets: list[int]) -> str:
    if not offsets:
        return t("none")
    return t.join(t("{time} before", time=duration_text(t, o)) for o in offsets)


async def create_meeting(ctx: MemberContext) -> None:
    draft = draft_meeting(ctx)
    await ctx.end_flow()
    if draft.starts_at <= ctx.now:
        await ctx.reply(ctx.t("That time has already passed. Please send a future date and time."))
        return
    meeting = await ctx.repo(MeetingRepo).create(
        ctx.network.id, title=draft.title, starts_at=draft.starts_at, duration_minutes=draft.duration_minutes,
        place=draft.place, agenda=draft.agenda, target_chat_ids=draft.target_chat_ids, created_by=ctx.member.id,
        now=ctx.now, kind=draft.kind)
    await ctx.audit("create", "meeting", meeting.id, title=meeting.title, starts_at=meeting.starts_at.isoformat(),
                    targets=meeting.target_chat_ids, kind=meeting.kind)
    tz = ctx.tz
    pushed = 0
    for chat in await target_chats(ctx, meeting):
        if chat.id == ctx.chat.id:
            await ctx.reply(meeting_card(ctx.t, meeting, {}, tz))
        else:
            pushed += await ctx.push(chat, lambda t: [meeting_card(t, meeting, {}, tz)],
                                     key=f"meeting:{meeting.id}:card:chat:{chat.id}", urgency=Urgency.TIMELY,
                                     deliver_by=meeting.starts_at)
    kept = await schedule_reminders(ctx, meeting)
    await ctx.reply(ctx.t("Meeting #{id} created and sent to {count} group(s). Reminders: {reminders}.",
                          id=meeting.number, count=len(meeting.target_chat_ids), reminders=reminders_text(ctx.t, kept)))


# ------------------------------------------------------------------ RSVP, calendar file, listing


@router.button("rsvp")
async def rsvp(ctx: MemberContext) -> None:
    payload = ctx.payload
    meeting = await load_or_expire(ctx, get_meeting(ctx, payload.int_arg(0)))
    answer = ANSWER_CODES.get(payload.arg(1))
    if meeting is None:
        return
    if answer is None:  # an answer code this version does not know
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    if meeting.status != "scheduled" or meeting.starts_at <= ctx.now:
        await ctx.say(ctx.t("This meeting is no longer taking answers."))
        return
    repo = ctx.repo(MeetingRepo)
    changed = await repo.answer(ctx.network.id, meeting.id, ctx.member.id, answer, ctx.now)
    label = {"yes": ctx.t("Going"), "maybe": ctx.t("Maybe"), "no": ctx.t("Not going")}[answer]
    ctx.toast = ctx.t("Your answer: {answer}", answer=label)
    if changed:
        await ctx.audit("rsvp", "meeting", meeting.id, answer=answer)
        # The card again, with the same update key: platforms that can, edit it in place.
        await ctx.reply(meeting_card(ctx.t, meeting, await card_counts(ctx, meeting), ctx.tz))
    elif ctx.event.is_private:
        await ctx.reply(ctx.toast)


@router.button("ics")
async def calendar_file(ctx: MemberContext) -> None:
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    if meeting is None:
        return
    document = Document(filename=f"meeting-{meeting.number}.ics", content=ics_file(meeting, ctx.now, ctx.network.name),
                        mime_type="text/calendar", caption=ctx.t("Open this file to add “{title}” to your calendar.",
                                                                 title=meeting.title))
    if ctx.event.is_private:
        await ctx.reply(document)
        return
    # In a group, send it privately rather than to everyone; never into the group itself.
    if await ctx.push_member(ctx.member, [document], key=f"meeting:{meeting.id}:ics:{ctx.event.event_id}",
                             urgency=Urgency.URGENT):
        ctx.toast = ctx.t("I sent the calendar file to you in a private chat.")
    else:
        ctx.toast = ctx.t("I cannot reach you privately yet. Please open a private chat with me (LINE: add me as a "
                          "friend; Telegram: press Start), then tap Calendar file again.")


@router.command("meetings", "การประชุม", help=N_("Upcoming meetings"))
async def list_meetings(ctx: MemberContext) -> None:
    upcoming = await ctx.repo(MeetingRepo).upcoming(ctx.network.id, ctx.now, limit=10)
    # Meetings of the past week stay reachable: attendance is ticked and minutes recorded from their card.
    recent = await ctx.repo(MeetingRepo).recent(ctx.network.id, ctx.now - timedelta(days=7), ctx.now, limit=5)
    if not upcoming and not recent:
        await ctx.reply(ctx.t("No upcoming meetings."))
        return
    lines = [ctx.t("Upcoming meetings:") if upcoming else ctx.t("No upcoming meetings.")]
    buttons = []
    for meeting in upcoming:
        counts = await ctx.repo(MeetingRepo).counts(ctx.network.id, meeting.id)
        lines.append(ctx.t("#{id} {title} — {when} (going {yes})", id=meeting.number, title=meeting.title,
                           when=ctx.t.datetime(ctx.local(meeting.starts_at)), yes=counts["yes"]))
        buttons.append([ctx.button(short(f"#{meeting.number} {meeting.title}"), "mtg", meeting.id)])
    if recent:
        lines.append(ctx.t("Meetings of the past week:"))
    for meeting in recent:
        present = await ctx.repo(MeetingRepo).attendance_count(ctx.network.id, meeting.id)
        lines.append(ctx.t("#{id} {title} — {when} (present {n})", id=meeting.number, title=meeting.title,
                           when=ctx.t.datetime(ctx.local(meeting.starts_at)), n=present))
        buttons.append([ctx.button(short(f"#{meeting.number} {meeting.title}"), "mtg", meeting.id)])
    await ctx.reply(Text("\n".join(lines), buttons=buttons))


@router.button("mtg")
async def show_meeting(ctx: MemberContext) -> None:
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    if meeting is None:
        return
    counts = await card_counts(ctx, meeting)
    manage = ctx.member.role == Role.COORDINATOR.value and ctx.event.is_private
    await ctx.reply(meeting_card(ctx.t, meeting, counts, ctx.tz, manage=manage))


# ------------------------------------------------------------------ reschedule and cancel


@router.button("mtgmove", roles=COORDINATOR)
async def reschedule_button(ctx: MemberContext) -> None:
    meeting = await get_meeting(ctx, ctx.payload.int_arg(0))
    if meeting is None or meeting.status != "scheduled":
        await ctx.say(ctx.t("This meeting can no longer be changed."))
        return
    await ctx.start_flow("mtgmove", "when", {"id": meeting.id})
    await ctx.reply(ctx.t("New date and time for “{title}”? (now {when})", title=meeting.title,
                          when=ctx.t.datetime(ctx.local(meeting.starts_at))))


@router.flow("mtgmove", roles=COORDINATOR)
async def reschedule_flow(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    try:
        starts = ctx.to_utc(parse_datetime(ctx.input.strip(), ctx.today))
    except DateInputError as exc:
        await ctx.reply(date_error(ctx, exc.code))
        return
    if starts <= ctx.now:
        await ctx.reply(ctx.t("That time has already passed. Please send a future date and time."))
        return
    meeting = await get_meeting(ctx, int(ctx.flow.data["id"]))
    await ctx.end_flow()
    if meeting is None or meeting.status != "scheduled":
        await ctx.reply(ctx.t("This meeting can no longer be changed."))
        return
    old = meeting.starts_at
    moved = await ctx.repo(MeetingRepo).reschedule(ctx.network.id, meeting.id, starts, ctx.now)
    assert moved is not None
    await ctx.audit("reschedule", "meeting", moved.id, starts_at=starts.isoformat(), previous=old.isoformat())
    tz = ctx.tz
    counts = await ctx.repo(MeetingRepo).counts(ctx.network.id, moved.id)

    def notice(t: Translator) -> list:  # type: ignore[type-arg]
        return [Text(t("📅 Meeting moved: {title}\nNew time: {when} (was {old})", title=moved.title,
                       when=t.datetime(moved.starts_at.astimezone(tz)), old=t.datetime(old.astimezone(tz)))),
                meeting_card(t, moved, counts, tz)]

    told = await tell_everyone(ctx, moved, f"meeting:{moved.id}:v{moved.version}:moved", notice,
                               urgency=change_urgency(ctx, old, starts), deliver_by=min(old, starts))
    kept = await schedule_reminders(ctx, moved)
    await ctx.reply(ctx.t("Meeting #{id} moved to {when}. {count} chat(s) will be told. Reminders: {reminders}.",
                          id=moved.number, when=ctx.t.datetime(ctx.local(starts)), count=told,
                          reminders=reminders_text(ctx.t, kept)))


@router.button("mtgcxl", roles=COORDINATOR)
async def cancel_button(ctx: MemberContext) -> None:
    meeting = await get_meeting(ctx, ctx.payload.int_arg(0))
    if meeting is None or meeting.status != "scheduled":
        await ctx.say(ctx.t("This meeting can no longer be changed."))
        return
    await ctx.reply(Text(ctx.t("Cancel “{title}”? Everyone invited will be told.", title=meeting.title),
                         buttons=[[ctx.button(ctx.t("Yes, cancel it"), "mtgcxlok", meeting.id)]]))


@router.button("mtgcxlok", roles=COORDINATOR)
async def cancel_confirmed(ctx: MemberContext) -> None:
    meeting = await get_meeting(ctx, ctx.payload.int_arg(0))
    if meeting is None or not await ctx.repo(MeetingRepo).cancel(ctx.network.id, meeting.id, ctx.now):
        await ctx.say(ctx.t("This meeting can no longer be changed."))
        return
    await ctx.audit("cancel", "meeting", meeting.id)
    await ctx.unschedule(f"meeting:{meeting.id}:remind:", prefix=True)
    tz = ctx.tz
    told = await tell_everyone(ctx, meeting, f"meeting:{meeting.id}:cancelled", lambda t: [
        Text(t("❌ Meeting cancelled: {title} ({when})", title=meeting.title,
               when=t.datetime(meeting.starts_at.astimezone(tz))))],
        urgency=change_urgency(ctx, meeting.starts_at), deliver_by=meeting.starts_at)
    await ctx.reply(ctx.t("Meeting #{id} cancelled. {count} chat(s) will be told.", id=meeting.number, count=told))


# ------------------------------------------------------------------ reminders


@router.task(REMINDER_KIND)
async def send_reminder(ctx: TaskContext) -> None:
    """Send one reminder, or drop it (and record why) when it no longer makes sense."""
    meeting = await get_meeting(ctx, int(ctx.payload["meeting_id"]))
    offset = int(ctx.payload["offset"])
    outcome = ctx.repo(TaskOutcomeRepo)
    if meeting is None or meeting.status != "scheduled":
        await outcome.record(ctx.task.id, "dropped", "meeting cancelled or gone")
        return
    if meeting.starts_at <= ctx.now:
        await outcome.record(ctx.task.id, "dropped",
                             f"meeting already started at {meeting.starts_at.isoformat()}; reminder was due "
                             f"{ctx.task.run_at.isoformat()}, ran {ctx.now.isoformat()} (the bot was down)")
        return
    for later in reminder_offsets(ctx.network):
        if later < offset and meeting.starts_at - timedelta(minutes=later) <= ctx.now:
            await outcome.record(ctx.task.id, "dropped", f"superseded by the -{later}m reminder (ran late)")
            return
    tz = ctx.tz
    left = max(1, round((meeting.starts_at - ctx.now).total_seconds() / 60))

    def reminder(t: Translator) -> list:  # type: ignore[type-arg]
        return [Text(t("⏰ Reminder: “{title}” starts in {left} ({when})\nPlace: {place}", title=meeting.title,
                       left=duration_text(t, left), when=t.datetime(meeting.starts_at.astimezone(tz)),
                       place=meeting.place or "-"),
                     buttons=[rsvp_buttons(t, meeting.id)])]

    await tell_everyone(ctx, meeting, f"meeting:{meeting.id}:v{meeting.version}:remind:-{offset}m", reminder,
                        urgency=Urgency.TIMELY, deliver_by=meeting.starts_at)


# ------------------------------------------------------------------ attendance


def attendance_open(ctx: BaseContext, meeting: Meeting) -> bool:
    return meeting.starts_at - ATTENDANCE_MARGIN <= ctx.now <= meeting.ends_at + ATTENDANCE_MARGIN


@router.button("mtatt")
async def attend_pressed(ctx: MemberContext) -> None:
    """[มาแล้ว]: the member was at the meeting; only during the meeting window."""
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    if meeting is None:
        return
    if meeting.status != "scheduled":
        await ctx.say(ctx.t("This meeting was cancelled."))
        return
    if not attendance_open(ctx, meeting):
        await ctx.say(ctx.t("Attendance is taken from 30 minutes before the meeting starts until 30 minutes after "
                            "it ends ({when}).", when=ctx.t.datetime(ctx.local(meeting.starts_at))))
        return
    if not await ctx.repo(MeetingRepo).attend(ctx.network.id, meeting.id, ctx.member.id, by=ctx.member.id,
                                              now=ctx.now):
        await ctx.say(ctx.t("You are already recorded as present."))
        return
    await ctx.audit("attend", "meeting", meeting.id)
    ctx.toast = ctx.t("Recorded: you are at “{title}”.", title=meeting.title)
    await ctx.reply(meeting_card(ctx.t, meeting, await card_counts(ctx, meeting), ctx.tz))


async def roll_candidates(ctx: MemberContext, meeting: Meeting) -> list:  # type: ignore[type-arg]
    """Who the coordinator's list shows: those who answered Going or Maybe, those present, then other members."""
    repo, members = ctx.repo(MeetingRepo), ctx.repo(MemberRepo)
    first = set(await repo.attendee_ids(ctx.network.id, meeting.id)) | set(
        await repo.attended_ids(ctx.network.id, meeting.id))
    everyone = await members.list(ctx.network.id)
    ordered = [m for m in everyone if m.id in first] + [m for m in everyone if m.id not in first]
    return ordered[:ROLL_SIZE]


ROLL_SIZE = 12  # LINE shows at most 13 quick replies; one is Done


async def roll_text(ctx: MemberContext, meeting: Meeting) -> Text:
    present = set(await ctx.repo(MeetingRepo).attended_ids(ctx.network.id, meeting.id))
    buttons = [ctx.button(short(("✓ " if m.id in present else "") + m.display_name), "mttick", meeting.id, m.id)
               for m in await roll_candidates(ctx, meeting)]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    rows.append([ctx.button(ctx.t("Done"), "mtg", meeting.id)])
    return Text(ctx.t("Attendance at “{title}” ({when}): {n} present. Tap names to tick them (✓ = present).",
                      title=meeting.title, when=ctx.t.datetime(ctx.local(meeting.starts_at)), n=len(present)),
                buttons=rows)


@router.button("mtroll", roles=COORDINATOR)
async def roll_pressed(ctx: MemberContext) -> None:
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    if meeting is None:
        return
    if meeting.status != "scheduled" or ctx.now < meeting.starts_at - ATTENDANCE_MARGIN:
        await ctx.say(ctx.t("Attendance can be taken from 30 minutes before the meeting starts."))
        return
    await ctx.reply(await roll_text(ctx, meeting))


@router.button("mttick", roles=COORDINATOR)
async def tick_pressed(ctx: MemberContext) -> None:
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    member = await ctx.repo(MemberRepo).get(ctx.network.id, ctx.payload.int_arg(1)) if meeting else None
    if meeting is None or member is None or member.status != "active":
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    if meeting.status != "scheduled" or ctx.now < meeting.starts_at - ATTENDANCE_MARGIN:
        await ctx.say(ctx.t("Attendance can be taken from 30 minutes before the meeting starts."))
        return
    repo = ctx.repo(MeetingRepo)
    if await repo.attend(ctx.network.id, meeting.id, member.id, by=ctx.member.id, now=ctx.now):
        await ctx.audit("attend", "meeting", meeting.id, member=member.id, by="coordinator")
    else:
        await repo.unattend(ctx.network.id, meeting.id, member.id)
        await ctx.audit("unattend", "meeting", meeting.id, member=member.id)
    await ctx.reply(await roll_text(ctx, meeting))


# ------------------------------------------------------------------ minutes: decisions and action items

MAX_DECISIONS = 20
MAX_ITEMS = 20
MAX_LINE = 500
BULLET = re.compile(r"^\s*(?:[-•*·]|\d{1,2}[.)])\s*")
ITEM_SEPARATOR = re.compile(r"\s*[|｜]\s*|\s+[—–]\s+")


def lines_of(text: str) -> list[str]:
    """One entry per line (or per ``;``), bullets and numbering removed."""
    return [entry for line in re.split(r"[\n;]", text) if (entry := BULLET.sub("", line).strip())]


@router.command("minutes", "บันทึกการประชุม", roles=COORDINATOR, where=Where.PRIVATE,
                help=N_("Record a meeting's minutes: decisions and action items (/minutes N)"))
async def minutes_command(ctx: MemberContext) -> None:
    repo = ctx.repo(MeetingRepo)
    if ctx.args.strip():
        number = parse_whole(ctx.args.strip().lstrip("#"))
        meeting = await repo.by_number(ctx.network.id, number) if number else None
        if meeting is None:
            await ctx.reply(ctx.t("There is no meeting #{n}. See /meetings.", n=ctx.args.strip()[:20]))
            return
        await start_minutes(ctx, meeting)
        return
    recent = await repo.recent(ctx.network.id, ctx.now - timedelta(days=30), ctx.now + ATTENDANCE_MARGIN)
    if not recent:
        await ctx.reply(ctx.t("No meeting in the last 30 days. Minutes can be recorded once a meeting has begun."))
        return
    await ctx.reply(Text(ctx.t("Which meeting's minutes?"), buttons=[
        [ctx.button(short(f"#{m.number} {m.title}"), "mtmin", m.id)] for m in recent]))


@router.button("mtmin", roles=COORDINATOR, where=Where.PRIVATE)
async def minutes_pressed(ctx: MemberContext) -> None:
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    if meeting is not None:
        await start_minutes(ctx, meeting)


async def start_minutes(ctx: MemberContext, meeting: Meeting) -> None:
    if meeting.status != "scheduled":
        await ctx.reply(ctx.t("This meeting was cancelled."))
        return
    if ctx.now < meeting.starts_at - ATTENDANCE_MARGIN:
        await ctx.reply(ctx.t("Minutes can be recorded once the meeting has begun ({when}).",
                              when=ctx.t.datetime(ctx.local(meeting.starts_at))))
        return
    if await ctx.repo(MeetingRepo).minutes(ctx.network.id, meeting.id) is not None:
        await ctx.reply(ctx.t("The minutes of meeting #{n} are already recorded. New tasks can be added to the work "
                              "plan with /plan.", n=meeting.number))
        return
    await begin(ctx, "minutes", "decisions", {"meeting": meeting.id, "title": meeting.title})


async def ask_decisions(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    await ctx.reply(Text(ctx.t("Minutes of “{title}”. Send the meeting's decisions, one per line (or separated "
                               "by ;), or skip.", title=ctx.flow.data["title"]),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


async def read_decisions(ctx: MemberContext, value: str) -> Data | Retry:
    decisions = lines_of(value)
    if len(decisions) > MAX_DECISIONS or any(len(d) > MAX_LINE for d in decisions):
        return Retry(ctx.t("Please send at most {n} decisions of at most {max} characters each.", n=MAX_DECISIONS,
                           max=MAX_LINE))
    return {"decisions": decisions}


async def ask_items(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Now the action items, one per line (or separated by ;): what | who | by when, e.g.\n"
                               "{example}\nWho is a member number (see /members) or an organisation's name. "
                               "Each item becomes a task sent privately to its owner. Or skip.",
                               example=ctx.t("Train the teachers in AI media | 3 | {date}",
                                             date=example_date(ctx, 14))),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


async def read_items(ctx: MemberContext, value: str) -> Data | Retry:
    lines = lines_of(value)
    if len(lines) > MAX_ITEMS:
        return Retry(ctx.t("Please send at most {n} action items.", n=MAX_ITEMS))
    items = []
    for index, line in enumerate(lines, 1):
        parts = ITEM_SEPARATOR.split(line)
        if len(parts) != 3 or not all(parts):
            return Retry(ctx.t("Line {n} “{line}”: please write what | who | by when, e.g. {example}", n=index,
                               line=line[:80], example=ctx.t("Train the teachers in AI media | 3 | {date}",
                                                             date=example_date(ctx, 14))))
        title, who, when = parts
        if len(title) > plan.MAX_TASK_TITLE:
            return Retry(ctx.t("Line {n}: please keep what is to be done to {max} characters.", n=index,
                               max=plan.MAX_TASK_TITLE))
        owner = await plan.parse_owner(ctx, who)
        if isinstance(owner, str):
            return Retry(ctx.t("Line {n}: {problem}", n=index, problem=owner))
        due = await plan.read_due(ctx, when)
        if isinstance(due, str):
            return Retry(ctx.t("Line {n}: {problem}", n=index, problem=due))
        items.append({"title": title, "owner_member": owner.member.id if owner.member else None,
                      "owner_org": owner.organisation.id if owner.organisation else None,
                      "owner_label": owner.label(ctx.t), "due": due.isoformat()})
    return {"items": items}


def minutes_text(t: Translator, meeting: Meeting, decisions: list[str], items: list[dict[str, Any]], tz: Any) -> str:
    lines = [t("📝 Minutes: {title}", title=meeting.title),
             t("{kind}, {when}", kind=t(KIND_LABELS.get(meeting.kind, KIND_LABELS["members"])),
               when=t.datetime(meeting.starts_at.astimezone(tz)))]
    lines.append(t("Decisions:"))
    lines += [f"{i}. {d}" for i, d in enumerate(decisions, 1)] or [t("(none)")]
    lines.append(t("Action items:"))
    lines += [t("• {title} — {owner} — by {date}", title=item["title"], owner=item["owner_label"],
                date=t.date(date.fromisoformat(item["due"]))) for item in items] or [t("(none)")]
    return "\n".join(lines)


async def show_minutes_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    meeting = await get_meeting(ctx, int(ctx.flow.data["meeting"]))
    if meeting is None:
        await ctx.end_flow()
        await ctx.reply(ctx.t("This meeting can no longer be changed."))
        return
    data = ctx.flow.data
    await ctx.reply(Text(minutes_text(ctx.t, meeting, data.get("decisions", []), data.get("items", []), ctx.tz),
                         buttons=[[ctx.flow_button(ctx.t("Save"), "save"), ctx.flow_button(ctx.t("Cancel"), "cancel")]]))


async def save_minutes(ctx: MemberContext, data: dict[str, Any]) -> None:
    """Store the minutes; each action item becomes a task (its card goes privately to the owner) of one
    project for the meeting; attendees get the minutes privately."""
    meeting = await get_meeting(ctx, int(data["meeting"]))
    repo = ctx.repo(MeetingRepo)
    if meeting is None or await repo.minutes(ctx.network.id, meeting.id) is not None:
        await ctx.reply(ctx.t("The minutes of this meeting are already recorded."))
        return
    decisions, items = list(data.get("decisions", [])), list(data.get("items", []))
    project = None
    if items:
        project = await ctx.repo(PlanRepo).create_project(
            ctx.network.id, title=ctx.t("Action items of meeting #{n}: {title}", n=meeting.number, title=meeting.title),
            goal_id=None, lead_organisation_id=None, starts_on=ctx.local(meeting.starts_at).date(),
            ends_on=max(date.fromisoformat(i["due"]) for i in items), created_by=ctx.member.id, now=ctx.now)
    await repo.save_minutes(ctx.network.id, meeting.id, decisions=decisions, project_id=project.id if project else None,
                            recorded_by=ctx.member.id, now=ctx.now)
    await ctx.audit("minutes", "meeting", meeting.id, decisions=len(decisions), items=len(items))
    told = []
    if project is not None:
        for item in items:
            owner = await plan.owner_from(ctx, item)
            task, sent = await plan.assign_task(ctx, project, title=item["title"], owner=owner,
                                                due_on=date.fromisoformat(item["due"]), created_by=ctx.member.id)
            told.append(plan.assigned_text(ctx, task.number, owner, sent))
    tz = ctx.tz
    recipients = {m.id: m for m in await attendees(ctx, meeting)}
    members = ctx.repo(MemberRepo)
    for member_id in await repo.attended_ids(ctx.network.id, meeting.id):
        member = await members.get(ctx.network.id, member_id)
        if member is not None and member.status == "active":
            recipients[member.id] = member
    sent_to = 0
    for member in recipients.values():
        if member.id == ctx.member.id:
            continue
        sent_to += await ctx.push_member(
            member, lambda t: [Text(minutes_text(t, meeting, decisions, items, tz))],
            key=f"meeting:{meeting.id}:minutes:member:{member.id}", urgency=Urgency.DIGEST)
    await ctx.reply("\n".join([ctx.t("Minutes of meeting #{n} recorded: {d} decision(s) and {i} task(s). Sent "
                                      "privately to {count} attendee(s).", n=meeting.number, d=len(decisions),
                                      i=len(items), count=sent_to), *told]))


router.steps("minutes", {
    "decisions": Step(ask_decisions, skippable(read_decisions), next="items"),
    "items": Step(ask_items, skippable(read_items), next="confirm"),
    "confirm": confirm(show_minutes_draft, save_minutes, retry=N_("Tap Save to record the minutes, or Cancel.")),
}, roles=COORDINATOR)


# ------------------------------------------------------------------ the summary's meetings section


@router.summary_section(order=90)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """Upcoming meetings (next 14 days) and meetings held in the period vs the previous one."""
    if ctx.network is None:
        return None
    repo = ctx.repo(MeetingRepo)
    upcoming = await repo.upcoming(ctx.network.id, ctx.now, until=ctx.now + timedelta(days=14), limit=5)
    held = await repo.count_between(ctx.network.id, period.start, min(period.end, ctx.now))
    before = await repo.count_between(ctx.network.id, period.previous_start, period.previous_end)
    if not upcoming and not held and not before:
        return None
    t = ctx.t
    lines = [t("Meetings held: {n} (previous period: {m})", n=held, m=before)]
    attendance = await repo.attendance_between(ctx.network.id, period.start, min(period.end, ctx.now))
    if attendance.attendances:
        lines.append(t("Attendance recorded: {n} at {m} meeting(s)", n=attendance.attendances,
                       m=attendance.with_attendance))
    for meeting in upcoming:
        counts = await repo.counts(ctx.network.id, meeting.id)
        lines.append(t("Next: {when} {title} (going {yes})", when=t.datetime(ctx.local(meeting.starts_at)),
                       title=meeting.title, yes=counts["yes"]))
    return SummarySection(title=t("Meetings"), lines=lines)

