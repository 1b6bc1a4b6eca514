"""Who was at a PLC session: members check in by tapping the session card (or /plc checkin)
during its window, the facilitator ticks who came (tapping names or by member numbers), and
writes the reflection afterwards (/plc reflect)."""

from __future__ import annotations

from datetime import timedelta

from bot.args import parse_whole
from bot.context import MemberContext
from bot.model import Button, Text
from bot.payload import encode
from bot.router import Router
from handlers._common.buttons import load_or_expire
from handlers._common.groups import short
from handlers.plc.common import PLC_ROLES, card_for, checkin_open, checkin_window, hours_label
from handlers.plc.sessions import check_reflection
from storage.membership import MemberRepo
from storage.plc import PlcGroup, PlcGroupRepo, PlcSession, PlcSessionRepo

router = Router()

MAX_TICK_BUTTONS = 20


# ------------------------------------------------------------------ check-in


async def check_in(ctx: MemberContext, session: PlcSession) -> None:
    t = ctx.t
    groups = ctx.repo(PlcGroupRepo)
    status = await groups.membership(ctx.network.id, session.group_id, ctx.member.id)
    if status is None:
        await ctx.say(t("Only members of this PLC group can check in. Please ask its facilitator to invite you."))
        return
    opens, closes = checkin_window(session)
    if ctx.now < opens:
        await ctx.say(t("Check-in for PLC session #{number} opens at {time}.", number=session.number,
                        time=t.datetime(ctx.local(opens))))
        return
    if ctx.now > closes:
        await ctx.say(t("Check-in for PLC session #{number} closed at {time}. The facilitator can still tick you "
                        "as present.", number=session.number, time=t.datetime(ctx.local(closes))))
        return
    if status == "invited":  # checking in accepts the invitation
        await groups.join(ctx.network.id, session.group_id, ctx.member.id, ctx.now)
    repo = ctx.repo(PlcSessionRepo)
    if not await repo.mark(ctx.network.id, session.id, ctx.member.id, "checkin", ctx.now):
        await ctx.say(t("You are already checked in to PLC session #{number}.", number=session.number))
        return
    await ctx.audit("checkin", "plc_session", session.id)
    ctx.toast = t("✅ Checked in to PLC session #{number} ({hours}).", number=session.number,
                  hours=hours_label(t, session.minutes))
    card = await card_for(ctx, session)
    if card is not None:  # the card again, with the same update key: platforms that can, edit it in place
        await ctx.reply(card)
    if ctx.event.is_private:
        await ctx.reply(ctx.toast)


@router.button("plcin", roles=PLC_ROLES)
async def checkin_button(ctx: MemberContext) -> None:
    session = await load_or_expire(ctx, ctx.repo(PlcSessionRepo).get(ctx.network.id, ctx.payload.int_arg(0)))
    if session is not None:
        await check_in(ctx, session)


async def checkin_command(ctx: MemberContext, args: str) -> None:
    t = ctx.t
    repo = ctx.repo(PlcSessionRepo)
    if args.strip():
        number = parse_whole(args)
        session = await repo.by_number(ctx.network.id, number) if number is not None else None
        if session is None:
            await ctx.reply(t("There is no PLC session {number}. Send /plc checkin to see the sessions open now.",
                              number=args.strip()))
            return
        await check_in(ctx, session)
        return
    candidates = await repo.open_for(ctx.network.id, ctx.member.id, ctx.now - timedelta(hours=9),
                                     ctx.now + timedelta(minutes=31))
    open_now = [s for s in candidates if checkin_open(s, ctx.now)]
    if not open_now:
        await ctx.reply(t("No session of your PLC groups is open for check-in now."))
    elif len(open_now) == 1:
        await check_in(ctx, open_now[0])
    else:
        await ctx.reply(Text(t("Which session are you at?"), buttons=[
            [Button(short(f"#{s.number} {s.topic}"), encode("plcin", s.id))] for s in open_now]))


# ------------------------------------------------------------------ the facilitator ticks who came


async def facilitated_session(ctx: MemberContext, session: PlcSession | None) -> tuple[PlcSession, PlcGroup] | None:
    if session is None:
        return None
    group = await ctx.repo(PlcGroupRepo).get(ctx.network.id, session.group_id)
    if group is None or group.facilitator_id != ctx.member.id:
        await ctx.say(ctx.t("Only the facilitator of this PLC group can tick who came."))
        return None
    if session.starts_at > ctx.now:
        await ctx.say(ctx.t("PLC session #{number} has not started yet: tick who came once it has.",
                            number=session.number))
        return None
    return session, group


async def tick_list(ctx: MemberContext, session: PlcSession, group: PlcGroup) -> Text:
    t = ctx.t
    present = {a.member_id for a in await ctx.repo(PlcSessionRepo).attendees(ctx.network.id, session.id)}
    people = ctx.repo(MemberRepo)
    rows = []
    in_group = await ctx.repo(PlcGroupRepo).members(ctx.network.id, group.id)
    for member_id, _status in in_group[:MAX_TICK_BUTTONS]:
        member = await people.get(ctx.network.id, member_id)
        if member is None:
            continue
        mark = "✓ " if member_id in present else ""
        rows.append([Button(short(f"{mark}{member.number} {member.display_name}"),
                            encode("plcmk", session.id, member_id))])
    more = (t("\nMore members: tick them by number, e.g. /plc present {number} 5 7.", number=session.number)
            if len(in_group) > MAX_TICK_BUTTONS else "")
    return Text(t("Who came to PLC session #{number} “{topic}”? Tap a name to tick it (✓ = present; {n} present).",
                  number=session.number, topic=session.topic, n=len(present)) + more,
                buttons=rows, update_key=f"plcatt:{session.id}")


