"""RSVPs, the calendar file, /meetings, reschedule and cancel (everyone told once), reminders and the
summary's meetings section."""

from __future__ import annotations

from datetime import timedelta

from bot.context import BaseContext, MemberContext, TaskContext
from bot.dates import DateInputError, parse_datetime
from bot.delivery_policy import Urgency
from bot.i18n import N_, Translator
from bot.model import Document, Text
from bot.roles import Role
from bot.router import Router
from bot.summary import Period, SummarySection
from handlers._common.buttons import load_or_expire
from handlers._common.groups import duration_text, short
from handlers.meetings.cards import (ANSWER_CODES, COORDINATOR, REMINDER_KIND, card_counts, change_urgency, date_error,
                                     get_meeting, ics_file, meeting_card, reminder_offsets, reminders_text,
                                     rsvp_buttons, schedule_reminders, tell_everyone)
from storage.deliveries import DeliveryRepo, TaskOutcomeRepo
from storage.meetings import MeetingRepo
from storage.repo import serialise_on
from storage.runtime import TaskRepo

router = Router()

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


# A reminder this much later than planned says so (a crashed instance, the bot down for a while);
# lateness above LATE_NOTE is recorded on the task.
LATE_TEXT = timedelta(minutes=1)
LATE_NOTE = timedelta(seconds=2)


@router.task(REMINDER_KIND)
async def send_reminder(ctx: TaskContext) -> None:
    """Send one reminder, or drop it (and record why) when it no longer makes sense: the meeting
    was cancelled or has started, or another reminder of it went out after this one was due (it
    told the same, later). A reminder that runs late (a crash, a restart) is sent late, saying so
    when it is a minute late or more, and its lateness is recorded on the task."""
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
    # Two reminders of one meeting due together (after downtime) run one after the other, so the
    # second sees the first and is dropped.
    await serialise_on(ctx.conn, f"meeting:{meeting.id}:reminders")
    tasks = ctx.repo(TaskRepo)
    for other in reminder_offsets(ctx.network):
        if other == offset:
            continue
        sent = await tasks.get(f"meeting:{meeting.id}:remind:-{other}m")
        if sent is not None and sent.status == "done" and sent.done_at is not None and sent.done_at >= ctx.task.run_at:
            await outcome.record(ctx.task.id, "dropped",
                                 f"superseded: the -{other}m reminder went out at {sent.done_at.isoformat()}, "
                                 f"after this one was due ({ctx.task.run_at.isoformat()})")
            return
    tz = ctx.tz
    left = max(1, round((meeting.starts_at - ctx.now).total_seconds() / 60))
    late = ctx.now - ctx.task.run_at

    def reminder(t: Translator) -> list:  # type: ignore[type-arg]
        fields = dict(title=meeting.title, left=duration_text(t, left),
                      when=t.datetime(meeting.starts_at.astimezone(tz)), place=meeting.place or "-")
        if late >= LATE_TEXT:
            text = t("⏰ Reminder (sent late): “{title}” starts in {left} ({when})\nPlace: {place}", **fields)
        else:
            text = t("⏰ Reminder: “{title}” starts in {left} ({when})\nPlace: {place}", **fields)
        return [Text(text, buttons=[rsvp_buttons(t, meeting.id)])]

    await tell_everyone(ctx, meeting, f"meeting:{meeting.id}:v{meeting.version}:remind:-{offset}m", reminder,
                        urgency=Urgency.TIMELY, deliver_by=meeting.starts_at)
    if late >= LATE_NOTE:
        await outcome.record(ctx.task.id, "done", f"sent {late.total_seconds():.0f} s late (due "
                                                  f"{ctx.task.run_at.isoformat()}, ran {ctx.now.isoformat()})")


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
