"""The work plan's tasks as people see them: owners (a member, or an organisation and its contact), the
card, assigning a task (its card goes privately to the owner, the follow-up is scheduled), and linking what
was done (an activity, a delivery) to a task or a project."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.args import parse_whole
from bot.context import BaseContext, Context, MemberContext
from bot.delivery_policy import Urgency, before_quiet
from bot.i18n import N_, Translator
from bot.model import Button, Card, Text
from bot.payload import encode
from bot.roles import Role
from handlers._common.parsing import parse_future_date
from storage.activity_repo import ActivityRepo
from storage.goals import PlanRepo, Project, Task
from storage.membership import Member, MemberRepo, Organisation, OrganisationRepo
from storage.resource_repo import PledgeRepo

COORDINATOR = {Role.COORDINATOR}
REMINDER_KIND = "plan_task_reminder"
OVERDUE_KIND = "plan_task_overdue"
NOTICE_HOUR = time(9, 0)  # reminders and overdue notices go out at 09:00 local
MAX_TITLE = 300
MAX_REASON = 500
STATUS_LABELS = {"todo": N_("not started"), "started": N_("in progress"), "done": N_("done"),
                 "blocked": N_("blocked")}
STATUS_CODES = {"s": "started", "d": "done", "b": "blocked"}
# "งาน#3" / "task #3" or "โครงการ#2" / "project #2" in /log and in a delivery note: the activity or the
# delivery was done for task 3, or for project 2 as a whole.
PLAN_REF = re.compile(r"(?<!\w)(?P<kind>task|งาน|project|โครงการ)\s*#\s*(?P<n>\d+)", re.I)
REF_KINDS = {"task": "task", "งาน": "task", "project": "project", "โครงการ": "project"}


# ------------------------------------------------------------------ owners


@dataclass(frozen=True)
class Owner:
    member: Member | None  # the member who answers for it (an organisation's contact)
    organisation: Organisation | None

    def label(self, t: Translator) -> str:
        if self.organisation is not None and self.member is not None:
            return t("{organisation} (contact: {name})", organisation=self.organisation.name,
                     name=self.member.display_name)
        if self.organisation is not None:
            return self.organisation.name
        return self.member.display_name if self.member else "-"


async def organisation_contact(ctx: BaseContext, organisation: Organisation) -> Member | None:
    """The organisation's contact: its first active member (by number) who is not a parent."""
    for member in await ctx.repo(MemberRepo).list(organisation.network_id, organisation_ids=[organisation.id]):
        if member.role != Role.PARENT.value:
            return member
    return None


async def parse_owner(ctx: BaseContext, text: str) -> Owner | str:
    """An owner from a member number (as in /members) or an organisation's name; or what is wrong."""
    assert ctx.network is not None
    text = " ".join(text.split())
    number = parse_whole(text.lstrip("#"))
    if number is not None:
        member = await ctx.repo(MemberRepo).by_number(ctx.network.id, number)
        if member is None or member.status != "active":
            return ctx.t("There is no member number {n}. See /members.", n=number)
        return Owner(member=member, organisation=None)
    for organisation in await ctx.repo(OrganisationRepo).list(ctx.network.id):
        if organisation.name.casefold() == text.casefold():
            return Owner(member=await organisation_contact(ctx, organisation), organisation=organisation)
    return ctx.t("“{text}” is neither a member number (see /members) nor an organisation of the network. "
                 "Please send a member number or an organisation's name.", text=text[:60])


async def owner_of(ctx: BaseContext, task: Task) -> Owner:
    assert ctx.network is not None
    member = await ctx.repo(MemberRepo).get(ctx.network.id, task.owner_member_id) if task.owner_member_id else None
    organisation = (await ctx.repo(OrganisationRepo).get(ctx.network.id, task.owner_organisation_id)
                    if task.owner_organisation_id else None)
    return Owner(member=member if member and member.status == "active" else None, organisation=organisation)


def may_change(ctx: MemberContext, task: Task) -> bool:
    """The owner, a member of the owning organisation, or a coordinator."""
    member = ctx.member
    return (member.role == Role.COORDINATOR.value or task.owner_member_id == member.id
            or (task.owner_organisation_id is not None and member.organisation_id == task.owner_organisation_id))


async def coordinators(ctx: BaseContext) -> list[Member]:
    assert ctx.network is not None
    return await ctx.repo(MemberRepo).list(ctx.network.id, roles=[Role.COORDINATOR.value])


