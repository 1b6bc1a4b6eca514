"""Start-up time: ``edunet --help`` and a 3-line console script, against ``python -c pass``.

    python -m bench.startup [--runs 5]

Each command runs ``--runs`` times in a fresh interpreter; the table prints the median wall time and
its ratio to the bare interpreter measured in the same run (targets: --help < 0.5 s, script < 2 s on an
idle machine), and the median CPU time (user + system) of the child, which a loaded machine inflates far
less than the wall time. Heavy libraries (matplotlib, the platform SDKs) must be imported where they are used.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = """alice@dm: /newnetwork เครือข่ายทดสอบ
alice@dm: [Join as coordinator]
alice@dm: /me
"""


def timed(command: list[str], runs: int) -> tuple[float, float]:
    """Median wall time and median CPU time (user + system) of ``command`` over ``runs`` runs, in seconds,
    after one run that is not timed and may write the bytecode caches (``__pycache__``), whatever
    PYTHONDONTWRITEBYTECODE says: an installed package has them (pip compiles at install), a fresh
    editable checkout with that variable set would compile every module on every start."""
    warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=warm_env)
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "three_lines.txt"
        script.write_text(SCRIPT, encoding="utf-8")
        rows = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], None),
            ("edunet --help", [sys.executable, "-m", "edunet", "--help"], 0.5),
            ("edunet console --script (3 lines)", [sys.executable, "-m", "edunet", "console", "--script",
                                                   str(script)], 2.0),
        ]
        load = os.getloadavg()[0]
        results = [(name, *timed(command, args.runs), target) for name, command, target in rows]
    baseline, baseline_cpu = results[0][1], results[0][2]
    print(f"machine load (1-min average, {os.cpu_count()} cores): {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'command':<36} {'median s':>9} {'× baseline':>11} {'CPU s':>7} {'× baseline':>11} {'target s':>9}")
    for name, seconds, cpu, target in results:
        print(f"{name:<36} {seconds:>9.3f} {seconds / baseline:>11.1f} {cpu:>7.3f} {cpu / baseline_cpu:>11.1f} "
              f"{target if target else '':>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
