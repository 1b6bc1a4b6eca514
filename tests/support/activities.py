"""Helpers for the activities and resource-mobilisation tests: in-process events that the
console cannot make (photos, forged button payloads) and a context for summary sections."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from bot.app import App, Outcome
from bot.context import BaseContext
from bot.model import ChatKind, ChatRef, Event, EventKind, Sender
from bot.router import Router
from bot.summary import Period, SummarySection
from storage.membership import NetworkRepo
from tests.support.conversation import Conversation


def platform_of(bot: Conversation) -> str:
    return bot.console.platform


async def send(bot: Conversation, user: str, *, text: str = "", payload: str | None = None,
               photo: bytes | None = None, group: str | None = None) -> Outcome:
    """Deliver one event straight to the app, as the platform adapter would."""
    platform = platform_of(bot)
    chat = (ChatRef(platform, user, ChatKind.PRIVATE) if group is None
            else ChatRef(platform, f"group-{group}", ChatKind.GROUP, group))
    kind = EventKind.PHOTO if photo is not None else EventKind.BUTTON if payload else EventKind.TEXT
    outcome = await bot.app.handle(Event(platform, uuid.uuid4().hex, chat, Sender(user, user.capitalize()), kind,
                                         text=text, payload=payload, photo=photo))
    await bot.console.settle()
    return outcome


def said(outcome: Outcome) -> str:
    """Everything an outcome says: replies as plain text, and the toast."""
    from bot.textrender import render_plain

    parts = [render_plain(r)[0] for r in outcome.replies]
    if outcome.toast:
        parts.append(outcome.toast)
    return "\n".join(parts)


async def summary(app: App, feature: Router, network_id: int, start: datetime, end: datetime,
                  lang: str = "th") -> SummarySection | None:
    """The section a feature's router declares, for [start, end) and the period of the same length before it."""
    (section,) = feature.summary_sections
    period = Period(start=start, end=end, previous_start=start - (end - start), previous_end=start)
    async with app.db.transaction() as conn:
        network = await NetworkRepo(conn).get(network_id)
        ctx = BaseContext(app, conn, network, lang)
        return await section.provider(ctx, period)


def bangkok_day(year: int, month: int, day: int) -> datetime:
    """Local midnight in Bangkok as an aware datetime."""
    from zoneinfo import ZoneInfo

    return datetime(year, month, day, tzinfo=ZoneInfo("Asia/Bangkok"))


ONE_WEEK = timedelta(days=7)
