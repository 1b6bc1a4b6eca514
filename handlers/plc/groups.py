"""PLC groups: creating one (the creator facilitates it), inviting teachers of the network
(by member number, or by tapping their names), joining by tapping the invitation, and
the overview /plc shows."""

from __future__ import annotations

from datetime import timedelta

from bot.args import parse_whole
from bot.context import MemberContext
from bot.delivery_policy import Urgency
from bot.i18n import Translator
from bot.model import Button, Card, Text
from bot.payload import encode
from bot.router import Router
from handlers._common.buttons import load_or_expire
from handlers._common.groups import short
from handlers.plc.common import (
    PLC_ROLES, academic_year, checkin_open, facilitated_group, hours_label, is_staff, take_group_word, target_hours,
)
from storage.membership import Member, MemberRepo, OrganisationRepo
from storage.plc import PlcGroup, PlcGroupRepo, PlcSessionRepo

router = Router()

MAX_NAME = 200
MAX_PICKER = 20  # names offered as buttons at once; more are invited by number
INVITE_DELIVER_BY = timedelta(days=3)


async def create_group(ctx: MemberContext, name: str) -> None:
    t = ctx.t
    name = " ".join(name.split()).strip('"“”')
    if not name:
        await ctx.reply(t("Please name the group, e.g. /plc new ชุมชนการเรียนรู้คณิตศาสตร์ ป.4"))
        return
    if len(name) > MAX_NAME:
        await ctx.reply(t("Please keep the group's name to {max} characters.", max=MAX_NAME))
        return
    repo = ctx.repo(PlcGroupRepo)
    if (same := await repo.same_name(ctx.network.id, ctx.member.id, name)) is not None:
        await ctx.reply(t("You already facilitate PLC group {number} “{name}”.", number=same.number, name=same.name))
        return
    group = await repo.create(ctx.network.id, name=name, facilitator_id=ctx.member.id, now=ctx.now)
    await ctx.audit("create", "plc_group", group.id, name=group.name)
    await ctx.reply(Text(t("✅ PLC group {number} “{name}” created. You are its facilitator.\n"
                           "Invite teachers: tap “Invite teachers”, or send /plc invite and their member numbers, "
                           "e.g. /plc invite 5 7.", number=group.number, name=group.name),
                         buttons=[[Button(t("Invite teachers"), encode("plcpick", group.id))]]))


def invitation_card(t: Translator, group: PlcGroup, facilitator: str) -> Card:
    return Card(title=t("PLC invitation: {name}", name=group.name),
                fields=[(t("PLC group"), f"{group.number} {group.name}"), (t("Facilitator"), facilitator)],
                body=t("Tap “Join the group” to take part. Sessions you attend count toward your PLC hours."),
                buttons=[[Button(t("Join the group"), encode("plcj", group.id))]],
                alt_text=t("PLC invitation: {name}", name=group.name))


async def invite_one(ctx: MemberContext, group: PlcGroup, member: Member) -> bool:
    """Invite ``member`` and send them the invitation privately; False if already in or invited."""
    if not await ctx.repo(PlcGroupRepo).invite(ctx.network.id, group.id, member.id, by=ctx.member.id, now=ctx.now):
        return False
    await ctx.audit("invite", "plc_group", group.id, member_id=member.id)
    facilitator = ctx.member.display_name
    await ctx.push_member(member, lambda t: [invitation_card(t, group, facilitator)],
                          key=f"plc:{group.id}:invite:{member.id}", urgency=Urgency.TIMELY,
                          deliver_by=ctx.now + INVITE_DELIVER_BY)
    return True


