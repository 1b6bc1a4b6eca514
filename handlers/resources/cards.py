"""Cards and lists of needs and pledges, and finding the need or pledge a button names."""

from __future__ import annotations

from datetime import date

from bot.context import BaseContext, Context, MemberContext
from bot.i18n import Translator
from bot.model import Button, Card, ProgressBar
from bot.payload import encode
from handlers._common.buttons import grid
from handlers._common.formatting import amount_text
from handlers.resources.vocabulary import sector_label, type_label
from storage.resource_repo import Need, NeedProgress, NeedRepo, Pledge

LIST_LIMIT = 10


# ------------------------------------------------------------------ cards


def need_card(t: Translator, progress: NeedProgress, today: date) -> Card:
    """A need with its organisation, deadline and two progress bars (delivered, pledged)."""
    need = progress.need
    due = t.date(need.needed_by)
    if need.status == "open" and need.needed_by < today:
        due += " " + t("⚠️ overdue")
    fields = [(t("Organisation"), need.organisation_name), (t("Type"), type_label(t, need.resource_type)),
              (t("Needed"), amount_text(t, need.target, need.unit)), (t("Needed by"), due)]
    if need.status == "fulfilled":
        fields.append((t("Status"), t("fulfilled ✅")))
    body = ""
    if progress.pledged > need.target:
        body = t("Over-pledged by {amount}.", amount=amount_text(t, progress.pledged - need.target, need.unit))
    bars = [ProgressBar(t("Delivered {value} of {total}", value=amount_text(t, progress.delivered, need.unit),
                          total=amount_text(t, need.target, need.unit)), float(progress.delivered), float(need.target)),
            ProgressBar(t("Pledged {value}", value=amount_text(t, progress.pledged, need.unit)),
                        float(progress.pledged), float(need.target))]
    return Card(title=f"#{need.number} {need.description}", fields=fields, body=body, progress=bars,
                alt_text=need.description)


def status_label(t: Translator, status: str) -> str:
    return {"pledged": t("pledged"), "delivered": t("delivered ✅"), "cancelled": t("cancelled")}.get(status, status)


def pledge_line(t: Translator, pledge: Pledge, today: date) -> str:
    parts = [f"#{pledge.number}", amount_text(t, pledge.amount, pledge.unit), type_label(t, pledge.resource_type),
             sector_label(t, pledge.source_sector), status_label(t, pledge.status)]
    if pledge.status == "pledged":
        parts.append(t("expected {date}", date=t.date(pledge.expected_date)))
        if pledge.expected_date < today:
            parts.append(t("⚠️ overdue"))
    if pledge.pledger_name:
        parts.append(pledge.pledger_name)
    return " · ".join(parts)


async def need_progress(ctx: BaseContext, need: Need) -> NeedProgress:
    return (await ctx.repo(NeedRepo).with_progress([need]))[0]


def pledge_button(t: Translator, need: Need) -> Button:
    return Button(label=t("Pledge"), payload=encode("pln", need.id))


async def load_need(ctx: MemberContext, need_id: int) -> Need | None:
    """The need a button names (by id); a polite message when it is not in this network."""
    need = await ctx.repo(NeedRepo).get(ctx.network.id, need_id)
    if need is None:
        await ctx.say(ctx.t("That need does not exist in this network."))
    return need


def pledge_buttons(ctx: Context, found: list[Pledge]) -> list[list[Button]]:
    buttons = [ctx.button(f"#{p.number}", "plo", p.id) for p in found[:LIST_LIMIT]]
    return grid(buttons, 5)


def payload_id(ctx: Context) -> int:
    """The record number a button carries (0, found nowhere, when unreadable)."""
    try:
        return ctx.payload.int_arg(0)
    except ValueError:
        return 0
