"""A small LINE Messaging API client on aiohttp: JSON in and out as plain dicts.

Built from LINE's OpenAPI spec (``messaging-api.yml``) for the endpoints EduNet calls; it
replaces line-bot-sdk's async client on the serve path, whose package imports hundreds of
pydantic models (~33 MB per process) and whose client builds an API object per call.

One :class:`aiohttp.ClientSession` per client, created on first use inside the running
loop and reused for every request. Blob endpoints (message content, rich menu images) go
to the data API host (``api-data.line.me``; for fakes, ``LINE_DATA_API_BASE_URL`` or the
same host as the API).

Proxies (:mod:`bot.proxies`): the session does not use ``trust_env`` (it looks up netrc and the proxy settings
in a thread for every request). Instead ``HTTPS_PROXY``/``HTTP_PROXY`` and ``NO_PROXY``
(either case) are read once, when the session is created, for the two hosts this client
talks to; a proxy URL may carry ``user:password@`` for basic proxy auth. Changing them
needs a restart. The access token is sent with each request, never to the proxy.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Mapping
from typing import Any

import aiohttp
from yarl import URL

from bot.proxies import proxy_for

DEFAULT_API = "https://api.line.me"
DEFAULT_DATA_API = "https://api-data.line.me"
USER_AGENT = "edunet-line/1"
# As line-bot-sdk's default: requests in flight at once per host.
CONNECTIONS = (os.cpu_count() or 2) * 5


class LineApiError(Exception):
    """LINE answered with an error status (the body and headers as LINE sent them)."""

    def __init__(self, status: int, reason: str = "", body: bytes | str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.reason = reason
        self.body = body
        self.headers: dict[str, str] = dict(headers or {})
        super().__init__(status, reason)

    def __str__(self) -> str:
        body = self.body.decode("utf-8", "replace") if isinstance(self.body, bytes) else self.body
        return f"({self.status}) {self.reason}" + (f"\nHTTP response body: {body[:1000]}" if body else "")


def data_host(api_base_url: str, data_api_base_url: str = "") -> str:
    """The blob host: the configured one, api-data.line.me for the real API, else the API's own (fakes)."""
    if data_api_base_url.strip():
        return data_api_base_url.strip().rstrip("/")
    base = api_base_url.strip().rstrip("/")
    return DEFAULT_DATA_API if base == DEFAULT_API else base


