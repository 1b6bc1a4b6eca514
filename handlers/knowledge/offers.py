"""/offer (what a member or partner organisation can give: the resource types and channels
of pledges, a quantity, where, until when), /offers, and offers matched to needs.

Matching goes both ways. When a need is posted (``need_posted``, announced by
handlers/resources), the poster sees the offers that fit in the reply, and each offerer is
asked privately (a digest) whether to pledge; when an offer is declared, the offerer sees
the open needs it fits. Either way one tap on “สนับสนุน” makes the pledge through the
resources feature's own :func:`record_pledge` for what the need still lacks, and the
offer keeps what is left of it (it is "used" once nothing is). Only what was
offered is shown (type, amount, channel, place, organisation), never anyone's contact.
An offer past its last day is neither listed nor matched, and the daily sweep marks it
expired.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.context import BaseContext, MemberContext, TaskContext
from bot.delivery_policy import Urgency
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_, Translator
from bot.model import Button, Card, Reply, Text
from bot.payload import encode
from bot.router import Router, Where
from handlers._common.buttons import grid
from handlers._common.flows import confirm, skippable
from handlers._common.formatting import amount_text, example_date
from handlers._common.parsing import parse_future_date
from handlers.resources import (
    RESOURCE_TYPES,
    amount_question,
    ask_sector,
    need_card,
    need_progress,
    parse_resource_amount,
    parse_resource_type,
    read_sector,
    read_type,
    record_pledge,
    sector_label,
    type_buttons,
    type_label,
)
from storage.knowledge import Fit, Offer, OfferRepo
from storage.membership import MemberRepo, NetworkRepo
from storage.resource_repo import Need, NeedRepo

router = Router()

MAX_DESCRIPTION = 500
MAX_SKILL = 200
MAX_PLACE = 200
MAX_AHEAD = timedelta(days=2 * 366)  # an offer "until" more than two years ahead is a typo
FITS_SHOWN = 3
LISTED = 10


# ------------------------------------------------------------------ wording


def offer_line(t: Translator, offer: Offer) -> str:
    parts = [f"#{offer.number}", t.label(type_label(t, offer.resource_type)), amount_text(t, offer.quantity, offer.unit)]
    if offer.skill:
        parts.append(offer.skill)
    parts.append(sector_label(t, offer.source_sector))
    if offer.place:
        parts.append(offer.place)
    if offer.organisation_name:
        parts.append(offer.organisation_name)
    parts.append(t("until {date}", date=t.date(offer.available_until)))
    line = " · ".join(parts)
    return f"{line}\n  {offer.description}" if offer.description else line


def coverage_text(t: Translator, found: Fit) -> str:
    amount = amount_text(t, found.covers, found.need.unit)
    if found.coverage == "enough":
        return t("covers all that is still needed ({amount})", amount=amount)
    return t("covers {amount} of the {remaining} still needed", amount=amount,
             remaining=amount_text(t, found.remaining, found.need.unit))


def need_line(t: Translator, need: Need) -> str:
    return t("#{id} {description} ({organisation}), needed by {date}", id=need.number, description=need.description,
             organisation=need.organisation_name, date=t.date(need.needed_by))


def support_button(t: Translator, found: Fit, *, numbered: bool = False) -> Button:
    """“สนับสนุน” (one need), or “สนับสนุน #3” in a list of needs."""
    return Button(label=t("Support #{id}", id=found.need.number) if numbered else t("Support"),
                  payload=encode("ofs", found.offer.number, found.need.id))


# ------------------------------------------------------------------ /offer


@router.command("offer", "เสนอให้", where=Where.PRIVATE,
                help=N_("Offer what you or your organisation can give (money, materials, volunteer time, technology, "
                        "a venue…); needs that fit are proposed to you"))
async def offer_command(ctx: MemberContext) -> None:
    await begin(ctx, "offer", "type", answer=ctx.args)


async def ask_type(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("What can you offer?"), buttons=type_buttons(ctx)))


