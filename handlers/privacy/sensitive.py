"""Text that looks like a Thai national ID number or a phone number: needs and activities
warn before storing it and ask to edit or to keep it (the bot holds no student accounts,
and children's data has no place in a network's records)."""

from __future__ import annotations

import re

from bot.context import Context
from bot.dates import from_thai_digits
from bot.flows import Retry
from bot.model import Text

# 13 digits, alone or grouped 1-4-5-2-1 with spaces or dashes.
_ID = re.compile(r"(?<!\d)(\d[ -]?\d{4}[ -]?\d{5}[ -]?\d{2}[ -]?\d)(?!\d)")
# Thai phone numbers: 0X-XXX-XXXX (landline, 9 digits), 0[689]X-XXX-XXXX (mobile, 10 digits), or +66 without the 0.
_PHONE = re.compile(r"(?<![\d+])(?:\+66[ -]?|0)(?:[689]\d[ -]?\d{3}[ -]?\d{4}|[2-7][ -]?\d{3}[ -]?\d{4})(?!\d)")
KEEP = "~pdkeep"  # the flow input of the "keep as it is" button (never typed text)


def thai_id_valid(digits: str) -> bool:
    """The checksum of a Thai national ID number: the 13th digit from the first twelve."""
    if len(digits) != 13 or not digits.isdigit():
        return False
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def has_thai_id(text: str) -> bool:
    text = from_thai_digits(text)
    return any(thai_id_valid(re.sub(r"\D", "", m.group(1))) for m in _ID.finditer(text))


def has_phone(text: str) -> bool:
    return _PHONE.search(from_thai_digits(text)) is not None


def warning(ctx: Context, text: str) -> str | None:
    """What the text seems to hold, or None."""
    if has_thai_id(text):
        return ctx.t("This text seems to contain a national ID number.")
    if has_phone(text):
        return ctx.t("This text seems to contain a phone number.")
    return None


async def checked_text(ctx: Context, value: str) -> str | Retry:
    """``value``, or a Retry that warns and offers to keep it; the "keep" button brings the text back.
    For a step of a flow (bot/flows.py), after the step's own checks."""
    assert ctx.flow is not None, "checked_text() inside a flow step"
    if value == KEEP and ctx.flow.data.get("pd_pending"):
        kept = str(ctx.flow.data.pop("pd_pending"))
        return kept
    problem = warning(ctx, value)
    if problem is None:
        return value
    await ctx.goto(ctx.flow.step, pd_pending=value)
    return Retry(Text(ctx.t("{problem} Please do not record anyone's ID number or phone number, above all "
                            "children's. Send the text again without it, or keep it as it is.", problem=problem),
                      buttons=[[ctx.flow_button(ctx.t("Keep as it is"), KEEP)]]))
