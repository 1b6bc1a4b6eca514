"""A fake LINE Messaging API server plus webhook builders, for tests.

``FakeLineAPI`` is a real aiohttp server on 127.0.0.1 speaking the JSON shapes
of LINE's OpenAPI spec.  Point line-bot-sdk at it with
``Configuration(host=fake.url, access_token=...)`` (and the api-data host, for
blob endpoints such as the rich menu image upload, at the same URL)::

    async with FakeLineAPI(access_token="tok", spec=load_line_spec()) as fake:
        token = fake.issue_reply_token(user_id)
        ...
        assert fake.violations == []

Every request is recorded (:attr:`FakeLineAPI.requests`) and validated with
:meth:`LineSpec.request_violations`; violations land in
:attr:`FakeLineAPI.violations` and the request is answered 400 like LINE does.

Response order: injected error > 401 bad token > 404 unknown path >
429 rate limit > 400 contract violation > endpoint behaviour.

Billing is LINE's: a push costs one message per recipient (every member of a group or room,
one for a user) however many message objects it holds, a multicast one per user, replies
nothing; past the month's ``quota`` a push is refused with 429 "You have reached your
monthly limit." Months follow ``clock`` (a callable giving the current aware datetime; the
wall clock by default), so a simulated term can run month after month.

Webhook helpers (:func:`sign`, :func:`text_event`, ..., :func:`webhook_body`)
build bodies in the v3 shape of ``../shared/contracts/line-webhook-samples``.
Pass ``fake=`` to an event builder to get a reply token the fake will accept
(and to keep the fake's group membership in sync).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import hmac
import inspect
import json
import os
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Any

from aiohttp import web

from tests.contracts.line_openapi import LineSpec, Violation, load_line_spec
from tests.fakes.local_server import LocalServer

DEFAULT_BOT_USER_ID = "U" + "b0" * 16
ID_PATTERN = re.compile(r"^[UCR][0-9a-f]{32}$")

MSG_AUTH_FAILED = (
    "Authentication failed. Confirm that the access token in the authorization "
    "header is valid."
)
MSG_RATE_LIMIT = "The API rate limit has been exceeded. Try again later."
MSG_INVALID_REPLY_TOKEN = "Invalid reply token"
MSG_RETRY_KEY_ACCEPTED = "The retry key is already accepted"
MSG_MONTHLY_LIMIT = "You have reached your monthly limit."
MSG_NOT_FOUND = "Not found"

#: LINE's documented per-endpoint rate limits (requests, window seconds);
#: everything else defaults to ``default_rate_limit`` per second.
LINE_RATE_LIMITS: dict[str, tuple[int, float]] = {
    "/v2/bot/message/multicast": (200, 1.0),
    "/v2/bot/message/narrowcast": (60, 3600.0),
    "/v2/bot/message/broadcast": (60, 3600.0),
}

_DEFAULT_ERROR_MESSAGES = {
    401: MSG_AUTH_FAILED,
    403: "Access to this API is not available for your account",
    404: MSG_NOT_FOUND,
    409: MSG_RETRY_KEY_ACCEPTED,
    429: MSG_RATE_LIMIT,
    500: "Internal server error",
}

_QUOTABLE = {"text", "textV2", "sticker", "image", "video"}
_MESSAGE_ENDPOINTS = {
    "/v2/bot/message/push",
    "/v2/bot/message/reply",
    "/v2/bot/message/multicast",
}

_AUTO: Any = object()


def new_user_id() -> str:
    """A realistic LINE user ID (``U`` + 32 hex)."""
    return "U" + secrets.token_hex(16)


def new_group_id() -> str:
    """A realistic LINE group ID (``C`` + 32 hex)."""
    return "C" + secrets.token_hex(16)


def new_room_id() -> str:
    """A realistic LINE room ID (``R`` + 32 hex)."""
    return "R" + secrets.token_hex(16)


def _message_id() -> str:
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def _ulid() -> str:
    """A ULID (webhookEventId format): 48-bit ms time + 80 random bits."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(alphabet[(value >> (5 * i)) & 31] for i in reversed(range(26)))


