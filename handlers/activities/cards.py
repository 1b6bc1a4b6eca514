"""Cards of activities: a draft in the /log flow, a logged activity with its buttons."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.context import Context
from bot.model import Card
from handlers._common.formatting import hours_text
from handlers._common.members import is_coordinator
from handlers.activities.vocabulary import CATEGORIES, aim_label, category_label
from storage.activity_repo import Activity
from storage.membership import MemberRepo, OrganisationRepo


async def draft_card(ctx: Context, data: dict[str, Any]) -> Card:
    t = ctx.t
    fields = [(t("Kind"), category_label(t, data["category"])),
              (t("Aim"), aim_label(t, CATEGORIES[data["category"]][1])),
              (t("Date"), t.date(date.fromisoformat(data["date"])))]
    if data.get("organisation_id") and ctx.network:
        organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, data["organisation_id"])
        if organisation:
            fields.append((t("Organisation"), organisation.name))
    if data.get("participants"):
        fields.append((t("Participants"), f"{data['participants']:,}"))
    if data.get("minutes"):
        fields.append((t("Duration"), hours_text(t, data["minutes"])))
    if data.get("notes"):
        fields.append((t("Notes"), data["notes"]))
    if data.get("photo"):
        fields.append((t("Photo"), t("attached")))
    return Card(title=data["title"], fields=fields, alt_text=data["title"])


async def activity_card(ctx: Context, activity: Activity) -> Card:
    t = ctx.t
    card = await draft_card(ctx, {
        "title": activity.title, "category": activity.category, "date": activity.activity_date.isoformat(),
        "organisation_id": activity.organisation_id, "participants": activity.participants,
        "minutes": activity.minutes, "notes": activity.notes, "photo": activity.has_photo})
    card.fields[1] = (t("Aim"), aim_label(t, activity.aim))  # as recorded
    if activity.author_id and ctx.network:
        author = await ctx.repo(MemberRepo).get(ctx.network.id, activity.author_id)
        if author:
            card.fields.append((t("Logged by"), author.display_name))
    card.title = f"#{activity.number} {activity.title}"
    if may_change(ctx, activity):
        card.buttons = [[ctx.button(t("Edit"), "ace", activity.id), ctx.button(t("Delete"), "acd", activity.id)]]
    return card


def may_change(ctx: Context, activity: Activity) -> bool:
    """Only the author or a coordinator (of the same network) changes an activity."""
    return ctx.member is not None and (activity.author_id == ctx.member.id or is_coordinator(ctx))