async def invite(ctx: MemberContext, args: str) -> None:
    t = ctx.t
    number, rest, named = take_group_word(args)
    choice = await facilitated_group(ctx, number, named, "/plc invite กลุ่ม 2 5 7")
    if choice.group is None:
        await ctx.reply(choice.error or "")
        return
    group = choice.group
    words = rest.replace(",", " ").split()
    if not words:
        await ctx.reply(await picker(ctx, group))
        return
    numbers = [parse_whole(w) for w in words]
    if None in numbers:
        await ctx.reply(t("Please send member numbers, e.g. /plc invite 5 7 (“{words}” is not a number).",
                          words=" ".join(w for w, n in zip(words, numbers) if n is None)))
        return
    repo = ctx.repo(MemberRepo)
    invited, already, unknown, not_staff = [], [], [], []
    for value in dict.fromkeys(n for n in numbers if n is not None):
        member = await repo.by_number(ctx.network.id, value)
        if member is None:
            unknown.append(str(value))
        elif not is_staff(member):
            not_staff.append(member.display_name)
        elif await invite_one(ctx, group, member):
            invited.append(member.display_name)
        else:
            already.append(member.display_name)
    lines = []
    if invited:
        lines.append(t("Invited to PLC group {number}: {names}. They join by tapping “Join the group” on the "
                       "invitation I send them privately, or with /plc join {number}.",
                       number=group.number, names=t.join(invited)))
    if already:
        lines.append(t("Already in or invited: {names}", names=t.join(already)))
    if not_staff:
        lines.append(t("Only teachers and coordinators take part in a PLC group: {names}", names=t.join(not_staff)))
    if unknown:
        lines.append(t("No member has the number {numbers}. Tap “Invite teachers” to choose by name.",
                       numbers=t.join(unknown)))
    await ctx.reply(Text("\n".join(lines), buttons=[[Button(t("Invite teachers"), encode("plcpick", group.id))]]))


async def picker(ctx: MemberContext, group: PlcGroup) -> Text:
    """The network's teachers and coordinators not yet in the group, as buttons."""
    t = ctx.t
    inside = {member_id for member_id, _ in await ctx.repo(PlcGroupRepo).members(ctx.network.id, group.id)}
    candidates = [m for m in await ctx.repo(MemberRepo).list(ctx.network.id, roles=[r.value for r in PLC_ROLES])
                  if m.id not in inside]
    if not candidates:
        return Text(t("Every teacher and coordinator of the network is already in or invited to PLC group {number}.",
                      number=group.number))
    organisations = {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(ctx.network.id)}
    rows, lines = [], []
    for member in candidates[:MAX_PICKER]:
        where = organisations.get(member.organisation_id or 0, "")
        lines.append(f"{member.number} {member.display_name}" + (f" — {where}" if where else ""))
        rows.append([Button(short(f"{member.number} {member.display_name}"), encode("plcinv", group.id, member.id))])
    more = (t("\n{n} more: invite them by number, e.g. /plc invite 5 7.", n=len(candidates) - MAX_PICKER)
            if len(candidates) > MAX_PICKER else "")
    return Text(t("Tap a teacher to invite them to PLC group {number} “{name}”.", number=group.number,
                  name=group.name) + "\n" + "\n".join(lines) + more, buttons=rows)


async def facilitated(ctx: MemberContext, group_id: int) -> PlcGroup | None:
    group = await load_or_expire(ctx, ctx.repo(PlcGroupRepo).get(ctx.network.id, group_id))
    if group is not None and group.facilitator_id != ctx.member.id:
        ctx.toast = ctx.t("Only the facilitator of PLC group {number} can do this.", number=group.number)
        return None
    return group


@router.button("plcpick", roles=PLC_ROLES)
async def pick_button(ctx: MemberContext) -> None:
    group = await facilitated(ctx, ctx.payload.int_arg(0))
    if group is not None:
        await ctx.reply(await picker(ctx, group))


@router.button("plcinv", roles=PLC_ROLES)
async def invite_button(ctx: MemberContext) -> None:
    group = await facilitated(ctx, ctx.payload.int_arg(0))
    if group is None:
        return
    member = await ctx.repo(MemberRepo).get(ctx.network.id, ctx.payload.int_arg(1))
    if member is None or member.status != "active" or not is_staff(member):
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    if await invite_one(ctx, group, member):
        await ctx.say(ctx.t("Invited {name} to PLC group {number}.", name=member.display_name, number=group.number))
    else:
        await ctx.say(ctx.t("{name} is already in or invited to PLC group {number}.", name=member.display_name,
                            number=group.number))


