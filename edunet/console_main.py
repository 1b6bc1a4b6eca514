"""``edunet console``: interactive or scripted."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters import discover
from bot.adapters.console.simulator import Console, ScriptError
from bot.clock import ManualClock
from bot.config import Settings
from edunet import build_app

BANNER = """EduNet console — you play every user. Type `alice@dm: /start` (alice's private chat),
`alice@teachers: /linkgroup` (a group), `alice@teachers: [Register]` to press a button,
`:clock +1d` to move time, `:platform NAME` ({platforms}), or `:quit`."""


async def run_console(settings: Settings, *, script: Path | None, start: str | None, images: Path | None) -> int:
    tz = ZoneInfo(settings.timezone)
    begin = datetime.strptime(start, "%Y-%m-%d %H:%M").replace(tzinfo=tz) if start else None
    clock = ManualClock(begin)
    specs = discover()
    app = build_app(settings, specs=specs, clock=clock, operators_are_admins=True)
    await app.start()
    console = Console(app, clock, [spec.name for spec in specs], image_dir=images)
    try:
        if script is not None:
            try:
                await console.run_script(script.read_text(encoding="utf-8"))
            except ScriptError as exc:
                print(f"{script}:{exc.line_no}: {exc.why}\n    {exc.line.strip()}", file=sys.stderr)
                return 2
            return 0
        print(BANNER.format(platforms=", ".join(console.platforms)))
        line_no = 0
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                return 0
            line_no += 1
            if line.strip() in (":quit", ":q", ":exit"):
                return 0
            try:
                await console.run_line(line, line_no)
            except ScriptError as exc:
                print(f"?? {exc.why}")
    finally:
        await app.close()
