"""``edunet doctor``'s LINE checks: both credentials, the access token (bot info), and the webhook
endpoint LINE posts to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.checks import Check, get_json, unreachable

if TYPE_CHECKING:
    import aiohttp

    from bot.adapters.line.settings import LineSettings
    from bot.config import Settings

CONSOLE = "the LINE Developers console (your channel, Messaging API tab)"


def settings_problems(core: Settings, settings: LineSettings) -> list[str]:
    parts = (bool(settings.channel_secret), bool(settings.channel_access_token))
    if any(parts) and not all(parts):
        missing = "LINE_CHANNEL_SECRET" if not parts[0] else "LINE_CHANNEL_ACCESS_TOKEN"
        return [f"LINE needs both LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN: set {missing}"]
    liff = (bool(settings.login_channel_id.strip()), bool(settings.liff_id.strip()))
    if any(liff) and not all(liff):
        missing = "LINE_LOGIN_CHANNEL_ID" if not liff[0] else "LINE_LIFF_ID"
        return [f"the web view inside LINE needs both LINE_LOGIN_CHANNEL_ID and LINE_LIFF_ID: set {missing}"]
    return []


def url_problems(core: Settings, settings: LineSettings) -> list[str]:
    if settings.channel_secret and settings.channel_access_token and not core.public_url.strip():
        return ["EDUNET_PUBLIC_URL is not set: LINE users get charts as text and no download links; set it to "
                "this server's https:// address"]
    return []


async def checks(core: Settings, settings: LineSettings, session: aiohttp.ClientSession) -> list[Check]:
    import aiohttp

    if not (settings.channel_secret and settings.channel_access_token):
        return [Check("LINE", True, "not configured (LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN are not set)")]
    base = settings.api_base_url.rstrip("/")
    auth = {"Authorization": f"Bearer {settings.channel_access_token}"}
    try:
        status, info = await get_json(session, f"{base}/v2/bot/info", auth)
        if status == 200 and isinstance(info, dict):
            hook = await get_json(session, f"{base}/v2/bot/channel/webhook/endpoint", auth)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return [Check("LINE", False, f"cannot reach {base} ({unreachable(exc)}): check the server's network, "
                                     "firewall or proxy, or LINE_API_BASE_URL")]
    if status == 401:
        return [Check("LINE", False, "LINE rejected LINE_CHANNEL_ACCESS_TOKEN (HTTP 401): issue a long-lived "
                                     f"channel access token in {CONSOLE} and set it again")]
    if status != 200 or not isinstance(info, dict):
        return [Check("LINE", False, f"GET /v2/bot/info answered HTTP {status}: is LINE_API_BASE_URL ({base}) "
                                     "LINE's API?")]
    return [Check("LINE", True, f"bot “{info.get('displayName', '?')}” ({info.get('basicId', '?')}) "
                                "accepts the access token"),
            _webhook(core, *hook)]


def _webhook(core: Settings, status: int, hook: Any) -> Check:
    from bot.adapters.line.receiver import WEBHOOK_PATH

    public_url = core.public_url.strip().rstrip("/")
    expected = f"{public_url}{WEBHOOK_PATH}" if public_url else None
    if status != 200 or not isinstance(hook, dict):
        return Check("LINE webhook", False, f"GET the webhook endpoint answered HTTP {status}: set the Webhook URL "
                                            f"to {expected or 'https://YOUR-HOST' + WEBHOOK_PATH} in {CONSOLE}")
    if expected and hook.get("endpoint") != expected:
        return Check("LINE webhook", False, f"LINE posts to {hook.get('endpoint') or '(nothing)'}, but this server "
                                            f"is {expected}: set the Webhook URL in {CONSOLE}")
    if not hook.get("active"):
        return Check("LINE webhook", False, f"“Use webhook” is off for {hook.get('endpoint')}: turn it on in "
                                            f"{CONSOLE}")
    return Check("LINE webhook", True, f"{hook['endpoint']} (active)")
