"""/need (post a need step by step) and /needs (open needs, most urgent first)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.context import Context, MemberContext
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_
from bot.model import Button, Card, Text
from bot.roles import Role
from bot.router import Router, Where
from handlers.privacy import checked_text
from handlers._common.buttons import grid
from handlers._common.flows import confirm
from handlers._common.formatting import amount_text, example_date
from handlers._common.parsing import parse_future_date
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
async def need_command(ctx: MemberContext) -> None:
    if ctx.member.organisation_id is None:
        await begin(ctx, "need", "org")
        return
    await begin(ctx, "need", "type", {"org": ctx.member.organisation_id})


def type_buttons(ctx: Context) -> list[list[Button]]:
    buttons = [ctx.flow_button(ctx.t.label(type_label(ctx.t, code)), code) for code in RESOURCE_TYPES]
    return grid(buttons)


def amount_question(ctx: Context, resource_type: str, unit: str | None = None) -> str:
    if resource_type == "funding":
        return ctx.t("How much, in baht? e.g. 12,500")
    if unit:
        return ctx.t("How many {unit}?", unit=unit)
    return ctx.t("How many, with the unit? e.g. 40 tablets or 20 hours")


async def ask_org(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Which organisation needs it? Send its name (set yours for next time with /org NAME)."))


async def read_org(ctx: MemberContext, value: str) -> Data | Retry:
    if not value or len(value) > 200:
        return Retry(ctx.t("Please send a name of 1 to 200 characters."))
    organisation = await ctx.repo(OrganisationRepo).get_or_create(ctx.network.id, value, now=ctx.now)
    return {"org": organisation.id}


async def ask_type(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("What kind of resource is needed?"), buttons=type_buttons(ctx)))


async def read_type(ctx: MemberContext, value: str) -> Data | Retry:
    code = parse_resource_type(value)
    if code is None:
        return Retry(Text(ctx.t("Please tap one of the resource types."), buttons=type_buttons(ctx)))
    return {"type": code}


async def ask_description(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Describe the need in a sentence, e.g. Tablets for grade 6 computing classes."))


async def read_description(ctx: MemberContext, value: str) -> Data | Retry:
    if not value or len(value) > MAX_DESCRIPTION:
        return Retry(ctx.t("Please describe it in 1 to {max} characters.", max=MAX_DESCRIPTION))
    checked = await checked_text(ctx, value)  # PDPA: an ID or phone number is confirmed or edited first
    return checked if isinstance(checked, Retry) else {"description": checked}


async def ask_amount(ctx: MemberContext) -> None:
    await ctx.reply(amount_question(ctx, ctx.flow.data["type"] if ctx.flow else ""))


async def read_amount(ctx: MemberContext, value: str) -> Data | Retry:
    assert ctx.flow is not None
    parsed, error = parse_resource_amount(ctx, value, ctx.flow.data["type"])
    if error or parsed is None:
        return Retry(error or "")
    return {"amount": str(parsed[0]), "unit": parsed[1]}


async def ask_needed_by(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("By when is it needed? e.g. {example}", example=example_date(ctx, 30)))


async def read_needed_by(ctx: MemberContext, value: str) -> Data | Retry:
    day, error = parse_future_date(ctx, value)
    if error or day is None:
        return Retry(error or "")
    return {"needed_by": day.isoformat()}


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    t, data = ctx.t, ctx.flow.data
    organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, data["org"])
    card = Card(title=data["description"], fields=[
        (t("Organisation"), organisation.name if organisation else "-"),
        (t("Type"), type_label(t, data["type"])),
        (t("Needed"), amount_text(t, Decimal(data["amount"]), data["unit"])),
        (t("Needed by"), t.date(date.fromisoformat(data["needed_by"])))],
        buttons=[[ctx.flow_button(t("Post"), "save"), ctx.flow_button(t("Cancel"), "cancel")]])
    await ctx.reply(card)


async def post_need(ctx: MemberContext, data: Data) -> None:
    need = await ctx.repo(NeedRepo).add(
        ctx.network.id, organisation_id=data["org"], posted_by=ctx.member.id, resource_type=data["type"],
        description=data["description"], target=Decimal(data["amount"]), unit=data["unit"],
        needed_by=date.fromisoformat(data["needed_by"]), now=ctx.now)
    await ctx.audit("create", "need", need.id, description=need.description, type=need.resource_type,
                    amount=data["amount"], unit=need.unit)
    card = need_card(ctx.t, await need_progress(ctx, need), ctx.today)
    card.title = ctx.t("Need #{id} posted. Members can pledge with /needs.", id=need.number) + "\n" + card.title
    await ctx.reply(card)
    await ctx.announce("need_posted", need)  # the offers that fit it are proposed (handlers/knowledge)


router.steps("need", {
    "org": Step(ask_org, read_org, next="type"),
    "type": Step(ask_type, read_type, next="description"),
    "description": Step(ask_description, read_description, next="amount"),
    "amount": Step(ask_amount, read_amount, next="needed_by"),
    "needed_by": Step(ask_needed_by, read_needed_by, next="confirm"),
    "confirm": confirm(show_draft, post_need, retry=N_("Tap Post to publish the need, or Cancel.")),
}, roles=POSTERS)


# ------------------------------------------------------------------ /needs


@router.command("needs", "ความต้องการ", help=N_("Open needs, most urgent first, with a Pledge button"))
async def needs_command(ctx: MemberContext) -> None:
    await show_needs(ctx, 0)


@router.button("ndl")
async def needs_more(ctx: MemberContext) -> None:
    try:
        offset = max(0, ctx.payload.int_arg(0))
    except ValueError:
        offset = 0
    await show_needs(ctx, offset)


async def show_needs(ctx: MemberContext, offset: int) -> None:
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
async def need_pledges(ctx: MemberContext) -> None:
    need = await load_need(ctx, payload_id(ctx))
    if need is None:
        return
    found = await ctx.repo(PledgeRepo).for_need(ctx.network.id, need.id)
    lines = [ctx.t("Pledges toward #{id} {description}:", id=need.number, description=need.description)]
    lines += [pledge_line(ctx.t, p, ctx.today) for p in found] or [ctx.t("No pledges yet.")]
    await ctx.reply(Text("\n".join(lines), buttons=pledge_buttons(ctx, found)))
