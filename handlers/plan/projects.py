"""/plan: the network's projects (title, the goal it serves, lead organisation, dates) and their tasks;
coordinators create projects and add tasks step by step."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from bot.academic import AcademicCalendar
from bot.args import parse_whole
from bot.context import Context, MemberContext
from bot.dates import DateInputError, parse_period
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_, Translator
from bot.model import Button, Card, Text
from bot.roles import Role
from bot.router import Router, Where
from handlers._common.buttons import grid, load_or_expire
from handlers._common.flows import confirm, skippable
from handlers._common.groups import short
from handlers._common.parsing import date_error
from handlers.plan.cards import (Owner, assign_task, done_for, done_for_text, owner_of, parse_owner, read_due,
                                 read_task_title, task_line, task_view)
from storage.goals import GoalRepo, PlanRepo, Project
from storage.membership import OrganisationRepo

router = Router()

COORDINATOR = {Role.COORDINATOR}
MAX_TITLE = 300


def is_coordinator(ctx: MemberContext) -> bool:
    return ctx.member.role == Role.COORDINATOR.value


def year_of(ctx: MemberContext, day: date) -> int:
    return AcademicCalendar.from_settings(ctx.network.settings).year_of(day)


def dates_text(t: Translator, project: Project) -> str:
    if project.starts_on and project.ends_on:
        return t.date_range(project.starts_on, project.ends_on)
    return "-"


async def project_card(ctx: MemberContext, project: Project) -> Card:
    t, today, repo = ctx.t, ctx.today, ctx.repo(PlanRepo)
    organisation = (await ctx.repo(OrganisationRepo).get(ctx.network.id, project.lead_organisation_id)
                    if project.lead_organisation_id else None)
    goal = await repo.goal_label(ctx.network.id, project.goal_id) if project.goal_id else None
    counts = await repo.status_counts(ctx.network.id, project.id, today)
    fields = [(t("Goal it serves"), f"#{goal[0]} {goal[1]}" if goal else "-"),
              (t("Lead organisation"), organisation.name if organisation else "-"),
              (t("Dates"), dates_text(t, project)),
              (t("Tasks"), t("{done}/{total} done · overdue {overdue} · blocked {blocked}", done=counts["done"],
                             total=counts["total"], overdue=counts["overdue"], blocked=counts["blocked"]))]
    lines = []
    done = await done_for(ctx, await repo.project_links(project))
    for task in await repo.tasks(ctx.network.id, project_id=project.id, limit=30):
        lines.append(task_line(t, task, await owner_of(ctx, task), today))
        done += (await task_view(ctx, task)).done_for
    if done:
        fields.append((t("Done for it"), done_for_text(t, done)))
    buttons: list[list[Button]] = []
    if is_coordinator(ctx) and ctx.event.is_private:
        buttons.append([ctx.button(t("Add a task"), "pjt", project.id)])
    return Card(title=t("🗂 Project #{n}: {title}", n=project.number, title=project.title), fields=fields,
                body="\n".join(lines) or t("No tasks yet."), buttons=buttons,
                alt_text=t("Project #{n}: {title}", n=project.number, title=project.title),
                update_key=f"project:{project.id}")


# ------------------------------------------------------------------ /plan


@router.command("plan", "แผนงาน", help=N_("The work plan: projects and their tasks (/plan N shows project N)"))
async def plan_command(ctx: MemberContext) -> None:
    repo, t = ctx.repo(PlanRepo), ctx.t
    if ctx.args.strip():
        number = parse_whole(ctx.args.strip().lstrip("#"))
        project = await repo.project(ctx.network.id, number) if number else None
        if project is None:
            await ctx.reply(t("There is no project #{n}. See /plan.", n=ctx.args.strip()[:20]))
            return
        await ctx.reply(await project_card(ctx, project))
        return
    projects = await repo.projects(ctx.network.id)
    lines = [t("The work plan of {network}:", network=ctx.network.name)] if projects else [t("No projects yet.")]
    buttons: list[list[Button]] = []
    for project in projects[:30]:
        counts = await repo.status_counts(ctx.network.id, project.id, ctx.today)
        lines.append(t("#{n} {title} — {done}/{total} tasks done, overdue {overdue}", n=project.number,
                       title=project.title, done=counts["done"], total=counts["total"], overdue=counts["overdue"]))
        if len(buttons) < 8:
            buttons.append([ctx.button(short(f"#{project.number} {project.title}"), "pjv", project.id)])
    if is_coordinator(ctx):
        if ctx.event.is_private:
            buttons.append([ctx.button(t("New project"), "pjn")])
        else:
            lines.append(t("To create a project, send /plan to me in a private chat."))
    await ctx.reply(Text("\n".join(lines), buttons=buttons))


@router.button("pjv")
async def project_pressed(ctx: MemberContext) -> None:
    project = await load_or_expire(ctx, ctx.repo(PlanRepo).project_by_id(ctx.network.id, ctx.payload.int_arg(0)))
    if project is not None:
        await ctx.reply(await project_card(ctx, project))


# ------------------------------------------------------------------ a new project (coordinators)


@router.button("pjn", roles=COORDINATOR, where=Where.PRIVATE)
async def new_project_pressed(ctx: MemberContext) -> None:
    await begin(ctx, "project", "title")


async def ask_title(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("New project. What is its title?"))


async def read_title(ctx: MemberContext, value: str) -> Data | Retry:
    if not 1 <= len(value) <= MAX_TITLE:
        return Retry(ctx.t("Please send a title of 1 to {max} characters.", max=MAX_TITLE))
    return {"title": value}


async def ask_goal(ctx: MemberContext) -> None:
    goals = await ctx.repo(GoalRepo).of_year(ctx.network.id, year_of(ctx, ctx.today))
    buttons = [ctx.flow_button(short(f"#{g.number} {g.title}"), str(g.number)) for g in goals[:10]]
    buttons.append(ctx.flow_button(ctx.t("Skip"), "skip"))
    await ctx.reply(Text(ctx.t("Which of this year's goals does it serve? Tap one or skip."), buttons=grid(buttons)))


async def read_goal(ctx: MemberContext, value: str) -> Data | Retry:
    number = parse_whole(value.lstrip("#"))
    goals = await ctx.repo(GoalRepo).of_year(ctx.network.id, year_of(ctx, ctx.today))
    goal = next((g for g in goals if g.number == number), None)
    if goal is None:
        return Retry(ctx.t("Please tap one of the goals, or skip."))
    return {"goal": goal.id, "goal_label": f"#{goal.number} {goal.title}"}


async def ask_org(ctx: MemberContext) -> None:
    buttons = []
    if ctx.member.organisation_id is not None:
        mine = await ctx.repo(OrganisationRepo).get(ctx.network.id, ctx.member.organisation_id)
        if mine is not None:
            buttons.append(ctx.flow_button(short(mine.name), f"org:{mine.id}"))
    buttons.append(ctx.flow_button(ctx.t("Skip"), "skip"))
    await ctx.reply(Text(ctx.t("Which organisation leads it? Send its name, or skip."), buttons=[buttons]))


async def read_org(ctx: MemberContext, value: str) -> Data | Retry:
    repo = ctx.repo(OrganisationRepo)
    if value.startswith("org:") and (found := parse_whole(value[4:])):
        organisation = await repo.get(ctx.network.id, found)
        if organisation is not None:
            return {"org": organisation.id, "org_label": organisation.name}
    if not 1 <= len(value) <= 200:
        return Retry(ctx.t("Please send a name of 1 to 200 characters."))
    organisation = await repo.get_or_create(ctx.network.id, value, now=ctx.now)
    return {"org": organisation.id, "org_label": organisation.name}


async def ask_dates(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("When does it run? e.g. 1/12/2569-31/3/2570 or ภาคเรียนนี้, or skip."),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


async def read_dates(ctx: MemberContext, value: str) -> Data | Retry:
    try:
        start, end = parse_period(value, ctx.today)
    except DateInputError as exc:
        return Retry(date_error(ctx.t, exc))
    last = end - timedelta(days=1)
    if (last - start).days > 5 * 366:
        return Retry(ctx.t("That is more than five years. Please check the dates."))
    return {"starts": start.isoformat(), "ends": last.isoformat()}


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    d, t = ctx.flow.data, ctx.t
    dates = t.date_range(date.fromisoformat(d["starts"]), date.fromisoformat(d["ends"])) if d.get("starts") else "-"
    card = Card(title=t("🗂 New project: {title}", title=d["title"]),
                fields=[(t("Goal it serves"), d.get("goal_label") or "-"),
                        (t("Lead organisation"), d.get("org_label") or "-"), (t("Dates"), dates)],
                buttons=[[ctx.flow_button(t("Save"), "save"), ctx.flow_button(t("Cancel"), "cancel")]])
    await ctx.reply(card)


async def save_project(ctx: MemberContext, data: dict[str, Any]) -> None:
    project = await ctx.repo(PlanRepo).create_project(
        ctx.network.id, title=data["title"], goal_id=data.get("goal"), lead_organisation_id=data.get("org"),
        starts_on=date.fromisoformat(data["starts"]) if data.get("starts") else None,
        ends_on=date.fromisoformat(data["ends"]) if data.get("ends") else None, created_by=ctx.member.id,
        now=ctx.now)
    await ctx.audit("create", "project", project.id, title=project.title)
    await ctx.reply(ctx.t("Project #{n} created. Add its tasks with the button “Add a task”.", n=project.number))
    await ctx.reply(await project_card(ctx, project))


router.steps("project", {
    "title": Step(ask_title, read_title, next="goal"),
    "goal": Step(ask_goal, skippable(read_goal), next="org"),
    "org": Step(ask_org, skippable(read_org), next="dates"),
    "dates": Step(ask_dates, skippable(read_dates), next="confirm"),
    "confirm": confirm(show_draft, save_project, retry=N_("Tap Save to create the project, or Cancel.")),
}, roles=COORDINATOR)


# ------------------------------------------------------------------ adding a task (coordinators)


@router.button("pjt", roles=COORDINATOR, where=Where.PRIVATE)
async def add_task_pressed(ctx: MemberContext) -> None:
    project = await load_or_expire(ctx, ctx.repo(PlanRepo).project_by_id(ctx.network.id, ctx.payload.int_arg(0)))
    if project is not None:
        await begin(ctx, "plantask", "title", {"project": project.id, "project_title": project.title})


async def ask_task_title(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    await ctx.reply(ctx.t("A new task for “{title}”. What is to be done?", title=ctx.flow.data["project_title"]))


async def read_new_task_title(ctx: MemberContext, value: str) -> Data | Retry:
    error = await read_task_title(ctx, value)
    return Retry(error) if error else {"title": value}


async def ask_owner(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Who is responsible? Send a member number (see /members) or an organisation's name."))


async def read_owner(ctx: MemberContext, value: str) -> Data | Retry:
    owner = await parse_owner(ctx, value)
    if isinstance(owner, str):
        return Retry(owner)
    return {"owner_member": owner.member.id if owner.member else None,
            "owner_org": owner.organisation.id if owner.organisation else None, "owner_label": owner.label(ctx.t)}


async def ask_due(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("By when? Send the due date, e.g. 15/12/2569."))


async def read_task_due(ctx: MemberContext, value: str) -> Data | Retry:
    due = await read_due(ctx, value)
    return Retry(due) if isinstance(due, str) else {"due": due.isoformat()}


async def show_task_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    d, t = ctx.flow.data, ctx.t
    await ctx.reply(Card(title=t("📌 New task: {title}", title=d["title"]),
                         fields=[(t("Project"), d["project_title"]), (t("Owner"), d["owner_label"]),
                                 (t("Due"), t.date(date.fromisoformat(d["due"])))],
                         buttons=[[ctx.flow_button(t("Save"), "save"), ctx.flow_button(t("Cancel"), "cancel")]]))


async def save_task(ctx: MemberContext, data: dict[str, Any]) -> None:
    project = await ctx.repo(PlanRepo).project_by_id(ctx.network.id, int(data["project"]))
    if project is None:
        await ctx.reply(ctx.t("This project no longer exists."))
        return
    owner = await owner_from(ctx, data)
    task, sent = await assign_task(ctx, project, title=data["title"], owner=owner,
                                   due_on=date.fromisoformat(data["due"]), created_by=ctx.member.id)
    await ctx.reply(assigned_text(ctx, task.number, owner, sent))


async def owner_from(ctx: Context, data: dict[str, Any]) -> Owner:
    from storage.membership import MemberRepo

    assert ctx.network is not None
    member = await ctx.repo(MemberRepo).get(ctx.network.id, data["owner_member"]) if data.get("owner_member") else None
    organisation = (await ctx.repo(OrganisationRepo).get(ctx.network.id, data["owner_org"])
                    if data.get("owner_org") else None)
    return Owner(member=member, organisation=organisation)


def assigned_text(ctx: Context, number: int, owner: Owner, sent: bool) -> str:
    if sent:
        return ctx.t("Task #{n} saved; its card was sent privately to {name}.", n=number,
                     name=owner.member.display_name if owner.member else "-")
    return ctx.t("Task #{n} saved, but I cannot reach {name} privately: please tell them (they can see it with "
                 "/tasks).", n=number, name=owner.label(ctx.t))


router.steps("plantask", {
    "title": Step(ask_task_title, read_new_task_title, next="owner"),
    "owner": Step(ask_owner, read_owner, next="due"),
    "due": Step(ask_due, read_task_due, next="confirm"),
    "confirm": confirm(show_task_draft, save_task, retry=N_("Tap Save to add the task, or Cancel.")),
}, roles=COORDINATOR)