@router.button("plcatt", roles=PLC_ROLES)
async def tick_button(ctx: MemberContext) -> None:
    found = await facilitated_session(
        ctx, await load_or_expire(ctx, ctx.repo(PlcSessionRepo).get(ctx.network.id, ctx.payload.int_arg(0))))
    if found is not None:
        await ctx.reply(await tick_list(ctx, *found))


@router.button("plcmk", roles=PLC_ROLES)
async def toggle_button(ctx: MemberContext) -> None:
    found = await facilitated_session(
        ctx, await load_or_expire(ctx, ctx.repo(PlcSessionRepo).get(ctx.network.id, ctx.payload.int_arg(0))))
    if found is None:
        return
    session, group = found
    member_id = ctx.payload.int_arg(1)
    if await ctx.repo(PlcGroupRepo).membership(ctx.network.id, group.id, member_id) is None:
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    repo = ctx.repo(PlcSessionRepo)
    if not await repo.mark(ctx.network.id, session.id, member_id, "ticked", ctx.now):
        await repo.unmark(ctx.network.id, session.id, member_id)
    await ctx.audit("tick", "plc_session", session.id, member_id=member_id)
    await ctx.reply(await tick_list(ctx, session, group))


async def present_command(ctx: MemberContext, args: str) -> None:
    t = ctx.t
    words = args.replace(",", " ").split()
    number = parse_whole(words[0]) if words else None
    if number is None:
        await ctx.reply(t("Please send the session's number, e.g. /plc present 3 (tap names), or /plc present 3 5 7 "
                          "(member numbers)."))
        return
    session = await ctx.repo(PlcSessionRepo).by_number(ctx.network.id, number)
    if session is None:
        await ctx.reply(t("There is no PLC session {number}. Send /plc checkin to see the sessions open now.",
                          number=number))
        return
    found = await facilitated_session(ctx, session)
    if found is None:
        return
    session, group = found
    if len(words) == 1:
        await ctx.reply(await tick_list(ctx, session, group))
        return
    values = [parse_whole(w) for w in words[1:]]
    if None in values:
        await ctx.reply(t("Please send member numbers, e.g. /plc present {number} 5 7.", number=session.number))
        return
    people, groups, repo = ctx.repo(MemberRepo), ctx.repo(PlcGroupRepo), ctx.repo(PlcSessionRepo)
    ticked, outside = [], []
    for value in dict.fromkeys(v for v in values if v is not None):
        member = await people.by_number(ctx.network.id, value)
        if member is None or await groups.membership(ctx.network.id, group.id, member.id) is None:
            outside.append(str(value))
            continue
        await repo.mark(ctx.network.id, session.id, member.id, "ticked", ctx.now)
        ticked.append(member.display_name)
    if ticked:
        await ctx.audit("tick", "plc_session", session.id, members=ticked)
    lines = []
    if ticked:
        lines.append(t("Present at PLC session #{number}: {names}", number=session.number, names=t.join(ticked)))
    if outside:
        lines.append(t("Not in PLC group {group}: {numbers}. Invite them first with /plc invite.", group=group.number,
                       numbers=t.join(outside)))
    await ctx.reply("\n".join(lines))



async def reflect_command(ctx: MemberContext, args: str) -> None:
    """``/plc reflect N TEXT``: the facilitator writes (or rewrites) a session's reflection afterwards."""
    t = ctx.t
    first, _, text = args.strip().partition(" ")
    number = parse_whole(first) if first else None
    if number is None or not text.strip():
        await ctx.reply(t("Please send the session's number and the reflection, e.g. /plc reflect 3 นักเรียนตอบคำถาม"
                          "ได้ดีขึ้น"))
        return
    session = await ctx.repo(PlcSessionRepo).by_number(ctx.network.id, number)
    if session is None:
        await ctx.reply(t("There is no PLC session {number}. Send /plc checkin to see the sessions open now.",
                          number=number))
        return
    group = await ctx.repo(PlcGroupRepo).get(ctx.network.id, session.group_id)
    if group is None or group.facilitator_id != ctx.member.id:
        await ctx.reply(t("Only the facilitator of this PLC group can log its sessions."))
        return
    reflection, error = check_reflection(ctx, text)
    if error:
        await ctx.reply(error)
        return
    await ctx.repo(PlcSessionRepo).set_reflection(ctx.network.id, session.id, reflection)
    await ctx.audit("update", "plc_session", session.id, reflection=True)
    updated = await ctx.repo(PlcSessionRepo).get(ctx.network.id, session.id)
    card = await card_for(ctx, updated) if updated else None
    await ctx.reply(card or t("Saved."))
