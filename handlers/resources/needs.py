"""/need (post a need step by step) and /needs (open needs, most urgent first)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.context import Context
from bot.i18n import N_
from bot.model import Button, Card, Text
from bot.roles import Role
from bot.router import Router, Where
from handlers._common.buttons import grid
from handlers._common.formatting import amount_text
from handlers._common.parsing import is_confirm, parse_future_date
from handlers.resources.cards import (
    load_need,
    need_card,
    need_progress,
    payload_id,
    pledge_button,
    pledge_buttons,
    pledge_line,
)
from handlers.resources.vocabulary import RESOURCE_TYPES, parse_resource_amount, parse_resource_type, type_label
from storage.membership import OrganisationRepo
from storage.resource_repo import NeedRepo, PledgeRepo

router = Router()

POSTERS = {Role.TEACHER, Role.COORDINATOR}
MAX_DESCRIPTION = 500
NEEDS_SHOWN = 5


# ------------------------------------------------------------------ /need


@router.command("need", "ขอสนับสนุน", roles=POSTERS, where=Where.PRIVATE,
                help=N_("Post what your organisation needs (money, materials, people, technology, a venue…)"))
async def need_command(ctx: Context) -> None:
    assert ctx.member is not None
    if ctx.member.organisation_id is None:
        await ctx.start_flow("need", "org", {})
        await ctx.reply(ctx.t("Which organisation needs it? Send its name (set yours for next time with /org NAME)."))
        return
    await ctx.start_flow("need", "type", {"org": ctx.member.organisation_id})
    await ask_need(ctx, "type")


async def ask_need(ctx: Context, step: str) -> None:
    t = ctx.t
    if step == "type":
        await ctx.reply(Text(t("What kind of resource is needed?"), buttons=type_buttons(ctx)))
    elif step == "description":
        await ctx.reply(t("Describe the need in a sentence, e.g. Tablets for grade 6 computing classes."))
    elif step == "amount":
        await ctx.reply(amount_question(ctx, ctx.flow.data["type"] if ctx.flow else ""))
    elif step == "needed_by":
        await ctx.reply(t("By when is it needed? e.g. 15/1/2570"))
    elif step == "confirm":
        assert ctx.flow is not None and ctx.network is not None
        data = ctx.flow.data
        organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, data["org"])
        card = Card(title=data["description"], fields=[
            (t("Organisation"), organisation.name if organisation else "-"),
            (t("Type"), type_label(t, data["type"])),
            (t("Needed"), amount_text(t, Decimal(data["amount"]), data["unit"])),
            (t("Needed by"), t.date(date.fromisoformat(data["needed_by"])))],
            buttons=[[ctx.flow_button(t("Post"), "save"), ctx.flow_button(t("Cancel"), "cancel")]])
        await ctx.reply(card)


def type_buttons(ctx: Context) -> list[list[Button]]:
    buttons = [ctx.flow_button(type_label(ctx.t, code), code) for code in RESOURCE_TYPES]
    return grid(buttons)


def amount_question(ctx: Context, resource_type: str, unit: str | None = None) -> str:
    if resource_type == "funding":
        return ctx.t("How much, in baht? e.g. 12,500")
    if unit:
        return ctx.t("How many {unit}?", unit=unit)
    return ctx.t("How many, with the unit? e.g. 40 tablets or 20 hours")


NEED_STEPS = {"org": "type", "type": "description", "description": "amount", "amount": "needed_by",
              "needed_by": "confirm"}


@router.flow("need", roles=POSTERS)
async def need_flow(ctx: Context) -> None:
    assert ctx.flow is not None and ctx.network is not None and ctx.member is not None
    t, step, value = ctx.t, ctx.flow.step, ctx.input.strip()
    data: dict[str, Any]
    if step == "org":
        if not value or len(value) > 200:
            await ctx.reply(t("Please send a name of 1 to 200 characters."))
            return
        organisation = await ctx.repo(OrganisationRepo).get_or_create(ctx.network.id, value, now=ctx.now)
        data = {"org": organisation.id}
    elif step == "type":
        code = parse_resource_type(value)
        if code is None:
            await ctx.reply(Text(t("Please tap one of the resource types."), buttons=type_buttons(ctx)))
            return
        data = {"type": code}
    elif step == "description":
        if not value or len(value) > MAX_DESCRIPTION:
            await ctx.reply(t("Please describe it in 1 to {max} characters.", max=MAX_DESCRIPTION))
            return
        data = {"description": value}
    elif step == "amount":
        parsed, error = parse_resource_amount(ctx, value, ctx.flow.data["type"])
        if error:
            await ctx.reply(error)
            return
        assert parsed is not None
        data = {"amount": str(parsed[0]), "unit": parsed[1]}
    elif step == "needed_by":
        day, error = parse_future_date(ctx, value)
        if error:
            await ctx.reply(error)
            return
        assert day is not None
        data = {"needed_by": day.isoformat()}
    else:  # confirm
        await finish_need(ctx, value)
        return
    await ctx.goto(NEED_STEPS[step], **data)
    await ask_need(ctx, NEED_STEPS[step])


async def finish_need(ctx: Context, value: str) -> None:
    assert ctx.flow is not None and ctx.network is not None and ctx.member is not None
    if value == "cancel":
        await ctx.end_flow()
        await ctx.reply(ctx.t("Cancelled. Nothing was saved."))
        return
    if not is_confirm(value):
        await ctx.reply(ctx.t("Tap Post to publish the need, or Cancel."))
        return
    data = dict(ctx.flow.data)
    await ctx.end_flow()
    need = await ctx.repo(NeedRepo).add(
        ctx.network.id, organisation_id=data["org"], posted_by=ctx.member.id, resource_type=data["type"],
        description=data["description"], target=Decimal(data["amount"]), unit=data["unit"],
        needed_by=date.fromisoformat(data["needed_by"]), now=ctx.now)
    await ctx.audit("create", "need", need.id, description=need.description, type=need.resource_type,
                    amount=data["amount"], unit=need.unit)
    card = need_card(ctx.t, await need_progress(ctx, need), ctx.today)
    card.title = ctx.t("Need #{id} posted. Members can pledge with /needs.", id=need.id) + "\n" + card.title
    await ctx.reply(card)


# ------------------------------------------------------------------ /needs


@router.command("needs", "ความต้องการ", help=N_("Open needs, most urgent first, with a Pledge button"))
async def needs_command(ctx: Context) -> None:
    await show_needs(ctx, 0)


@router.button("ndl")
async def needs_more(ctx: Context) -> None:
    try:
        offset = max(0, ctx.payload.int_arg(0))
    except ValueError:
        offset = 0
    await show_needs(ctx, offset)


async def show_needs(ctx: Context, offset: int) -> None:
    assert ctx.network is not None
    repo = ctx.repo(NeedRepo)
    found = await repo.open_needs(ctx.network.id, limit=NEEDS_SHOWN + 1, offset=offset)
    if not found:
        await ctx.reply(ctx.t("There are no open needs right now."))
        return
    total, overdue = await repo.count_open(ctx.network.id, ctx.today)
    await ctx.reply(ctx.t("Open needs: {total} ({overdue} overdue), most urgent first.", total=total,
                          overdue=overdue))
    for progress in await repo.with_progress(found[:NEEDS_SHOWN]):
        card = need_card(ctx.t, progress, ctx.today)
        card.buttons = [[pledge_button(ctx.t, progress.need), ctx.button(ctx.t("Pledges"), "plv", progress.need.id)]]
        await ctx.reply(card)
    if len(found) > NEEDS_SHOWN:
        await ctx.reply(Text(ctx.t("More needs…"),
                             buttons=[[ctx.button(ctx.t("More"), "ndl", offset + NEEDS_SHOWN)]]))


@router.button("plv")
async def need_pledges(ctx: Context) -> None:
    assert ctx.network is not None
    need = await load_need(ctx, payload_id(ctx))
    if need is None:
        return
    found = await ctx.repo(PledgeRepo).for_need(ctx.network.id, need.id)
    lines = [ctx.t("Pledges toward #{id} {description}:", id=need.id, description=need.description)]
    lines += [pledge_line(ctx.t, p, ctx.today) for p in found] or [ctx.t("No pledges yet.")]
    await ctx.reply(Text("\n".join(lines), buttons=pledge_buttons(ctx, found)))