async def ask_description(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Describe the offer in a sentence, e.g. Two teachers can tutor English on Saturdays."))


async def read_description(ctx: MemberContext, value: str) -> Data | Retry:
    if not value or len(value) > MAX_DESCRIPTION:
        return Retry(ctx.t("Please describe it in 1 to {max} characters.", max=MAX_DESCRIPTION))
    return {"description": value}


async def ask_skill(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Which skill do the volunteers bring? e.g. teaching English (or skip)"),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


async def read_skill(ctx: MemberContext, value: str) -> Data | Retry:
    if len(value) > MAX_SKILL:
        return Retry(ctx.t("Please keep it to {max} characters.", max=MAX_SKILL))
    return {"skill": value}


async def ask_amount(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    await ctx.reply(amount_question(ctx, ctx.flow.data["type"]))


async def read_amount(ctx: MemberContext, value: str) -> Data | Retry:
    assert ctx.flow is not None
    parsed, error = parse_resource_amount(ctx, value, ctx.flow.data["type"])
    if error or parsed is None:
        return Retry(error or "")
    return {"amount": str(parsed[0]), "unit": parsed[1]}


async def ask_place(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Where is it available? e.g. อำเภอเมือง ขอนแก่น or online (or skip)"),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))


async def read_place(ctx: MemberContext, value: str) -> Data | Retry:
    if len(value) > MAX_PLACE:
        return Retry(ctx.t("Please keep it to {max} characters.", max=MAX_PLACE))
    return {"place": value}


async def ask_until(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Until when is it available? e.g. {example}", example=example_date(ctx, 60)))


async def read_until(ctx: MemberContext, value: str) -> Data | Retry:
    day, error = parse_future_date(ctx, value)
    if error or day is None:
        return Retry(error or "")
    if day > ctx.today + MAX_AHEAD:
        return Retry(ctx.t("{date} is more than two years ahead. Please check the year.", date=ctx.t.date(day)))
    return {"until": day.isoformat()}


def draft_fields(t: Translator, data: Data) -> list[tuple[str, str]]:
    fields = [(t("Type"), t.label(type_label(t, data["type"]))),
              (t("Amount"), amount_text(t, Decimal(data["amount"]), data["unit"])),
              (t("Source"), sector_label(t, data["sector"]))]
    if data.get("skill"):
        fields.append((t("Skill"), data["skill"]))
    if data.get("place"):
        fields.append((t("Where"), data["place"]))
    fields.append((t("Available until"), t.date(date.fromisoformat(data["until"]))))
    return fields


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    t = ctx.t
    await ctx.reply(Card(title=t("Check before sending:") + "\n" + ctx.flow.data["description"],
                         fields=draft_fields(t, ctx.flow.data),
                         buttons=[[ctx.flow_button(t("Offer"), "save"), ctx.flow_button(t("Cancel"), "cancel")]]))


async def save_offer(ctx: MemberContext, data: Data) -> None:
    repo = ctx.repo(OfferRepo)
    offer = await repo.add(
        ctx.network.id, member_id=ctx.member.id, organisation_id=ctx.member.organisation_id,
        resource_type=data["type"], source_sector=data["sector"], description=data["description"],
        quantity=Decimal(data["amount"]), unit=data["unit"], skill=data.get("skill") or None,
        place=data.get("place") or None, available_from=None, available_until=date.fromisoformat(data["until"]),
        now=ctx.now)
    await ctx.audit("create", "offer", offer.id, type=offer.resource_type, amount=data["amount"], unit=offer.unit)
    t = ctx.t
    lines = [t("✅ Offer #{id} recorded. Thank you! Members see it with /offers.", id=offer.number)]
    fits = (await repo.needs_for(offer, ctx.today))[:FITS_SHOWN]
    if fits:
        lines.append(t("Open needs it fits:"))
        lines += [f"• {need_line(t, f.need)}: {coverage_text(t, f)}" for f in fits]
        lines.append(t("To pledge toward one, tap “Support #…” with its number. The school sees only your pledge."))
    else:
        lines.append(t("No open need fits it yet. When one is posted, I will ask you privately."))
    await ctx.reply(Text("\n".join(lines), buttons=grid([support_button(t, f, numbered=True) for f in fits], 1)))


router.steps("offer", {
    "type": Step(ask_type, read_type, next="description"),
    "description": Step(ask_description, read_description,
                        next=lambda data: "skill" if data["type"] == "volunteer" else "amount"),
    "skill": Step(ask_skill, skippable(read_skill), next="amount"),
    "amount": Step(ask_amount, read_amount, next="sector"),
    "sector": Step(ask_sector, read_sector, next="place"),
    "place": Step(ask_place, skippable(read_place), next="until"),
    "until": Step(ask_until, read_until, next="confirm"),
    "confirm": confirm(show_draft, save_offer, retry=N_("Tap Offer to record the offer, or Cancel.")),
})


# ------------------------------------------------------------------ /offers


@router.command("offers", "ข้อเสนอ", help=N_("Open offers by resource type: /offers [type]"))
async def offers_command(ctx: MemberContext) -> None:
    t = ctx.t
    words = ctx.args.strip()
    resource_type = None
    if words:
        resource_type = parse_resource_type(words)
        if resource_type is None:
            kinds = t.join(f"“{type_label(t, code)}”" for code in RESOURCE_TYPES)
            await ctx.reply(t("I don't know the resource type “{words}”. Please use one of {kinds}, e.g. "
                              "/offers วัสดุอุปกรณ์, or send /offers for all.", words=words[:50], kinds=kinds))
            return
    found = await ctx.repo(OfferRepo).open_offers(ctx.network.id, ctx.today, resource_type=resource_type,
                                                  limit=LISTED)
    if not found:
        await ctx.reply(t("There are no open offers right now. Offer something with /offer.") if resource_type is None
                        else t("There are no open offers of {type} right now.", type=type_label(t, resource_type)))
        return
    lines = [t("Open offers (tap /needs to see what schools need):")]
    current = None
    for offer in found:
        if offer.resource_type != current:
            current = offer.resource_type
            lines.append(f"【{t.label(type_label(t, current))}】")
        lines.append(offer_line(t, offer))
    await ctx.reply("\n".join(lines))


# ------------------------------------------------------------------ a need is posted: propose the offers


@router.listens("need_posted")
async def propose_offers(ctx: MemberContext, need: Need) -> None:
    """The poster sees the offers that fit (in the reply: free); each offerer is asked privately (a digest)."""
    t = ctx.t
    fits = (await ctx.repo(OfferRepo).for_need(ctx.network.id, need, ctx.today))[:FITS_SHOWN]
    if not fits:
        return
    lines = [t("Offers in the network that fit this need:")]
    for found in fits:
        lines.append(f"• {offer_line(t, found.offer)}: {coverage_text(t, found)}")
    lines.append(t("I have asked the people who offered them, privately, whether to pledge. Their names and "
                   "contacts stay private until they pledge."))
    await ctx.reply("\n".join(lines))
    members = ctx.repo(MemberRepo)
    for found in fits:
        offerer = await members.get(ctx.network.id, found.offer.member_id) if found.offer.member_id else None
        if offerer is None or offerer.status != "active" or offerer.id == ctx.member.id:
            continue

        def ask(tr: Translator, found: Fit = found) -> list[Reply]:
            return [Text(tr("A new need fits your offer #{offer}: {need}. Your offer {coverage}.",
                            offer=found.offer.number, need=need_line(tr, found.need),
                            coverage=coverage_text(tr, found))
                         + "\n" + tr("To pledge it, tap “Support”; otherwise there is nothing to do."),
                         buttons=[[support_button(tr, found)]])]

        await ctx.push_member(offerer, ask, key=f"offer:{found.offer.id}:need:{need.id}:ask", urgency=Urgency.DIGEST)


# ------------------------------------------------------------------ [สนับสนุน]: one tap, one pledge


@router.button("ofs", where=Where.PRIVATE)
async def support_pressed(ctx: MemberContext) -> None:
    t = ctx.t
    try:
        offer_number, need_id = ctx.payload.int_arg(0), ctx.payload.int_arg(1)
    except ValueError:
        offer_number, need_id = 0, 0
    offers = ctx.repo(OfferRepo)
    offer = await offers.get(ctx.network.id, offer_number)
    need = await ctx.repo(NeedRepo).get(ctx.network.id, need_id)
    if offer is None or need is None:
        await ctx.say(t("That offer or need does not exist in this network."))
        return
    if offer.member_id != ctx.member.id:
        await ctx.say(t("Only the member who made offer #{id} can pledge it.", id=offer.number))
        return
    if offer.status == "used":
        await ctx.say(t("Offer #{id} has already been pledged. Thank you!", id=offer.number))
        return
    if offer.status != "open" or offer.available_until < ctx.today:
        await ctx.say(t("Offer #{id} has expired. Make a new one with /offer.", id=offer.number))
        return
    if need.status != "open":
        await ctx.say(t("Need #{id} is already fulfilled. Thank you! See /needs for open ones.", id=need.number))
        return
    found = next((f for f in await offers.for_need(ctx.network.id, need, ctx.today) if f.offer.id == offer.id), None)
    if found is None:
        await ctx.say(t("Need #{id} no longer lacks what offer #{offer} gives, so nothing was recorded.",
                        id=need.number, offer=offer.number))
        return
    left = await offers.take(ctx.network.id, offer.number, found.covers, now=ctx.now)
    if left is None:
        await ctx.say(t("Offer #{id} has already been pledged. Thank you!", id=offer.number))
        return
    expected = min(max(ctx.today, offer.available_from or ctx.today), need.needed_by)
    pledge = await record_pledge(ctx, need, resource_type=need.resource_type, sector=offer.source_sector,
                                 amount=found.covers, unit=need.unit, expected=expected,
                                 note=t("From offer #{id}: {description}", id=offer.number,
                                        description=offer.description)[:500])
    await ctx.audit("pledge", "offer", offer.id, need_id=need.id, pledge_id=pledge.id)
    progress = await need_progress(ctx, need)
    thanks = t("Thank you! Pledge #{id} recorded: {amount} toward need #{need}, expected {date}.", id=pledge.number,
               amount=amount_text(t, pledge.amount, pledge.unit), need=need.number, date=t.date(pledge.expected_date))
    rest = (t("Offer #{offer} keeps {left} for other needs.", offer=offer.number, left=amount_text(t, left, offer.unit))
            if left > 0 else t("All of offer #{offer} is now pledged.", offer=offer.number))
    await ctx.reply(thanks + "\n" + rest)
    await ctx.reply(need_card(t, progress, ctx.today))
    await tell_the_poster(ctx, need, pledge.number, found)


async def tell_the_poster(ctx: MemberContext, need: Need, pledge_number: int, found: Fit) -> None:
    poster = await ctx.repo(MemberRepo).get(ctx.network.id, need.posted_by) if need.posted_by else None
    if poster is None or poster.status != "active" or poster.id == ctx.member.id:
        return
    today, progress = ctx.today, await need_progress(ctx, need)

    def news(t: Translator) -> list[Reply]:
        return [Text(t("Offer #{offer} became pledge #{id} toward your need #{need}: {amount}.",
                       offer=found.offer.number, id=pledge_number, need=need.number,
                       amount=amount_text(t, found.covers, need.unit))),
                need_card(t, progress, today)]

    await ctx.push_member(poster, news, key=f"offer:{found.offer.id}:need:{need.id}:pledged", urgency=Urgency.DIGEST)


# ------------------------------------------------------------------ expiry


async def expire_offers(ctx: BaseContext) -> int:
    """Mark every network's offers past their last day expired (the lists already leave them out)."""
    expired = 0
    for network in await ctx.repo(NetworkRepo).all():
        today = ctx.now.astimezone(ZoneInfo(network.timezone)).date()
        expired += len(await ctx.repo(OfferRepo).expire_due(network.id, today, now=ctx.now))
    return expired


@router.periodic("daily", name="offers_expiry")
async def offers_expiry(ctx: TaskContext) -> None:
    await expire_offers(ctx)
