"""LIFF: the web view's pages inside LINE (sign-in with the LIFF ID token, the share picker).

The page (``handlers/dashboard``) loads the LIFF SDK and :data:`CLIENT_SCRIPT` (``liff.js``
beside this file), whose ``start`` calls ``liff.init({liffId})`` and hands the page
``liff.getIDToken()``. The server never believes a user id the page sends: it asks LINE Login who
the token belongs to (:func:`verify_id_token`, ``POST /oauth2/v2.1/verify`` with the token and the
LINE Login channel id) and checks the answer itself too — issued by LINE, for our channel
(``aud``), not expired (``exp``) — before it maps ``sub`` (the LINE user id) to a member.

``share`` calls ``liff.shareTargetPicker``: the coordinator posts a message into chats they
pick, as themselves; LINE bills nobody for it. LINE says only whether something was sent
(``{status: "success"}``) or the picker was closed (a falsy result), not to which chats.
:func:`share_messages` renders what is shared with the adapter's own Flex rendering
(:mod:`bot.adapters.line.render`); the picker accepts only URI actions, so a postback button is
refused rather than silently dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.platforms import InAppUser, InAppWeb, SignInRefused

if TYPE_CHECKING:
    from bot.adapters.line.settings import LineSettings
    from bot.i18n import Translator
    from bot.model import Reply

log = logging.getLogger(__name__)

VERIFY_PATH = "/oauth2/v2.1/verify"
ISSUER = "https://access.line.me"
VERIFY_TIMEOUT = 10.0
CLIENT_SCRIPT = Path(__file__).with_name("liff.js")
# What the LIFF SDK itself talks to from the page (its Content-Security-Policy connect-src).
SDK_CONNECTS = ("https://api.line.me", "https://access.line.me", "https://liffsdk.line-scdn.net")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


async def verify_id_token(settings: LineSettings, token: str, now: datetime) -> InAppUser:
    """The LINE user a LIFF ID token belongs to, as LINE Login says; :class:`SignInRefused` otherwise."""
    import aiohttp

    if not token or len(token) > 4096:
        raise SignInRefused("invalid", "no ID token")
    url = settings.login_api_base_url.rstrip("/") + VERIFY_PATH
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=VERIFY_TIMEOUT)) as session:
            async with session.post(url, data={"id_token": token, "client_id": settings.login_channel_id}) as resp:
                status = resp.status
                body: Any = await resp.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning("LINE Login could not verify an ID token: %s", exc)
        raise SignInRefused("unavailable", str(exc)) from exc
    if not isinstance(body, dict):
        raise SignInRefused("unavailable", f"HTTP {status}")
    if status != 200:
        text = str(body.get("error_description") or body.get("error") or status)
        lowered = text.lower()
        if status >= 500:
            raise SignInRefused("unavailable", text)
        if "expired" in lowered:
            raise SignInRefused("expired", text)
        if "audience" in lowered or "client_id" in lowered or "channel" in lowered:
            raise SignInRefused("audience", text)
        raise SignInRefused("invalid", text)
    # LINE checked the token; check what it says anyway (a proxy or a misconfiguration must not open a session).
    if body.get("iss") != ISSUER:
        raise SignInRefused("invalid", f"issuer {body.get('iss')!r}")
    audience = body.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if str(settings.login_channel_id) not in [str(a) for a in audiences]:
        raise SignInRefused("audience", f"token for {audience!r}")
    expires = body.get("exp")
    if not isinstance(expires, (int, float)) or datetime.fromtimestamp(expires, timezone.utc) <= now:
        raise SignInRefused("expired", "exp has passed")
    user_id = body.get("sub")
    if not isinstance(user_id, str) or not user_id:
        raise SignInRefused("invalid", "no sub")
    return InAppUser(user_id=user_id, display_name=str(body.get("name") or ""))


async def share_messages(replies: Sequence[Reply], translator: Translator) -> list[dict[str, Any]]:
    """``replies`` as the message objects ``liff.shareTargetPicker`` takes (≤ 5; only URI buttons)."""
    from bot.adapters.line.render import MAX_MESSAGES, RenderOptions, render_requests

    for reply in replies:
        if any(button.url is None for button in reply.all_buttons()):
            raise ValueError("the share picker takes only link buttons (no postbacks)")
    requests = await render_requests(replies, RenderOptions(translator=translator, private=False))
    messages = [message for request in requests for message in request]
    if len(messages) > MAX_MESSAGES:
        raise ValueError(f"the share picker takes at most {MAX_MESSAGES} messages, not {len(messages)}")
    return messages


def in_app(settings: LineSettings) -> InAppWeb | None:
    """The LIFF web app these settings configure (the LINE Login channel id and the LIFF id), or None."""
    if not (settings.login_channel_id.strip() and settings.liff_id.strip()):
        return None

    async def verify(token: str, now: datetime) -> InAppUser:
        return await verify_id_token(settings, token, now)

    sdk_origin = _origin(settings.liff_sdk_url)
    return InAppWeb(app_id=settings.liff_id.strip(), sdk_url=settings.liff_sdk_url, client_script=CLIENT_SCRIPT.read_text(encoding="utf-8"),
                    verify=verify, share_messages=share_messages,
                    open_url=f"https://liff.line.me/{settings.liff_id.strip()}",
                    script_origins=(sdk_origin,) if sdk_origin else (), connect_origins=SDK_CONNECTS)
