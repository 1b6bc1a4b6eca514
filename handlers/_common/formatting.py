"""Amounts, hours and report periods as people read them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bot.context import BaseContext
from bot.i18n import Translator
from bot.numbers import format_amount


def example_date(ctx: BaseContext, days: int, at: str = "") -> str:
    """A date ``days`` from today as people type it (``5/12/2569``, with ``at`` time if given): prompt
    examples move with the calendar, so they are never a date that has already passed."""
    day = ctx.today + timedelta(days=days)
    return f"{day.day}/{day.month}/{day.year + 543}" + (f" {at}" if at else "")


def amount_text(t: Translator, value: Decimal, unit: str) -> str:
    return format_amount(value, t.lang, unit)


def hours_text(t: Translator, minutes: int) -> str:
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
    return t("{hours} hours", hours=f"{hours:,f}")


def period_dates(ctx: BaseContext, start: datetime, end: datetime) -> tuple[date, date]:
    """A UTC period as local dates [start, end): a partial last day counts as included."""
    first = ctx.local(start).date()
    last_local = ctx.local(end)
    last = last_local.date() + (timedelta(days=1) if last_local.time() != time(0) else timedelta(0))
    return first, last


def local_midnight_utc(ctx: BaseContext, day: date) -> datetime:
    return ctx.to_utc(datetime.combine(day, time(0)))
