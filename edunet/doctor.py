"""``edunet doctor``: is this installation ready to run? One line per check, with what to fix.

It only looks: it creates no database, no key file and changes nothing on LINE or Telegram.
Secrets (tokens, the key, database passwords) never appear in what it prints.
"""

from __future__ import annotations

import asyncio
import stat
import sys
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from pydantic import ValidationError

from bot.adapters import AdapterSpec, discover
from bot.checks import Check, first_line
from bot.config import Settings
from edunet.backup import backup_dir, key_file
from storage.db import Database, normalise_url
from storage.maintenance import migration_state, ping, sqlite_path

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
DATABASE_TIMEOUT = 10.0


def _env_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    return field if field.isupper() else f"EDUNET_{field.upper()}"


Platforms = list[tuple[AdapterSpec, Any]]


def load_settings(overrides: dict[str, Any], specs: list[AdapterSpec]) -> tuple[Settings, Platforms] | Check:
    """The core's and each platform's settings, or the check that says which variable is wrong.
    ``overrides`` use the settings' names (``database_url``; a platform's with its name as prefix:
    ``line_channel_secret``)."""
    core = {k: v for k, v in overrides.items() if not any(k.startswith(f"{s.name}_") for s in specs)}
    try:
        settings = Settings(**core)
        platforms = [(spec, spec.settings(**{k.removeprefix(f"{spec.name}_"): v for k, v in overrides.items()
                                              if k.startswith(f"{spec.name}_")})) for spec in specs]
    except ValidationError as exc:
        problems = "; ".join(f"{_env_name(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        return Check("settings", False, problems)
    return settings, platforms


def check_settings(settings: Settings, platforms: Platforms) -> Check:
    problems = [problem for spec, own in platforms if spec.doctor
                for problem in spec.doctor.settings_problems(settings, own)]
    enabled = [spec for spec, own in platforms if spec.enabled(own)]
    if not enabled and not problems:
        problems.append("no platform is configured: set " + ", or ".join(spec.required for spec, _ in platforms))
    if settings.language not in ("th", "en"):
        problems.append(f"EDUNET_LANGUAGE must be th or en, not {settings.language!r}")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append(f"EDUNET_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {settings.log_level!r}")
    if problems:
        return Check("settings", False, "; ".join(problems))
    return Check("settings", True, f"{' and '.join(spec.display_name for spec in enabled)} configured; "
                                   f"language {settings.language}, time zone {settings.timezone}")


async def check_database(settings: Settings) -> list[Check]:
    """Reachability, then migrations (only when the database answers)."""
    where = sa.make_url(normalise_url(settings.database_url)).render_as_string(hide_password=True)
    db_file = sqlite_path(settings.database_url)
    if db_file is not None and not db_file.exists():
        return [Check("database", False, f"no database file at {db_file}: run `edunet db upgrade` "
                                         "(or check EDUNET_DATABASE_URL)")]
    db = Database(settings.database_url)
    try:
        try:
            await asyncio.wait_for(ping(db), DATABASE_TIMEOUT)
        except Exception as exc:
            reason = "no answer in time" if isinstance(exc, TimeoutError) else first_line(exc)
            return [Check("database", False, f"cannot reach {where} ({reason}): is the server running, "
                                             "and are EDUNET_DATABASE_URL's host, user and password right?")]
        checks = [Check("database", True, f"reachable ({where})")]
        state = await migration_state(db)
    finally:
        await db.dispose()
    if state.unknown:
        checks.append(Check("migrations", False, f"the database has revisions this EduNet does not know "
                                                 f"({', '.join(sorted(state.unknown))}): install the EduNet "
                                                 "version that wrote them, or restore a matching backup"))
    elif state.pending:
        checks.append(Check("migrations", False, f"{len(state.pending)} migration branch(es) behind "
                                                 f"({', '.join(sorted(state.pending))}): run `edunet db upgrade` "
                                                 "(`edunet serve` also applies them at start-up)"))
    else:
        checks.append(Check("migrations", True, f"up to date ({len(state.heads)} heads)"))
    return checks


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def check_secret_key(settings: Settings) -> Check:
    path = key_file(settings)
    if path is None:
        return Check("secret key", True, "EDUNET_SECRET_KEY is set; keep a copy of it apart from the backups")
    create = f"(umask 077 && openssl rand -hex 32 > {path}), as the bot's user"
    if not path.exists():
        return Check("secret key", False, f"{path} does not exist yet; create it now, so you can back it up "
                                          f"and give every instance the same one: {create}")
    db_file = sqlite_path(settings.database_url)
    for folder, what in ((db_file.parent if db_file else None, "database"), (backup_dir(settings), "backup")):
        if folder is not None and _inside(path, folder):
            return Check("secret key", False, f"{path} is inside the {what} folder {folder}, so copies of that "
                                              "folder carry it: move it elsewhere (e.g. /etc/edunet/secret.key) "
                                              "and set EDUNET_SECRET_KEY_FILE")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Check("secret key", False, f"{path} has permissions {mode:o}, others may read it: chmod 600 {path}")
    try:
        empty = not path.read_text().strip()
    except OSError as exc:
        return Check("secret key", False, f"cannot read {path} ({exc.strerror}): it must belong to the bot's user")
    if empty:
        return Check("secret key", False, f"{path} is empty: {create}")
    return Check("secret key", True, f"{path} (mode {mode:o}, outside the database and backup folders)")


def check_public_url(settings: Settings, platforms: Platforms) -> Check:
    url = settings.public_url.strip().rstrip("/")
    problems = [problem for spec, own in platforms if spec.doctor
                for problem in spec.doctor.url_problems(settings, own)]
    if url and not url.startswith("https://"):
        problems.insert(0, f"EDUNET_PUBLIC_URL must start with https:// (LINE fetches images and files only "
                           f"over HTTPS), not {url!r}")
    if problems:
        return Check("public URL", False, "; ".join(problems))
    if not url:
        needing = " and ".join(spec.display_name for spec, _ in platforms if spec.doctor and spec.doctor.needs_public_url)
        return Check("public URL", True, f"not set (only {needing} needs it)" if needing else "not set")
    return Check("public URL", True, url)


async def run_checks(settings: Settings, platforms: Platforms) -> list[Check]:
    """Every check, in the order an operator fixes things; then each platform's own."""
    checks = [check_settings(settings, platforms), *await check_database(settings), check_secret_key(settings),
              check_public_url(settings, platforms)]
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        for spec, own in platforms:
            if spec.doctor is not None:
                checks.extend(await spec.doctor.checks(settings, own, session))
    return checks


async def run_doctor(overrides: dict[str, Any]) -> int:
    """Print one line per check; 0 when all pass, 1 otherwise."""
    loaded = load_settings(overrides, discover())
    checks = [loaded] if isinstance(loaded, Check) else await run_checks(*loaded)
    ascii_only = not _can_print("✓✗")
    for check in checks:
        print(check.line(ascii_only=ascii_only))
    return 0 if all(check.ok for check in checks) else 1


def _can_print(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except UnicodeEncodeError:
        return False
    return True
