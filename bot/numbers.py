"""Parsing and formatting of money amounts and quantities (Thai/English).

Pure functions over ``Decimal``. Errors carry a machine-readable ``code`` (no
user-facing text) that handlers translate.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Final, Literal

from bot.dates import from_thai_digits
from bot.dates import supported_language as _lang

__all__ = [
    "AmountErrorCode",
    "AmountInputError",
    "format_amount",
    "parse_amount",
    "parse_quantity_with_unit",
]

AmountErrorCode = Literal["empty", "not_a_number", "not_positive", "too_large", "too_precise"]


class AmountInputError(ValueError):
    """User-typed amount could not be accepted; ``code`` says why."""

    def __init__(self, code: AmountErrorCode) -> None:
        super().__init__(code)
        self.code: AmountErrorCode = code


DEFAULT_MAX_VALUE: Final = Decimal("1e12")

_ZERO_WIDTH: Final = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))

# Powers of ten. English shorthand must be attached to the number ("5k", "1.5m");
# Thai words may follow a space ("5 พัน", "1.5 ล้าน"). "พัน" followed by "ธ" is
# not a multiplier but a word (พันธุ์, พันธมิตร).
_SCALE: Final = {"k": 3, "m": 6, "พัน": 3, "หมื่น": 4, "แสน": 5, "ล้าน": 6}

_NUMBER: Final = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_SIGN: Final = r"[+\-\u2212]"
_MULTIPLIER: Final = r"(?:(?P<en>[km])(?![a-z])|\s*(?P<th>พัน(?!ธ)|หมื่น|แสน|ล้าน))"
_PREFIX_CURRENCY: Final = r"(?:฿|thb)"
_SUFFIX_CURRENCY: Final = r"(?:฿|บาท|thb|baht|บ\.)"

_AMOUNT_RE: Final = re.compile(
    rf"^(?P<sign1>{_SIGN}?)\s*(?:{_PREFIX_CURRENCY}\s*)?(?P<sign2>{_SIGN}?)\s*"
    rf"(?P<num>{_NUMBER}){_MULTIPLIER}?\s*{_SUFFIX_CURRENCY}?$",
    re.IGNORECASE,
)
_QUANTITY_RE: Final = re.compile(
    rf"^(?P<pre>{_PREFIX_CURRENCY}\s*)?(?P<sign>{_SIGN}?)\s*"
    rf"(?P<num>{_NUMBER}){_MULTIPLIER}?\s*(?P<unit>.*)$",
    re.IGNORECASE,
)
_BAD_UNIT_RE: Final = re.compile(r"^[.,+\-\u2212/:]|\d")

_CURRENCY_UNITS: Final = frozenset({"฿", "บาท", "thb", "baht", "บ."})
_HOUR_UNITS: Final = frozenset({"h", "hr", "hrs", "hour", "hours", "ชม.", "ชม", "ชั่วโมง", "ช.ม."})


def _clean(text: str) -> str:
    text = from_thai_digits(text).translate(_ZERO_WIDTH)
    return " ".join(text.split())


def _decimal_places(value: Decimal) -> int:
    """Significant decimal places (trailing zeros do not count)."""
    _, _, frac = format(value, "f").partition(".")
    return len(frac.rstrip("0"))


def _canonical(value: Decimal) -> Decimal:
    """Same value without trailing fractional zeros or exponent notation."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return Decimal(text)


def _to_value(
    negative: bool,
    number: str,
    en_scale: str | None,
    th_scale: str | None,
    max_value: Decimal,
    max_decimals: int,
) -> Decimal:
    digits = number.replace(",", "")
    scale = en_scale.lower() if en_scale else th_scale
    with localcontext() as ctx:
        ctx.prec = len(digits) + 20  # exact: no rounding for any accepted input
        value = Decimal(digits)
        if scale:
            value = value.scaleb(_SCALE[scale])
        if negative:
            value = -value
        if value <= 0:
            raise AmountInputError("not_positive")
        if value > max_value:
            raise AmountInputError("too_large")
        if _decimal_places(value) > max_decimals:
            raise AmountInputError("too_precise")
        return _canonical(value)