@dataclass
class RecordedRequest:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    body: bytes
    time: float
    template: str | None = None
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: int = 0
    response: Any = None
    violations: list[str] = field(default_factory=list)
    #: chat IDs that received the messages (push/reply/multicast that succeeded)
    delivered_to: list[str] = field(default_factory=list)
    #: messages LINE counted against the month's quota (recipients of a push or multicast)
    billed: int = 0
    #: the month (``YYYY-MM`` by the fake's clock) the request was made in
    month: str = ""

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass
class _ReplyToken:
    to: str
    issued_at: float
    ttl: float
    used: bool = False


@dataclass
class _Injected:
    path: str
    status: int
    body: Any
    times: int | None
    method: str | None


@dataclass
class FakeGroup:
    """State of one group chat."""

    group_id: str
    name: str
    members: set[str] = field(default_factory=set)
    picture_url: str | None = None


_Response = tuple[int, Any, dict[str, str]]
_Handler = Callable[[RecordedRequest, dict[str, str]], Awaitable[_Response]]


class FakeLineAPI(LocalServer):
    """In-process LINE Messaging API (api.line.me and api-data.line.me)."""

    def __init__(
        self,
        access_token: str = "tok",
        spec: LineSpec | None = _AUTO,
        *,
        reply_token_ttl: float = 60.0,
        rate_limits: Mapping[str, int | tuple[int, float]] | None = None,
        default_rate_limit: int = 2000,
        strict_ids: bool = True,
        auto_create: bool = True,
        quota: int | None = None,
        bot_user_id: str = DEFAULT_BOT_USER_ID,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """
        :param spec: the LINE spec to validate against (default: load it;
            ``None`` disables validation).
        :param reply_token_ttl: seconds a reply token stays valid.
        :param rate_limits: path template -> requests per second, or
            ``(requests, window_seconds)``; merged over :data:`LINE_RATE_LIMITS`.
        :param strict_ids: reject push/multicast ``to`` values that are not
            real-looking LINE IDs (``U``/``C``/``R`` + 32 hex) like LINE does.
        :param auto_create: unknown users/groups get generated profiles
            instead of 404.
        :param quota: monthly message limit (None: ``type: none``).
        :param clock: the current time (aware datetime) that decides the billing month.
        """
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(timezone.utc))
        self.access_token = access_token
        self.spec: LineSpec | None = load_line_spec() if spec is _AUTO else spec
        self.reply_token_ttl = reply_token_ttl
        self.default_rate_limit = default_rate_limit
        self.rate_limits: dict[str, tuple[int, float]] = dict(LINE_RATE_LIMITS)
        for template, limit in (rate_limits or {}).items():
            self.rate_limits[template] = limit if isinstance(limit, tuple) else (limit, 1.0)
        self.strict_ids = strict_ids
        self.auto_create = auto_create
        self.quota = quota
        self.bot_info: dict[str, Any] = {
            "userId": bot_user_id,
            "basicId": "@edunet",
            "displayName": "EduNet",
            "chatMode": "bot",
            "markAsReadMode": "auto",
        }
        #: What GET /v2/bot/channel/webhook/endpoint reports (set in the LINE Developers console).
        self.webhook_endpoint: dict[str, Any] = {"endpoint": "https://example.com/webhooks/line", "active": True}

        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.profiles: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, FakeGroup] = {}
        self.rich_menus: dict[str, dict[str, Any]] = {}
        self.rich_menu_images: dict[str, tuple[str, bytes]] = {}
        self.default_rich_menu_id: str | None = None

        self._reply_tokens: dict[str, _ReplyToken] = {}
        self._retry_keys: dict[str, RecordedRequest] = {}
        self._injected: list[_Injected] = []
        self._hits: dict[str, deque[float]] = {}
        self._changed = asyncio.Event()
        self._routes: list[tuple[str, re.Pattern[str], str, _Handler]] = []
        for method, template, handler in self._endpoints():
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            self._routes.append((method, re.compile(f"^{regex}$"), template, handler))
        self._routes.sort(key=lambda r: r[2].count("{"))  # literal paths first

    # ------------------------------------------------------------------ #
    # lifecycle
    # ------------------------------------------------------------------ #

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app

    # ------------------------------------------------------------------ #
    # test controls
    # ------------------------------------------------------------------ #

    def issue_reply_token(self, to: str, *, ttl: float | None = None) -> str:
        """A reply token for chat ``to`` (user/group/room ID), valid once."""
        token = secrets.token_hex(16)
        self._reply_tokens[token] = _ReplyToken(
            to, time.monotonic(), self.reply_token_ttl if ttl is None else ttl
        )
        return token

    def inject_error(
        self,
        path: str,
        status: int,
        body: Any = None,
        times: int | None = 1,
        *,
        method: str | None = None,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (concrete or template)
        with ``status``/``body`` (LINE-style default body); ``times=None``: forever."""
        if body is None:
            message = _DEFAULT_ERROR_MESSAGES.get(status) or HTTPStatus(status).phrase
            body = {"message": message}
        self._injected.append(_Injected(path, status, body, times, method and method.upper()))

    def add_profile(self, user_id: str, display_name: str | None = None, **extra: Any) -> dict[str, Any]:
        """Register a user profile served by GET /v2/bot/profile/{userId}."""
        profile = {"userId": user_id, "displayName": display_name or f"User {user_id[-4:]}"}
        profile.update(extra)
        self.profiles[user_id] = profile
        return profile

    def add_group(
        self, group_id: str, name: str | None = None, members: Iterable[str] = (), **extra: Any
    ) -> FakeGroup:
        """Register a group chat (summary + member count endpoints)."""
        group = FakeGroup(group_id, name or f"Group {group_id[-4:]}", set(members), **extra)
        self.groups[group_id] = group
        return group

    def clear(self) -> None:
        """Forget recorded requests and violations (state like menus is kept)."""
        self.requests.clear()
        self.violations.clear()

    # ------------------------------------------------------------------ #
    # inspection
    # ------------------------------------------------------------------ #

    def _accepted(self, template: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.template == template and r.ok and r.method == "POST"]

    @property
    def pushes(self) -> list[dict[str, Any]]:
        """Bodies of accepted pushes, in order."""
        return [r.json for r in self._accepted("/v2/bot/message/push")]

    @property
    def push_count(self) -> int:
        """Number of accepted (delivered) pushes."""
        return len(self.pushes)

    def pushes_to(self, to: str) -> list[dict[str, Any]]:
        """Bodies of accepted pushes to chat ``to``."""
        return [body for body in self.pushes if body.get("to") == to]

    @property
    def replies(self) -> list[dict[str, Any]]:
        """Bodies of accepted replies, in order."""
        return [r.json for r in self._accepted("/v2/bot/message/reply")]

    @property
    def multicasts(self) -> list[dict[str, Any]]:
        """Bodies of accepted multicasts, in order."""
        return [r.json for r in self._accepted("/v2/bot/message/multicast")]

    def messages_to(self, to: str) -> list[dict[str, Any]]:
        """Message objects delivered to chat ``to`` by push, reply or multicast."""
        return [
            message
            for r in self.requests
            if r.ok and r.template in _MESSAGE_ENDPOINTS and to in r.delivered_to
            for message in r.json.get("messages", [])
        ]

    def texts_to(self, to: str) -> list[str]:
        """The ``text`` of text messages delivered to ``to`` (convenience)."""
        return [m["text"] for m in self.messages_to(to) if "text" in m]

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = 5.0
    ) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy; return its value.

        Re-checked after every request; raises TimeoutError with a summary.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._changed.clear()
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = [f"{r.method} {r.path} -> {r.status}" for r in self.requests[-10:]]
                raise TimeoutError(
                    f"condition not met within {timeout}s; last requests: {seen}; "
                    f"violations: {self.violations}"
                )
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))
            except asyncio.TimeoutError:
                pass

    # ------------------------------------------------------------------ #
    # request pipeline
    # ------------------------------------------------------------------ #

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        headers = dict(request.headers)
        ctype = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        parsed: Any = None
        bad_json = False
        if raw and (ctype == "application/json" or ctype.endswith("+json")):
            try:
                parsed = json.loads(raw)
            except ValueError:
                bad_json = True
        rec = RecordedRequest(
            method=request.method,
            path=request.path,
            query=dict(request.query),
            headers=headers,
            json=parsed,
            body=raw,
            time=time.time(),
            month=self._month(),
        )
        self.requests.append(rec)

        route = self._match(request.method, request.path)
        rec.template = route[2] if route else None
        violations: list[Violation] = []
        if self.spec is not None:
            body: Any = parsed if parsed is not None else (raw or None)
            violations = self.spec.request_violations(request.method, request.path_qs, body, headers)
        if bad_json:
            violations.append(Violation(f"{request.method} {request.path}", "request body is not valid JSON"))
        if route is None and self.spec is not None and self.spec.match(request.method, request.path):
            violations.append(
                Violation(f"{request.method} {request.path}", "FakeLineAPI does not implement this endpoint")
            )
        rec.violations = [str(v) for v in violations]
        self.violations.extend(rec.violations)

        status, payload, extra_headers = await self._respond(rec, route, violations)
        rec.status, rec.response = status, payload
        self._changed.set()
        response_headers = {"x-line-request-id": rec.request_id, **extra_headers}
        return web.json_response(payload, status=status, headers=response_headers)

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str], str, _Handler] | None:
        for route_method, regex, template, handler in self._routes:
            m = regex.match(path)
            if m and route_method == method.upper():
                return route_method, m.groupdict(), template, handler
        return None

    async def _respond(
        self,
        rec: RecordedRequest,
        route: tuple[str, dict[str, str], str, _Handler] | None,
        violations: list[Violation],
    ) -> _Response:
        injected = self._take_injected(rec)
        if injected is not None:
            return injected.status, injected.body, {}
        if rec.header("Authorization") != f"Bearer {self.access_token}":
            return 401, {"message": MSG_AUTH_FAILED}, {}
        if route is None:
            return 404, {"message": MSG_NOT_FOUND}, {}
        if self._rate_limited(route[2]):
            return 429, {"message": MSG_RATE_LIMIT}, {}
        if violations:
            return 400, _error_body(violations), {}
        _, params, _, handler = route
        return await handler(rec, params)

    def _take_injected(self, rec: RecordedRequest) -> _Injected | None:
        for inj in self._injected:
            if inj.path in (rec.path, rec.template) and inj.method in (None, rec.method):
                if inj.times is not None:
                    inj.times -= 1
                    if inj.times <= 0:
                        self._injected.remove(inj)
                return inj
        return None

    def _rate_limited(self, template: str) -> bool:
        limit, window = self.rate_limits.get(template, (self.default_rate_limit, 1.0))
        hits = self._hits.setdefault(template, deque())
        now = time.monotonic()
        while hits and now - hits[0] >= window:
            hits.popleft()
        if len(hits) >= limit:
            return True
        hits.append(now)
        return False

    # ------------------------------------------------------------------ #
    # endpoints
    # ------------------------------------------------------------------ #

    def _endpoints(self) -> list[tuple[str, str, _Handler]]:
        return [
            ("POST", "/v2/bot/message/reply", self._reply),
            ("POST", "/v2/bot/message/push", self._push),
            ("POST", "/v2/bot/message/multicast", self._multicast),
            ("POST", "/v2/bot/message/validate/reply", self._ok),
            ("POST", "/v2/bot/message/validate/push", self._ok),
            ("POST", "/v2/bot/message/validate/multicast", self._ok),
            ("GET", "/v2/bot/message/quota", self._quota),
            ("GET", "/v2/bot/message/quota/consumption", self._consumption),
            ("GET", "/v2/bot/profile/{userId}", self._profile),
            ("GET", "/v2/bot/group/{groupId}/summary", self._group_summary),
            ("GET", "/v2/bot/group/{groupId}/members/count", self._group_count),
            ("GET", "/v2/bot/group/{groupId}/member/{userId}", self._member_profile),
            ("GET", "/v2/bot/room/{roomId}/members/count", self._group_count),
            ("GET", "/v2/bot/room/{roomId}/member/{userId}", self._member_profile),
            ("GET", "/v2/bot/info", self._info),
            ("GET", "/v2/bot/channel/webhook/endpoint", self._webhook_endpoint),
            ("POST", "/v2/bot/chat/loading/start", self._loading),
            ("POST", "/v2/bot/richmenu", self._create_rich_menu),
            ("POST", "/v2/bot/richmenu/validate", self._ok),
            ("GET", "/v2/bot/richmenu/list", self._list_rich_menus),
            ("GET", "/v2/bot/richmenu/{richMenuId}", self._get_rich_menu),
            ("DELETE", "/v2/bot/richmenu/{richMenuId}", self._delete_rich_menu),
            ("POST", "/v2/bot/richmenu/{richMenuId}/content", self._upload_rich_menu_image),
            ("GET", "/v2/bot/richmenu/{richMenuId}/content", self._download_rich_menu_image),
            ("POST", "/v2/bot/user/all/richmenu/{richMenuId}", self._set_default_rich_menu),
            ("GET", "/v2/bot/user/all/richmenu", self._get_default_rich_menu),
            ("DELETE", "/v2/bot/user/all/richmenu", self._delete_default_rich_menu),
        ]

    async def _ok(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        return 200, {}, {}

    def _sent_messages(self, messages: list[dict[str, Any]]) -> list[dict[str, str]]:
        sent = []
        for message in messages:
            item = {"id": _message_id()}
            if message.get("type") in _QUOTABLE:
                item["quoteToken"] = secrets.token_urlsafe(48)
            sent.append(item)
        return sent

    def _bad_ids(self, ids: Iterable[str], prefixes: str) -> list[str]:
        if not self.strict_ids:
            return []
        return [i for i in ids if not (ID_PATTERN.match(i) and i[0] in prefixes)]

    def recipients(self, to: str) -> int:
        """What a push to ``to`` costs: a group's or room's member count (at least 1), 1 for a user."""
        group = self.groups.get(to) if to[:1] in ("C", "R") else None
        return max(1, len(group.members)) if group is not None else 1

    def _month(self) -> str:
        return f"{self.clock().astimezone(timezone.utc):%Y-%m}"

    def _over_quota(self, recipients: int) -> bool:
        return self.quota is not None and self._usage() + recipients > self.quota

    def _usage(self, month: str | None = None) -> int:
        """Messages billed in ``month`` (default: the current one)."""
        month = month or self._month()
        return sum(r.billed for r in self.requests if r.ok and r.month == month)

    def billed_by_month(self) -> dict[str, int]:
        """Billed messages per month, in order."""
        months: dict[str, int] = {}
        for r in self.requests:
            if r.ok and r.billed:
                months[r.month] = months.get(r.month, 0) + r.billed
        return dict(sorted(months.items()))

    async def _reply(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        token = self._reply_tokens.get(rec.json["replyToken"])
        if token is None or token.used or time.monotonic() - token.issued_at > token.ttl:
            return 400, {"message": MSG_INVALID_REPLY_TOKEN}, {}
        token.used = True
        rec.delivered_to = [token.to]
        return 200, {"sentMessages": self._sent_messages(rec.json["messages"])}, {}

    def _retry_conflict(self, rec: RecordedRequest) -> _Response | None:
        key = rec.header("X-Line-Retry-Key")
        if key is None or key not in self._retry_keys:
            return None
        accepted = self._retry_keys[key]
        body: dict[str, Any] = {"message": MSG_RETRY_KEY_ACCEPTED}
        if isinstance(accepted.response, dict) and accepted.response.get("sentMessages"):
            body["sentMessages"] = accepted.response["sentMessages"]
        return 409, body, {"x-line-accepted-request-id": accepted.request_id}

    def _remember_retry_key(self, rec: RecordedRequest) -> None:
        key = rec.header("X-Line-Retry-Key")
        if key is not None:
            self._retry_keys[key] = rec

    async def _push(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        conflict = self._retry_conflict(rec)
        if conflict is not None:
            return conflict
        to = rec.json["to"]
        if self._bad_ids([to], "UCR"):
            return self._invalid_to(rec, f"'to' must be a user, group or room ID, got {to!r}")
        recipients = self.recipients(to)
        if self._over_quota(recipients):
            return 429, {"message": MSG_MONTHLY_LIMIT}, {}
        rec.delivered_to = [to]
        rec.billed = recipients
        self._remember_retry_key(rec)
        return 200, {"sentMessages": self._sent_messages(rec.json["messages"])}, {}

    async def _multicast(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        conflict = self._retry_conflict(rec)
        if conflict is not None:
            return conflict
        bad = self._bad_ids(rec.json["to"], "U")
        if bad:
            return self._invalid_to(rec, f"'to' must only hold user IDs, got {bad!r}")
        if self._over_quota(len(rec.json["to"])):
            return 429, {"message": MSG_MONTHLY_LIMIT}, {}
        rec.delivered_to = list(rec.json["to"])
        rec.billed = len(rec.delivered_to)
        self._remember_retry_key(rec)
        return 200, {}, {}

    def _invalid_to(self, rec: RecordedRequest, why: str) -> _Response:
        violation = f"{rec.method} {rec.template}: body.to: {why}"
        rec.violations.append(violation)
        self.violations.append(violation)
        return 400, {"message": "The property, 'to', in the request body is invalid (line: -, column: -)"}, {}

    async def _quota(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        if self.quota is None:
            return 200, {"type": "none"}, {}
        return 200, {"type": "limited", "value": self.quota}, {}

    async def _consumption(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        return 200, {"totalUsage": self._usage()}, {}

    async def _profile(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        user_id = params["userId"]
        if user_id not in self.profiles:
            if not self.auto_create:
                return 404, {"message": MSG_NOT_FOUND}, {}
            return 200, {"userId": user_id, "displayName": f"User {user_id[-4:]}", "language": "th"}, {}
        return 200, self.profiles[user_id], {}

    def _group(self, group_id: str) -> FakeGroup | None:
        if group_id not in self.groups and self.auto_create:
            return FakeGroup(group_id, f"Group {group_id[-4:]}")
        return self.groups.get(group_id)

    async def _group_summary(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        group = self._group(params["groupId"])
        if group is None:
            return 404, {"message": MSG_NOT_FOUND}, {}
        body = {"groupId": group.group_id, "groupName": group.name}
        if group.picture_url:
            body["pictureUrl"] = group.picture_url
        return 200, body, {}

    async def _member_profile(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        """A group/room member's profile (works for users who are not friends of the bot)."""
        chat = self._group(params.get("groupId") or params["roomId"])
        user_id = params["userId"]
        if chat is None or (chat.members and user_id not in chat.members and not self.auto_create):
            return 404, {"message": MSG_NOT_FOUND}, {}
        profile = self.profiles.get(user_id)
        if profile is None:
            if not self.auto_create:
                return 404, {"message": MSG_NOT_FOUND}, {}
            profile = {"userId": user_id, "displayName": f"User {user_id[-4:]}"}
        return 200, {k: v for k, v in profile.items() if k in ("userId", "displayName", "pictureUrl")}, {}

    async def _group_count(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        group = self._group(params.get("groupId") or params["roomId"])
        if group is None:
            return 404, {"message": MSG_NOT_FOUND}, {}
        return 200, {"count": len(group.members)}, {}

    async def _info(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        return 200, self.bot_info, {}

    async def _webhook_endpoint(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        return 200, self.webhook_endpoint, {}

    async def _loading(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        return 202, {}, {}

    async def _create_rich_menu(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        menu_id = "richmenu-" + secrets.token_hex(16)
        self.rich_menus[menu_id] = {"richMenuId": menu_id, **rec.json}
        return 200, {"richMenuId": menu_id}, {}

    async def _list_rich_menus(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        return 200, {"richmenus": list(self.rich_menus.values())}, {}

    async def _get_rich_menu(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        menu = self.rich_menus.get(params["richMenuId"])
        return (200, menu, {}) if menu else (404, {"message": MSG_NOT_FOUND}, {})

    async def _delete_rich_menu(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        menu_id = params["richMenuId"]
        if self.rich_menus.pop(menu_id, None) is None:
            return 404, {"message": MSG_NOT_FOUND}, {}
        self.rich_menu_images.pop(menu_id, None)
        if self.default_rich_menu_id == menu_id:
            self.default_rich_menu_id = None
        return 200, {}, {}

    async def _upload_rich_menu_image(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        menu_id = params["richMenuId"]
        if menu_id not in self.rich_menus:
            return 404, {"message": MSG_NOT_FOUND}, {}
        if menu_id in self.rich_menu_images:
            return 400, {"message": "An image has already been uploaded to the richmenu"}, {}
        ctype = (rec.header("Content-Type") or "").split(";")[0].strip()
        self.rich_menu_images[menu_id] = (ctype, rec.body)
        return 200, {}, {}

    async def _download_rich_menu_image(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        # JSON fakes can't stream blobs; report presence only.
        image = self.rich_menu_images.get(params["richMenuId"])
        return (200, {}, {}) if image else (404, {"message": MSG_NOT_FOUND}, {})

    async def _set_default_rich_menu(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        menu_id = params["richMenuId"]
        if menu_id not in self.rich_menus:
            return 404, {"message": MSG_NOT_FOUND}, {}
        if menu_id not in self.rich_menu_images:
            return 400, {"message": "must upload richmenu image before applying it to user"}, {}
        self.default_rich_menu_id = menu_id
        return 200, {}, {}

    async def _get_default_rich_menu(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        if self.default_rich_menu_id is None:
            return 404, {"message": "no default richmenu"}, {}
        return 200, {"richMenuId": self.default_rich_menu_id}, {}

    async def _delete_default_rich_menu(self, rec: RecordedRequest, params: dict[str, str]) -> _Response:
        self.default_rich_menu_id = None
        return 200, {}, {}


def _error_body(violations: list[Violation]) -> dict[str, Any]:
    """LINE's 400 shape: ``{"message": "The request body has N error(s)", "details": [...]}``."""
    body_errors = [v for v in violations if ": body" in v.where]
    if not body_errors:
        return {"message": violations[0].message}
    details = []
    for v in body_errors:
        detail = {"message": v.message}
        if v.property:
            detail["property"] = v.property
        details.append(detail)
    return {"message": f"The request body has {len(details)} error(s)", "details": details}


# ---------------------------------------------------------------------- #
# webhook helpers
# ---------------------------------------------------------------------- #


def sign(body: bytes, channel_secret: str) -> str:
    """The ``X-Line-Signature`` for ``body``: base64(HMAC-SHA256(secret, body))."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def webhook_body(events: Iterable[Mapping[str, Any]], destination: str = DEFAULT_BOT_USER_ID) -> bytes:
    """The exact bytes LINE POSTs (sign these, then send them unchanged)."""
    payload = {"destination": destination, "events": list(events)}
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_redelivered(event: Mapping[str, Any]) -> dict[str, Any]:
    """A copy flagged ``deliveryContext.isRedelivery`` (same webhookEventId)."""
    copied = copy.deepcopy(dict(event))
    copied["deliveryContext"] = {**copied.get("deliveryContext", {}), "isRedelivery": True}
    return copied


def _source(user_id: str | None, chat_id: str | None) -> dict[str, str]:
    """user/group/room source; the chat kind follows the ID prefix (C/R)."""
    if chat_id is None:
        return {"type": "user", "userId": user_id or ""}
    source = {"type": "room", "roomId": chat_id} if chat_id.startswith("R") else {"type": "group", "groupId": chat_id}
    if user_id is not None:
        source["userId"] = user_id
    return source


def _event(
    event_type: str,
    source: dict[str, str],
    *,
    reply: bool,
    fake: FakeLineAPI | None,
    reply_token: str | None,
    timestamp: int | None,
    **extra: Any,
) -> dict[str, Any]:
    event: dict[str, Any] = {"type": event_type}
    if reply:
        chat = source.get("groupId") or source.get("roomId") or source["userId"]
        if reply_token is None:
            reply_token = fake.issue_reply_token(chat) if fake else secrets.token_hex(16)
        event["replyToken"] = reply_token
    event.update(
        mode="active",
        timestamp=int(time.time() * 1000) if timestamp is None else timestamp,
        source=source,
        webhookEventId=_ulid(),
        deliveryContext={"isRedelivery": False},
    )
    event.update(extra)
    return event


def text_event(
    user_id: str,
    text: str,
    group_id: str | None = None,
    *,
    fake: FakeLineAPI | None = None,
    reply_token: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A text message event from ``user_id`` (in ``group_id``, a C.../R... ID)."""
    message = {"id": _message_id(), "type": "text", "quoteToken": secrets.token_urlsafe(48), "text": text}
    return _event(
        "message", _source(user_id, group_id), reply=True, fake=fake,
        reply_token=reply_token, timestamp=timestamp, message=message,
    )


def postback_event(
    user_id: str,
    data: str,
    group_id: str | None = None,
    *,
    params: dict[str, str] | None = None,
    fake: FakeLineAPI | None = None,
    reply_token: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """A postback event (``params`` for datetime pickers, e.g. ``{"date": ...}``)."""
    postback: dict[str, Any] = {"data": data}
    if params:
        postback["params"] = params
    return _event(
        "postback", _source(user_id, group_id), reply=True, fake=fake,
        reply_token=reply_token, timestamp=timestamp, postback=postback,
    )


def follow_event(
    user_id: str,
    *,
    is_unblocked: bool = False,
    fake: FakeLineAPI | None = None,
    reply_token: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """The user added the bot as a friend (or unblocked it)."""
    return _event(
        "follow", _source(user_id, None), reply=True, fake=fake, reply_token=reply_token,
        timestamp=timestamp, follow={"isUnblocked": is_unblocked},
    )


def unfollow_event(user_id: str, *, timestamp: int | None = None) -> dict[str, Any]:
    """The user blocked the bot (no reply token)."""
    return _event("unfollow", _source(user_id, None), reply=False, fake=None, reply_token=None, timestamp=timestamp)


def join_event(
    group_id: str,
    *,
    fake: FakeLineAPI | None = None,
    reply_token: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """The bot joined a group (or room, for an R... ID); registers it with ``fake``."""
    if fake is not None and group_id not in fake.groups:
        fake.add_group(group_id)
    return _event(
        "join", _source(None, group_id), reply=True, fake=fake, reply_token=reply_token, timestamp=timestamp
    )


def leave_event(group_id: str, *, fake: FakeLineAPI | None = None, timestamp: int | None = None) -> dict[str, Any]:
    """The bot was removed from a group/room (no reply token)."""
    if fake is not None:
        fake.groups.pop(group_id, None)
    return _event("leave", _source(None, group_id), reply=False, fake=None, reply_token=None, timestamp=timestamp)


def member_joined_event(
    group_id: str,
    user_ids: Iterable[str],
    *,
    fake: FakeLineAPI | None = None,
    reply_token: str | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """Users joined a group the bot is in; adds them to ``fake``'s member count."""
    ids = list(user_ids)
    if fake is not None:
        group = fake.groups.get(group_id) or fake.add_group(group_id)
        group.members.update(ids)
    return _event(
        "memberJoined", _source(None, group_id), reply=True, fake=fake, reply_token=reply_token,
        timestamp=timestamp, joined={"members": [{"type": "user", "userId": u} for u in ids]},
    )


def member_left_event(
    group_id: str,
    user_ids: Iterable[str],
    *,
    fake: FakeLineAPI | None = None,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """Users left a group (no reply token); removes them from ``fake``'s group."""
    ids = list(user_ids)
    if fake is not None and group_id in fake.groups:
        fake.groups[group_id].members.difference_update(ids)
    return _event(
        "memberLeft", _source(None, group_id), reply=False, fake=None, reply_token=None,
        timestamp=timestamp, left={"members": [{"type": "user", "userId": u} for u in ids]},
    )
