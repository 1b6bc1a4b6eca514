"""Meetings: a guided /meeting flow, RSVP buttons with live counts, reminders, /meetings,
reschedule and cancel (everyone told once), and an .ics calendar file per meeting."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from bot.context import BaseContext, Context, MemberContext, TaskContext
from bot.dates import DateInputError, from_thai_digits, parse_datetime
from bot.delivery_policy import Urgency, before_quiet
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_, Translator
from bot.model import Button, Card, Document, Text
from bot.payload import encode
from bot.roles import Role
from bot.router import Router
from bot.summary import Period, SummarySection
from handlers._common.buttons import load_or_expire
from handlers._common.formatting import example_date
from handlers._common.groups import duration_text, group_picker, linked_groups, short, toggle
from storage.deliveries import DeliveryRepo, TaskOutcomeRepo
from storage.meetings import Meeting, MeetingRepo
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
    fields = [(t("When"), t.datetime(meeting.starts_at.astimezone(tz))),
              (t("Duration"), duration_text(t, meeting.duration_minutes)),
              (t("Place"), meeting.place or "-")]
    if meeting.agenda:
        fields.append((t("Agenda"), meeting.agenda))
    body = t("Going {yes} · Maybe {maybe} · Not going {no}", yes=counts.get("yes", 0),
             maybe=counts.get("maybe", 0), no=counts.get("no", 0))
    buttons = [rsvp_buttons(t, meeting.id), [Button(t("Calendar file"), encode("ics", meeting.id))]]
    if manage:
        buttons.append([Button(t("Reschedule"), encode("mtgmove", meeting.id)),
                        Button(t("Cancel meeting"), encode("mtgcxl", meeting.id))])
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
    if value == "create":
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
                   created_by=None)


async def show_preview(ctx: Context) -> None:
    assert ctx.flow is not None
    await ctx.goto("confirm")
    draft = draft_meeting(ctx)
    card = meeting_card(ctx.t, draft, {}, ctx.tz)
    card.buttons = [[ctx.flow_button(ctx.t("Create"), "create"), ctx.flow_button(ctx.t("Cancel"), "cancel")]]
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
        now=ctx.now)
    await ctx.audit("create", "meeting", meeting.id, title=meeting.title, starts_at=meeting.starts_at.isoformat(),
                    targets=meeting.target_chat_ids)
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
        await ctx.reply(meeting_card(ctx.t, meeting, await repo.counts(ctx.network.id, meeting.id), ctx.tz))
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
    if not upcoming:
        await ctx.reply(ctx.t("No upcoming meetings."))
        return
    lines = [ctx.t("Upcoming meetings:")]
    buttons = []
    for meeting in upcoming:
        counts = await ctx.repo(MeetingRepo).counts(ctx.network.id, meeting.id)
        lines.append(ctx.t("#{id} {title} — {when} (going {yes})", id=meeting.number, title=meeting.title,
                           when=ctx.t.datetime(ctx.local(meeting.starts_at)), yes=counts["yes"]))
        buttons.append([ctx.button(short(f"#{meeting.number} {meeting.title}"), "mtg", meeting.id)])
    await ctx.reply(Text("\n".join(lines), buttons=buttons))


@router.button("mtg")
async def show_meeting(ctx: MemberContext) -> None:
    meeting = await load_or_expire(ctx, get_meeting(ctx, ctx.payload.int_arg(0)))
    if meeting is None:
        return
    counts = await ctx.repo(MeetingRepo).counts(ctx.network.id, meeting.id)
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
    # Reminders of the old time still waiting for a free reply would now mislead: they are not sent.
    await ctx.repo(DeliveryRepo).withdraw(ctx.network.id, f"meeting:{moved.id}:v{meeting.version}:remind:",
                                          reason="meeting moved")
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
    # Reminders and cards still waiting for a free reply would now mislead: they are not sent.
    for waiting in (f"meeting:{meeting.id}:v", f"meeting:{meeting.id}:card:"):
        await ctx.repo(DeliveryRepo).withdraw(ctx.network.id, waiting, reason="meeting cancelled")
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
    for meeting in upcoming:
        counts = await repo.counts(ctx.network.id, meeting.id)
        lines.append(t("Next: {when} {title} (going {yes})", when=t.datetime(ctx.local(meeting.starts_at)),
                       title=meeting.title, yes=counts["yes"]))
    return SummarySection(title=t("Meetings"), lines=lines)

