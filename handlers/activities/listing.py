"""/activities: pages of the network's, my organisation's or my activities; opening, editing
and deleting one."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bot.context import Context, MemberContext
from bot.dates import DateInputError, parse_period
from bot.flows import Retry
from bot.i18n import N_
from bot.model import Button, Text
from bot.router import Router
from handlers._common.buttons import grid
from handlers._common.formatting import hours_text
from handlers._common.parsing import date_error, is_skip
from handlers.activities.cards import activity_card, may_change
from handlers.activities.log import LOG_STEPS, LOGGERS
from handlers.activities.vocabulary import CATEGORIES, category_label
from storage.activity_repo import Activity, ActivityRepo

router = Router()

PAGE_SIZE = 5
COUNT_CAP = 10_000  # beyond this the list says "10,000+" instead of counting every row


# ------------------------------------------------------------------ /activities


def _code(day: date | None) -> str:
    return day.strftime("%Y%m%d") if day else "-"


def _uncode(text: str) -> date | None:
    return datetime.strptime(text, "%Y%m%d").date() if text and text != "-" else None


@router.command("activities", "กิจกรรม", help=N_("Recent activities (mine, my organisation's, the network's): "
                                                "/activities [period]"))
async def activities_command(ctx: MemberContext) -> None:
    start = end = None
    if ctx.args.strip():
        try:
            start, end = parse_period(ctx.args, ctx.today)
        except DateInputError as exc:
            await ctx.reply(ctx.t("I couldn't read that period. Try: this month, last month, this term, 2569, "
                                  "or 1/11/2569-30/11/2569.") if exc.code == "unrecognised" else date_error(ctx.t, exc))
            return
    await ctx.reply(await activities_page(ctx, "network", 0, start, end))


@router.button("acl")
async def activities_button(ctx: MemberContext) -> None:
    payload = ctx.payload
    scope = payload.arg(0) if payload.arg(0) in ("mine", "org", "network") else "network"
    try:
        page = max(0, payload.int_arg(1))
        start, end = _uncode(payload.arg(2)), _uncode(payload.arg(3))
    except ValueError:
        page, start, end = 0, None, None
    await ctx.reply(await activities_page(ctx, scope, page, start, end))


async def activities_page(ctx: MemberContext, scope: str, page: int, start: date | None, end: date | None) -> Text:
    t = ctx.t
    if scope == "org" and ctx.member.organisation_id is None:
        return Text(t("You have no organisation yet. Set it with /org NAME."))
    items, total = await ctx.repo(ActivityRepo).page(
        ctx.network.id, scope, member_id=ctx.member.id, organisation_id=ctx.member.organisation_id, start=start,
        end=end, offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1, count_cap=COUNT_CAP)
    more, items = len(items) > PAGE_SIZE, items[:PAGE_SIZE]
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    pages = max(1, -(-total // PAGE_SIZE))
    names = {"mine": t("My activities"), "org": t("My organisation's activities"),
             "network": t("The network's activities")}
    header = names[scope]
    if start and end:
        header += f" · {t.date(start)} – {t.date(end - timedelta(days=1))}"
    plus = "+" if capped else ""
    lines = [header, t("Page {page} of {pages} · {total} in all", page=page + 1, pages=f"{pages:,}{plus}",
                       total=f"{total:,}{plus}")]
    if not items:
        lines.append(t("No activities logged yet. Log one with /log."))
    for item in items:
        details = [t.date(item.activity_date), category_label(t, item.category), item.title]
        if item.participants:
            details.append(t("{n} people", n=f"{item.participants:,}"))
        if item.minutes:
            details.append(hours_text(t, item.minutes))
        lines.append(f"#{item.number} " + " · ".join(details))
    s, e = _code(start), _code(end)
    scopes = [ctx.button(t("Mine"), "acl", "mine", 0, s, e), ctx.button(t("My organisation"), "acl", "org", 0, s, e),
              ctx.button(t("Network"), "acl", "network", 0, s, e)]
    rows: list[list[Button]] = [scopes]
    if items:
        rows.append([ctx.button(f"#{item.number}", "aco", item.id) for item in items])
    nav = []
    if page > 0:
        nav.append(ctx.button(t("◀ Newer"), "acl", scope, page - 1, s, e))
    if more:
        nav.append(ctx.button(t("Older ▶"), "acl", scope, page + 1, s, e))
    if nav:
        rows.append(nav)
    return Text("\n".join(lines), buttons=rows)


async def load_activity(ctx: MemberContext) -> Activity | None:
    """The activity a button names, within this network; a polite message when gone."""
    try:
        activity_id = ctx.payload.int_arg(0)
    except ValueError:
        activity_id = 0
    activity = await ctx.repo(ActivityRepo).get(ctx.network.id, activity_id)
    if activity is None:
        await ctx.reply(ctx.t("That activity no longer exists."))
    return activity


@router.button("aco")
async def open_activity(ctx: MemberContext) -> None:
    if activity := await load_activity(ctx):
        await ctx.reply(await activity_card(ctx, activity))


async def refuse_unless_owner(ctx: Context, activity: Activity) -> bool:
    if may_change(ctx, activity):
        return False
    message = ctx.t("Only the person who logged this activity or a coordinator can change it.")
    ctx.toast = message
    await ctx.reply(message)
    return True


# ------------------------------------------------------------------ edit and delete

EDIT_FIELDS = {"title": N_("Title"), "category": N_("Kind"), "date": N_("Date"), "participants": N_("Participants"),
               "hours": N_("Hours"), "notes": N_("Notes")}


@router.button("ace")
async def edit_activity(ctx: MemberContext) -> None:
    activity = await load_activity(ctx)
    if activity is None or await refuse_unless_owner(ctx, activity):
        return
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("Please send this to me in a private chat."))
        return
    await ctx.start_flow("actedit", "field", {"id": activity.id})
    buttons = [ctx.flow_button(ctx.t(label), code) for code, label in EDIT_FIELDS.items()]
    await ctx.reply(Text(ctx.t("What would you like to change in #{id}?", id=activity.number),
                         buttons=grid(buttons, 3)))


@router.flow("actedit", roles=LOGGERS)
async def edit_flow(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    value = ctx.input.strip()
    repo = ctx.repo(ActivityRepo)
    activity = await repo.get(ctx.network.id, int(ctx.flow.data["id"]))
    if activity is None or not may_change(ctx, activity):
        await ctx.end_flow()
        await ctx.reply(ctx.t("That activity no longer exists."))
        return
    if ctx.flow.step == "field":
        if value not in EDIT_FIELDS:
            await ctx.reply(ctx.t("Please tap one of the buttons."))
            return
        await ctx.goto("value", field=value)
        await LOG_STEPS[value].ask(ctx)  # the edit fields are named like the /log steps
        return
    field = ctx.flow.data["field"]
    if field in ("participants", "hours", "notes") and is_skip(value):
        changes: dict[str, Any] = {{"participants": "participants", "hours": "minutes", "notes": "notes"}[field]: None}
    else:
        data = await LOG_STEPS[field].read(ctx, value)
        if isinstance(data, Retry):
            await ctx.reply(data.message)
            return
        assert data is not None
        changes = {}
        if "date" in data:
            changes["activity_date"] = date.fromisoformat(data["date"])
        if "category" in data:
            changes.update(category=data["category"], aim=CATEGORIES[data["category"]][1])
        for key in ("title", "participants", "minutes", "notes"):
            if key in data:
                changes[key] = data[key]
    await repo.update(ctx.network.id, activity.id, now=ctx.now, **changes)
    await ctx.end_flow()
    await ctx.audit("update", "activity", activity.id,
                    **{k: (v.isoformat() if isinstance(v, date) else v) for k, v in changes.items()})
    updated = await repo.get(ctx.network.id, activity.id)
    assert updated is not None
    await ctx.reply(ctx.t("Activity #{id} updated.", id=activity.number))
    await ctx.reply(await activity_card(ctx, updated))


@router.button("acd")
async def delete_activity(ctx: MemberContext) -> None:
    activity = await load_activity(ctx)
    if activity is None or await refuse_unless_owner(ctx, activity):
        return
    await ctx.reply(Text(ctx.t("Delete activity #{id} “{title}”? This cannot be undone.", id=activity.number,
                               title=activity.title),
                         buttons=[[ctx.button(ctx.t("Yes, delete"), "acx", activity.id)]]))


@router.button("acx")
async def delete_confirmed(ctx: MemberContext) -> None:
    activity = await load_activity(ctx)
    if activity is None or await refuse_unless_owner(ctx, activity):
        return
    await ctx.repo(ActivityRepo).delete(ctx.network.id, activity.id)
    await ctx.audit("delete", "activity", activity.id, title=activity.title, date=activity.activity_date.isoformat(),
                    author_id=activity.author_id)
    await ctx.reply(ctx.t("Activity #{id} deleted.", id=activity.number))
