"""The few Bot API calls a receiving process makes (getMe, setWebhook, deleteWebhook,
getUpdates), on aiohttp, with the updates as plain dicts.

python-telegram-bot (with httpx) is the transport of the whole adapter; a receiving process
(``EDUNET_PROCESSES=2``) only stores what arrives, so it talks to Telegram through this and never
imports PTB (issue 18: a small receiver). Proxies as :mod:`bot.proxies` reads them.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from bot.adapters.telegram.settings import TelegramSettings
from bot.proxies import proxy_for

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]  # what the bot asks Telegram for


class BotApiError(Exception):
    """Telegram answered ``ok: false`` (or an error status without a body): its ``error_code``,
    ``description`` and, for 429, ``retry_after`` seconds. Never holds the token."""

    def __init__(self, code: int, description: str, retry_after: float | None = None) -> None:
        self.code = code
        self.description = description
        self.retry_after = retry_after
        super().__init__(code, description)

    def __str__(self) -> str:
        return f"({self.code}) {self.description}"


def api_urls(base: str) -> tuple[str, str]:
    """PTB's ``base_url`` and ``base_file_url`` for a Bot API server root URL."""
    base = base.strip().rstrip("/")
    if base.endswith("/bot"):
        base = base[: -len("/bot")]
    return f"{base}/bot", f"{base}/file/bot"


def webhook_url(settings: TelegramSettings) -> str | None:
    """The public URL Telegram posts to; a bare origin gets ``/webhooks/telegram``."""
    url = settings.webhook_url.strip()
    if not url:
        return None
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + WEBHOOK_PATH
    return url


class BotApi:
    """One bot token's Bot API; :meth:`close` it when done."""

    def __init__(self, token: str, api_base_url: str) -> None:
        self._root = api_urls(api_base_url)[0] + token  # the token is a path segment: never logged
        self._session: aiohttp.ClientSession | None = None
        self._proxy: tuple[URL | None, dict[str, str]] = (None, {})

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._proxy = proxy_for(self._root)
            self._session = aiohttp.ClientSession(trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    async def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float = 20.0) -> Any:
        """``method``'s ``result``; :class:`BotApiError` when Telegram refused it, aiohttp's and
        timeout errors as they come."""
        session = self._open()
        proxy, proxy_headers = self._proxy
        async with session.post(f"{self._root}/{method}", json=params or {}, proxy=proxy,
                                proxy_headers=proxy_headers or None,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            content = await response.read()
            status = response.status
        log.debug("telegram Bot API %s: HTTP %d", method, status)  # the method only: its URL holds the token
        try:
            answer = json.loads(content)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise BotApiError(status, f"HTTP {status}, not a Bot API answer")
        if not answer.get("ok"):
            parameters = answer.get("parameters") or {}
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            return_code = answer.get("error_code")
            raise BotApiError(return_code if isinstance(return_code, int) else status,
                              str(answer.get("description") or f"HTTP {status}"),
                              float(retry_after) if isinstance(retry_after, (int, float)) else None)
        return answer.get("result")
