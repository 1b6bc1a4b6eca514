"""Resource mobilisation: /need, /needs (with progress), /pledge, /pledges, delivery and
cancellation, and the mobilisation part of the progress summary."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.args import is_whole, parse_whole
from bot.context import BaseContext, Context
from bot.i18n import N_, Translator
from bot.model import Button, Card, EventKind, ProgressBar, Text
from bot.payload import encode
from bot.roles import STAFF, Role
from bot.router import Router, Where
from bot.summary import Period, SummarySection
from handlers._activities_common import (
    PHOTO_MAX_BYTES,
    RESOURCE_TYPES,
    SECTORS,
    amount_text,
    is_confirm,
    is_coordinator,
    is_skip,
    parse_future_date,
    parse_resource_amount,
    parse_resource_type,
    parse_sector,
    sector_label,
    type_label,
)
from storage.activity_repo import PhotoRepo
from storage.membership import MemberRepo, OrganisationRepo
from storage.resource_repo import Need, NeedProgress, NeedRepo, Pledge, PledgeRepo, PledgeTotal

ORDER = 20
router = Router()

POSTERS = {Role.TEACHER, Role.COORDINATOR}
MAX_DESCRIPTION = 500
NEEDS_SHOWN = 5
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
    return Card(title=f"#{need.id} {need.description}", fields=fields, body=body, progress=bars,
                alt_text=need.description)


def status_label(t: Translator, status: str) -> str:
    return {"pledged": t("pledged"), "delivered": t("delivered ✅"), "cancelled": t("cancelled")}.get(status, status)


def pledge_line(t: Translator, pledge: Pledge, today: date) -> str:
    parts = [f"#{pledge.id}", amount_text(t, pledge.amount, pledge.unit), type_label(t, pledge.resource_type),
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
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


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
        offset = max(0, ctx.payload.int_arg(0))  # type: ignore[attr-defined]
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


async def load_need(ctx: Context, need_id: int) -> Need | None:
    assert ctx.network is not None
    need = await ctx.repo(NeedRepo).get(ctx.network.id, need_id)
    if need is None:
        await ctx.say(ctx.t("There is no need #{id} in this network.", id=need_id))
    return need


@router.button("plv")
async def need_pledges(ctx: Context) -> None:
    assert ctx.network is not None
    need = await load_need(ctx, _arg_id(ctx))
    if need is None:
        return
    found = await ctx.repo(PledgeRepo).for_need(ctx.network.id, need.id)
    lines = [ctx.t("Pledges toward #{id} {description}:", id=need.id, description=need.description)]
    lines += [pledge_line(ctx.t, p, ctx.today) for p in found] or [ctx.t("No pledges yet.")]
    await ctx.reply(Text("\n".join(lines), buttons=pledge_buttons(ctx, found)))


def pledge_buttons(ctx: Context, found: list[Pledge]) -> list[list[Button]]:
    buttons = [ctx.button(f"#{p.id}", "plo", p.id) for p in found[:LIST_LIMIT]]
    return [buttons[i:i + 5] for i in range(0, len(buttons), 5)]


def _arg_id(ctx: Context) -> int:
    try:
        return ctx.payload.int_arg(0)  # type: ignore[attr-defined]
    except ValueError:
        return 0


# ------------------------------------------------------------------ /pledge


@router.command("pledge", "สนับสนุน", help=N_("Pledge money, materials, time, technology or a venue: /pledge [need no.]"))
async def pledge_command(ctx: Context) -> None:
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("Please send this to me in a private chat."))
        return
    arg = ctx.args.strip().lstrip("#")
    if arg:
        need_id = parse_whole(arg)
        if need_id is None and is_whole(arg):
            await ctx.reply(ctx.t("There is no need #{id} in this network.", id=arg[:20]))
            return
        if need_id is None:
            await ctx.reply(ctx.t("Send /pledge followed by the need's number from /needs, e.g. /pledge 3, "
                                  "or just /pledge."))
            return
        await start_pledge_for_need(ctx, need_id)
        return
    await ctx.start_flow("pledge", "type", {})
    await ctx.reply(Text(ctx.t("What will you pledge?"), buttons=type_buttons(ctx)))


@router.button("pln")
async def pledge_button_pressed(ctx: Context) -> None:
    need_id = _arg_id(ctx)
    if ctx.event.is_private:
        await start_pledge_for_need(ctx, need_id)
        return
    need = await load_need(ctx, need_id)
    if need is None:
        return
    assert ctx.member is not None
    pushed = await ctx.push_member(ctx.member, lambda t: [Text(
        t("To pledge toward #{id} {description}, tap Pledge.", id=need.id, description=need.description),
        buttons=[[pledge_button(t, need)]])], key=f"need:{need.id}:pledge-invite:{ctx.event.event_id}")
    ctx.toast = (ctx.t("I've sent you a private message to continue.") if pushed else
                 ctx.t("Please add me as a friend, then send /pledge {id} to me in a private chat.", id=need.id))


async def start_pledge_for_need(ctx: Context, need_id: int) -> None:
    need = await load_need(ctx, need_id)
    if need is None:
        return
    if need.status != "open":
        await ctx.say(ctx.t("Need #{id} is already fulfilled. Thank you! See /needs for open ones.", id=need.id))
        return
    await ctx.start_flow("pledge", "amount", {"need": need.id, "type": need.resource_type, "unit": need.unit})
    await ctx.reply(ctx.t("Pledging toward #{id} {description} ({organisation}).", id=need.id,
                          description=need.description, organisation=need.organisation_name) + "\n"
                    + amount_question(ctx, need.resource_type, None if need.unit == "THB" else need.unit))


def sector_buttons(ctx: Context) -> list[list[Button]]:
    buttons = [ctx.flow_button(sector_label(ctx.t, code), code) for code in SECTORS]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


async def ask_pledge(ctx: Context, step: str) -> None:
    t = ctx.t
    assert ctx.flow is not None
    data = ctx.flow.data
    if step == "amount":
        await ctx.reply(amount_question(ctx, data["type"]))
    elif step == "sector":
        await ctx.reply(Text(t("Where does it come from? (the source sector)"), buttons=sector_buttons(ctx)))
    elif step == "expected":
        await ctx.reply(Text(t("When do you expect to deliver it? e.g. 30/11/2569"),
                             buttons=[[ctx.flow_button(t("Today"), "today"),
                                       ctx.flow_button(t("In a week"), "week")]]))
    elif step == "note":
        await ctx.reply(Text(t("Any note for the organisation? (or skip)"),
                             buttons=[[ctx.flow_button(t("Skip"), "skip")]]))
    elif step == "confirm":
        fields = [(t("Type"), type_label(t, data["type"])),
                  (t("Amount"), amount_text(t, Decimal(data["amount"]), data["unit"])),
                  (t("Source"), sector_label(t, data["sector"])),
                  (t("Expected"), t.date(date.fromisoformat(data["expected"])))]
        if data.get("need"):
            fields.insert(0, (t("Toward need"), f"#{data['need']}"))
        if data.get("note"):
            fields.append((t("Note"), data["note"]))
        await ctx.reply(Card(title=t("Your pledge"), fields=fields,
                             buttons=[[ctx.flow_button(t("Pledge"), "save"), ctx.flow_button(t("Cancel"), "cancel")]]))


@router.flow("pledge")
async def pledge_flow(ctx: Context) -> None:
    assert ctx.flow is not None and ctx.network is not None
    t, step, value = ctx.t, ctx.flow.step, ctx.input.strip()
    flow_data = ctx.flow.data
    data: dict[str, Any]
    if step == "type":
        code = parse_resource_type(value)
        if code is None:
            await ctx.reply(Text(t("Please tap one of the resource types."), buttons=type_buttons(ctx)))
            return
        data, following = {"type": code}, "amount"
    elif step == "amount":
        parsed, error = parse_resource_amount(ctx, value, flow_data["type"], need_unit=flow_data.get("unit"))
        if error:
            await ctx.reply(error)
            return
        assert parsed is not None
        data, following = {"amount": str(parsed[0]), "unit": parsed[1]}, "sector"
    elif step == "sector":
        code = parse_sector(value)
        if code is None:
            await ctx.reply(Text(t("Please tap one of the source sectors."), buttons=sector_buttons(ctx)))
            return
        data, following = {"sector": code}, "expected"
    elif step == "expected":
        text = {"week": (ctx.today + timedelta(days=7)).strftime("%d/%m/%Y")}.get(value, value)
        day, error = parse_future_date(ctx, text)
        if error:
            await ctx.reply(error)
            return
        assert day is not None
        data = {"expected": day.isoformat()}
        following = "confirm" if flow_data.get("need") else "note"
    elif step == "note":
        if len(value) > MAX_DESCRIPTION:
            await ctx.reply(t("Please keep it to {max} characters.", max=MAX_DESCRIPTION))
            return
        data, following = ({} if is_skip(value) else {"note": value}), "confirm"
    else:
        await finish_pledge(ctx, value)
        return
    await ctx.goto(following, **data)
    await ask_pledge(ctx, following)


async def finish_pledge(ctx: Context, value: str) -> None:
    assert ctx.flow is not None and ctx.network is not None and ctx.member is not None
    if value == "cancel":
        await ctx.end_flow()
        await ctx.reply(ctx.t("Cancelled. Nothing was saved."))
        return
    if not is_confirm(value):
        await ctx.reply(ctx.t("Tap Pledge to confirm, or Cancel."))
        return
    data = dict(ctx.flow.data)
    await ctx.end_flow()
    need = await ctx.repo(NeedRepo).get(ctx.network.id, data["need"]) if data.get("need") else None
    if data.get("need") and (need is None or need.status != "open"):
        await ctx.reply(ctx.t("That need is no longer open, so nothing was recorded. See /needs."))
        return
    pledge = await ctx.repo(PledgeRepo).add(
        ctx.network.id, need_id=need.id if need else None, pledger_id=ctx.member.id, resource_type=data["type"],
        source_sector=data["sector"], amount=Decimal(data["amount"]), unit=data["unit"],
        expected_date=date.fromisoformat(data["expected"]), note=data.get("note"), now=ctx.now)
    await ctx.audit("create", "pledge", pledge.id, need_id=pledge.need_id, amount=data["amount"], unit=pledge.unit,
                    sector=pledge.source_sector)
    await ctx.reply(ctx.t("Thank you! Pledge #{id} recorded: {amount}, expected {date}.", id=pledge.id,
                          amount=amount_text(ctx.t, pledge.amount, pledge.unit),
                          date=ctx.t.date(pledge.expected_date)))
    if need is not None:
        await ctx.reply(need_card(ctx.t, await need_progress(ctx, need), ctx.today))


# ------------------------------------------------------------------ /pledges, delivery and cancellation


@router.command("pledges", "รายการสนับสนุน", help=N_("Your pledges; coordinators see all, overdue ones flagged"))
async def pledges_command(ctx: Context) -> None:
    assert ctx.network is not None and ctx.member is not None
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


async def load_pledge(ctx: Context) -> tuple[Pledge, Need | None] | None:
    assert ctx.network is not None
    pledge = await ctx.repo(PledgeRepo).get(ctx.network.id, _arg_id(ctx))
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
async def open_pledge(ctx: Context) -> None:
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
        fields.insert(0, (t("Toward need"), f"#{need.id} {need.description} ({need.organisation_name})"))
    if pledge.note:
        fields.append((t("Note"), pledge.note))
    if pledge.delivery_note:
        fields.append((t("Delivery note"), pledge.delivery_note))
    buttons = []
    if pledge.status == "pledged" and may_confirm(ctx, need):
        buttons.append(ctx.button(t("Mark delivered"), "pld", pledge.id))
    if pledge.status == "pledged" and may_cancel(ctx, pledge):
        buttons.append(ctx.button(t("Cancel pledge"), "plc", pledge.id))
    await ctx.reply(Card(title=t("Pledge #{id}", id=pledge.id), fields=fields, buttons=[buttons] if buttons else []))


@router.button("pld", where=Where.PRIVATE)
async def deliver_pressed(ctx: Context) -> None:
    found = await load_pledge(ctx)
    if found is None:
        return
    pledge, need = found
    if not may_confirm(ctx, need):
        await ctx.say(ctx.t("Only the organisation that posted the need or a coordinator can confirm delivery."))
        return
    if pledge.status != "pledged":
        await ctx.say(already(ctx, pledge))
        return
    await ctx.start_flow("deliver", "note", {"pledge": pledge.id})
    await ctx.reply(Text(ctx.t("Confirming delivery of pledge #{id} ({amount}). Add a note or a photo, or skip.",
                               id=pledge.id, amount=amount_text(ctx.t, pledge.amount, pledge.unit)),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


def already(ctx: Context, pledge: Pledge) -> str:
    if pledge.status == "delivered":
        return ctx.t("Pledge #{id} is already delivered.", id=pledge.id)
    return ctx.t("Pledge #{id} was cancelled.", id=pledge.id)


@router.flow("deliver")
async def deliver_flow(ctx: Context) -> None:
    assert ctx.flow is not None
    value = ctx.input.strip()
    if len(value) > MAX_DESCRIPTION:
        await ctx.reply(ctx.t("Please keep it to {max} characters.", max=MAX_DESCRIPTION))
        return
    await deliver(ctx, note=None if is_skip(value) else value, photo=None)


@router.on(EventKind.PHOTO)
async def delivery_photo(ctx: Context) -> None:
    if ctx.flow is None or ctx.flow.flow != "deliver" or ctx.member is None or not ctx.event.photo:
        return
    if len(ctx.event.photo) > PHOTO_MAX_BYTES:
        await ctx.reply(ctx.t("That photo is too large (at most 10 MB). Please send a smaller one."))
        return
    await deliver(ctx, note=ctx.event.text.strip() or None, photo=ctx.event.photo)


async def deliver(ctx: Context, *, note: str | None, photo: bytes | None) -> None:
    """Mark the flow's pledge delivered, update the need, thank the pledger (through the outbox)."""
    assert ctx.flow is not None and ctx.network is not None and ctx.member is not None
    pledge_id = int(ctx.flow.data["pledge"])
    await ctx.end_flow()
    pledges, needs = ctx.repo(PledgeRepo), ctx.repo(NeedRepo)
    pledge = await pledges.get(ctx.network.id, pledge_id)
    need = await needs.get(ctx.network.id, pledge.need_id) if pledge and pledge.need_id else None
    if pledge is None or not may_confirm(ctx, need):
        await ctx.reply(ctx.t("Only the organisation that posted the need or a coordinator can confirm delivery."))
        return
    if not await pledges.deliver(ctx.network.id, pledge.id, by=ctx.member.id, note=note, has_photo=photo is not None,
                                 now=ctx.now):
        await ctx.reply(already(ctx, pledge))
        return
    if photo is not None:
        await ctx.repo(PhotoRepo).add(ctx.network.id, "delivery", pledge.id, photo, now=ctx.now)
    fulfilled = need is not None and await needs.mark_fulfilled_if_reached(ctx.network.id, need.id, now=ctx.now)
    await ctx.audit("deliver", "pledge", pledge.id, note=note, photo=photo is not None, need_id=pledge.need_id,
                    need_fulfilled=fulfilled)
    progress = None
    if need is not None:
        progress = await need_progress(ctx, await needs.get(ctx.network.id, need.id) or need)
    await ctx.reply(ctx.t("Pledge #{id} marked as delivered.", id=pledge.id)
                    + ("\n" + ctx.t("Need #{id} is now fulfilled 🎉", id=need.id) if fulfilled and need else ""))
    if progress is not None:
        await ctx.reply(need_card(ctx.t, progress, ctx.today))
    pledger = await ctx.repo(MemberRepo).get(ctx.network.id, pledge.pledger_id) if pledge.pledger_id else None
    if pledger is not None and pledger.status == "active":
        today = ctx.today

        def thanks(t: Translator) -> list[Any]:
            replies: list[Any] = [Text(t("Thank you, {name}! Your pledge #{id} ({amount}) has been delivered.",
                                         name=pledger.display_name, id=pledge.id,
                                         amount=amount_text(t, pledge.amount, pledge.unit)))]
            if progress is not None:
                replies.append(need_card(t, progress, today))
            return replies

        await ctx.push_member(pledger, thanks, key=f"pledge:{pledge.id}:delivered")


