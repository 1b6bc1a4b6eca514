"""Reading what people type: words in a vocabulary (Thai or English), skip and confirm
words, counts, dates in the future, and the messages for input that cannot be read."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from bot.args import parse_whole
from bot.context import Context
from bot.dates import DateInputError, parse_date
from bot.i18n import Translator
from bot.numbers import AmountInputError

SKIP_WORDS = frozenset({"skip", "ข้าม", "-", "none", "no", "ไม่มี", "ไม่"})
CONFIRM_WORDS = frozenset({"save", "ok", "yes", "confirm", "post", "pledge", "บันทึก", "ยืนยัน", "ตกลง", "ใช่",
                           "โพสต์"})
PHOTO_MAX_BYTES = 10 * 1024 * 1024


def words_key(text: str) -> str:
    return " ".join(text.strip().lower().strip(".,;:!?").split())


def lookup(table: dict[str, tuple], text: str, words_at: int) -> str | None:  # type: ignore[type-arg]
    key = words_key(text)
    if key in table:
        return key
    for code, entry in table.items():
        if key in entry[words_at]:
            return code
    return None


def is_skip(text: str) -> bool:
    return words_key(text) in SKIP_WORDS


def is_confirm(text: str) -> bool:
    return words_key(text) in CONFIRM_WORDS


def date_error(t: Translator, error: DateInputError) -> str:
    if error.code == "ambiguous_year":
        return t("Is that year Buddhist Era or Gregorian? Please write it with 4 digits, e.g. 2569 or 2026.")
    if error.code == "impossible":
        return t("That date does not exist. Please check the day and the month.")
    if error.code == "reversed":
        return t("That period ends before it starts. Please give the earlier date first, e.g. 1/11/2569-30/11/2569.")
    if error.code == "year_out_of_range":
        return t("That year is out of range. Please write a year like 2569 (Buddhist Era) or 2026.")
    return t("I couldn't read that date. Please write it like 20/11/2569, 20 พ.ย. 2569 or today.")


def amount_error(t: Translator, error: AmountInputError) -> str:
    if error.code == "not_positive":
        return t("The amount must be more than zero.")
    if error.code == "too_large":
        return t("That amount is too large. Please check it.")
    if error.code == "too_precise":
        return t("Please use at most 2 decimal places.")
    return t("Please send a number, e.g. 12,500 or 40 tablets.")


def parse_future_date(ctx: Context, text: str) -> tuple[date | None, str | None]:
    """A date today or later: (date, None), or (None, error message)."""
    try:
        value = parse_date(text, ctx.today)
    except DateInputError as exc:
        return None, date_error(ctx.t, exc)
    if value < ctx.today:
        return None, ctx.t("{date} is in the past. Please give today or a later date.", date=ctx.t.date(value))
    return value, None


MAX_COUNT = 999_999_999  # participants, hours: far beyond any real figure, well inside INTEGER


def parse_count(text: str) -> int | None:
    """A whole number (Thai digits and thousands separators allowed), or None."""
    return parse_whole(text.replace(",", ""), low=0, high=MAX_COUNT)


def take_tokens(tokens: list[str], parse: Callable[[str], Any], *, widths: tuple[int, ...]
                ) -> tuple[Any, list[str]]:
    """The leftmost (then longest, in the order of ``widths``) run of tokens that ``parse`` accepts
    (returns not None): its value and the other tokens; (None, tokens) when no run is accepted.
    One-line forms use it to find a date or a category wherever the user put it."""
    for start in range(len(tokens)):
        for width in widths:
            if start + width > len(tokens):
                continue
            value = parse(" ".join(tokens[start:start + width]))
            if value is not None:
                return value, tokens[:start] + tokens[start + width:]
    return None, tokens
