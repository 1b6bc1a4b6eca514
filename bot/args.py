"""Whole numbers typed by users (item numbers, counts, days): one parser for every command.

Thai digits and a leading ``#`` are accepted; anything outside ``low..high`` is refused,
so a number never reaches SQL beyond the range of an INTEGER column (PostgreSQL and
SQLite both fail on ``99999999999999999999``).
"""

from __future__ import annotations

from typing import Final

from bot.dates import from_thai_digits

# The largest value a 32-bit INTEGER column holds (PostgreSQL's INTEGER; ids and numbers).
DB_INT_MAX: Final = 2**31 - 1


def parse_whole(text: str, *, low: int = 1, high: int = DB_INT_MAX) -> int | None:
    """``text`` as a whole number in ``low..high``, else None (not a number, or out of range)."""
    cleaned = from_thai_digits(text.strip().lstrip("#").strip())
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > len(str(high)):
        return None
    value = int(cleaned)
    return value if low <= value <= high else None


def is_whole(text: str) -> bool:
    """Digits only (Thai or Arabic, ``#`` allowed), whatever their size."""
    cleaned = from_thai_digits(text.strip().lstrip("#").strip())
    return cleaned.isascii() and cleaned.isdigit()
