"""Progress of a target and its pace, pure: what the /goals bars and the /review show.

Cumulative targets (activities, people, hours, baht, tasks done…) are expected to grow with
the year: by a date, ``share`` of the year has elapsed and ``share × target`` is the expected
value. A target is on track when its actual value is at least the expected value less a margin
of ``PACE_MARGIN`` of the whole target, so the first days of a year do not show every target
behind; once the period is over, a target not reached is behind. Level targets (a survey's
mean score or response rate) do not accumulate: they are done once they reach the target and
behind until then. A target with no value to show (no answers yet, or hidden by the anonymity
rule) has no pace.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from storage.goals import Measured, Target

__all__ = ["PACE_MARGIN", "Pace", "Progress", "assess", "pace"]

PACE_MARGIN: Final = Decimal("0.05")

Pace = Literal["done", "on_track", "behind", "no_data"]


@dataclass(frozen=True)
class Progress:
    target: Target
    actual: Decimal | None
    ratio: float | None  # actual / target (may exceed 1); None without a value
    expected: Decimal | None  # the value a cumulative target should have reached by now
    pace: Pace
    suppressed: bool = False  # hidden by the survey anonymity rule


def pace(actual: Decimal | None, target: Decimal, share: float, *, cumulative: bool) -> Pace:
    """``share``: the part of the period elapsed, 0.0–1.0."""
    if actual is None:
        return "no_data"
    if actual >= target:
        return "done"
    if not cumulative:
        return "behind"
    if share >= 1.0:
        return "behind"  # the period is over: no margin left
    expected = target * Decimal(str(share))
    return "on_track" if actual >= expected - PACE_MARGIN * target else "behind"


def assess(target: Target, measured: Measured, share: float) -> Progress:
    """A target's progress from its measured value and the share of its period elapsed."""
    actual = measured.value
    return Progress(
        target=target,
        actual=actual,
        ratio=float(actual / target.value) if actual is not None else None,
        expected=(target.value * Decimal(str(share))).quantize(Decimal("0.01")) if target.cumulative else None,
        pace=pace(actual, target.value, share, cumulative=target.cumulative),
        suppressed=measured.suppressed,
    )
