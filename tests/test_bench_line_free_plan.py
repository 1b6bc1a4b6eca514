"""The free-plan benchmark runs a small term and its bookkeeping holds: nothing lost or duplicated,
the free plan's quota never exceeded, never more billed than pushing naively."""

from __future__ import annotations

from bench.line_free_plan import QUOTA, run


def test_a_month_at_two_messages_a_day_and_at_none() -> None:
    results = run(months=1, seed=3, ks=(0, 2))
    for k, figures in results.items():
        assert figures["lost"] == 0 and figures["duplicated"] == 0, k
        billed, naive = figures["billed_per_month"], figures["naive_billed_per_month"]
        assert all(b <= QUOTA for b in billed) and sum(billed) <= sum(naive), k  # type: ignore[arg-type]
    assert results[2]["waiting_at_end"] <= results[0]["waiting_at_end"]  # type: ignore[operator]
