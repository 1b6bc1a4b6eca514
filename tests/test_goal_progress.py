"""Progress and pace of a target against the share of the academic year elapsed (pure)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from bot.academic import DEFAULT_CALENDAR
from bot.goals import assess, pace
from storage.goals import Measured, Target


def target(kind: str, value: int) -> Target:
    return Target(id=1, network_id=1, goal_id=1, position=1, kind=kind, params={}, value=Decimal(value), unit="",
                  owner_id=None)


@pytest.mark.parametrize(("actual", "share", "expected"), [
    (None, 0.5, "no_data"),
    (24, 0.5, "done"), (30, 0.2, "done"),
    (12, 0.5, "on_track"), (11, 0.5, "on_track"),  # 12 expected, 5 % of 24 = 1.2 of margin
    (10, 0.5, "behind"),
    (0, 0.01, "on_track"),  # the first days of the year: nobody is behind yet
    (0, 0.1, "behind"),
    (23, 1.0, "behind"),  # the year is over and the target missed
])
def test_the_pace_of_a_cumulative_target(actual: int | None, share: float, expected: str) -> None:
    value = Decimal(actual) if actual is not None else None
    assert pace(value, Decimal(24), share, cumulative=True) == expected


def test_a_level_is_done_once_reached_and_behind_until_then_whatever_the_date() -> None:
    assert pace(Decimal("4.20"), Decimal(4), 0.1, cumulative=False) == "done"
    assert pace(Decimal("3.90"), Decimal(4), 0.0, cumulative=False) == "behind"
    assert pace(None, Decimal(4), 0.9, cumulative=False) == "no_data"


def test_assess_a_target_on_a_date_of_the_academic_year() -> None:
    share = DEFAULT_CALENDAR.year(2569).elapsed_share(dt.date(2026, 11, 14))  # 183 of 365 days
    workshops = assess(target("activities", 24), Measured(Decimal(13)), share)
    assert workshops.pace == "on_track" and workshops.ratio == pytest.approx(13 / 24)
    assert workshops.expected == Decimal("12.03")
    baht = assess(target("resources", 500_000), Measured(Decimal(150_000)), share)
    assert baht.pace == "behind" and baht.expected == Decimal("250684.93")
    mean = assess(target("survey_mean", 4), Measured(None, suppressed=True), share)
    assert (mean.pace, mean.ratio, mean.expected, mean.suppressed) == ("no_data", None, None, True)
