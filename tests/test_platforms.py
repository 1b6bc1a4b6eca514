"""A platform is one folder: discovered by its SPEC, served, played by the console, and
named in feature texts by its display name, with no edit anywhere else."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest

from bot.adapters import discover
from bot.adapters.console.simulator import Console
from bot.clock import ManualClock
from bot.config import Settings
from edunet import build_app
from edunet.cli import build_parser
from edunet.serve import serve
from tests.support.conversation import START
from tests.support.platforms import echo

ROOT = Path(__file__).resolve().parents[1]


def test_the_real_platforms_are_discovered() -> None:
    specs = {spec.name: spec for spec in discover()}
    assert list(specs) == ["line", "telegram"]  # the console simulator plays them; it is not one
    assert specs["line"].display_name == "LINE" and specs["line"].commands is not None
    assert specs["telegram"].rate_profile is not None and specs["telegram"].rate_profile.per_group


def test_a_platform_folder_is_discovered_with_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    [spec] = discover("tests.support.platforms")
    assert spec is echo.SPEC
    monkeypatch.delenv("ECHO_TOKEN", raising=False)
    assert not spec.enabled(spec.settings())
    monkeypatch.setenv("ECHO_TOKEN", "t")
    assert spec.enabled(spec.settings())


async def test_serve_runs_a_discovered_platform(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECHO_TOKEN", "t")
    echo.BUILT.clear()
    stop = asyncio.Event()
    served = asyncio.create_task(serve(Settings(database_url=sqlite_url, port=0),
                                       specs=discover("tests.support.platforms"), stop=stop))
    for _ in range(200):
        if echo.BUILT or served.done():
            break
        await asyncio.sleep(0.05)
    stop.set()
    assert await asyncio.wait_for(served, 30) == 0
    [adapter] = echo.BUILT
    assert any("EduNet" in getattr(reply, "text", "") for reply in adapter.answers), adapter.answers
    assert not adapter.running  # stopped with the server


async def test_serve_names_what_to_set_when_no_platform_is_configured(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ECHO_TOKEN", raising=False)
    assert await serve(Settings(database_url=sqlite_url), specs=discover("tests.support.platforms")) == 2
    assert "set ECHO_TOKEN" in capsys.readouterr().err


async def test_the_console_plays_a_discovered_platform(sqlite_url: str) -> None:
    specs = discover("tests.support.platforms")
    clock = ManualClock(START)
    app = build_app(Settings(database_url=sqlite_url), specs=specs, clock=clock, operators_are_admins=True)
    await app.start()
    try:
        console = Console(app, clock, [spec.name for spec in specs], out=lambda _line: None)
        await console.run_line(":platform echo")
        await console.run_line("una@dm: /start")
        assert console.platform == "echo" and "EduNet" in "\n".join(console.transcript)
        assert app.platforms["echo"].display_name == "Echo"
    finally:
        await app.close()


def test_platform_commands_join_the_edunet_parser() -> None:
    args = build_parser().parse_args(["line", "stats", "--month", "2026-11"])
    assert (args.command, args.line_command, args.month) == ("line", "stats", "2026-11")
    assert "line" not in build_parser(discover("tests.support.platforms"))._subparsers._group_actions[0].choices  # type: ignore[union-attr]


def test_the_core_contract_lists_every_core_module() -> None:
    """The import-linter contract "the core never imports the platforms" names the core's
    modules one by one: a new core module must join it."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    [core] = [c for c in contracts if c["name"].startswith("The core never imports the platforms")]
    modules = {f"bot.{p.stem}" for p in (ROOT / "bot").glob("*.py") if p.stem != "__init__"}
    modules |= {f"bot.{p.parent.name}" for p in (ROOT / "bot").glob("*/__init__.py") if p.parent.name != "adapters"}
    assert set(core["source_modules"]) == modules
