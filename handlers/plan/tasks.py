"""Tasks of the work plan in motion: the buttons on the card the owner gets privately ([เริ่มแล้ว]
[เสร็จแล้ว] [ติดขัด…]; blocked asks why and tells the coordinators), the reminder before the due date and
the overdue notice, /tasks (mine, my organisation's, all; overdue first) and the summary's work-plan
section."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from bot.context import BaseContext, MemberContext, TaskContext
from bot.delivery_policy import Urgency
from bot.i18n import N_, Translator
from bot.model import Button, Text
from bot.router import Router
from bot.summary import Period, SummarySection
from handlers._common.buttons import load_or_expire
from handlers._common.groups import short
from handlers.plan.cards import (MAX_REASON, OVERDUE_KIND, REMINDER_KIND, STATUS_CODES, STATUS_LABELS, Owner,
                                 coordinators, local_at, may_change, owner_of, task_card, task_line, task_view)
from storage.deliveries import TaskOutcomeRepo
from storage.goals import PlanRepo, Task

router = Router()

# ------------------------------------------------------------------ the owner taps the card


@router.button("tks")
async def status_pressed(ctx: MemberContext) -> None:
    task = await load_or_expire(ctx, ctx.repo(PlanRepo).task_by_id(ctx.network.id, ctx.payload.int_arg(0)))
    if task is None:
        return
    status = STATUS_CODES.get(ctx.payload.arg(1))
    if status is None:
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    if not may_change(ctx, task):
        await ctx.say(ctx.t("Only the task's owner or a coordinator can change its status."))
        return
    if task.status == "done":
        await ctx.say(ctx.t("Task #{n} is already done.", n=task.number))
        return
    if status == "blocked":
        await ctx.start_flow("taskwhy", "reason", {"task": task.id})
        await ctx.reply(ctx.t("What is holding up task #{n} “{title}”? Send a short reason; the coordinator will "
                              "be told.", n=task.number, title=task.title))
        return
    if status == task.status:
        await ctx.say(ctx.t("Task #{n} is already marked “{status}”.", n=task.number,
                            status=ctx.t(STATUS_LABELS[status])))
        return
    await change_status(ctx, task, status)


async def change_status(ctx: MemberContext, task: Task, status: str, reason: str | None = None) -> None:
    changed = await ctx.repo(PlanRepo).set_status(task, status, now=ctx.now, today=ctx.today, reason=reason)
    await ctx.audit("status", "task", task.id, status=status, reason=reason)
    if status == "done":
        await ctx.unschedule(f"task:{task.id}:", prefix=True, note="task done")
        ctx.toast = ctx.t("Task #{n} marked done. Thank you!", n=task.number)
    else:
        ctx.toast = ctx.t("Task #{n}: {status}", n=task.number, status=ctx.t(STATUS_LABELS[status]))
    await ctx.reply(task_card(ctx.t, await task_view(ctx, changed), ctx.today))
    if status == "blocked":
        await tell_coordinators_blocked(ctx, changed, reason or "")


async def tell_coordinators_blocked(ctx: MemberContext, task: Task, reason: str) -> None:
    view = await task_view(ctx, task)
    today = ctx.today
    by = ctx.member.display_name

    def notice(t: Translator) -> list[Any]:
        return [Text(t("⛔ Task #{n} “{title}” is held up ({name}): {reason}", n=task.number, title=task.title,
                       name=by, reason=reason)), task_card(t, view, today, buttons=False)]

    for coordinator in await coordinators(ctx):
        if coordinator.id != ctx.member.id:
            await ctx.push_member(coordinator, notice, key=f"task:{task.id}:blocked:{ctx.event.event_id}:"
                                  f"{coordinator.id}", urgency=Urgency.TIMELY)


@router.flow("taskwhy")
async def blocked_reason(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    reason = " ".join(ctx.input.split())
    if not 1 <= len(reason) <= MAX_REASON:
        await ctx.reply(ctx.t("Please send a reason of 1 to {max} characters.", max=MAX_REASON))
        return
    task = await ctx.repo(PlanRepo).task_by_id(ctx.network.id, int(ctx.flow.data["task"]))
    await ctx.end_flow()
    if task is None or not may_change(ctx, task) or task.status == "done":
        await ctx.reply(ctx.t("This task can no longer be changed."))
        return
    await change_status(ctx, task, "blocked", reason)
    await ctx.reply(ctx.t("Noted. The coordinator has been told that task #{n} is held up.", n=task.number))


# ------------------------------------------------------------------ reminder and overdue notice


async def load_open(ctx: TaskContext) -> tuple[Task, Owner] | None:
    """The task of a follow-up row, or None after recording why it is dropped."""
    outcome = ctx.repo(TaskOutcomeRepo)
    task = (await ctx.repo(PlanRepo).task_by_id(ctx.network.id, int(ctx.payload["task_id"]))
            if ctx.network else None)
    if task is None or task.status == "done":
        await outcome.record(ctx.task.id, "dropped", "task done or gone")
        return None
    owner = await owner_of(ctx, task)
    return task, owner


@router.task(REMINDER_KIND)
async def remind_owner(ctx: TaskContext) -> None:
    found = await load_open(ctx)
    if found is None:
        return
    task, owner = found
    if owner.member is None:
        await ctx.repo(TaskOutcomeRepo).record(ctx.task.id, "dropped", "no owner to remind")
        return
    if ctx.today > task.due_on:  # the bot was down past the due date: the overdue notice says it instead
        await ctx.repo(TaskOutcomeRepo).record(ctx.task.id, "dropped", f"ran {ctx.now.isoformat()}, after the due "
                                               f"date {task.due_on.isoformat()}; superseded by the overdue notice")
        return
    view = await task_view(ctx, task)
    today = ctx.today

    def reminder(t: Translator) -> list[Any]:
        return [Text(t("⏰ Reminder: task #{n} “{title}” is due on {date}.", n=task.number, title=task.title,
                       date=t.date(task.due_on))), task_card(t, view, today)]

    await ctx.push_member(owner.member, reminder, key=f"task:{task.id}:remind:{task.due_on}", urgency=Urgency.TIMELY,
                          deliver_by=local_at(ctx, task.due_on + timedelta(days=1), time(0)))


@router.task(OVERDUE_KIND)
async def overdue_notice(ctx: TaskContext) -> None:
    """The day after the due date: the owner and the coordinators hear that it is overdue."""
    found = await load_open(ctx)
    if found is None:
        return
    task, owner = found
    view = await task_view(ctx, task)
    today = ctx.today
    if owner.member is not None:
        def to_owner(t: Translator) -> list[Any]:
            return [Text(t("⚠️ Task #{n} “{title}” is overdue (due {date}). Please tap a button on the card.",
                           n=task.number, title=task.title, date=t.date(task.due_on))), task_card(t, view, today)]

        await ctx.push_member(owner.member, to_owner, key=f"task:{task.id}:overdue:{task.due_on}",
                              urgency=Urgency.TIMELY)

    def to_coordinator(t: Translator) -> list[Any]:
        return [Text(t("⚠️ Overdue: task #{n} “{title}” (owner: {owner}, due {date}).", n=task.number,
                       title=task.title, owner=view.owner.label(t), date=t.date(task.due_on)))]

    for coordinator in await coordinators(ctx):
        if coordinator.id != task.owner_member_id:
            await ctx.push_member(coordinator, to_coordinator, key=f"task:{task.id}:overdue:{task.due_on}:"
                                  f"coordinator:{coordinator.id}", urgency=Urgency.DIGEST)


# ------------------------------------------------------------------ /tasks

SCOPES = {"mine": ("mine", "me", "my", "ของฉัน", "ฉัน"), "org": ("org", "organisation", "organization", "หน่วยงาน",
                                                                  "ของหน่วยงาน"),
          "all": ("all", "ทั้งหมด", "ทุกงาน")}


@router.command("tasks", "รายการงาน", help=N_("Tasks of the work plan: /tasks (mine), /tasks org, /tasks all"))
async def tasks_command(ctx: MemberContext) -> None:
    word = " ".join(ctx.args.lower().split())
    scope = next((code for code, words in SCOPES.items() if word in words), None) if word else "mine"
    if scope is None:
        await ctx.reply(ctx.t("Please write /tasks, /tasks org or /tasks all."))
        return
    await show_tasks(ctx, scope)


@router.button("tkl")
async def tasks_scope_pressed(ctx: MemberContext) -> None:
    scope = ctx.payload.arg(0)
    if scope not in SCOPES:
        ctx.toast = ctx.t("This button has expired. Please start again.")
        return
    await show_tasks(ctx, scope)


async def show_tasks(ctx: MemberContext, scope: str) -> None:
    repo, t, today = ctx.repo(PlanRepo), ctx.t, ctx.today
    if scope == "mine":
        tasks = await repo.tasks(ctx.network.id, owner_member_id=ctx.member.id, open_only=True)
        title = t("Your open tasks")
    elif scope == "org":
        if ctx.member.organisation_id is None:
            await ctx.reply(t("You have no organisation yet. Set it with /org NAME."))
            return
        tasks = await repo.tasks(ctx.network.id, owner_organisation_id=ctx.member.organisation_id, open_only=True)
        title = t("Your organisation's open tasks")
    else:
        tasks = await repo.tasks(ctx.network.id, open_only=True)
        title = t("The network's open tasks")
    switch = [[ctx.button(t("Mine"), "tkl", "mine"), ctx.button(t("My organisation"), "tkl", "org"),
               ctx.button(t("All"), "tkl", "all")]]
    if not tasks:
        await ctx.reply(Text(t("{title}: none.", title=title), buttons=switch))
        return
    overdue = sum(1 for task in tasks if task.due_on < today)
    lines = [t("{title} ({count}; overdue {overdue}):", title=title, count=len(tasks), overdue=overdue)]
    buttons: list[list[Button]] = []
    for task in tasks[:20]:  # earliest due first: overdue ones lead
        lines.append(task_line(t, task, await owner_of(ctx, task), today))
        if len(buttons) < 8:
            buttons.append([ctx.button(short(f"#{task.number} {task.title}"), "tkv", task.id)])
    await ctx.reply(Text("\n".join(lines), buttons=buttons + switch))


@router.button("tkv")
async def task_pressed(ctx: MemberContext) -> None:
    task = await load_or_expire(ctx, ctx.repo(PlanRepo).task_by_id(ctx.network.id, ctx.payload.int_arg(0)))
    if task is None:
        return
    await ctx.reply(task_card(ctx.t, await task_view(ctx, task), ctx.today, buttons=may_change(ctx, task)))


# ------------------------------------------------------------------ the summary's work-plan section


@router.summary_section(order=85)
async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """Tasks done in the period (on time / late), open, and the overdue ones by name."""
    if ctx.network is None:
        return None
    repo, t, today = ctx.repo(PlanRepo), ctx.t, ctx.today
    start, end = ctx.local(period.start).date(), ctx.local(period.end).date()
    counts = await repo.counts(ctx.network.id, start, end, today)
    if not (counts.done_on_time or counts.done_late or counts.overdue or counts.blocked):
        return None
    lines = [t("Tasks done: {done} (on time {on_time}) · open {open} · overdue {overdue} · blocked {blocked}",
               done=counts.done_on_time + counts.done_late, on_time=counts.done_on_time, open=counts.open,
               overdue=counts.overdue, blocked=counts.blocked)]
    for task in await repo.overdue(ctx.network.id, today, limit=5):
        lines.append(t("⚠️ Overdue: #{n} {title} — {owner} — due {date}", n=task.number, title=task.title,
                       owner=(await owner_of(ctx, task)).label(t), date=t.date(task.due_on)))
    return SummarySection(title=t("Work plan"), lines=lines)
