"""Confirming that a pledge was delivered (with a note or a photo), thanking the pledger and telling
the school that posted the need."""

from __future__ import annotations

from typing import Any

import handlers.plan as plan
from bot.context import Context, MemberContext
from bot.delivery_policy import Urgency
from bot.i18n import Translator
from bot.model import EventKind, Text
from bot.router import Router, Where
from handlers._common.formatting import amount_text
from handlers._common.parsing import PHOTO_MAX_BYTES, is_skip
from handlers.resources.cards import need_card, need_progress
from handlers.resources.needs import MAX_DESCRIPTION
from handlers.resources.pledges import already, load_pledge, may_confirm
from storage.activity_repo import PhotoRepo
from storage.goals import PlanRepo
from storage.membership import MemberRepo
from storage.resource_repo import Need, NeedProgress, NeedRepo, Pledge, PledgeRepo

router = Router()


@router.button("pld", where=Where.PRIVATE)
async def deliver_pressed(ctx: MemberContext) -> None:
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
                               id=pledge.number, amount=amount_text(ctx.t, pledge.amount, pledge.unit)),
                         buttons=[[ctx.flow_button(ctx.t("Skip"), "skip")]]))
    if await ctx.repo(PlanRepo).projects(ctx.network.id):
        await ctx.reply(ctx.t("Delivered for the work plan? Add the task or project to the note, e.g. งาน#3 or "
                              "โครงการ#2."))


@router.flow("deliver")
async def deliver_flow(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    value = ctx.input.strip()
    if len(value) > MAX_DESCRIPTION:
        await ctx.reply(ctx.t("Please keep it to {max} characters.", max=MAX_DESCRIPTION))
        return
    note = None if is_skip(value) else value
    rest, plan_ref = plan.take_plan_ref(note or "")  # "งาน#3" / "โครงการ#2": delivered for the plan
    if plan_ref is not None:
        found = await plan.plan_target(ctx, plan_ref)
        if isinstance(found, str):
            await ctx.reply(found)
            return
        note = rest or None
    await deliver(ctx, note=note, photo=None, plan_ref=plan_ref)


@router.on(EventKind.PHOTO)
async def delivery_photo(ctx: Context) -> None:
    if ctx.flow is None or ctx.flow.flow != "deliver" or ctx.member is None or not ctx.event.photo:
        return
    if len(ctx.event.photo) > PHOTO_MAX_BYTES:
        await ctx.reply(ctx.t("That photo is too large (at most 10 MB). Please send a smaller one."))
        return
    await deliver(ctx, note=ctx.event.text.strip() or None, photo=ctx.event.photo)


async def deliver(ctx: Context, *, note: str | None, photo: bytes | None, plan_ref: str | None = None) -> None:
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
    await ctx.reply(ctx.t("Pledge #{id} marked as delivered.", id=pledge.number)
                    + ("\n" + ctx.t("Need #{id} is now fulfilled 🎉", id=need.number) if fulfilled and need else ""))
    if plan_ref is not None and not isinstance(target := await plan.plan_target(ctx, plan_ref), str):
        await ctx.reply(await plan.link_done(ctx, target, "pledge", pledge.id))
    if progress is not None:
        await ctx.reply(need_card(ctx.t, progress, ctx.today))
    pledger = await ctx.repo(MemberRepo).get(ctx.network.id, pledge.pledger_id) if pledge.pledger_id else None
    if pledger is not None and pledger.status == "active":
        today = ctx.today

        def thanks(t: Translator) -> list[Any]:
            replies: list[Any] = [Text(t("Thank you, {name}! Your pledge #{id} ({amount}) has been delivered.",
                                         name=pledger.display_name, id=pledge.number,
                                         amount=amount_text(t, pledge.amount, pledge.unit)))]
            if progress is not None:
                replies.append(need_card(t, progress, today))
            return replies

        await ctx.push_member(pledger, thanks, key=f"pledge:{pledge.id}:delivered", urgency=Urgency.DIGEST)
    if need is not None and progress is not None:
        await tell_the_school(ctx, need, pledge, progress, fulfilled=fulfilled)


async def tell_the_school(ctx: Context, need: Need, pledge: Pledge, progress: NeedProgress, *,
                          fulfilled: bool) -> None:
    """The member who posted the need hears of each delivery toward it (unless they confirmed it)."""
    assert ctx.network is not None and ctx.member is not None
    poster = await ctx.repo(MemberRepo).get(ctx.network.id, need.posted_by) if need.posted_by else None
    if poster is None or poster.status != "active" or poster.id == ctx.member.id:
        return
    today = ctx.today

    def news(t: Translator) -> list[Any]:
        lines = [t("A delivery toward your need #{id} {description}: {amount}.", id=need.number,
                   description=need.description, amount=amount_text(t, pledge.amount, pledge.unit))]
        if fulfilled:
            lines.append(t("Need #{id} is now fulfilled 🎉", id=need.number))
        return [Text("\n".join(lines)), need_card(t, progress, today)]

    await ctx.push_member(poster, news, key=f"pledge:{pledge.id}:delivered:school", urgency=Urgency.DIGEST)
