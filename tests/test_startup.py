"""Start-up stays light: heavy libraries are imported where they are used, not at start-up.
(The timings themselves are in ``python -m bench.startup``; tests never time anything.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.startup import main as startup_benchmark

ROOT = Path(__file__).resolve().parents[1]


def loaded_after(statement: str, modules: list[str]) -> dict[str, bool]:
    probe = f"import sys\n{statement}\nprint(' '.join(str(m in sys.modules) for m in {modules!r}))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    last = done.stdout.splitlines()[-1]  # the probe's line comes after anything the statement printed
    return dict(zip(modules, (word == "True" for word in last.split())))


def test_the_edunet_command_imports_neither_the_database_nor_charts_to_show_its_help() -> None:
    loaded = loaded_after("import edunet.cli; edunet.cli.build_parser()", ["sqlalchemy", "matplotlib", "telegram",
                                                                            "linebot", "handlers"])
    assert not any(loaded.values()), loaded


def test_the_app_and_every_feature_load_without_matplotlib() -> None:
    loaded = loaded_after("import bot.app, handlers; handlers.build_router()", ["matplotlib", "bot.app"])
    assert loaded == {"matplotlib": False, "bot.app": True}


# The libraries this month's features brought (charts, Thai word segmentation, Excel files, the browser of
# the web view's tests, metrics): each is imported where it is used, never on the way to --help or the console.
HEAVY = ["matplotlib", "pythainlp", "openpyxl", "playwright", "prometheus_client"]


# What the console never needs: Alembic (a new file is built at the heads without replaying the
# migrations), and the web view's pages (aiohttp's server and client, Jinja2), which `edunet serve` adds.
LATE = ["alembic", "aiohttp", "jinja2"]


def test_edunet_help_imports_none_of_the_heavy_libraries() -> None:
    loaded = loaded_after("from edunet.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass",
                          HEAVY + ["sqlalchemy", "handlers"])
    assert not any(loaded.values()), loaded


def test_a_console_script_runs_without_the_heavy_libraries(tmp_path: Path) -> None:
    script = tmp_path / "three_lines.txt"
    script.write_text("alice@dm: /newnetwork เครือข่ายทดสอบ\nalice@dm: [Join as coordinator]\nalice@dm: /me\n",
                      encoding="utf-8")
    loaded = loaded_after(f"from edunet.cli import main\nassert main(['console', '--script', {str(script)!r}]) == 0",
                          HEAVY + LATE + ["handlers.surveys", "handlers.knowledge"])
    assert loaded == {**{name: False for name in HEAVY + LATE}, "handlers.surveys": True, "handlers.knowledge": True}


def test_the_startup_benchmark_prints_its_table(capsys) -> None:  # type: ignore[no-untyped-def]
    assert startup_benchmark(["--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "python -c pass (baseline)" in out and "edunet --help" in out and "console --script" in out
