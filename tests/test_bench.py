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


async def test_the_mixed_broadcast_keeps_every_chat_in_order_and_the_baseline_runs() -> None:
    """Groups, private chats with two messages and chats whose requests draw injected 429s, at
    Telegram's limits ×10; then the same through PTB's AIORateLimiter."""
    from bench.outbox_broadcast import Platform, mixed_case, run_aioratelimiter, run_dispatchers, table

    case = mixed_case(groups=60, private=30, flaky=2)
    async with Platform(10) as platform:
        ours = await run_dispatchers(platform, case, scale=10, timeout=120)
        baseline = await run_aioratelimiter(platform, case, scale=10)
    print(table([ours, baseline]))
    assert ours["delivered"] == case.messages == 60 + 2 * 30 + 4 * 2
    assert ours["lost"] == ours["duplicated"] == ours["out_of_order"] == 0
    assert ours["injected_429"] == 2 * 2 and ours["rejected_429"] == 0  # the retried ones kept their place
    assert ours["outbox_status"] == {"sent": case.messages}
    assert baseline["lost"] == 0 and baseline["delivered"] >= case.messages


async def test_the_webhook_load_benchmark_runs_and_prints(capsys) -> None:  # type: ignore[no-untyped-def]
    from bench.webhook_load import print_table, run_benchmark

    results = await run_benchmark(rate=20, seconds=1, engines=["sqlite"], flood=True, drain_timeout=60)
    print_table(results)
    out = capsys.readouterr().out
    assert "bare (-)" in out and "edunet ×2p (sqlite)" in out and "flood: member /help answered" in out
    bare, edunet = results
    assert bare.sent == edunet.sent == 21 and bare.errors == 0 and edunet.errors == 0  # 20 strangers + the member
    assert edunet.answered >= edunet.sent and edunet.member_unanswered == 0


async def test_the_event_path_benchmark_runs() -> None:
    from bench.event_path import run_benchmark

    results = await run_benchmark(6)  # it asserts itself that every event was processed and answered
    assert set(results) == {"floor (HMAC + PTB echo)", "edunet simple (LINE, SQLite)", "edunet mix (LINE, SQLite)"}
    assert all(m.rate > 0 and m.cpu_ms > 0 for m in results.values())
    assert all(results[f"edunet {case} (LINE, SQLite)"].statements > 1 for case in ("simple", "mix"))
