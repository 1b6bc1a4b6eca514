"""``edunet doctor``: is this installation ready to run? One line per check, with what to fix.

It only looks: it creates no database, no key file and changes nothing on LINE or Telegram.
Secrets (tokens, the key, database passwords) never appear in what it prints.
"""

from __future__ import annotations

import asyncio
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import sqlalchemy as sa
from pydantic import ValidationError

from bot.config import Settings
from edunet.backup import backup_dir, key_file
from storage.db import Database, normalise_url
from storage.maintenance import migration_state, ping, sqlite_path

HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
DATABASE_TIMEOUT = 10.0
LINE_CONSOLE = "the LINE Developers console (your channel, Messaging API tab)"


@dataclass(frozen=True)
class Check:
    """The outcome of one check: what was looked at, whether it is fine, and what to do if not."""

    name: str
    ok: bool
    message: str

    def line(self, *, ascii_only: bool = False) -> str:
        mark = ("ok" if self.ok else "FAIL") if ascii_only else ("✓" if self.ok else "✗")
        return f"{mark} {self.name}: {self.message}"


def _env_name(loc: tuple[Any, ...]) -> str:
    field = str(loc[0]) if loc else "?"
    return field if field.isupper() else f"EDUNET_{field.upper()}"


def load_settings(overrides: dict[str, Any]) -> Settings | Check:
    """The settings, or the check that says which variable is wrong."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(f"{_env_name(e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        return Check("settings", False, problems)


def check_settings(settings: Settings) -> Check:
    telegram = bool(settings.telegram_bot_token)
    line_parts = (bool(settings.line_channel_secret), bool(settings.line_channel_access_token))
    problems = []
    if any(line_parts) and not all(line_parts):
        missing = "LINE_CHANNEL_SECRET" if not line_parts[0] else "LINE_CHANNEL_ACCESS_TOKEN"
        problems.append(f"LINE needs both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN: set {missing}")
    elif not telegram and not all(line_parts):
        problems.append("no platform is configured: set TELEGRAM_BOT_TOKEN, or LINE_CHANNEL_SECRET and "
                        "LINE_CHANNEL_ACCESS_TOKEN")
    if telegram and settings.telegram_webhook_url and not settings.telegram_webhook_secret \
            and sqlite_path(settings.database_url) is None:
        problems.append("TELEGRAM_WEBHOOK_SECRET is not set: on PostgreSQL several instances may run, and each "
                        "would pick its own and refuse Telegram's updates meant for the others; set one for all")
    if settings.language not in ("th", "en"):
        problems.append(f"EDUNET_LANGUAGE must be th or en, not {settings.language!r}")
    if settings.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        problems.append(f"EDUNET_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {settings.log_level!r}")
    if problems:
        return Check("settings", False, "; ".join(problems))
    platforms = [name for name, on in (("Telegram", telegram), ("LINE", all(line_parts))) if on]
    return Check("settings", True, f"{' and '.join(platforms)} configured; language {settings.language}, "
                                   f"time zone {settings.timezone}")


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
            reason = "no answer in time" if isinstance(exc, TimeoutError) else _first_line(exc)
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


def check_public_url(settings: Settings) -> Check:
    url = settings.public_url.strip().rstrip("/")
    line = bool(settings.line_channel_secret and settings.line_channel_access_token)
    if not url:
        if line:
            return Check("public URL", False, "EDUNET_PUBLIC_URL is not set: LINE users get charts as text and "
                                              "no download links; set it to this server's https:// address")
        return Check("public URL", True, "not set (only LINE needs it)")
    if not url.startswith("https://"):
        return Check("public URL", False, f"EDUNET_PUBLIC_URL must start with https:// (LINE fetches images "
                                          f"and files only over HTTPS), not {url!r}")
    webhook = settings.telegram_webhook_url.strip()
    if webhook and not webhook.startswith("https://"):
        return Check("public URL", False, f"TELEGRAM_WEBHOOK_URL must start with https://, not {webhook!r}")
    return Check("public URL", True, url)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


async def _get_json(session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
                    ) -> tuple[int, Any]:
    async with session.get(url, headers=headers) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return response.status, body


async def check_telegram(settings: Settings, session: aiohttp.ClientSession) -> Check:
    if not settings.telegram_bot_token:
        return Check("Telegram", True, "not configured (TELEGRAM_BOT_TOKEN is not set)")
    from bot.adapters.telegram import api_urls

    base = settings.telegram_api_base_url.rstrip("/")
    try:
        status, body = await _get_json(session, f"{api_urls(base)[0]}{settings.telegram_bot_token}/getMe")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return Check("Telegram", False, f"cannot reach {base} ({_unreachable(exc)}): check the server's network, "
                                        "firewall or proxy, or TELEGRAM_API_BASE_URL")
    if status in (401, 404):
        return Check("Telegram", False, f"Telegram rejected TELEGRAM_BOT_TOKEN (HTTP {status}): copy the token "
                                        "from @BotFather (/mybots → API Token) again")
    if status != 200 or not isinstance(body, dict) or not body.get("ok"):
        return Check("Telegram", False, f"getMe answered HTTP {status}: is TELEGRAM_API_BASE_URL ({base}) a Bot API "
                                        "server?")
    return Check("Telegram", True, f"@{body['result'].get('username', '?')} answers getMe")


async def check_line(settings: Settings, session: aiohttp.ClientSession) -> list[Check]:
    """The access token (bot info), then the webhook endpoint LINE posts to."""
    if not (settings.line_channel_secret and settings.line_channel_access_token):
        return [Check("LINE", True, "not configured (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN are not set)")]
    base = settings.line_api_base_url.rstrip("/")
    auth = {"Authorization": f"Bearer {settings.line_channel_access_token}"}
    try:
        status, info = await _get_json(session, f"{base}/v2/bot/info", auth)
        if status == 200 and isinstance(info, dict):
            hook = await _get_json(session, f"{base}/v2/bot/channel/webhook/endpoint", auth)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [Check("LINE", False, f"cannot reach {base} ({_unreachable(exc)}): check the server's network, "
                                     "firewall or proxy, or LINE_API_BASE_URL")]
    if status == 401:
        return [Check("LINE", False, "LINE rejected LINE_CHANNEL_ACCESS_TOKEN (HTTP 401): issue a long-lived "
                                     f"channel access token in {LINE_CONSOLE} and set it again")]
    if status != 200 or not isinstance(info, dict):
        return [Check("LINE", False, f"GET /v2/bot/info answered HTTP {status}: is LINE_API_BASE_URL ({base}) "
                                     "LINE's API?")]
    return [Check("LINE", True, f"bot “{info.get('displayName', '?')}” ({info.get('basicId', '?')}) "
                                "accepts the access token"),
            _line_webhook(settings, *hook)]


def _line_webhook(settings: Settings, status: int, hook: Any) -> Check:
    from bot.adapters.line import WEBHOOK_PATH

    public_url = settings.public_url.strip().rstrip("/")
    expected = f"{public_url}{WEBHOOK_PATH}" if public_url else None
    if status != 200 or not isinstance(hook, dict):
        return Check("LINE webhook", False, f"GET the webhook endpoint answered HTTP {status}: set the Webhook URL "
                                            f"to {expected or 'https://YOUR-HOST' + WEBHOOK_PATH} in {LINE_CONSOLE}")
    if expected and hook.get("endpoint") != expected:
        return Check("LINE webhook", False, f"LINE posts to {hook.get('endpoint') or '(nothing)'}, but this server "
                                            f"is {expected}: set the Webhook URL in {LINE_CONSOLE}")
    if not hook.get("active"):
        return Check("LINE webhook", False, f"“Use webhook” is off for {hook.get('endpoint')}: turn it on in "
                                            f"{LINE_CONSOLE}")
    return Check("LINE webhook", True, f"{hook['endpoint']} (active)")


def _unreachable(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return _first_line(exc.os_error) if exc.os_error else "connection failed"
    return type(exc).__name__


async def run_checks(settings: Settings) -> list[Check]:
    """Every check, in the order an operator fixes things."""
    checks = [check_settings(settings), *await check_database(settings), check_secret_key(settings),
              check_public_url(settings)]
    async with aiohttp.ClientSession(timeout=HTTP_TIMEOUT) as session:
        checks.append(await check_telegram(settings, session))
        checks.extend(await check_line(settings, session))
    return checks


async def run_doctor(overrides: dict[str, Any]) -> int:
    """Print one line per check; 0 when all pass, 1 otherwise."""
    loaded = load_settings(overrides)
    checks = [loaded] if isinstance(loaded, Check) else await run_checks(loaded)
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
