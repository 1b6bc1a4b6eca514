"""Whether an offer fits a need, and how much of it (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from storage.knowledge import Offer, fit, rank_fits
from storage.resource_repo import Need

TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)

NEED = Need(id=7, network_id=1, number=7, organisation_id=3, organisation_name="โรงเรียน ก", posted_by=5,
            resource_type="volunteer", description="ครูอาสาสอนภาษาอังกฤษ", target=Decimal(20), unit="hours",
            needed_by=TODAY + timedelta(days=14), status="open", created_at=NOW)
OFFER = Offer(id=1, network_id=1, number=1, member_id=9, member_name="Pim", organisation_id=None,
              organisation_name="", resource_type="volunteer", source_sector="individual", description="",
              quantity=Decimal(30), unit="Hours", skill="ภาษาอังกฤษ", place="ขอนแก่น", available_from=None,
              available_until=TODAY + timedelta(days=60), status="open", created_at=NOW)


def test_enough_when_the_offer_covers_what_is_still_missing() -> None:
    found = fit(OFFER, NEED, remaining=Decimal(20), today=TODAY)
    assert found is not None and (found.coverage, found.covers) == ("enough", Decimal(20))  # units ignore case


def test_partial_when_it_covers_only_part() -> None:
    found = fit(OFFER, NEED, remaining=Decimal(45), today=TODAY)
    assert found is not None and (found.coverage, found.covers, found.remaining) == (
        "partial", Decimal(30), Decimal(45))


def test_no_fit_for_another_type_another_unit_or_nothing_missing() -> None:
    assert fit(replace(OFFER, resource_type="funding"), NEED, remaining=Decimal(20), today=TODAY) is None
    assert fit(replace(OFFER, unit="days"), NEED, remaining=Decimal(20), today=TODAY) is None
    assert fit(OFFER, NEED, remaining=Decimal(0), today=TODAY) is None
    assert fit(replace(OFFER, status="used"), NEED, remaining=Decimal(20), today=TODAY) is None
    assert fit(OFFER, replace(NEED, status="fulfilled"), remaining=Decimal(20), today=TODAY) is None


def test_in_time_means_available_on_some_day_up_to_the_needed_by_date() -> None:
    due = NEED.needed_by
    assert fit(replace(OFFER, available_from=due), NEED, remaining=Decimal(1), today=TODAY) is not None
    assert fit(replace(OFFER, available_from=due + timedelta(days=1)), NEED, remaining=Decimal(1),
               today=TODAY) is None
    # Ends before the need is due but is available now: it can still be delivered in time.
    assert fit(replace(OFFER, available_until=TODAY), NEED, remaining=Decimal(1), today=TODAY) is not None
    assert fit(replace(OFFER, available_until=TODAY - timedelta(days=1)), NEED, remaining=Decimal(1),
               today=TODAY) is None
    assert fit(OFFER, replace(NEED, needed_by=TODAY - timedelta(days=1)), remaining=Decimal(1), today=TODAY) is None


def test_ranking_enough_first_then_the_larger_share_then_the_sooner_end() -> None:
    big = fit(replace(OFFER, number=1, quantity=Decimal(50)), NEED, remaining=Decimal(20), today=TODAY)
    exact = fit(replace(OFFER, number=2, quantity=Decimal(20), available_until=TODAY + timedelta(days=3)), NEED,
                remaining=Decimal(20), today=TODAY)
    small = fit(replace(OFFER, number=3, quantity=Decimal(5)), NEED, remaining=Decimal(20), today=TODAY)
    half = fit(replace(OFFER, number=4, quantity=Decimal(10)), NEED, remaining=Decimal(20), today=TODAY)
    assert big and exact and small and half
    assert [f.offer.number for f in rank_fits([small, big, half, exact])] == [2, 1, 4, 3]
