"""/pledge (toward a need or not, step by step), /pledges, opening and cancelling a pledge."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from bot.args import is_whole, parse_whole
from bot.context import Context, MemberContext
from bot.delivery_policy import Urgency
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_
from bot.model import Button, Card, Text
from bot.roles import STAFF, Role
from bot.router import Router
from handlers._common.buttons import grid
from handlers._common.flows import confirm
from handlers._common.formatting import amount_text, example_date
from handlers._common.members import is_coordinator
from handlers._common.parsing import is_skip, parse_future_date
from handlers.resources.cards import (
    LIST_LIMIT,
    load_need,
    need_card,
    need_progress,
    payload_id,
    pledge_button,
    pledge_buttons,
    pledge_line,
    status_label,
)
from handlers.resources.needs import MAX_DESCRIPTION, amount_question, read_type, type_buttons
from handlers.resources.vocabulary import (
    SECTORS,
    parse_resource_amount,
    parse_sector,
    sector_label,
    type_label,
)
from storage.resource_repo import Need, NeedRepo, Pledge, PledgeRepo

router = Router()


# ------------------------------------------------------------------ /pledge


@router.command("pledge", "สนับสนุน", help=N_("Pledge money, materials, time, technology or a venue: /pledge [need no.]"))
async def pledge_command(ctx: MemberContext) -> None:
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("Please send this to me in a private chat."))
        return
    arg = ctx.args.strip().lstrip("#")
    if arg:
        number = parse_whole(arg)
        if number is None and not is_whole(arg):
            await ctx.reply(ctx.t("Send /pledge followed by the need's number from /needs, e.g. /pledge 3, "
                                  "or just /pledge."))
            return
        need = await ctx.repo(NeedRepo).by_number(ctx.network.id, number) if number is not None else None
        if need is None:
            await ctx.reply(ctx.t("There is no need #{id} in this network.", id=arg[:20]))
            return
        await start_pledge_for_need(ctx, need)
        return
    await begin(ctx, "pledge", "type")


@router.button("pln")
async def pledge_button_pressed(ctx: MemberContext) -> None:
    need = await load_need(ctx, payload_id(ctx))
    if need is None:
        return
    if ctx.event.is_private:
        await start_pledge_for_need(ctx, need)
        return
    pushed = await ctx.push_member(ctx.member, lambda t: [Text(
        t("To pledge toward #{id} {description}, tap Pledge.", id=need.number, description=need.description),
        buttons=[[pledge_button(t, need)]])], key=f"need:{need.id}:pledge-invite:{ctx.event.event_id}",
        urgency=Urgency.URGENT)
    ctx.toast = (ctx.t("I've sent you a private message to continue.") if pushed else
                 ctx.t("Please add me as a friend, then send /pledge {id} to me in a private chat.", id=need.number))


async def start_pledge_for_need(ctx: MemberContext, need: Need) -> None:
    if need.status != "open":
        await ctx.say(ctx.t("Need #{id} is already fulfilled. Thank you! See /needs for open ones.", id=need.number))
        return
    await ctx.start_flow("pledge", "amount", {"need": need.id, "need_number": need.number, "type": need.resource_type,
                                               "unit": need.unit})
    await ctx.reply(ctx.t("Pledging toward #{id} {description} ({organisation}).", id=need.number,
                          description=need.description, organisation=need.organisation_name) + "\n"
                    + amount_question(ctx, need.resource_type, None if need.unit == "THB" else need.unit))


def sector_buttons(ctx: Context) -> list[list[Button]]:
    buttons = [ctx.flow_button(ctx.t.label(sector_label(ctx.t, code)), code) for code in SECTORS]
    return grid(buttons)


async def ask_type(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("What will you pledge?"), buttons=type_buttons(ctx)))


async def ask_amount(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    await ctx.reply(amount_question(ctx, ctx.flow.data["type"]))


async def read_amount(ctx: MemberContext, value: str) -> Data | Retry:
    assert ctx.flow is not None
    parsed, error = parse_resource_amount(ctx, value, ctx.flow.data["type"], need_unit=ctx.flow.data.get("unit"))
    if error or parsed is None:
        return Retry(error or "")
    return {"amount": str(parsed[0]), "unit": parsed[1]}


async def ask_sector(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Where does it come from? (the source sector)"), buttons=sector_buttons(ctx)))


async def read_sector(ctx: MemberContext, value: str) -> Data | Retry:
    code = parse_sector(value)
    if code is None:
        return Retry(Text(ctx.t("Please tap one of the source sectors."), buttons=sector_buttons(ctx)))
    return {"sector": code}


async def ask_expected(ctx: MemberContext) -> None:
    t = ctx.t
    await ctx.reply(Text(t("When do you expect to deliver it? e.g. {example}", example=example_date(ctx, 10)),
                         buttons=[[ctx.flow_button(t("Today"), "today"), ctx.flow_button(t("In a week"), "week")]]))


async def read_expected(ctx: MemberContext, value: str) -> Data | Retry:
    text = {"week": (ctx.today + timedelta(days=7)).strftime("%d/%m/%Y")}.get(value, value)
    day, error = parse_future_date(ctx, text)
    if error or day is None:
        return Retry(error or "")
    return {"expected": day.isoformat()}


async def ask_note(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Any note for the organisation? (or skip)"),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


async def read_note(ctx: MemberContext, value: str) -> Data | Retry:
    if len(value) > MAX_DESCRIPTION:
        return Retry(ctx.t("Please keep it to {max} characters.", max=MAX_DESCRIPTION))
    return {} if is_skip(value) else {"note": value}


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    t, data = ctx.t, ctx.flow.data
    fields = [(t("Type"), type_label(t, data["type"])),
              (t("Amount"), amount_text(t, Decimal(data["amount"]), data["unit"])),
              (t("Source"), sector_label(t, data["sector"])),
              (t("Expected"), t.date(date.fromisoformat(data["expected"])))]
    if data.get("need"):
        fields.insert(0, (t("Toward need"), f"#{data.get('need_number', data['need'])}"))
    if data.get("note"):
        fields.append((t("Note"), data["note"]))
    body = await over_pledge_warning(ctx, data)
    await ctx.reply(Card(title=t("Your pledge"), fields=fields, body=body,
                         buttons=[[ctx.flow_button(t("Confirm pledge"), "save"),
                                   ctx.flow_button(t("Cancel"), "cancel")]]))


async def over_pledge_warning(ctx: MemberContext, data: Data) -> str:
    """A warning when the draft pledges more than the need still lacks ("" otherwise)."""
    need = await ctx.repo(NeedRepo).get(ctx.network.id, data["need"]) if data.get("need") else None
    if need is None or need.unit != data["unit"]:
        return ""
    progress = await need_progress(ctx, need)
    lacking = max(need.target - progress.pledged, Decimal(0))
    if Decimal(data["amount"]) <= lacking:
        return ""
    return ctx.t("⚠️ This is more than the need still lacks ({lacking} of {target}). You can still confirm.",
                 lacking=amount_text(ctx.t, lacking, need.unit), target=amount_text(ctx.t, need.target, need.unit))


async def save_pledge(ctx: MemberContext, data: Data) -> None:
    need = await ctx.repo(NeedRepo).get(ctx.network.id, data["need"]) if data.get("need") else None
    if data.get("need") and (need is None or need.status != "open"):
        await ctx.reply(ctx.t("That need is no longer open, so nothing was recorded. See /needs."))
        return
    pledge = await record_pledge(ctx, need, resource_type=data["type"], sector=data["sector"],
                                 amount=Decimal(data["amount"]), unit=data["unit"],
                                 expected=date.fromisoformat(data["expected"]), note=data.get("note"))
    await ctx.reply(ctx.t("Thank you! Pledge #{id} recorded: {amount}, expected {date}.", id=pledge.number,
                          amount=amount_text(ctx.t, pledge.amount, pledge.unit),
                          date=ctx.t.date(pledge.expected_date)))
    if need is not None:
        await ctx.reply(need_card(ctx.t, await need_progress(ctx, need), ctx.today))


async def record_pledge(ctx: MemberContext, need: Need | None, *, resource_type: str, sector: str, amount: Decimal,
                        unit: str, expected: date, note: str | None) -> Pledge:
    """Store the member's pledge (toward ``need``, open, or standalone) and audit it: the one way a
    pledge is made, by /pledge or by accepting an offer's match (handlers/knowledge)."""
    pledge = await ctx.repo(PledgeRepo).add(
        ctx.network.id, need_id=need.id if need else None, pledger_id=ctx.member.id, resource_type=resource_type,
        source_sector=sector, amount=amount, unit=unit, expected_date=expected, note=note, now=ctx.now)
    await ctx.audit("create", "pledge", pledge.id, need_id=pledge.need_id, amount=str(amount), unit=pledge.unit,
                    sector=pledge.source_sector)
    return pledge


