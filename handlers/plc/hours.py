"""PLC hours per teacher per academic year: mine against the network's yearly target with a
progress bar, my groups' teachers for a facilitator, my organisation's teachers for a
coordinator; and the target itself (/plc target, coordinators)."""

from __future__ import annotations

from bot.academic import AcademicInputError, parse_year
from bot.args import parse_whole
from bot.context import MemberContext
from bot.model import Card, ProgressBar, Text
from bot.roles import Role
from bot.textrender import progress_bar
from handlers.plc.common import (
    MAX_TARGET_HOURS, PLC_ROLES, TARGET_SETTING, academic_year, calendar, hours_label, hours_value, target_hours,
)
from storage.membership import Member, MemberRepo, NetworkRepo, OrganisationRepo
from storage.plc import PlcGroupRepo, PlcSessionRepo, TeacherHours


def year_of_args(ctx: MemberContext, args: str) -> tuple[int | None, str | None]:
    """The academic year named in ``args`` (BE), or this one."""
    if not args.strip():
        return academic_year(ctx)[0], None
    try:
        return parse_year(args), None
    except AcademicInputError:
        return None, ctx.t("Please name an academic year in the Buddhist Era, e.g. /plc hours 2569.")


def teacher_line(ctx: MemberContext, index: int, name: str, minutes: int, target: int) -> str:
    bar = progress_bar(ProgressBar("", float(hours_value(minutes)), float(target)))
    return f"{index}. {name} — {hours_label(ctx.t, minutes)} {bar}"


async def listing(ctx: MemberContext, title: str, people: list[Member], found: list[TeacherHours],
                  target: int) -> Text:
    by_member = {h.member_id: h.minutes for h in found}
    ordered = sorted(people, key=lambda m: (-by_member.get(m.id, 0), m.number))
    lines = [title] + [teacher_line(ctx, i, m.display_name, by_member.get(m.id, 0), target)
                       for i, m in enumerate(ordered, start=1)]
    return Text("\n".join(lines))


async def hours_command(ctx: MemberContext, args: str) -> None:
    """A teacher's hours (and their colleagues') are not for a group chat: the route is private."""
    t = ctx.t
    year, error = year_of_args(ctx, args)
    if error or year is None:
        await ctx.reply(error or "")
        return
    span = calendar(ctx).year(year)
    target = target_hours(ctx.network)
    repo = ctx.repo(PlcSessionRepo)
    mine = await repo.hours(ctx.network.id, span.start, span.end, member_ids=[ctx.member.id])
    minutes = mine[0].minutes if mine else 0
    sessions = mine[0].sessions if mine else 0
    hours = hours_value(minutes)
    left = max(0, target - hours)
    body = (t("Target reached. Well done!") if left == 0
            else t("{hours} to go to reach the target.", hours=t("{hours} hours", hours=f"{left:f}")))
    await ctx.reply(Card(
        title=t("Your PLC hours, academic year {year}", year=year),
        fields=[(t("Sessions attended"), str(sessions)), (t("Hours"), hours_label(t, minutes)),
                (t("Yearly target"), t("{hours} hours", hours=target))],
        body=body, progress=[ProgressBar(t("PLC hours"), float(hours), float(target))],
        alt_text=t("Your PLC hours, academic year {year}", year=year)))
    people = ctx.repo(MemberRepo)
    groups = ctx.repo(PlcGroupRepo)
    for group in await groups.facilitated_by(ctx.network.id, ctx.member.id):
        ids = [member_id for member_id, status in await groups.members(ctx.network.id, group.id) if status == "member"]
        members = [m for m in [await people.get(ctx.network.id, i) for i in ids] if m is not None]
        found = await repo.hours(ctx.network.id, span.start, span.end, member_ids=ids)
        await ctx.reply(await listing(ctx, t("PLC group {number} “{name}”: members' hours in {year}",
                                             number=group.number, name=group.name, year=year), members, found, target))
    if ctx.member.role == Role.COORDINATOR.value:
        if ctx.member.organisation_id is None:
            await ctx.reply(t("To see your organisation's teachers, first set your organisation with /org NAME."))
            return
        organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, ctx.member.organisation_id)
        teachers = await people.list(ctx.network.id, roles=[r.value for r in PLC_ROLES],
                                     organisation_ids=[ctx.member.organisation_id])
        found = await repo.hours(ctx.network.id, span.start, span.end, organisation_id=ctx.member.organisation_id)
        await ctx.reply(await listing(ctx, t("Teachers of {organisation}: PLC hours in {year}",
                                             organisation=organisation.name if organisation else "-", year=year),
                                      teachers, found, target))


async def target_command(ctx: MemberContext, args: str) -> None:
    """Coordinators only (declared on the route)."""
    t = ctx.t
    if not args.strip():
        await ctx.reply(t("The yearly PLC target is {hours}. Change it with /plc target 50 (hours, 1 to {max}).",
                          hours=t("{hours} hours", hours=target_hours(ctx.network)), max=MAX_TARGET_HOURS))
        return
    value = parse_whole(args.strip().split()[0], low=1, high=MAX_TARGET_HOURS) if len(args.split()) == 1 else None
    if value is None:
        await ctx.reply(t("Please send the target as whole hours from 1 to {max}, e.g. /plc target 50.",
                          max=MAX_TARGET_HOURS))
        return
    network = await ctx.repo(NetworkRepo).get(ctx.network.id)
    assert network is not None
    await ctx.repo(NetworkRepo).update_settings(network.id, {**(network.settings or {}), TARGET_SETTING: value})
    await ctx.audit("update", "network_settings", network.id, plc_target_hours=value)
    await ctx.reply(t("Saved. The yearly PLC target is now {hours}.", hours=t("{hours} hours", hours=value)))