def parse_amount(
    text: str, *, max_value: Decimal = DEFAULT_MAX_VALUE, max_decimals: int = 2
) -> Decimal:
    """Parse a positive amount such as ``12,500``, ``฿1,500.50``, ``5k``, ``1.5 ล้านบาท``.

    Thai digits, comma thousands separators (well-formed groups only), a ``.``
    decimal point, currency marks (``฿``/``THB`` before, ``บาท``/``baht``/``THB``/
    ``฿`` after) and multipliers (``k``, ``m``, ``พัน``, ``หมื่น``, ``แสน``,
    ``ล้าน``) are accepted. ``max_value`` is inclusive; decimal places are counted
    on the final value, ignoring trailing zeros (``12.500`` is fine, ``1.234k``
    is 1234). Checks run in the order not_a_number, not_positive, too_large,
    too_precise.
    """
    s = _clean(text)
    if not s:
        raise AmountInputError("empty")
    m = _AMOUNT_RE.match(s)
    if m is None or (m["sign1"] and m["sign2"]):
        raise AmountInputError("not_a_number")
    sign = m["sign1"] or m["sign2"]
    return _to_value(sign not in ("", "+"), m["num"], m["en"], m["th"], max_value, max_decimals)


def _normalise_unit(unit: str) -> str:
    key = unit.lower().replace(" ", "")
    if key in _CURRENCY_UNITS:
        return "THB"
    if key in _HOUR_UNITS:
        return "hours"
    return unit


def parse_quantity_with_unit(text: str) -> tuple[Decimal, str | None]:
    """Parse ``<number> [unit]``: ``35 people``, ``12,500 บาท``, ``3 ชม.``, ``40``.

    The number follows parse_amount's rules (max 1e12, 2 decimals). Baht marks
    normalise to ``"THB"``, hour words (h, hr, hours, ชม., ชั่วโมง) to ``"hours"``;
    any other unit is returned as typed (whitespace collapsed). A unit may not
    contain digits or start with punctuation (so ``12 500`` and ``1,2,3`` are
    rejected as not_a_number).
    """
    s = _clean(text)
    if not s:
        raise AmountInputError("empty")
    m = _QUANTITY_RE.match(s)
    if m is None:
        raise AmountInputError("not_a_number")
    unit_text = m["unit"]
    if _BAD_UNIT_RE.search(unit_text):
        raise AmountInputError("not_a_number")
    unit: str | None = _normalise_unit(unit_text) if unit_text else None
    if m["pre"]:
        if unit not in (None, "THB"):
            raise AmountInputError("not_a_number")
        unit = "THB"
    value = _to_value(m["sign"] not in ("", "+"), m["num"], m["en"], m["th"], DEFAULT_MAX_VALUE, 2)
    return value, unit


def unit_name(unit: str, lang: str) -> str:
    """A stored unit as the reader names it: THB is ``บาท`` in Thai; other units as given."""
    return "บาท" if unit.upper() == "THB" and _lang(lang) == "th" else unit


def format_amount(value: Decimal, lang: str, unit: str | None = None) -> str:
    """``12,500`` / ``12,500.50`` plus unit: THB is ``บาท`` (th) or ``THB`` (en).

    Whole numbers (after rounding half-up to 2 places) have no ``.00``. The unit
    ``hours`` is shown as ``ชั่วโมง`` (th) / ``hour(s)`` (en); others as given.
    """
    language = _lang(lang)
    if not value.is_finite():
        raise ValueError(f"cannot format {value!r}")
    with localcontext() as ctx:
        ctx.prec = max(28, len(value.as_tuple().digits) + 5)
        rounded = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if rounded == rounded.to_integral_value():
            number = f"{int(rounded):,}"
        else:
            number = f"{rounded:,.2f}"
    if unit is None:
        return number
    if unit.upper() == "THB":
        return f"{number} {unit_name(unit, lang)}"
    if unit.lower() == "hours":
        if language == "th":
            return f"{number} ชั่วโมง"
        return f"{number} hour" if rounded == 1 else f"{number} hours"
    return f"{number} {unit}"