router.steps("pledge", {
    "type": Step(ask_type, read_type, next="amount"),
    "amount": Step(ask_amount, read_amount, next="sector"),
    "sector": Step(ask_sector, read_sector, next="expected"),
    "expected": Step(ask_expected, read_expected, next=lambda data: "confirm" if data.get("need") else "note"),
    "note": Step(ask_note, read_note, next="confirm"),
    "confirm": confirm(show_draft, save_pledge, retry=N_("Tap Confirm pledge, or Cancel.")),
})


@router.command("pledges", "รายการสนับสนุน", help=N_("Your pledges; coordinators see all, overdue ones flagged"))
async def pledges_command(ctx: MemberContext) -> None:
    t, repo = ctx.t, ctx.repo(PledgeRepo)
    mine = await repo.of_member(ctx.network.id, ctx.member.id, limit=LIST_LIMIT)
    lines = [t("Your pledges:")] + ([pledge_line(t, p, ctx.today) for p in mine] or [t("None yet. See /needs.")])
    await ctx.reply(Text("\n".join(lines), buttons=pledge_buttons(ctx, mine)))
    if is_coordinator(ctx):
        waiting = await repo.awaiting(ctx.network.id, limit=LIST_LIMIT)
        overdue = await repo.count_overdue(ctx.network.id, ctx.today)
        heading = t("Awaiting delivery in the network ({overdue} overdue):", overdue=overdue)
    elif ctx.member.organisation_id is not None and Role(ctx.member.role) in STAFF:
        waiting = await repo.awaiting(ctx.network.id, organisation_id=ctx.member.organisation_id, limit=LIST_LIMIT)
        heading = t("Awaiting delivery to your organisation:")
    else:
        return
    lines = [heading] + ([pledge_line(t, p, ctx.today) for p in waiting] or [t("Nothing is waiting.")])
    await ctx.reply(Text("\n".join(lines), buttons=pledge_buttons(ctx, waiting)))