# ------------------------------------------------------------------ the card


def status_text(t: Translator, task: Task, today: date) -> str:
    label = t(STATUS_LABELS[task.status])
    if task.status != "done" and task.due_on < today:
        return t("{status}, overdue by {days} day(s)", status=label, days=(today - task.due_on).days)
    if task.status == "done" and task.done_on is not None:
        return t("{status} on {date}", status=label, date=t.date(task.done_on))
    return label


def status_buttons(t: Translator, task: Task) -> list[list[Button]]:
    if task.status == "done":
        return []
    return [[Button(t("Started"), encode("tks", task.id, "s")), Button(t("Finished"), encode("tks", task.id, "d")),
             Button(t("Blocked…"), encode("tks", task.id, "b"))]]


@dataclass(frozen=True)
class TaskView:
    """What a task's card shows, read once and rendered in each reader's language."""

    task: Task
    project: Project | None
    owner: Owner
    done_for: list[tuple[str, int]]  # ("activity", number), ("delivery", number)


async def task_view(ctx: BaseContext, task: Task) -> TaskView:
    assert ctx.network is not None
    project = await ctx.repo(PlanRepo).project_by_id(ctx.network.id, task.project_id)
    return TaskView(task=task, project=project, owner=await owner_of(ctx, task),
                    done_for=await done_for(ctx, await ctx.repo(PlanRepo).links(task)))


def done_for_text(t: Translator, done_for: list[tuple[str, int]]) -> str:
    return t.join(t("activity #{n}", n=n) if kind == "activity" else t("delivery of pledge #{n}", n=n)
                  for kind, n in done_for)


def task_card(t: Translator, view: TaskView, today: date, *, buttons: bool = True) -> Card:
    task = view.task
    fields = [(t("Project"), view.project.title if view.project else "-"), (t("Owner"), view.owner.label(t)),
              (t("Due"), t.date(task.due_on)), (t("Status"), status_text(t, task, today))]
    if task.status == "blocked" and task.blocked_reason:
        fields.append((t("Held up by"), task.blocked_reason))
    if view.done_for:
        fields.append((t("Done for it"), done_for_text(t, view.done_for)))
    return Card(title=t("📌 Task #{n}: {title}", n=task.number, title=task.title), fields=fields,
                buttons=status_buttons(t, task) if buttons else [],
                alt_text=t("Task #{n}: {title}", n=task.number, title=task.title), update_key=f"task:{task.id}")


def task_line(t: Translator, task: Task, owner: Owner, today: date) -> str:
    mark = "⚠️ " if task.status != "done" and task.due_on < today else ("⛔ " if task.status == "blocked" else "")
    return t("{mark}#{n} {title} — {owner} — due {date} ({status})", mark=mark, n=task.number, title=task.title,
             owner=owner.label(t), date=t.date(task.due_on), status=status_text(t, task, today))


# ------------------------------------------------------------------ assigning a task


def local_at(ctx: BaseContext, day: date, at: time) -> datetime:
    return ctx.to_utc(datetime.combine(day, at))


async def assign_task(ctx: BaseContext, project: Project, *, title: str, owner: Owner, due_on: date,
                      created_by: int | None) -> tuple[Task, bool]:
    """Store a task, send its card privately to the owner (or the organisation's contact) and schedule
    the reminder before the due date and the overdue check. Returns the task and whether the card was queued."""
    task = await ctx.repo(PlanRepo).add_task(
        project, title=title, due_on=due_on, owner_member_id=owner.member.id if owner.member else None,
        owner_organisation_id=owner.organisation.id if owner.organisation else None, created_by=created_by,
        now=ctx.now)
    await ctx.audit("create", "task", task.id, title=title, due_on=due_on.isoformat(), project=project.id)
    sent = False
    if owner.member is not None:
        view = await task_view(ctx, task)
        today = ctx.today

        def card(t: Translator) -> list[Any]:
            intro = t("📌 A task for you: please tap a button on the card when you start, finish, or are held up.")
            return [Text(intro), task_card(t, view, today)]

        sent = await ctx.push_member(owner.member, card, key=f"task:{task.id}:assigned", urgency=Urgency.TIMELY,
                                     deliver_by=local_at(ctx, due_on, NOTICE_HOUR))
    await schedule_follow_up(ctx, task)
    return task, sent


