"""Axis ticks and number formats: counts get whole-number ticks, baht thousands separators."""

from __future__ import annotations

import math

MOST_INTERVALS = 5  # more gridlines than this crowd a phone-width chart


def _step(top: float, whole: bool) -> float:
    """The smallest 1-2-5 step that spans ``top`` in at most MOST_INTERVALS intervals."""
    exponent = math.floor(math.log10(top / MOST_INTERVALS))
    if whole:
        exponent = max(exponent, 0)
    while True:
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0 ** exponent
            if whole and step != int(step):
                continue
            if math.ceil(top / step - 1e-9) <= MOST_INTERVALS:
                return step
        exponent += 1


def count_ticks(top: float) -> list[int]:
    """Whole-number ticks from 0 to the first at or above ``top`` (at least 0 and 1)."""
    step = int(_step(max(top, 1.0), whole=True))
    return list(range(0, math.ceil(max(top, 1) / step - 1e-9) * step + 1, step))


def value_ticks(top: float) -> list[float]:
    """Ticks from 0 to the first at or above ``top`` for measures that are not counts (a mean, a share)."""
    top = top if top > 0 else 1.0
    step = _step(top, whole=False)
    return [round(i * step, 10) for i in range(math.ceil(top / step - 1e-9) + 1)]


def format_number(value: float) -> str:
    """1,250 or 4.25: thousands separators, at most two decimals, none for whole numbers."""
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def format_baht(value: float) -> str:
    """12,500 or 1,250.50: satang shown only when there are some."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
