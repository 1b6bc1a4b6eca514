"""The broadcast benchmark runs end to end on a small scale and loses or duplicates nothing."""

from __future__ import annotations

from bench.outbox_broadcast import busiest_window, run_benchmark


def test_busiest_window_counts_a_sliding_window() -> None:
    assert busiest_window([0.0, 0.1, 0.5, 1.05, 1.2], 1.0) == 3
    assert busiest_window([0.0, 1.0, 2.0], 1.0) == 1


async def test_a_small_broadcast_against_the_fake_platform() -> None:
    result = await run_benchmark(groups=150, scale=20, timeout=60)
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["delivered"] == 150 and result["outbox_status"] == {"sent": 150}
    assert result["busiest_1s_window"] <= result["allowed_rate_per_s"]
