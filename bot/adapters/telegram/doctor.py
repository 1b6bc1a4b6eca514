"""``edunet doctor``'s Telegram checks: settings that fit together, and the token against getMe."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.checks import Check, get_json, unreachable

if TYPE_CHECKING:
    import aiohttp

    from bot.adapters.telegram.settings import TelegramSettings
    from bot.config import Settings


def settings_problems(core: Settings, settings: TelegramSettings) -> list[str]:
    if settings.bot_token and settings.webhook_url and not settings.webhook_secret \
            and not core.database_url.startswith("sqlite"):
        return ["TELEGRAM_WEBHOOK_SECRET is not set: on PostgreSQL several instances may run, and each "
                "would pick its own and refuse Telegram's updates meant for the others; set one for all"]
    return []


def url_problems(core: Settings, settings: TelegramSettings) -> list[str]:
    webhook = settings.webhook_url.strip()
    if webhook and not webhook.startswith("https://"):
        return [f"TELEGRAM_WEBHOOK_URL must start with https://, not {webhook!r}"]
    return []


async def checks(core: Settings, settings: TelegramSettings, session: aiohttp.ClientSession) -> list[Check]:
    import aiohttp

    if not settings.bot_token:
        return [Check("Telegram", True, "not configured (TELEGRAM_BOT_TOKEN is not set)")]
    from bot.adapters.telegram.botapi import api_urls

    base = settings.api_base_url.rstrip("/")
    try:
        status, body = await get_json(session, f"{api_urls(base)[0]}{settings.bot_token}/getMe")
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [Check("Telegram", False, f"cannot reach {base} ({unreachable(exc)}): check the server's network, "
                                         "firewall or proxy, or TELEGRAM_API_BASE_URL")]
    if status in (401, 404):
        return [Check("Telegram", False, f"Telegram rejected TELEGRAM_BOT_TOKEN (HTTP {status}): copy the token "
                                         "from @BotFather (/mybots → API Token) again")]
    if status != 200 or not isinstance(body, dict) or not body.get("ok"):
        return [Check("Telegram", False, f"getMe answered HTTP {status}: is TELEGRAM_API_BASE_URL ({base}) a Bot "
                                         "API server?")]
    return [Check("Telegram", True, f"@{body['result'].get('username', '?')} answers getMe")]
