"""The broadcast benchmark runs end to end on a small scale and loses or duplicates nothing."""

from __future__ import annotations

from types import SimpleNamespace

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
    assert edunet.apologies == 0 and "apologies" in out  # load makes events wait, never fail
    # RSS per process (receiver, worker): the peak, the last sample, and a trace from the load's start
    assert len(edunet.rss_peak_parts) == len(edunet.rss_end_parts) == 2 and all(edunet.rss_end_parts)
    assert edunet.rss_trace and edunet.rss_trace[0][0] < 10 and len(edunet.rss_trace[0][1]) == 2
    assert "edunet ×2p (sqlite) RSS MB every 10 s: 0 s " in out and "RSS end MB" in out


async def test_the_event_path_benchmark_runs() -> None:
    from bench.event_path import run_benchmark

    results = await run_benchmark(6)  # it asserts itself that every event was processed and answered
    assert set(results) == {"floor (HMAC + PTB echo, sent)", "floor without sending", "edunet simple (LINE, SQLite)",
                            "edunet mix (LINE, SQLite)"}
    assert all(m.rate > 0 and m.cpu_ms > 0 for m in results.values())
    assert all(results[f"edunet {case} (LINE, SQLite)"].statements > 1 for case in ("simple", "mix"))



def test_the_event_path_compares_each_round_with_its_own_floor() -> None:
    from bench.event_path import FLOOR, FLOOR_UNSENT, Measured, summarise

    def round_(floor: float, edunet: float) -> dict[str, Measured]:
        return {FLOOR: Measured(floor, 1.0, 0.0), FLOOR_UNSENT: Measured(floor * 10, 0.1, 0.0),
                "edunet simple (LINE, SQLite)": Measured(edunet, 2.0, 8.0)}

    # a slow round halves both sides: its ratio is the same as the quick rounds'
    rows = {row.name: row for row in summarise([round_(600, 300), round_(300, 150), round_(600, 360)])}
    simple = rows["edunet simple (LINE, SQLite)"]
    assert (simple.of_floor, simple.of_floor_low, simple.of_floor_high) == (0.5, 0.5, 0.6)
    assert simple.rate == 300 and simple.statements == 8.0
    assert rows[FLOOR].of_floor == 1.0


async def test_the_event_path_benchmark_runs_on_postgresql_and_drops_its_databases() -> None:
    import os

    import asyncpg  # type: ignore[import-untyped]
    import pytest

    from bench.event_path import run_benchmark
    from tests.conftest import POSTGRES_ENV

    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: no PostgreSQL server for the event path on PostgreSQL")

    async def bench_databases() -> set[str]:
        conn = await asyncpg.connect(base.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            return {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE 'bench_%'")}
        finally:
            await conn.close()

    before = await bench_databases()
    results = await run_benchmark(6, engines=("postgresql",))
    assert {"edunet simple (LINE, PostgreSQL)", "edunet mix (LINE, PostgreSQL)"} <= set(results)
    assert all(results[f"edunet {case} (LINE, PostgreSQL)"].statements > 1 for case in ("simple", "mix"))
    assert await bench_databases() <= before  # the run's own databases are dropped

def _answer(path: str, at: float, texts: list[str], *, to: str = "", token: str = "") -> object:
    from tests.fakes.line_api import RecordedRequest

    body = {"messages": [{"type": "text", "text": t} for t in texts]}
    body.update({"replyToken": token} if token else {"to": to})
    return RecordedRequest(method="POST", path=path, query={}, headers={}, json=body, body=b"", time=at, status=200)


def test_the_three_instance_check_matches_pushes_by_the_calibration_and_counts_lost_and_doubled() -> None:
    """Issue 17's load test tells which event a push answers by the texts a calibration user's replies
    taught, so a run where nearly every answer is a push still counts lost, doubled and out-of-order."""
    from bench.webhook_load import AnswerTexts, check_deliveries

    known = AnswerTexts()
    for kind, texts in enumerate([["Welcome", "Menu"], ["Commands"], ["Unknown command"], ["Say /help"]]):
        known.learn(kind, texts)
    sent = {f"{u}{k}": (u, k) for u in ("A", "B") for k in range(4)}
    users = {u: [f"{u}{k}" for k in range(4)] for u in ("A", "B")}
    push, reply = "/v2/bot/message/push", "/v2/bot/message/reply"
    fake = SimpleNamespace(requests=[
        _answer(reply, 1.0, ["Welcome", "Menu"], token="tA0"),
        _answer(push, 2.0, ["Commands", "Unknown command", "Say /help"], to="A"),  # three answers in one push
        _answer(push, 1.5, ["Welcome", "Menu"], to="B"),
        _answer(push, 3.0, ["Unknown command"], to="B"),  # B's /help is answered after its next message
        _answer(push, 3.5, ["Commands"], to="B"),
        _answer(push, 4.0, ["Commands"], to="B"),  # and twice
    ])
    result = check_deliveries(fake, sent, {"tA0": "A0"}, users, known=known)
    assert (result.answered, result.lost, result.by_push, result.unknown_answers) == (7, 1, 7, 0)  # B's "Say /help"
    assert result.duplicated == 1 and result.out_of_order_users == 1


def test_the_webhook_load_benchmark_counts_apologies_in_either_language() -> None:
    from bench.webhook_load import count_apologies

    def sent(*texts: str) -> SimpleNamespace:
        return SimpleNamespace(json={"messages": [{"type": "text", "text": text} for text in texts]})

    requests = [sent("ขออภัย ระบบขัดข้องชั่วคราว ยังไม่มีการบันทึกข้อมูลใด ๆ กรุณาลองใหม่อีกครั้ง"),
                sent("คำสั่งที่ใช้ได้", "Sorry, something went wrong on my side. Nothing was saved; please try again in a moment."),
                sent("ขออภัย ไม่พบคำสั่งนี้"), SimpleNamespace(json=None)]
    assert count_apologies(requests) == 2


def test_the_webhook_load_benchmark_times_its_own_full_collections_only() -> None:
    """The load generator's full collections stall its requests in flight: the bench measures them (and not
    the young generations' short ones), so a slow ack it reports can be told apart from a slow EduNet."""
    import gc

    from bench.webhook_load import CollectionPauses

    pauses = CollectionPauses()
    gc.callbacks.append(pauses)
    try:
        gc.collect(0)
        assert pauses.longest == 0.0
        gc.collect()
    finally:
        gc.callbacks.remove(pauses)
    assert pauses.longest > 0.0
