"""Minutes: the coordinator records decisions and action items; each item becomes a task of the work
plan (handlers.plan) whose card goes privately to its owner; attendees get the minutes privately."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import handlers.plan as plan
from bot.args import parse_whole
from bot.context import MemberContext
from bot.delivery_policy import Urgency
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_, Translator
from bot.model import Text
from bot.router import Router, Where
from handlers._common.buttons import load_or_expire
from handlers._common.flows import confirm, skippable
from handlers._common.formatting import example_date
from handlers._common.groups import short
from handlers.meetings.cards import (ATTENDANCE_MARGIN, COORDINATOR, KIND_LABELS, attendees, get_meeting)
from storage.goals import PlanRepo
from storage.meetings import Meeting, MeetingRepo
from storage.membership import MemberRepo

router = Router()

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
