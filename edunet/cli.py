"""The ``edunet`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from bot.adapters import AdapterSpec, discover

if TYPE_CHECKING:  # imported where used: `edunet --help` must stay fast
    from bot.config import Settings


def build_parser(specs: list[AdapterSpec] | None = None) -> argparse.ArgumentParser:
    """The ``edunet`` parser, with each discovered platform's own sub-commands (``edunet line …``)."""
    specs = discover() if specs is None else specs
    parser = argparse.ArgumentParser(prog="edunet", description="EduNet: the educational collaboration network bot")
    parser.add_argument("--database", help="database URL (default: EDUNET_DATABASE_URL)")
    commands = parser.add_subparsers(dest="command", required=True)

    console = commands.add_parser("console", help="chat with the bot locally (no credentials; SQLite)")
    console.add_argument("--script", type=Path, help="run a script and print every bot message")
    console.add_argument("--start", help="simulated start time, local: 'YYYY-MM-DD HH:MM'")
    console.add_argument("--images", type=Path, help="save images the bot sends into this folder")

    names = " and/or ".join(spec.display_name for spec in specs)
    commands.add_parser("serve", help=f"run the {names} bot (see README for the settings)")

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply all migrations")

    for spec in specs:
        if spec.commands is not None:
            spec.commands.add(commands.add_parser(spec.name, help=spec.commands.help))

    network = commands.add_parser("network", help="networks")
    network_commands = network.add_subparsers(dest="network_command", required=True)
    create = network_commands.add_parser("create", help="create a network and print a coordinator invite code")
    create.add_argument("name")

    export = commands.add_parser("export", help="write activities or pledges as CSV (UTF-8 with BOM, for Excel) or XLSX")
    export.add_argument("kind", choices=["activities", "pledges", "meetings", "survey", "review", "sar"],
                        help="meetings, survey, review and sar are always XLSX")
    export.add_argument("--period", default="all", help="e.g. 'this month', 'this term', 2569, 1/11/2569-30/11/2569")
    export.add_argument("--network", type=int, help="network id (needed when there are several)")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument("--lang", choices=["th", "en"], help="language of the headings (default: the network's)")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv",
                        help="csv (default) or xlsx: one sheet per table, a summary sheet, Buddhist-Era dates")
    export.add_argument("--year", type=int, help="academic year, Buddhist Era (meetings, sar; default: this one)")
    export.add_argument("--term", help="the review's term, e.g. 2569/1 (default: this term)")
    export.add_argument("--number", type=int, help="the survey's number")
    export.add_argument("--school", help="the school (organisation) of the SAR evidence pack")

    commands.add_parser("doctor", help="check settings, database, secret key and platform credentials")
    backup = commands.add_parser("backup", help="back up the database (SQLite online backup; PostgreSQL pg_dump)")
    backup.add_argument("--out", type=Path, help="file to write (default: EDUNET_BACKUP_DIR/edunet-TIMESTAMP.…)")
    restore = commands.add_parser("restore", help="replace the database's contents with a backup (stop the bot first)")
    restore.add_argument("file", type=Path)
    restore.add_argument("--force", action="store_true", help="replace a database that holds data")
    return parser


def main(argv: list[str] | None = None) -> int:
    specs = discover()
    args = build_parser(specs).parse_args(argv)
    from bot.config import Settings

    overrides = {"database_url": args.database} if args.database else {}
    if args.command == "doctor":
        from edunet.doctor import run_doctor

        return asyncio.run(run_doctor(overrides))
    settings = Settings(**overrides)
    level = settings.log_level
    if args.command == "console" and "EDUNET_LOG_LEVEL" not in os.environ:
        level = "WARNING"  # the console's screen is the conversation; keep start-up quiet
    configure_logging(settings, level, specs)
    try:
        if args.command == "console":
            if args.script and not args.database:
                # A script is a reproducible scenario: give it a fresh database.
                tmp = tempfile.mkdtemp(prefix="edunet-console-")
                settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/console.db")
            from edunet.console_main import run_console

            return asyncio.run(run_console(settings, script=args.script, start=args.start, images=args.images))
        if args.command == "db":
            from storage.db import Database

            async def upgrade() -> None:
                db = Database(settings.database_url)
                await db.upgrade()
                await db.dispose()

            asyncio.run(upgrade())
            print("database is up to date")
            return 0
        if args.command == "network":
            return asyncio.run(create_network(settings, args.name))
        if args.command == "export" and args.kind in ("meetings", "survey", "review", "sar"):
            from handlers.reports import run_cli_report

            return asyncio.run(run_cli_report(settings, args.kind, network_id=args.network, out=args.out,
                                              lang=args.lang, year=args.year, term=args.term, number=args.number,
                                              school=args.school))
        if args.command == "export":
            from handlers.activities import run_cli_export

            return asyncio.run(run_cli_export(settings.database_url, args.kind, period=args.period,
                                              network_id=args.network, out=args.out, lang=args.lang,
                                              fmt=args.format))
        platform = next((s for s in specs if s.name == args.command and s.commands is not None), None)
        if platform is not None and platform.commands is not None:
            from handlers import build_router

            return asyncio.run(platform.commands.run(settings, platform.settings(), args, build_router()))
        if args.command in ("backup", "restore"):
            from edunet.backup import run_backup, run_restore

            if args.command == "backup":
                return run_backup(settings, args.out)
            return asyncio.run(run_restore(settings, args.file, force=args.force))
        if args.command == "serve":
            from edunet.serve import serve

            return asyncio.run(serve(settings))
    except KeyboardInterrupt:
        return 130
    return 2


def configure_logging(settings: Settings, level: str, specs: list[AdapterSpec]) -> None:
    """Text or JSON lines on stderr, with every secret setting's value redacted (bot/logs.py)."""
    from bot import logs

    platform_settings = []
    for spec in specs:
        try:
            platform_settings.append(spec.settings())
        except Exception:  # a platform's invalid settings are reported by serve/doctor, not here
            continue
    secrets = logs.secrets_from(os.environ, [*logs.secret_settings(settings, *platform_settings),
                                             sa_password(settings.database_url)])
    logs.configure(level, settings.log_format, secrets)


def sa_password(url: str) -> str:
    """The password in a database URL ('' when none)."""
    import sqlalchemy as sa

    try:
        return sa.make_url(url).password or ""
    except Exception:
        return ""


async def create_network(settings: Settings, name: str) -> int:
    from datetime import timedelta

    from edunet import build_app
    from handlers.membership import new_code, show_code
    from storage.membership import InviteRepo, NetworkRepo

    name = name.strip()
    if not name or len(name) > 200:
        print("the network name must be 1 to 200 characters", file=sys.stderr)
        return 2
    app = build_app(settings)
    await app.start()
    try:
        async with app.db.transaction() as conn:
            now = app.clock.now()
            network = await NetworkRepo(conn).create(name, timezone=settings.timezone, language=settings.language,
                                                     now=now)
            code = new_code()
            await InviteRepo(conn).create(network.id, code=code, role="coordinator", max_uses=1,
                                          expires_at=now + timedelta(days=7), created_by=None, now=now)
    finally:
        await app.close()
    print(f"network {network.id} “{name}” created")
    print(f"coordinator invite code: {show_code(code)} (one use, valid 7 days): send /join {show_code(code)} to the bot")
    return 0


if __name__ == "__main__":
    sys.exit(main())
