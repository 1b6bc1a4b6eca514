"""Surveys: the work shared by routes, the builder and scheduled tasks — publishing,
target groups, live cards, throttled refreshes, reminders' timing and closing with
results (no routes here)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.context import BaseContext, MemberContext
from bot.delivery_policy import Urgency
from bot.i18n import Translator
from bot.model import Reply
from handlers.surveys.logic import audience_members, survey_stats
from handlers.surveys.views import (
    invitation,
    poll_card,
    question_message,
    results_replies,
    survey_card,
    update_key,
    when,
)
from storage.membership import Chat, ChatRepo, Member, MemberRepo, OrganisationRepo
from storage.surveys import Survey, SurveyRepo

# Live counts: at most one card update per survey or poll per this interval.
REFRESH = timedelta(seconds=60)


async def target_chats(ctx: BaseContext, survey: Survey) -> list[Chat]:
    """The groups that show this survey (a poll: its own group), still linked to the network."""
    ids = [survey.chat_id] if survey.is_poll and survey.chat_id else list(survey.chats)
    found = []
    for chat_id in ids:
        chat = await ctx.repo(ChatRepo).get(chat_id)
        if chat is not None and chat.active and chat.network_id == survey.network_id:
            found.append(chat)
    return found


async def reachable(ctx: BaseContext, member: Member) -> bool:
    if not member.reachable:
        return False
    chat = await ctx.repo(ChatRepo).private_chat_of(member.platform, member.platform_user_id)
    return chat is not None and chat.active


async def org_names(ctx: BaseContext, network_id: int) -> dict[int, str]:
    return {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(network_id)}


async def live_card(ctx: BaseContext, survey: Survey) -> Any:
    """A render function for the survey's (or poll's) card with the current counts."""
    tz = ctx.tz
    if survey.is_poll:
        chosen = await ctx.repo(SurveyRepo).choice_counts(survey, survey.questions[0].id)
        counts = [chosen.get(i, 0) for i in range(len(survey.questions[0].options))]
        voters = await ctx.repo(SurveyRepo).response_count(survey)
        return lambda t: [poll_card(t, survey, tz, counts, voters)]
    members = await audience_members(ctx, survey)
    answered = await ctx.repo(SurveyRepo).response_count(survey)
    names = await org_names(ctx, survey.network_id)
    return lambda t: [survey_card(t, survey, tz, answered, len(members), names)]


async def schedule_refresh(ctx: BaseContext, survey: Survey) -> None:
    """Throttle live counts: one pending refresh per survey, run at most every REFRESH."""
    key = f"{update_key(survey)}:refresh"
    if await ctx.is_scheduled(key):
        return
    await ctx.schedule(key, "survey.refresh", ctx.now + REFRESH, {"survey_id": survey.id})


def remind_time(now: datetime, closes: datetime) -> datetime | None:
    """A day before closing; for short surveys half-way; none for under two hours."""
    span = closes - now
    if span < timedelta(hours=2):
        return None
    return closes - timedelta(days=1) if span >= timedelta(days=2) else now + span / 2


async def close_survey(ctx: BaseContext, survey: Survey) -> bool:
    """Close once: freeze the audience size, cancel pending work, post results to the groups."""
    members = await audience_members(ctx, survey)
    repo = ctx.repo(SurveyRepo)
    if not await repo.close(survey.network_id, survey.id, audience_size=None if survey.is_poll else len(members),
                            now=ctx.now):
        return False
    await ctx.unschedule(f"survey:{survey.id}:", prefix=True)
    await ctx.unschedule(f"poll:{survey.id}:", prefix=True)
    closed = await repo.get(survey.network_id, survey.id)
    assert closed is not None
    stats = await survey_stats(ctx, closed)
    tz = ctx.tz

    final_card = await live_card(ctx, closed)

    def render(t: Translator) -> list[Reply]:
        return results_replies(t, stats, tz, final=True)

    def render_in_group(t: Translator) -> list[Reply]:
        # The card in its final state first: Telegram edits the live card in place (no more vote
        # buttons, "closed"); LINE shows it in the same push as the results, at no extra cost.
        return [*final_card(t), *render(t)]

    for chat in await target_chats(ctx, closed):
        # The results carry the final card, so a live count still waiting for the chat is replaced.
        await ctx.push(chat, render_in_group, key=f"survey:{survey.id}:results:chat:{chat.id}",
                       urgency=Urgency.DIGEST, topic=f"survey:{survey.id}:counts:chat:{chat.id}")
    if not closed.is_poll and closed.created_by is not None:
        creator = await ctx.repo(MemberRepo).get(closed.network_id, closed.created_by)
        if creator is not None and creator.status == "active":
            await ctx.push_member(creator, render, key=f"survey:{survey.id}:results:m:{creator.id}",
                                  urgency=Urgency.DIGEST)
    await ctx.audit("close", "survey", survey.id, responses=stats.responses)
    return True


# ------------------------------------------------------------------ publishing


async def publish_survey(ctx: MemberContext, *, title: str, questions: list[dict[str, Any]], roles: list[str],
                         organisations: list[int], chats: list[int], anonymous: bool, closes_at: datetime) -> None:
    """Create the survey, schedule reminder and closing, and queue the cards (groups and private)."""
    survey = await ctx.repo(SurveyRepo).create(
        ctx.network.id, kind="survey", title=title, anonymous=anonymous, roles=roles, organisations=organisations,
        chats=chats, chat_id=None, created_by=ctx.member.id, closes_at=closes_at, questions=questions, now=ctx.now)
    await ctx.audit("create", "survey", survey.id, title=title, anonymous=anonymous, questions=len(questions))
    await ctx.schedule(f"survey:{survey.id}:close", "survey.close", closes_at, {"survey_id": survey.id})
    remind_at = remind_time(ctx.now, closes_at)
    if remind_at is not None:
        await ctx.schedule(f"survey:{survey.id}:remind", "survey.remind", remind_at, {"survey_id": survey.id})
    members = await audience_members(ctx, survey)
    names = await org_names(ctx, ctx.network.id)
    tz = ctx.tz

    def group_messages(t: Translator) -> list[Reply]:
        card = survey_card(t, survey, tz, 0, len(members), names)
        return [card, *(question_message(t, survey, q, private=False) for q in survey.questions if q.kind != "text")]

    groups = await target_chats(ctx, survey)
    for chat in groups:
        await ctx.push(chat, group_messages, key=f"survey:{survey.id}:publish:chat:{chat.id}",
                       urgency=Urgency.TIMELY, deliver_by=closes_at)
    sent = 0
    for member in members:
        sent += await ctx.push_member(member, lambda t: [invitation(t, survey, tz)],
                                      key=f"survey:{survey.id}:invite:m:{member.id}", urgency=Urgency.TIMELY,
                                      deliver_by=closes_at)
    lines = [ctx.t("Survey no. {n} “{title}” is published: the card is in {groups} group(s) and was sent privately "
                   "to {sent} of {total} audience member(s).", n=survey.number, title=title, groups=len(groups),
                   sent=sent, total=len(members)),
             ctx.t("It closes {when}.", when=when(ctx.t, tz, closes_at))]
    if remind_at is not None:
        lines.append(ctx.t("Those who have not answered get one reminder on {when}.", when=when(ctx.t, tz, remind_at)))
    lines.append(ctx.t("See the answers so far with /results {n}.", n=survey.number))
    await ctx.reply("\n".join(lines))