class MessagingClient:
    """The Messaging API for one channel access token; :meth:`close` it when done."""

    def __init__(self, access_token: str, api_base_url: str = DEFAULT_API, data_api_base_url: str = "") -> None:
        self.base = api_base_url.strip().rstrip("/")
        self.data_base = data_host(api_base_url, data_api_base_url)
        self._auth = f"Bearer {access_token}"
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, tuple[URL | None, dict[str, str]]] = {}

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._proxies = {base: proxy_for(base) for base in (self.base, self.data_base)}
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit_per_host=CONNECTIONS),
                headers={"User-Agent": USER_AGENT}, trust_env=False)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
        self._session = None

    async def call(self, method: str, path: str, *, body: Any = None, data: bytes | None = None,
                   content_type: str | None = None, headers: Mapping[str, str] | None = None,
                   timeout: float = 10.0, blob: bool = False, raw: bool = False) -> Any:
        """One request: ``body`` is sent as JSON, ``data`` as it is (with ``content_type``).
        Returns the decoded JSON (``{}`` for an empty answer), or the bytes when ``raw``;
        raises :class:`LineApiError` for an error status, aiohttp/timeout errors as they come."""
        session = self._open()
        base = self.data_base if blob else self.base
        proxy, proxy_headers = self._proxies.get(base, (None, {}))
        # The token per request, not as a session default: aiohttp copies session defaults into
        # the proxy's headers (a proxy would get the token as its Proxy-Authorization).
        sent: dict[str, str] = {"Authorization": self._auth, **(headers or {})}
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            content_type = "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        async with session.request(method, base + path, data=data, headers=sent, proxy=proxy,
                                   proxy_headers=proxy_headers or None,
                                   timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            content = await response.read()
            if response.status >= 400:
                raise LineApiError(response.status, response.reason or "", content, response.headers)
        if raw:
            return content
        return json.loads(content) if content.strip() else {}

    # ------------------------------------------------------------ the endpoints EduNet uses

    async def reply(self, reply_token: str, messages: list[dict[str, Any]], *, timeout: float = 10.0) -> Any:
        return await self.call("POST", "/v2/bot/message/reply", body={"replyToken": reply_token,
                                                                      "messages": messages}, timeout=timeout)

    async def push(self, to: str, messages: list[dict[str, Any]], *, retry_key: str | None = None,
                   timeout: float = 10.0) -> Any:
        headers = {"X-Line-Retry-Key": retry_key} if retry_key else None
        return await self.call("POST", "/v2/bot/message/push", body={"to": to, "messages": messages},
                               headers=headers, timeout=timeout)

    async def profile(self, user_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        return dict(await self.call("GET", f"/v2/bot/profile/{_seg(user_id)}", timeout=timeout))

    async def member_profile(self, chat_id: str, user_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        """A group's (``C…``) or room's (``R…``) member."""
        return dict(await self.call("GET", f"/v2/bot/{_chat_kind(chat_id)}/{_seg(chat_id)}/member/{_seg(user_id)}",
                                    timeout=timeout))

    async def group_summary(self, group_id: str, *, timeout: float = 10.0) -> dict[str, Any]:
        return dict(await self.call("GET", f"/v2/bot/group/{_seg(group_id)}/summary", timeout=timeout))

    async def member_count(self, chat_id: str, *, timeout: float = 10.0) -> int:
        """A group's (``C…``) or room's (``R…``) member count."""
        got = await self.call("GET", f"/v2/bot/{_chat_kind(chat_id)}/{_seg(chat_id)}/members/count", timeout=timeout)
        return int(got["count"])

    async def message_quota(self, *, timeout: float = 10.0) -> dict[str, Any]:
        return dict(await self.call("GET", "/v2/bot/message/quota", timeout=timeout))

    async def message_quota_consumption(self, *, timeout: float = 10.0) -> dict[str, Any]:
        return dict(await self.call("GET", "/v2/bot/message/quota/consumption", timeout=timeout))

    async def bot_info(self, *, timeout: float = 10.0) -> dict[str, Any]:
        return dict(await self.call("GET", "/v2/bot/info", timeout=timeout))

    async def message_content(self, message_id: str, *, timeout: float = 30.0) -> bytes:
        """What a user sent (image, video, audio, file), from the data API host."""
        content: bytes = await self.call("GET", f"/v2/bot/message/{_seg(message_id)}/content", blob=True, raw=True,
                                         timeout=timeout)
        return content

    # rich menus (``edunet line setup-richmenu``)

    async def rich_menus(self) -> list[dict[str, Any]]:
        return list((await self.call("GET", "/v2/bot/richmenu/list")).get("richmenus") or [])

    async def create_rich_menu(self, menu: dict[str, Any]) -> str:
        return str((await self.call("POST", "/v2/bot/richmenu", body=menu))["richMenuId"])

    async def upload_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str = "image/png") -> None:
        await self.call("POST", f"/v2/bot/richmenu/{_seg(rich_menu_id)}/content", data=image,
                        content_type=content_type, blob=True, timeout=60.0)

    async def set_default_rich_menu(self, rich_menu_id: str) -> None:
        await self.call("POST", f"/v2/bot/user/all/richmenu/{_seg(rich_menu_id)}")

    async def delete_rich_menu(self, rich_menu_id: str) -> None:
        await self.call("DELETE", f"/v2/bot/richmenu/{_seg(rich_menu_id)}")


def _seg(value: str) -> str:
    """One path segment (LINE's ids are [A-Za-z0-9-]; anything else is escaped, never a path)."""
    return urllib.parse.quote(value, safe="")


def _chat_kind(chat_id: str) -> str:
    if chat_id.startswith("C"):
        return "group"
    if chat_id.startswith("R"):
        return "room"
    raise ValueError(f"not a group or room id: {chat_id[:40]!r}")