async def load_pledge(ctx: MemberContext) -> tuple[Pledge, Need | None] | None:
    pledge = await ctx.repo(PledgeRepo).get(ctx.network.id, payload_id(ctx))
    if pledge is None:
        await ctx.say(ctx.t("That pledge does not exist in this network."))
        return None
    need = await ctx.repo(NeedRepo).get(ctx.network.id, pledge.need_id) if pledge.need_id else None
    return pledge, need


def may_confirm(ctx: Context, need: Need | None) -> bool:
    """The need's organisation (its teachers and coordinators) or any coordinator confirms delivery."""
    if ctx.member is None:
        return False
    if is_coordinator(ctx):
        return True
    return (need is not None and ctx.member.organisation_id == need.organisation_id
            and Role(ctx.member.role) in STAFF)


def may_cancel(ctx: Context, pledge: Pledge) -> bool:
    return ctx.member is not None and (pledge.pledger_id == ctx.member.id or is_coordinator(ctx))


@router.button("plo")
async def open_pledge(ctx: MemberContext) -> None:
    found = await load_pledge(ctx)
    if found is None:
        return
    pledge, need = found
    t = ctx.t
    status = status_label(t, pledge.status)
    if pledge.status == "pledged" and pledge.expected_date < ctx.today:
        status += " " + t("⚠️ overdue")
    fields = [(t("Status"), status),
              (t("Amount"), amount_text(t, pledge.amount, pledge.unit)), (t("Type"), type_label(t, pledge.resource_type)),
              (t("Source"), sector_label(t, pledge.source_sector)), (t("By"), pledge.pledger_name),
              (t("Expected"), t.date(pledge.expected_date))]
    if need:
        fields.insert(0, (t("Toward need"), f"#{need.number} {need.description} ({need.organisation_name})"))
    if pledge.note:
        fields.append((t("Note"), pledge.note))
    if pledge.delivery_note:
        fields.append((t("Delivery note"), pledge.delivery_note))
    buttons = []
    if pledge.status == "pledged" and may_confirm(ctx, need):
        buttons.append(ctx.button(t("Mark delivered"), "pld", pledge.id))
    if pledge.status == "pledged" and may_cancel(ctx, pledge):
        buttons.append(ctx.button(t("Cancel pledge"), "plc", pledge.id))
    await ctx.reply(Card(title=t("Pledge #{id}", id=pledge.number), fields=fields, buttons=[buttons] if buttons else []))


def already(ctx: Context, pledge: Pledge) -> str:
    if pledge.status == "delivered":
        return ctx.t("Pledge #{id} is already delivered.", id=pledge.number)
    return ctx.t("Pledge #{id} was cancelled.", id=pledge.number)


@router.button("plc")
async def cancel_pledge(ctx: MemberContext) -> None:
    found = await load_pledge(ctx)
    if found is None:
        return
    pledge, _need = found
    if not may_cancel(ctx, pledge):
        await ctx.say(ctx.t("Only the person who pledged or a coordinator can cancel a pledge."))
        return
    if not await ctx.repo(PledgeRepo).cancel(ctx.network.id, pledge.id, by=ctx.member.id, now=ctx.now):
        await ctx.say(already(ctx, pledge))
        return
    await ctx.audit("cancel", "pledge", pledge.id, pledger_id=pledge.pledger_id)
    await ctx.say(ctx.t("Pledge #{id} cancelled.", id=pledge.number))