@router.button("plc")
async def cancel_pledge(ctx: Context) -> None:
    found = await load_pledge(ctx)
    if found is None:
        return
    pledge, _need = found
    assert ctx.network is not None and ctx.member is not None
    if not may_cancel(ctx, pledge):
        await ctx.say(ctx.t("Only the person who pledged or a coordinator can cancel a pledge."))
        return
    if not await ctx.repo(PledgeRepo).cancel(ctx.network.id, pledge.id, by=ctx.member.id, now=ctx.now):
        await ctx.say(already(ctx, pledge))
        return
    await ctx.audit("cancel", "pledge", pledge.id, pledger_id=pledge.pledger_id)
    await ctx.say(ctx.t("Pledge #{id} cancelled.", id=pledge.id))


# ------------------------------------------------------------------ the progress summary


def _totals_text(t: Translator, rows: list[PledgeTotal]) -> str:
    by_unit: dict[str, Decimal] = {}
    for row in rows:
        by_unit[row.unit] = by_unit.get(row.unit, Decimal(0)) + row.amount
    return ", ".join(amount_text(t, amount, unit) for unit, amount in sorted(by_unit.items())) or "0"


async def summary_section(ctx: BaseContext, period: Period) -> SummarySection | None:
    """Pledged vs delivered by resource type and source sector; open and overdue needs as progress bars."""
    assert ctx.network is not None
    t, pledges, needs = ctx.t, ctx.repo(PledgeRepo), ctx.repo(NeedRepo)
    network_id = ctx.network.id
    pledged = await pledges.totals_pledged(network_id, period.start, period.end)
    delivered = await pledges.totals_delivered(network_id, period.start, period.end)
    previous = await pledges.totals_pledged(network_id, period.previous_start, period.previous_end)
    open_count, overdue_needs = await needs.count_open(network_id, ctx.today)
    if not (pledged or delivered or previous or open_count):
        return None
    lines = [t("Pledged this period: {count} pledges ({previous} in the previous period)",
               count=sum(r.count for r in pledged), previous=sum(r.count for r in previous))]
    groups = sorted({(r.resource_type, r.source_sector) for r in pledged + delivered},
                    key=lambda k: (list(RESOURCE_TYPES).index(k[0]) if k[0] in RESOURCE_TYPES else 99, k[1]))
    for resource_type, sector in groups:
        made = [r for r in pledged if (r.resource_type, r.source_sector) == (resource_type, sector)]
        done = [r for r in delivered if (r.resource_type, r.source_sector) == (resource_type, sector)]
        lines.append(t("• {type} / {sector}: pledged {pledged}, delivered {delivered}",
                       type=type_label(t, resource_type), sector=sector_label(t, sector),
                       pledged=_totals_text(t, made), delivered=_totals_text(t, done)))
    lines.append(t("Open needs: {open} ({overdue} overdue); overdue pledges: {late}", open=open_count,
                   overdue=overdue_needs, late=await pledges.count_overdue(network_id, ctx.today)))
    chart: dict[str, tuple[float, float]] = {}
    for code in RESOURCE_TYPES:
        this = sum(r.count for r in pledged if r.resource_type == code)
        before = sum(r.count for r in previous if r.resource_type == code)
        if this or before:
            chart[type_label(t, code)] = (float(this), float(before))
    progress = []
    for item in await needs.with_progress(await needs.open_needs(network_id, limit=NEEDS_SHOWN)):
        label = f"#{item.need.id} {item.need.description[:40]} ({item.need.organisation_name})"
        if item.need.needed_by < ctx.today:
            label += " " + t("⚠️ overdue")
        progress.append((label, float(item.delivered), float(item.need.target)))
    return SummarySection(title=t("Resource mobilisation"), lines=lines, chart=chart, progress=progress, order=21)