async def join(ctx: MemberContext, group: PlcGroup) -> None:
    t = ctx.t
    repo = ctx.repo(PlcGroupRepo)
    status = await repo.membership(ctx.network.id, group.id, ctx.member.id)
    if status == "member":
        await ctx.say(t("You are already in PLC group {number} “{name}”.", number=group.number, name=group.name))
    elif status == "invited":
        await repo.join(ctx.network.id, group.id, ctx.member.id, ctx.now)
        await ctx.audit("join", "plc_group", group.id)
        await ctx.say(t("✅ You joined PLC group {number} “{name}”.", number=group.number, name=group.name))
    else:
        await ctx.say(t("Only teachers the facilitator invited can join PLC group {number}. Please ask them to "
                        "invite you.", number=group.number))


@router.button("plcj", roles=PLC_ROLES)
async def join_button(ctx: MemberContext) -> None:
    group = await load_or_expire(ctx, ctx.repo(PlcGroupRepo).get(ctx.network.id, ctx.payload.int_arg(0)))
    if group is not None:
        await join(ctx, group)


async def join_command(ctx: MemberContext, args: str) -> None:
    named_number, rest, named = take_group_word(args)  # "/plc join 2" or "/plc join กลุ่ม 2"
    number = named_number if named else parse_whole(rest) if rest else None
    groups = await ctx.repo(PlcGroupRepo).of_member(ctx.network.id, ctx.member.id)
    invited = [g for g, status in groups if status == "invited"]
    if number is None and not named and not rest and len(invited) == 1:  # "/plc join" with one invitation
        await join(ctx, invited[0])
        return
    group = await ctx.repo(PlcGroupRepo).by_number(ctx.network.id, number) if number is not None else None
    if group is None:
        await ctx.reply(ctx.t("Please send the group's number, e.g. /plc join 2. Your groups and invitations: /plc"))
        return
    await join(ctx, group)


async def overview(ctx: MemberContext) -> None:
    """/plc: my groups and invitations, sessions open for check-in now, my hours this year."""
    t = ctx.t
    groups = await ctx.repo(PlcGroupRepo).of_member(ctx.network.id, ctx.member.id)
    members = ctx.repo(MemberRepo)
    lines = [t("PLC logbook")]
    buttons: list[list[Button]] = []
    if not groups:
        lines.append(t("You are not in a PLC group yet. Create one with /plc new NAME, or ask a facilitator to "
                       "invite you."))
    for group, status in groups:
        facilitator = await members.get(ctx.network.id, group.facilitator_id) if group.facilitator_id else None
        role = (t("you facilitate it") if group.facilitator_id == ctx.member.id
                else t("facilitator: {name}", name=facilitator.display_name if facilitator else "-"))
        if status == "invited":
            lines.append(t("• {number} “{name}” ({role}): you are invited", number=group.number, name=group.name,
                           role=role))
            buttons.append([Button(short(t("Join {number} {name}", number=group.number, name=group.name)),
                                   encode("plcj", group.id))])
        else:
            lines.append(t("• {number} “{name}” ({role})", number=group.number, name=group.name, role=role))
    sessions = ctx.repo(PlcSessionRepo)
    open_now = await sessions.open_for(ctx.network.id, ctx.member.id, ctx.now - timedelta(hours=9),
                                       ctx.now + timedelta(minutes=31))
    for session in open_now:
        if checkin_open(session, ctx.now):
            buttons.append([Button(short(t("Check in #{number} {topic}", number=session.number, topic=session.topic)),
                                   encode("plcin", session.id))])
    if ctx.event.is_private:  # a teacher's hours are theirs: not shown in a group
        year, span = academic_year(ctx)
        mine = await sessions.hours(ctx.network.id, span.start, span.end, member_ids=[ctx.member.id])
        minutes = mine[0].minutes if mine else 0
        lines.append(t("Your PLC hours in academic year {year}: {hours} of {target}. Details: /plc hours",
                       year=year, hours=hours_label(t, minutes),
                       target=t("{hours} hours", hours=target_hours(ctx.network))))
    lines.append(t("Commands: /plc new NAME, /plc invite, /plc log, /plc checkin, /plc present N, /plc hours, "
                   "/plc export"))
    await ctx.reply(Text("\n".join(lines), buttons=buttons))
