"""The /goals and /review benchmark runs end to end on a small scale and times every target kind."""

from __future__ import annotations

from pathlib import Path

from bench.goals import PLAN, bench_engine
from bench.queries import Seed
from storage.goals import TARGET_KINDS


async def test_a_small_goals_benchmark_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "bench.db"
    lines: list[str] = []
    results = await bench_engine("SQLite", f"sqlite+aiosqlite:///{path}", Seed(2_000, 600, 30, 1), tasks=200,
                                 meetings_count=20, attendance=10, responses=12, repeats=1, sqlite_path=path, out=lines.append)
    kinds = {kind for _aim, _title, targets in PLAN for kind, *_ in targets}
    timed = {name.removeprefix("/goals: ").removesuffix(", year").split("(")[0] for name in results}
    assert kinds == TARGET_KINDS and kinds <= timed  # every kind of target is timed
    assert {"/goals screen: every target + pace", "/review screen: every target over the term + the Check"} <= timed
    assert all(ms > 0 for ms in results.values()) and len(lines) == len(results) + 1
