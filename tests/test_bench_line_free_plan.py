"""The free-plan benchmark keeps running: five days of the real bot against the fake LINE, k = 2. Its
bookkeeping holds (nothing lost or duplicated, every request valid), the quota is never exceeded, less is
billed than pushing naively, and urgent rows go at once."""

from __future__ import annotations

from bench.line_free_plan import QUOTA, run_term


async def test_five_days_of_a_term_at_two_messages_a_day() -> None:
    figures = await run_term(2, months=1, seed=3, days=5)
    assert figures["failed_actions"] == []  # every user action of the workload could be done
    assert figures["lost"] == 0 and figures["duplicated"] == 0 and figures["violations"] == 0
    billed, naive = figures["billed_per_month"], figures["naive_billed_per_month"]
    assert billed[0] <= QUOTA and billed[0] < naive[0]
    assert figures["via_reply"] > 0 and figures["on_time_share"]["urgent"] == 1.0
