"""``edunet line ...``: rich menu set-up and delivery statistics."""

from __future__ import annotations

import argparse
import sys

from pathlib import Path

from bot.adapters.line.settings import LineSettings
from bot.config import Settings
from bot.router import Router


def add_commands(parser: argparse.ArgumentParser) -> None:
    """``edunet line setup-richmenu`` and ``edunet line stats``."""
    line_commands = parser.add_subparsers(dest="line_command", required=True)
    richmenu = line_commands.add_parser("setup-richmenu", help="create and set the default rich menu (Thai labels)")
    richmenu.add_argument("--language", default="th", choices=("th", "en"), help="label language (default th)")
    richmenu.add_argument("--image", type=Path, help="also save the generated menu image here")
    stats = line_commands.add_parser("stats", help="LINE pushes, messages and recipients per chat for a month")
    stats.add_argument("--month", help="YYYY-MM (default: this month)")


async def run_line_command(settings: Settings, line: LineSettings, args: argparse.Namespace, router: Router) -> int:
    """Run ``edunet line …``; the caller (the composition root) supplies the feature router."""
    if not line.channel_access_token:
        print("LINE_CHANNEL_ACCESS_TOKEN is not set", file=sys.stderr)
        return 2
    if args.line_command == "setup-richmenu":
        return await _setup_richmenu(line, args, router)
    if args.line_command == "stats":
        return await _stats(settings, args.month, router)
    return 2


async def _setup_richmenu(settings: LineSettings, args: argparse.Namespace, router: Router) -> int:
    from bot.adapters.line.api import LineApi
    from bot.adapters.line.richmenu import setup_rich_menu
    api = LineApi(settings)
    try:
        menu_id = await setup_rich_menu(api, router, language=args.language, image_path=args.image)
    except Exception as exc:
        print(f"could not set up the rich menu: {str(exc).strip().splitlines()[0] if str(exc) else exc!r}",
              file=sys.stderr)
        return 1
    finally:
        await api.close()
    print(f"rich menu {menu_id} is now the default for private chats")
    return 0


async def _stats(settings: Settings, month: str | None, router: Router) -> int:
    from bot.app import App
    from storage.delivery_stats import DeliveryStatsRepo

    app = App(settings, router=router)
    await app.start()
    try:
        month = month or app.clock.now().strftime("%Y-%m")
        async with app.db.transaction() as conn:
            rows = await DeliveryStatsRepo(conn, "line").month(month)
    finally:
        await app.close()
    print(f"LINE delivery in {month}: chat, pushes, pushed messages, recipients (billed messages), free replies")
    for row in rows:
        print(f"{row.platform_chat_id}\t{row.pushes}\t{row.push_messages}\t{row.recipients}\t{row.replies}")
    print(f"total\t{sum(r.pushes for r in rows)}\t{sum(r.push_messages for r in rows)}\t"
          f"{sum(r.recipients for r in rows)}\t{sum(r.replies for r in rows)}")
    return 0