async def schedule_follow_up(ctx: BaseContext, task: Task) -> None:
    """A reminder at 09:00 the day before the due date (never in quiet hours; none if that has passed),
    and the overdue check at 09:00 the day after it."""
    quiet = ctx.quiet_hours(ctx.network)
    remind_at = before_quiet(local_at(ctx, task.due_on - timedelta(days=1), NOTICE_HOUR), quiet, ctx.tz)
    if remind_at > ctx.now:
        await ctx.schedule(f"task:{task.id}:remind", REMINDER_KIND, remind_at, {"task_id": task.id})
    await ctx.schedule(f"task:{task.id}:overdue", OVERDUE_KIND,
                       local_at(ctx, task.due_on + timedelta(days=1), NOTICE_HOUR), {"task_id": task.id})


# ------------------------------------------------------------------ linking what was done


QUOTED = re.compile(r'["“”«»][^"“”«»]*["“”«»]')


def take_plan_ref(text: str) -> tuple[str, str | None]:
    """``text`` without a ``งาน#3`` / ``โครงการ#2`` reference (outside quotes: a title may hold one), and the
    reference as ``task:3`` / ``project:2`` (the number -1 when beyond any)."""
    masked = QUOTED.sub(lambda m: "_" * len(m.group(0)), text)
    match = PLAN_REF.search(masked)
    if match is None:
        return text, None
    number = parse_whole(match["n"])
    ref = f"{REF_KINDS[match['kind'].lower()]}:{number if number else -1}"
    return " ".join((text[:match.start()] + " " + text[match.end():]).split()), ref


async def plan_target(ctx: Context, ref: str) -> Task | Project | str:
    """The network's task or project a reference names, or the message saying there is none."""
    assert ctx.network is not None
    kind, _, raw = ref.partition(":")
    number = int(raw) if raw.lstrip("-").isdigit() else -1
    repo = ctx.repo(PlanRepo)
    if kind == "project":
        project = await repo.project(ctx.network.id, number) if number > 0 else None
        return project or ctx.t("There is no project #{n}. See /plan.", n=max(number, 0))
    task = await repo.task(ctx.network.id, number) if number > 0 else None
    return task or ctx.t("There is no task #{n} in the work plan. See /tasks all.", n=max(number, 0))


async def link_done(ctx: Context, target: Task | Project, entity: str, entity_id: int) -> str:
    """Record that an activity or a delivery (pledge) was done for a task or a project; the line that says so."""
    repo = ctx.repo(PlanRepo)
    if isinstance(target, Task):
        await repo.link(target, entity, entity_id)
        await ctx.audit("link", "task", target.id, done=entity, done_id=entity_id)
        return ctx.t("Recorded as done for task #{n} “{title}”.", n=target.number, title=target.title)
    await repo.link_project(target, entity, entity_id)
    await ctx.audit("link", "project", target.id, done=entity, done_id=entity_id)
    return ctx.t("Recorded as done for project #{n} “{title}”.", n=target.number, title=target.title)


async def done_for(ctx: BaseContext, links: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Links (entity, id) as what people see: ("activity", its number), ("delivery", the pledge's number)."""
    assert ctx.network is not None
    found: list[tuple[str, int]] = []
    for entity, entity_id in links:
        if entity == "activity":
            activity = await ctx.repo(ActivityRepo).get(ctx.network.id, entity_id)
            if activity is not None:
                found.append(("activity", activity.number))
        else:
            pledge = await ctx.repo(PledgeRepo).get(ctx.network.id, entity_id)
            if pledge is not None:
                found.append(("delivery", pledge.number))
    return found


async def read_task_title(ctx: BaseContext, value: str) -> str | None:
    """None when fine, else the message."""
    if not 1 <= len(value) <= MAX_TITLE:
        return ctx.t("Please send a title of 1 to {max} characters.", max=MAX_TITLE)
    return None


async def read_due(ctx: Context, value: str) -> date | str:
    due, error = parse_future_date(ctx, value)
    if error or due is None:
        return error or ctx.t("I couldn't read that date. Please write it like 20/11/2569, 20 พ.ย. 2569 or today.")
    if due > ctx.today + timedelta(days=3 * 366):
        return ctx.t("{date} is more than three years away. Please check the year.", date=ctx.t.date(due))
    return due
