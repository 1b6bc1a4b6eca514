"""When a notification may be pushed: urgency, quiet hours (Bangkok time) and the month's budget."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.delivery_policy import Budget, QuietHours, Urgency, before_quiet, deadline_for, push_time

BKK = ZoneInfo("Asia/Bangkok")
QUIET = QuietHours.parse("21:00-07:00")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BKK)


def test_quiet_hours_wrap_past_midnight() -> None:
    assert QUIET.contains(at(1, 21), BKK) and QUIET.contains(at(2, 1), BKK) and QUIET.contains(at(2, 6, 59), BKK)
    assert not QUIET.contains(at(1, 20, 59), BKK) and not QUIET.contains(at(2, 7), BKK)
    assert QUIET.end_after(at(2, 1), BKK) == at(2, 7)
    assert QUIET.start_before(at(2, 1), BKK) == at(1, 21)
    daytime = QuietHours.parse("12:00-13:00")
    assert daytime.contains(at(1, 12, 30), BKK) and not daytime.contains(at(1, 13), BKK)


@pytest.mark.parametrize("text", ["21-07", "25:00-07:00", "21:00-21:00", "ค่ำ"])
def test_bad_quiet_hours_say_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError):
        QuietHours.parse(text)


def test_quiet_hours_can_be_switched_off() -> None:
    off = QuietHours.parse("off")
    assert off.off and off.text() == "off" and not off.contains(at(2, 1), BKK)
    assert QUIET.text() == "21:00-07:00"


def test_urgent_goes_at_once_even_at_night_and_even_when_billed() -> None:
    for billed in (True, False):
        assert push_time(Urgency.URGENT, now=at(2, 1), due=at(2, 1), deadline=at(2, 1), quiet=QUIET, tz=BKK,
                         billed=billed) == at(2, 1)


def test_a_free_platform_pushes_digest_and_timely_when_due_outside_quiet_hours() -> None:
    for urgency in (Urgency.TIMELY, Urgency.DIGEST):
        assert push_time(urgency, now=at(1, 10), due=at(1, 10), deadline=at(1, 12), quiet=QUIET, tz=BKK,
                         billed=False) == at(1, 10)


def test_a_digest_queued_at_night_waits_for_the_morning() -> None:
    assert push_time(Urgency.DIGEST, now=at(1, 23), due=at(1, 23), deadline=at(2, 23), quiet=QUIET, tz=BKK,
                     billed=False) == at(2, 7)


def test_a_survey_closing_at_five_tomorrow_never_reminds_anyone_at_one_in_the_morning() -> None:
    closing = at(2, 17)
    reminder_due = at(2, 1)
    # The feature schedules its reminder task through before_quiet: it runs the evening before.
    assert before_quiet(reminder_due, QUIET, BKK) == at(1, 20, 59)
    # Queued earlier (e.g. at 18:00) for 01:00: pushed before the quiet hours begin, on both kinds of platform.
    for billed in (False, True):
        when = push_time(Urgency.TIMELY, now=at(1, 18), due=reminder_due, deadline=closing, quiet=QUIET, tz=BKK,
                         billed=billed)
        assert when is not None and not QUIET.contains(when, BKK) and when < closing
    # Queued inside the quiet hours: it goes when they end, still before the survey closes.
    assert push_time(Urgency.TIMELY, now=at(2, 1), due=at(2, 1), deadline=closing, quiet=QUIET, tz=BKK,
                     billed=False) == at(2, 7)


def test_a_timely_row_whose_deadline_falls_inside_the_quiet_hours_still_goes_out() -> None:
    # Queued at 23:00 for a 06:00 meeting: the only chance is now.
    assert push_time(Urgency.TIMELY, now=at(1, 23), due=at(1, 23), deadline=at(2, 6), quiet=QUIET, tz=BKK,
                     billed=False) == at(1, 23)


def test_a_billed_timely_row_waits_for_a_free_chance_until_just_before_its_deadline() -> None:
    when = push_time(Urgency.TIMELY, now=at(1, 9), due=at(1, 9), deadline=at(1, 18), quiet=QUIET, tz=BKK,
                     billed=True)
    assert when == at(1, 18) - timedelta(minutes=10)


def test_a_billed_digest_waits_for_a_free_chance_until_an_hour_before_its_latest_delivery() -> None:
    assert push_time(Urgency.DIGEST, now=at(1, 9), due=at(1, 9), deadline=at(2, 9), quiet=QUIET, tz=BKK,
                     billed=True) == at(2, 8)
    # Its last call would fall in the quiet hours: it comes just before they begin, never in them.
    assert push_time(Urgency.DIGEST, now=at(1, 22), due=at(1, 22), deadline=at(2, 22), quiet=QUIET, tz=BKK,
                     billed=True) == at(2, 20, 59)
    # Queued at 05:00 with a deadline at 06:00: not at night, when the quiet hours end.
    assert push_time(Urgency.DIGEST, now=at(2, 5), due=at(2, 5), deadline=at(2, 6), quiet=QUIET, tz=BKK,
                     billed=True) == at(2, 7)


def test_deadlines_by_class() -> None:
    assert deadline_for(Urgency.URGENT, at(1, 9), None) == at(1, 9)
    assert deadline_for(Urgency.DIGEST, at(1, 9), None) == at(2, 9)
    assert deadline_for(Urgency.TIMELY, at(1, 9), at(1, 10)) == at(1, 10)


def test_the_budget_keeps_a_reserve_for_urgent_pushes() -> None:
    budget = Budget(limit=300, used=50)  # 250 left; 60 reserved for urgent, 150 only for single people
    assert budget.remaining == 250 and budget.reserve == 60 and budget.cushion == 150
    assert budget.allows(Urgency.URGENT, 250) and not budget.allows(Urgency.URGENT, 251)
    assert budget.allows(Urgency.TIMELY, 40) and not budget.allows(Urgency.TIMELY, 41)  # to a group
    assert budget.allows(Urgency.TIMELY, 1) and budget.allows(Urgency.DIGEST, 1)  # to a person
    # A digest (at its last call) to a group: from the general pool, keeping the urgent reserve.
    assert budget.allows(Urgency.DIGEST, 40) and not Budget(limit=300, used=230).allows(Urgency.DIGEST, 40)
    late = Budget(limit=300, used=230)  # 70 left: a person still gets a reminder, a group does not
    assert late.allows(Urgency.TIMELY, 1) and not late.allows(Urgency.TIMELY, 2)
    assert Budget(limit=300, used=300).allows(Urgency.DIGEST, 0)  # a free reply costs nothing
    assert Budget(limit=300, used=100).forecast(10, 30) == 300


def test_the_urgent_reserve_holds_two_pushes_to_the_largest_group() -> None:
    assert Budget(limit=300, used=0, largest_push=40).reserve == 80  # a cancellation and an urgent notice
    assert Budget(limit=300, used=0, largest_push=200).reserve == 150  # never more than half the month
    assert Budget(limit=15_000, used=0, largest_push=40).reserve == 3000  # a paid plan: 20 % is plenty
    month_end = Budget(limit=300, used=220, largest_push=40)  # what is left is the reserve
    assert month_end.allows(Urgency.URGENT, 40) and not month_end.allows(Urgency.TIMELY, 40)
    assert not month_end.allows(Urgency.TIMELY, 1) and not month_end.allows(Urgency.DIGEST, 1)
    spent = Budget(limit=300, used=220, largest_push=40, urgent_spent=80)  # the month's urgent pushes went
    assert spent.reserve == 0 and spent.allows(Urgency.TIMELY, 1) and spent.allows(Urgency.URGENT, 80)


def test_a_groups_digest_at_its_last_call_lets_cheaper_rows_go_first() -> None:
    budget = Budget(limit=300, used=150, largest_push=40)  # 150 left, 80 of them the urgent reserve
    assert budget.allows(Urgency.DIGEST, 40) and budget.allows(Urgency.DIGEST, 40, ahead=30)
    assert not budget.allows(Urgency.DIGEST, 40, ahead=31)  # 31 people waiting for 1 each come first
    assert budget.allows(Urgency.DIGEST, 1)  # a person's digest: anything above the reserve
    assert not Budget(limit=300, used=220, largest_push=40).allows(Urgency.DIGEST, 1)  # only the reserve


def test_the_general_pool_is_spread_over_the_month() -> None:
    # 300 a month, 80 for urgent: 220 for the rest, a quarter of it ahead of an even pace.
    early = Budget(limit=300, used=40, largest_push=40, month_gone=0.1)  # day 3, 40 spent
    assert early.paced == 77 and not early.allows(Urgency.DIGEST, 40)  # 80 > 77: later
    assert Budget(limit=300, used=30, largest_push=40, month_gone=0.1).allows(Urgency.DIGEST, 40)
    # Urgent pushes do not count against the pace: they had their reserve.
    assert Budget(limit=300, used=110, largest_push=40, urgent_spent=80, month_gone=0.1).allows(Urgency.DIGEST, 40)
    # Timely rows are not paced: a reminder before a meeting goes whatever the day.
    assert Budget(limit=300, used=60, largest_push=40, month_gone=0.0).allows(Urgency.TIMELY, 10)


def test_the_share_of_the_month_gone() -> None:
    from bot.delivery_policy import month_gone

    assert month_gone(at(1, 0), BKK) == 0 and month_gone(at(16, 12), BKK) == 0.5


def test_a_groups_digest_leaves_the_people_what_the_rest_of_the_month_needs() -> None:
    mid = Budget(limit=300, used=150, largest_push=40, month_gone=0.5)  # 70 above the reserve
    assert mid.people_ahead == 75 and not mid.allows(Urgency.DIGEST, 40) and mid.allows(Urgency.TIMELY, 1)
    assert Budget(limit=300, used=150, largest_push=40, month_gone=0.9).allows(Urgency.DIGEST, 40)
