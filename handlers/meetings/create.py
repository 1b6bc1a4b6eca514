"""/meeting: the guided flow; the kind (leaders', members', assignment meeting) is chosen on the preview."""

from __future__ import annotations

from datetime import datetime

from bot.context import Context, MemberContext
from bot.dates import DateInputError, parse_datetime
from bot.delivery_policy import Urgency
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_
from bot.model import Text
from bot.router import Router
from handlers._common.formatting import example_date
from handlers._common.groups import group_picker, linked_groups, toggle
from handlers.meetings.cards import (COORDINATOR, KIND_LABELS, MAX_AGENDA, MAX_PLACE, MAX_TITLE, date_error,
                                     meeting_card, parse_duration, reminder_offsets, reminders_text, schedule_reminders,
                                     target_chats)
from storage.meetings import MEETING_KINDS, Meeting, MeetingRepo

router = Router()

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
