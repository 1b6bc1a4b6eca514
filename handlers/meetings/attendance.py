"""Attendance: members tap [มาแล้ว] during the meeting window, or the coordinator ticks the list.
What is stored feeds goal targets (meetings held, attendance) and PLC hours (storage.meetings)."""

from __future__ import annotations


from bot.context import BaseContext, MemberContext
from bot.model import Text
from bot.router import Router
from handlers._common.buttons import load_or_expire
from handlers._common.groups import short
from handlers.meetings.cards import (ATTENDANCE_MARGIN, COORDINATOR, card_counts, get_meeting, meeting_card)
from storage.meetings import Meeting, MeetingRepo
from storage.membership import MemberRepo

router = Router()

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
