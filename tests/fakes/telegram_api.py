"""A fake Telegram Bot API server for end-to-end tests.

The fake is a real aiohttp HTTP server on 127.0.0.1 that speaks the Bot API wire
protocol closely enough for python-telegram-bot (or any other client) to talk to
it unchanged::

    async with FakeTelegramAPI(token="123:ABC") as fake:
        bot = telegram.Bot("123:ABC", base_url=f"{fake.url}/bot",
                           base_file_url=f"{fake.url}/file/bot")
        fake.add_private_chat(42, "Somchai")
        fake.user_sends_text(42, 42, "/start")
        ...  # run the bot under test
        await fake.wait_for(lambda: fake.texts_to(42))

Layout of this module:

* ``ApiError`` and the limit dataclasses (``MessageLimits``, ``RateLimits``)
* ``RateLimiter``: token buckets per chat / per group / global
* text formatting: ``parse_formatted_text`` (HTML, MarkdownV2, Markdown) and
  ``detect_entities`` (bot_command, mention, hashtag, url)
* request decoding: ``ApiRequest``
* state: ``FakeUser``, ``FakeChat``, ``TelegramWorld``
* update delivery: ``UpdateQueue`` (getUpdates) and ``WebhookDeliverer``
* recording: ``Recorder`` with ``SentRecord`` / ``ApiCall``
* ``BotApiMethods``: the Bot API methods themselves
* ``FakeTelegramAPI``: the facade (server lifecycle, test controls, helpers)
"""

from __future__ import annotations

import asyncio
import collections
import copy
import inspect
import itertools
import json
import logging
import math
import mimetypes
import re
import socket
import struct
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import aiohttp
from aiohttp import web

__all__ = [
    "ApiCall",
    "ApiError",
    "FakeChat",
    "FakeTelegramAPI",
    "FakeUser",
    "FormattedText",
    "MessageLimits",
    "RateLimits",
    "SentRecord",
    "UploadedFile",
    "WebhookDelivery",
    "detect_entities",
    "parse_formatted_text",
]

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------

_STATUS_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(
        self,
        status: int,
        description: str,
        *,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def to_json(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        parameters: JSONDict = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            body["parameters"] = parameters
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    return ApiError(403, f"Forbidden: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MessageLimits:
    """Content limits on what the bot sends. Set any ``max_*`` field to ``None`` to disable it.

    Defaults follow the Bot API docs (text 4096, caption 1024, callback_data 64 bytes,
    answerCallbackQuery text 200, photo 10 MB, upload 50 MB, download 20 MB,
    100 commands) and observed server behaviour (inline keyboards: 100 buttons,
    8 per row, ~10 KB of markup JSON).
    """

    max_text_length: int | None = 4096
    max_caption_length: int | None = 1024
    max_callback_data_bytes: int | None = 64
    max_inline_buttons: int | None = 100
    max_inline_buttons_per_row: int | None = 8
    max_reply_markup_bytes: int | None = 10 * 1024
    max_callback_answer_length: int | None = 200
    max_photo_bytes: int | None = 10 * 1024 * 1024
    max_upload_bytes: int | None = 50 * 1024 * 1024
    max_download_bytes: int | None = 20 * 1024 * 1024
    max_commands: int | None = 100
    #: Reject photos whose bytes are not a PNG/JPEG/GIF (IMAGE_PROCESS_FAILED).
    require_valid_images: bool = False

    @classmethod
    def unlimited(cls) -> MessageLimits:
        """All ``max_*`` limits disabled."""
        return cls(**{f.name: None for f in fields(cls) if f.name.startswith("max_")})


@dataclass(frozen=True)
class RateLimits:
    """Flood limits (Bot FAQ: ~1 msg/s per chat, 20 msg/min per group, 30 msg/s overall).

    Per chat: a token bucket (``per_chat_burst`` messages at once, refilled at
    ``per_chat_per_second``); per group and overall: sliding windows (60 s / 1 s).
    ``None`` disables a limit. Exceeding a limit answers 429 with
    ``retry_after`` = whole seconds until the message would be allowed.
    """

    per_chat_per_second: float | None = 1.0
    per_chat_burst: int = 5
    per_group_per_minute: float | None = 20
    global_per_second: float | None = 30
    #: Whether editMessage* calls count against the limits like sends do.
    count_edits: bool = True

    @classmethod
    def disabled(cls) -> RateLimits:
        return cls(per_chat_per_second=None, per_group_per_minute=None, global_per_second=None)

    def scaled(self, factor: float) -> RateLimits:
        """Multiply every rate and burst by ``factor`` (e.g. for benchmarks)."""

        def scale(value: float | None) -> float | None:
            return None if value is None else value * factor

        return RateLimits(
            per_chat_per_second=scale(self.per_chat_per_second),
            per_chat_burst=max(1, round(self.per_chat_burst * factor)),
            per_group_per_minute=scale(self.per_group_per_minute),
            global_per_second=scale(self.global_per_second),
            count_edits=self.count_edits,
        )


class _TokenBucket:
    def __init__(self, capacity: float, per_second: float, now: float) -> None:
        self.capacity = max(1.0, capacity)
        self.rate = per_second
        self.tokens = self.capacity
        self.updated = now

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


class _SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: float, window: float) -> None:
        self.limit = max(1, int(limit))
        self.window = window
        self.events: collections.deque[float] = collections.deque()
        self.now = 0.0

    def wait_time(self, now: float) -> float:
        self.now = now
        while self.events and self.events[0] <= now - self.window:
            self.events.popleft()
        return 0.0 if len(self.events) < self.limit else self.events[0] + self.window - now

    def take(self) -> None:
        self.events.append(self.now)


class RateLimiter:
    """Applies ``RateLimits``; ``acquire`` either consumes a token everywhere or raises 429."""

    def __init__(self, limits: RateLimits | None, clock: Callable[[], float]) -> None:
        self.limits = limits or RateLimits.disabled()
        self._clock = clock
        self._chat: dict[int, _TokenBucket] = {}
        self._group: dict[int, _SlidingWindow] = {}
        self._global: _SlidingWindow | None = None

    def reset(self) -> None:
        self._chat.clear()
        self._group.clear()
        self._global = None

    def acquire(self, chat_id: int, is_group: bool) -> None:
        now = self._clock()
        buckets = list(self._buckets(chat_id, is_group, now))
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for bucket in buckets:
            bucket.take()

    def _buckets(self, chat_id: int, is_group: bool, now: float) -> Iterable[_TokenBucket | _SlidingWindow]:
        lim = self.limits
        if lim.global_per_second:
            if self._global is None:
                self._global = _SlidingWindow(lim.global_per_second, 1.0)
            yield self._global
        if lim.per_chat_per_second:
            if chat_id not in self._chat:
                self._chat[chat_id] = _TokenBucket(lim.per_chat_burst, lim.per_chat_per_second, now)
            yield self._chat[chat_id]
        if is_group and lim.per_group_per_minute:
            if chat_id not in self._group:
                self._group[chat_id] = _SlidingWindow(lim.per_group_per_minute, 60.0)
            yield self._group[chat_id]


# ---------------------------------------------------------------------------
# Text formatting (entities are measured in UTF-16 code units, as in the Bot API)
# ---------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class FormattedText:
    """Plain text plus Bot API ``MessageEntity`` dicts."""

    text: str
    entities: list[JSONDict] = field(default_factory=list)


def _entities_error(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


class _TextBuilder:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos16 = 0
        self.entities: list[JSONDict] = []

    def add(self, text: str) -> None:
        self.parts.append(text)
        self.pos16 += utf16_len(text)

    def entity(self, etype: str, start16: int, **extra: Any) -> None:
        if self.pos16 > start16:
            self.entities.append({"type": etype, "offset": start16, "length": self.pos16 - start16, **extra})

    def result(self) -> FormattedText:
        ents = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return FormattedText("".join(self.parts), ents)


# -- HTML --------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
    "u": "underline", "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link",
    "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_CHAR_REF = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});")
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_TAG_NAME = re.compile(r"<([^\s>/]*)")
_HTML_ATTR = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def _decode_char_ref(ref: str) -> str | None:
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else None
    return _HTML_NAMED.get(ref.lower())


def _html_unescape(text: str) -> str:
    return _HTML_CHAR_REF.sub(lambda m: _decode_char_ref(m.group(1)) or m.group(0), text)


@dataclass
class _OpenTag:
    name: str
    attrs: dict[str, str]
    start16: int


def _parse_html(src: str) -> FormattedText:
    out = _TextBuilder()
    stack: list[_OpenTag] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch == "&":
            m = _HTML_CHAR_REF.match(src, i)
            decoded = _decode_char_ref(m.group(1)) if m else None
            if m and decoded is not None:
                out.add(decoded)
                i = m.end()
            else:
                out.add("&")
                i += 1
            continue
        if ch != "<":
            out.add(ch)
            i += 1
            continue
        offset = _byte_offset(src, i)
        if src.startswith("</", i):
            close = src.find(">", i)
            if close == -1:
                raise _entities_error(f"Unclosed end tag at byte offset {offset}")
            name = src[i + 2 : close].strip().lower()
            if not stack:
                raise _entities_error(f"Unexpected end tag at byte offset {offset}")
            tag = stack.pop()
            if name != tag.name:
                raise _entities_error(
                    f'Unmatched end tag at byte offset {offset}, expected "</{tag.name}>", found "</{name}>"'
                )
            _close_html_tag(out, tag, stack)
            i = close + 1
            continue
        m = _HTML_TAG_NAME.match(src, i)
        name = m.group(1).lower() if m else ""
        if name not in _HTML_TAGS:
            raise _entities_error(f'Unsupported start tag "{name}" at byte offset {offset}')
        j = m.end() if m else i + 1
        attrs: dict[str, str] = {}
        while True:
            while j < n and src[j].isspace():
                j += 1
            if j >= n:
                raise _entities_error(f"Unclosed start tag at byte offset {offset}")
            if src[j] == ">":
                j += 1
                break
            am = _HTML_ATTR.match(src, j)
            if not am:
                raise _entities_error(f'Expected equal sign in declaration of an attribute of the tag "{name}" at byte offset {_byte_offset(src, j)}')
            value = am.group(2) or ""
            if value[:1] in ("'", '"'):
                value = value[1:-1]
            attrs[am.group(1).lower()] = _html_unescape(value)
            j = am.end()
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise _entities_error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(_OpenTag(name, attrs, out.pos16))
        i = j
    if stack:
        raise _entities_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return out.result()


def _close_html_tag(out: _TextBuilder, tag: _OpenTag, stack: list[_OpenTag]) -> None:
    etype = _HTML_TAGS[tag.name]
    if tag.name == "a":
        if tag.attrs.get("href"):
            out.entity("text_link", tag.start16, url=tag.attrs["href"])
    elif tag.name == "code" and stack and stack[-1].name == "pre" and tag.attrs.get("class", "").startswith("language-"):
        stack[-1].attrs["_language"] = tag.attrs["class"][len("language-") :]
    elif tag.name == "pre":
        extra = {"language": tag.attrs["_language"]} if "_language" in tag.attrs else {}
        out.entity("pre", tag.start16, **extra)
    elif tag.name == "tg-emoji":
        out.entity("custom_emoji", tag.start16, custom_emoji_id=tag.attrs.get("emoji-id", ""))
    elif tag.name == "blockquote" and "expandable" in tag.attrs:
        out.entity("expandable_blockquote", tag.start16)
    else:
        out.entity(etype, tag.start16)


# -- Markdown / MarkdownV2 --------------------------------------------------

_MDV2_RESERVED = set("_*[]()~`>#+-=|{}.!")


@dataclass
class _OpenMarker:
    marker: str
    etype: str
    start16: int
    byte_offset: int


def _find_closing(src: str, fence: str, start: int, v2: bool) -> int:
    k = start
    while k < len(src):
        if v2 and src[k] == "\\":
            k += 2
            continue
        if src.startswith(fence, k):
            return k
        k += 1
    return -1


def _parse_markdown(src: str, v2: bool) -> FormattedText:
    out = _TextBuilder()
    stack: list[_OpenMarker] = []
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        nxt = src[i + 1] if i + 1 < n else ""
        if ch == "\\" and nxt and (ord(nxt) < 128 if v2 else nxt in "_*`["):
            out.add(nxt)
            i += 2
            continue
        if ch == "`":
            fence = "```" if src.startswith("```", i) else "`"
            end = _find_closing(src, fence, i + len(fence), v2)
            if end == -1:
                kind = "Pre" if fence == "```" else "Code"
                raise _entities_error(f"Can't find end of {kind} entity at byte offset {_byte_offset(src, i)}")
            body = src[i + len(fence) : end]
            extra: JSONDict = {}
            if fence == "```":
                first, sep, rest = body.partition("\n")
                if sep and first and not any(c.isspace() for c in first):
                    extra["language"], body = first, rest
                elif body.startswith("\n"):
                    body = body[1:]
            if v2:
                body = re.sub(r"\\(.)", r"\1", body, flags=re.S)
            start = out.pos16
            out.add(body)
            out.entity("pre" if fence == "```" else "code", start, **extra)
            i = end + len(fence)
            continue
        if v2 and ch == ">" and (i == 0 or src[i - 1] == "\n"):
            i += 1  # blockquote line marker (the blockquote entity itself is not modelled)
            continue
        marker, etype = "", ""
        if ch == "*":
            marker, etype = "*", "bold"
        elif ch == "_":
            marker, etype = ("__", "underline") if v2 and nxt == "_" else ("_", "italic")
        elif v2 and ch == "~":
            marker, etype = "~", "strikethrough"
        elif v2 and ch == "|" and nxt == "|":
            marker, etype = "||", "spoiler"
        elif ch == "[":
            stack.append(_OpenMarker("[", "text_link", out.pos16, _byte_offset(src, i)))
            i += 1
            continue
        elif ch == "]" and stack and stack[-1].marker == "[":
            opened = stack.pop()
            if nxt == "(":
                close = _find_closing(src, ")", i + 2, v2)
                if close == -1:
                    raise _entities_error(f"Can't find end of a URL at byte offset {_byte_offset(src, i + 1)}")
                url = src[i + 2 : close].replace("\\)", ")").replace("\\\\", "\\")
                out.entity("text_link", opened.start16, url=url)
                i = close + 1
            else:
                i += 1
            continue
        if not marker:
            if v2 and ch in _MDV2_RESERVED:
                raise _entities_error(f"Character '{ch}' is reserved and must be escaped with the preceding '\\'")
            out.add(ch)
            i += 1
            continue
        if stack and stack[-1].marker == marker:
            opened = stack.pop()
            out.entity(opened.etype, opened.start16)
        elif not v2 and stack:
            out.add(marker)  # legacy Markdown does not nest entities
        else:
            stack.append(_OpenMarker(marker, etype, out.pos16, _byte_offset(src, i)))
        i += len(marker)
    if stack:
        raise _entities_error(f"Can't find end of the entity starting at byte offset {stack[-1].byte_offset}")
    return out.result()


# -- auto-detected entities --------------------------------------------------

_AUTO_ENTITY_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("bot_command", re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("url", re.compile(r"(?<![\w@/])https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'’]")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?![\w@])")),
    ("hashtag", re.compile(r"(?<![\w#&])#(?!\d+\b)\w+")),
]


def detect_entities(text: str, existing: Iterable[JSONDict] = ()) -> list[JSONDict]:
    """Entities Telegram detects by itself (bot_command, url, mention, hashtag).

    Detected ranges overlapping ``existing`` entities (or each other) are skipped.
    """
    taken = [(e["offset"], e["offset"] + e["length"]) for e in existing]
    found: list[JSONDict] = []
    for etype, pattern in _AUTO_ENTITY_PATTERNS:
        for m in pattern.finditer(text):
            start = utf16_len(text[: m.start()])
            end = start + utf16_len(m.group(0))
            if any(s < end and start < e for s, e in taken):
                continue
            taken.append((start, end))
            found.append({"type": etype, "offset": start, "length": end - start})
    return sorted(found, key=lambda e: e["offset"])


def _strip_formatted(ft: FormattedText) -> FormattedText:
    """Trim surrounding whitespace like Telegram does, clipping entities accordingly."""
    stripped = ft.text.strip()
    if stripped == ft.text:
        return ft
    lead16 = utf16_len(ft.text[: len(ft.text) - len(ft.text.lstrip())])
    total16 = utf16_len(stripped)
    entities = []
    for e in ft.entities:
        start = max(e["offset"] - lead16, 0)
        end = min(e["offset"] + e["length"] - lead16, total16)
        if end > start:
            entities.append({**e, "offset": start, "length": end - start})
    return FormattedText(stripped, entities)


def parse_formatted_text(
    text: str, parse_mode: str | None = None, entities: list[JSONDict] | None = None
) -> FormattedText:
    """Turn ``text`` + ``parse_mode`` (or explicit ``entities``) into what Telegram stores.

    Raises ``ApiError`` 400 "can't parse entities: ..." on malformed markup.
    """
    if entities is not None:
        ft = FormattedText(text, [dict(e) for e in entities])
    elif not parse_mode:
        ft = FormattedText(text, [])
    else:
        mode = parse_mode.lower()
        if mode == "html":
            ft = _parse_html(text)
        elif mode == "markdownv2":
            ft = _parse_markdown(text, v2=True)
        elif mode == "markdown":
            ft = _parse_markdown(text, v2=False)
        else:
            raise bad_request("unsupported parse_mode")
    ft = _strip_formatted(ft)
    auto = detect_entities(ft.text, ft.entities)
    ft.entities = sorted(ft.entities + auto, key=lambda e: (e["offset"], -e["length"]))
    return ft


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------

_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG image, or ``None`` if not recognised."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in _JPEG_SOF:
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
                i += 1 if marker == 0xFF else 2
                continue
            i += 2 + struct.unpack(">H", data[i + 2 : i + 4])[0]
    return None


def _photo_sizes(width: int, height: int) -> list[tuple[int, int]]:
    sizes: list[tuple[int, int]] = []
    for bound in (90, 320, 800, 1280, 2560):
        scale = min(1.0, bound / max(width, height))
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size not in sizes:
            sizes.append(size)
        if scale == 1.0:
            break
    return sizes


# ---------------------------------------------------------------------------
# Request decoding
# ---------------------------------------------------------------------------

_JSON_FIELDS = {
    "reply_markup": "reply keyboard markup",
    "entities": "entities",
    "caption_entities": "caption entities",
    "allowed_updates": "allowed updates",
    "commands": "bot commands",
    "scope": "BotCommandScope",
    "link_preview_options": "link preview options",
    "reply_parameters": "reply parameters",
}
_INT_FIELDS = {
    "message_id", "offset", "limit", "timeout", "user_id", "cache_time", "max_connections",
    "from_chat_id", "message_thread_id", "reply_to_message_id",
}  # fmt: skip
_BOOL_FIELDS = {
    "disable_notification", "protect_content", "show_alert", "drop_pending_updates",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
    "disable_content_type_detection", "show_caption_above_media", "allow_paid_broadcast",
}  # fmt: skip


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


def _normalize_params(raw: Mapping[str, Any]) -> JSONDict:
    """Decode form strings: JSON-encoded fields, integer ids and booleans."""
    params: JSONDict = {}
    for key, value in raw.items():
        if key in _JSON_FIELDS and isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {_JSON_FIELDS[key]} JSON object") from None
        elif (key in _INT_FIELDS or key == "chat_id") and isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            value = int(value)
        elif key in _BOOL_FIELDS and isinstance(value, str):
            value = value.lower() in ("true", "1")
        params[key] = value
    return params


async def read_api_request(request: web.Request) -> tuple[JSONDict, dict[str, UploadedFile]]:
    """Parameters of a Bot API call from query string + JSON / urlencoded / multipart body."""
    raw: JSONDict = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = json.loads(await request.read() or b"{}")
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            raw.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(key, value.filename, value.content_type, value.file.read())
                else:
                    raw[key] = value
    return _normalize_params(raw), files


class ApiRequest:
    """One Bot API call: method name, normalized params and uploaded files, with typed getters."""

    def __init__(self, method: str, params: JSONDict, files: dict[str, UploadedFile] | None = None) -> None:
        self.method = method
        self.params = params
        self.files = files or {}

    def has(self, name: str) -> bool:
        return self.params.get(name) not in (None, "")

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return default if value is None else str(value)

    def get_int(self, name: str, default: int | None = None, *, required: bool = False) -> int | None:
        value = self.params.get(name)
        if value in (None, ""):
            if required:
                raise bad_request(f"{name} is empty")
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.params.get(name)
        if value is None:
            return default
        return value if isinstance(value, bool) else str(value).lower() in ("true", "1")

    def chat_ref(self, name: str = "chat_id") -> int | str:
        value = self.params.get(name)
        if value in (None, ""):
            raise bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        text = str(value)
        return int(text) if re.fullmatch(r"-?\d+", text) else text

    def file(self, name: str) -> UploadedFile | str | None:
        """An uploaded part named ``name``, an ``attach://`` reference, or a file_id/URL string."""
        if name in self.files:
            return self.files[name]
        value = self.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = self.files.get(value[len("attach://") :])
            if part is None:
                raise bad_request(f"can't find attached file {value[len('attach://') :]!r}")
            return part
        return value if isinstance(value, str) and value else None


# ---------------------------------------------------------------------------
# World state
# ---------------------------------------------------------------------------


@dataclass
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    last_name: str | None = None
    language_code: str | None = "th"
    is_bot: bool = False
    deactivated: bool = False

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        return data


_MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


@dataclass
class FakeChat:
    """A chat as the fake sees it. ``bot_status`` is the bot's ChatMember status in it
    (``"kicked"`` in a private chat means the user blocked the bot)."""

    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    bot_status: str = "member"
    started: bool = True  # private chats: the user has started the bot
    members: dict[int, str] = field(default_factory=dict)
    migrated_to: int | None = None
    next_message_id: int = 1

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def bot_is_member(self) -> bool:
        return self.bot_status in ("creator", "administrator", "member", "restricted")

    def to_api(self) -> JSONDict:
        data: JSONDict = {"id": self.id}
        if self.type == "private":
            data["first_name"] = self.first_name or ""
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        data["type"] = self.type
        if self.type == "group":
            data["all_members_are_administrators"] = False
        return data

    def full_info(self) -> JSONDict:
        """ChatFullInfo as returned by getChat."""
        data = self.to_api()
        data.pop("all_members_are_administrators", None)
        data.update(
            accent_color_id=self.id % 7,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if self.is_group:
            data["permissions"] = {
                "can_send_messages": True,
                "can_send_photos": True,
                "can_send_documents": True,
                "can_invite_users": True,
            }
        return data


@dataclass
class StoredMessage:
    data: JSONDict
    sender_id: int
    deleted: bool = False


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "photo" | "document"
    data: bytes
    file_path: str
    filename: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None


@dataclass
class CallbackContext:
    query_id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


def chat_member_json(user: FakeUser, status: str) -> JSONDict:
    """A ChatMember object of the given status with all fields PTB requires."""
    data: JSONDict = {"user": user.to_api(), "status": status}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(
            can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
            can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False,
            can_change_info=True, can_invite_users=True, can_post_stories=False,
            can_edit_stories=False, can_delete_stories=False, can_pin_messages=True,
        )  # fmt: skip
    elif status == "kicked":
        data["until_date"] = 0
    elif status == "restricted":
        data.update({name: False for name in (
            "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages",
            "can_send_polls", "can_send_other_messages", "can_add_web_page_previews",
            "can_manage_topics", "can_send_audios", "can_send_documents", "can_send_photos",
            "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_edit_tag",
        )})  # fmt: skip
        data.update(is_member=True, until_date=0)
    return data


class TelegramWorld:
    """Users, chats, messages, files, commands and callback queries."""

    def __init__(self, bot: FakeUser) -> None:
        self.bot = bot
        self.users: dict[int, FakeUser] = {bot.id: bot}
        self.chats: dict[int, FakeChat] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSONDict]] = {}
        self.callback_queries: dict[str, CallbackContext] = {}
        self._file_seq = itertools.count(1)

    # -- users and chats ------------------------------------------------------

    def user(self, user_id: int) -> FakeUser:
        """The user with this id, created with a placeholder name if unknown."""
        if user_id not in self.users:
            self.users[user_id] = FakeUser(user_id, f"User{user_id}")
        return self.users[user_id]

    def find_chat(self, ref: int | str) -> FakeChat:
        if isinstance(ref, str):
            name = ref.lstrip("@").lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == name:
                    return chat
            raise bad_request("chat not found")
        chat = self.chats.get(ref)
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def check_can_send(self, chat: FakeChat) -> None:
        """Raise the error Telegram gives when the bot may not post in ``chat``."""
        if chat.migrated_to is not None:
            raise ApiError(
                400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        if chat.type == "private":
            user = self.users.get(chat.id)
            if user is not None and user.deactivated:
                raise forbidden("user is deactivated")
            if chat.bot_status == "kicked":
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        if chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if not chat.bot_is_member:
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    # -- messages -------------------------------------------------------------

    def new_message(self, chat: FakeChat, sender: FakeUser, content: JSONDict) -> JSONDict:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: JSONDict = {
            "message_id": message_id,
            "from": sender.to_api(),
            "chat": chat.to_api(),
            "date": int(time.time()),
            **content,
        }
        self.messages[(chat.id, message_id)] = StoredMessage(data, sender.id)
        return data

    def get_message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        stored = self.messages.get((chat_id, message_id))
        return None if stored is None or stored.deleted else stored

    def bot_messages(self, chat_id: int, include_deleted: bool = False) -> list[StoredMessage]:
        found = [
            m
            for (cid, _), m in self.messages.items()
            if cid == chat_id and m.sender_id == self.bot.id and (include_deleted or not m.deleted)
        ]
        return sorted(found, key=lambda m: m.data["message_id"])

    # -- files ----------------------------------------------------------------

    def store_file(
        self,
        kind: str,
        data: bytes,
        *,
        filename: str | None = None,
        mime_type: str | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> StoredFile:
        seq = next(self._file_seq)
        prefix = {"photo": "AgACAgUAAxkDAAI", "document": "BQACAgUAAxkDAAI"}.get(kind, "CAACAgUAAxkDAAI")
        ext = (filename or "").rpartition(".")[2] if filename and "." in filename else ("jpg" if kind == "photo" else "bin")
        stored = StoredFile(
            file_id=f"{prefix}{uuid.uuid4().hex}",
            file_unique_id=f"AQAD{uuid.uuid4().hex[:12]}",
            kind=kind,
            data=data,
            file_path=f"{kind}s/file_{seq}.{ext}",
            filename=filename,
            mime_type=mime_type,
            width=width,
            height=height,
        )
        self.files[stored.file_id] = stored
        return stored


# ---------------------------------------------------------------------------
# Update delivery
# ---------------------------------------------------------------------------


class _Signal:
    """Wake-up-all notification; waiters capture the current event before awaiting."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> None:
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass


UPDATE_TYPES = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "message_reaction",
    "message_reaction_count", "inline_query", "chosen_inline_result", "callback_query",
    "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
    "my_chat_member", "chat_member", "chat_join_request", "chat_boost", "removed_chat_boost",
)  # fmt: skip
_DEFAULT_ALLOWED = frozenset(UPDATE_TYPES) - {"chat_member", "message_reaction", "message_reaction_count"}


def update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


@dataclass
class _PendingUpdate:
    update: JSONDict
    redelivery: bool = False
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    """Pending updates with Bot API confirmation semantics (offset) and allowed_updates."""

    def __init__(self, first_update_id: int) -> None:
        self._pending: list[_PendingUpdate] = []
        self._next_id = first_update_id
        self.history: dict[int, JSONDict] = {}
        self.allowed_updates: list[str] | None = None
        self.dropped: list[JSONDict] = []
        self.signal = _Signal()

    def next_id(self) -> int:
        update_id = self._next_id
        self._next_id += 1
        return update_id

    def is_allowed(self, update: Mapping[str, Any]) -> bool:
        allowed = set(self.allowed_updates) if self.allowed_updates else _DEFAULT_ALLOWED
        return update_type(update) in allowed

    def push(self, update: JSONDict, *, redelivery: bool = False) -> int:
        """Queue ``update`` (assigning update_id if missing) unless allowed_updates filters it."""
        if "update_id" not in update:
            update = {"update_id": self.next_id(), **update}
        update_id = int(update["update_id"])
        self._next_id = max(self._next_id, update_id + 1)
        self.history[update_id] = copy.deepcopy(update)
        if not self.is_allowed(update):
            self.dropped.append(update)
            return update_id
        self._pending.append(_PendingUpdate(copy.deepcopy(update), redelivery=redelivery))
        self._pending.sort(key=lambda p: p.update_id)
        self.signal.notify()
        return update_id

    def confirm(self, offset: int) -> None:
        """getUpdates ``offset`` semantics: forget updates below it (negative: keep the last -offset)."""
        if offset < 0:
            self._pending = self._pending[offset:]
        elif offset > 0:
            self._pending = [
                p for p in self._pending if p.update_id >= offset or (p.redelivery and not p.delivered)
            ]

    def peek(self, limit: int) -> list[_PendingUpdate]:
        return self._pending[:limit]

    def remove(self, pending: _PendingUpdate) -> None:
        if pending in self._pending:
            self._pending.remove(pending)

    def clear(self) -> None:
        self._pending.clear()

    @property
    def pending_count(self) -> int:
        return len(self._pending)


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None
    max_connections: int
    ip_address: str = "127.0.0.1"
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class WebhookDelivery:
    """One POST of an update to the webhook."""

    update_id: int
    url: str
    status: int | None
    error: str | None
    timestamp: float


class WebhookDeliverer:
    """Background task POSTing queued updates to the webhook, in order, retrying on failure."""

    def __init__(
        self,
        queue: UpdateQueue,
        execute_reply: Callable[[JSONDict], Awaitable[None]],
        *,
        retry_delay: float,
        timeout: float,
    ) -> None:
        self.queue = queue
        self.config: WebhookConfig | None = None
        self.deliveries: list[WebhookDelivery] = []
        self._execute_reply = execute_reply
        self._retry_delay = retry_delay
        self._timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timeout))
        self._task = asyncio.create_task(self._run(), name="fake-telegram-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _run(self) -> None:
        while True:
            config = self.config
            pending = self.queue.peek(1)
            if config is None or not pending:
                await self.queue.signal.wait(None)
                continue
            if await self._deliver(config, pending[0]):
                self.queue.remove(pending[0])
            else:
                await asyncio.sleep(self._retry_delay)

    async def _deliver(self, config: WebhookConfig, pending: _PendingUpdate) -> bool:
        assert self._session is not None
        pending.delivered = True
        headers = {"Content-Type": "application/json"}
        if config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = config.secret_token
        status: int | None = None
        error: str | None = None
        reply: Any = None
        try:
            async with self._session.post(config.url, data=json.dumps(pending.update), headers=headers) as resp:
                status = resp.status
                body = await resp.read()
                if 200 <= status < 300 and resp.content_type == "application/json" and body:
                    reply = json.loads(body)
                elif not 200 <= status < 300:
                    error = f"Wrong response from the webhook: {status} {resp.reason}"
        except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
            error = f"Connection error: {exc.__class__.__name__} {exc}".strip()
        self.deliveries.append(WebhookDelivery(pending.update_id, config.url, status, error, time.time()))
        if error is not None:
            config.last_error_date = int(time.time())
            config.last_error_message = error
            return False
        if isinstance(reply, dict) and "method" in reply:
            await self._execute_reply(reply)
        return True


# ---------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------


@dataclass
class SentRecord:
    """A successful state-changing call by the bot (send, edit, delete, answer, ...)."""

    method: str
    chat_id: int | None
    params: JSONDict
    files: dict[str, UploadedFile]
    timestamp: float
    result: Any

    @property
    def file_bytes(self) -> bytes | None:
        """Bytes of the first uploaded file, if any."""
        return next(iter(self.files.values())).data if self.files else None

    @property
    def reply_markup(self) -> JSONDict | None:
        return self.params.get("reply_markup")


@dataclass
class ApiCall:
    """Every call that reached the fake, successful or not."""

    method: str
    params: JSONDict
    status: int
    description: str | None
    timestamp: float


class Recorder:
    def __init__(self) -> None:
        self.sent: list[SentRecord] = []
        self.calls: list[ApiCall] = []
        self.callback_answers: list[JSONDict] = []
        self.internal_errors: list[str] = []
        self.signal = _Signal()

    def record_sent(self, req: ApiRequest, chat_id: int | None, result: Any) -> None:
        self.sent.append(
            SentRecord(req.method, chat_id, copy.deepcopy(req.params), dict(req.files), time.time(), copy.deepcopy(result))
        )
        self.signal.notify()

    def record_call(self, method: str, params: JSONDict, status: int, description: str | None) -> None:
        self.calls.append(ApiCall(method, copy.deepcopy(params), status, description, time.time()))
        self.signal.notify()

    def clear(self) -> None:
        self.sent.clear()
        self.calls.clear()
        self.callback_answers.clear()


# ---------------------------------------------------------------------------
# Bot API methods
# ---------------------------------------------------------------------------


def api_method(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a ``BotApiMethods`` coroutine as the implementation of Bot API method ``name``."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn._api_name = name  # type: ignore[attr-defined]
        return fn

    return decorate


@dataclass
class _Described:
    """A successful result that also carries a ``description`` (e.g. "Webhook was set")."""

    result: Any
    description: str


_INLINE_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip
_SIMPLE_SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators"}


class BotApiMethods:
    """Implementation of the supported Bot API methods on top of the world state."""

    def __init__(self, fake: FakeTelegramAPI) -> None:
        self.fake = fake
        self.world = fake.world
        self.limits = fake.limits
        self.handlers: dict[str, Callable[[ApiRequest], Awaitable[Any]]] = {}
        for attr in dir(type(self)):
            fn = getattr(type(self), attr)
            if hasattr(fn, "_api_name"):
                self.handlers[fn._api_name.lower()] = getattr(self, attr)
        self._poll_generation = 0

    # -- shared helpers -------------------------------------------------------

    def _sendable_chat(self, req: ApiRequest) -> FakeChat:
        chat = self.world.find_chat(req.chat_ref())
        self.world.check_can_send(chat)
        return chat

    def _rate_limit(self, chat: FakeChat, *, edit: bool = False) -> None:
        if edit and not self.fake.rate_limiter.limits.count_edits:
            return
        self.fake.rate_limiter.acquire(chat.id, chat.is_group)

    def _text(self, req: ApiRequest) -> FormattedText:
        raw = req.get_str("text")
        if not raw:
            raise bad_request("message text is empty")
        entities = req.params.get("entities")
        ft = parse_formatted_text(raw, req.get_str("parse_mode"), entities if isinstance(entities, list) else None)
        if not ft.text:
            raise bad_request("message text is empty")
        limit = self.limits.max_text_length
        if limit is not None and len(ft.text) > limit:
            raise bad_request("message is too long")
        return ft

    def _caption(self, req: ApiRequest) -> FormattedText | None:
        raw = req.get_str("caption")
        if not raw:
            return None
        entities = req.params.get("caption_entities")
        ft = parse_formatted_text(raw, req.get_str("parse_mode"), entities if isinstance(entities, list) else None)
        limit = self.limits.max_caption_length
        if limit is not None and len(ft.text) > limit:
            raise bad_request("message caption is too long")
        return ft if ft.text else None

    def _reply_markup(self, req: ApiRequest) -> JSONDict | None:
        """Validate ``reply_markup``; return the inline keyboard to echo in the Message (if any)."""
        markup = req.params.get("reply_markup")
        if markup in (None, ""):
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        max_bytes = self.limits.max_reply_markup_bytes
        if max_bytes is not None and len(json.dumps(markup, ensure_ascii=False).encode()) > max_bytes:
            raise bad_request("reply markup is too long")
        if "inline_keyboard" in markup:
            self._check_inline_keyboard(markup["inline_keyboard"])
            return {"inline_keyboard": markup["inline_keyboard"]}
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request("can't parse reply keyboard markup JSON object")
            return None
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return None
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _check_inline_keyboard(self, rows: Any) -> None:
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('can\'t parse inline keyboard button: Field "inline_keyboard" must be of type Array')
        lim = self.limits
        total = sum(len(r) for r in rows)
        if lim.max_inline_buttons is not None and total > lim.max_inline_buttons:
            raise bad_request("reply markup is too long")
        if lim.max_inline_buttons_per_row is not None and any(len(r) > lim.max_inline_buttons_per_row for r in rows):
            raise bad_request("reply markup is too long")
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request('can\'t parse inline keyboard button: Field "text" must be of type String')
            if not any(key in button for key in _INLINE_BUTTON_ACTIONS):
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                max_size = lim.max_callback_data_bytes
                if size == 0 or (max_size is not None and size > max_size):
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button and not re.match(r"(?i)^(https?|tg|ton)://\S+$", str(button["url"])):
                raise bad_request(f"inline keyboard button URL '{button['url']}' is invalid: Wrong HTTP URL")

    def _reply_to(self, req: ApiRequest, chat: FakeChat) -> JSONDict:
        params = req.params.get("reply_parameters")
        if isinstance(params, dict):
            message_id, allow = params.get("message_id"), bool(params.get("allow_sending_without_reply"))
        else:
            message_id, allow = req.get_int("reply_to_message_id"), req.get_bool("allow_sending_without_reply")
        if message_id is None:
            return {}
        target = self.world.get_message(chat.id, int(message_id))
        if target is None:
            if allow:
                return {}
            raise bad_request("message to be replied not found")
        replied = copy.deepcopy(target.data)
        replied.pop("reply_to_message", None)
        return {"reply_to_message": replied}

    def _send(self, req: ApiRequest, chat: FakeChat, content: JSONDict) -> JSONDict:
        """Rate-limit, create and record a bot message."""
        content = {**self._reply_to(req, chat), **content}
        markup = self._reply_markup(req)
        if markup is not None:
            content["reply_markup"] = markup
        self._rate_limit(chat)
        message = self.world.new_message(chat, self.world.bot, content)
        result = copy.deepcopy(message)
        self.fake.recorder.record_sent(req, chat.id, result)
        return result

    @staticmethod
    def _put_formatted(content: JSONDict, ft: FormattedText | None, key: str, entities_key: str) -> None:
        content.pop(key, None)
        content.pop(entities_key, None)
        if ft is not None:
            content[key] = ft.text
            if ft.entities:
                content[entities_key] = ft.entities

    def _upload(self, req: ApiRequest, name: str, kind: str) -> StoredFile:
        """Resolve an uploaded file / file_id / URL parameter into a stored file."""
        value = req.file(name)
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        lim = self.limits
        if isinstance(value, UploadedFile):
            if lim.max_upload_bytes is not None and len(value.data) > lim.max_upload_bytes:
                raise ApiError(413, "Request Entity Too Large")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename or "")[0] or mime
            if kind == "photo":
                return self._store_photo(value.data, value.filename)
            return self.world.store_file(kind, value.data, filename=value.filename, mime_type=mime)
        if value.startswith(("http://", "https://")):
            if kind == "photo":
                return self.world.store_file("photo", b"", width=800, height=600)
            filename = value.rstrip("/").rpartition("/")[2] or "document"
            return self.world.store_file(kind, b"", filename=filename, mime_type=mimetypes.guess_type(filename)[0])
        stored = self.world.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(f"can't use file of type {stored.kind.capitalize()} as {kind.capitalize()}")
        return stored

    def _store_photo(self, data: bytes, filename: str | None) -> StoredFile:
        lim = self.limits
        if lim.max_photo_bytes is not None and len(data) > lim.max_photo_bytes:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        size = image_size(data)
        if size is None:
            if lim.require_valid_images:
                raise bad_request("IMAGE_PROCESS_FAILED")
            size = (1280, 720)
        width, height = size
        if width <= 0 or height <= 0 or width + height > 10000 or max(width, height) / min(width, height) > 20:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return self.world.store_file("photo", data, filename=filename, mime_type="image/jpeg", width=width, height=height)

    def _photo_json(self, stored: StoredFile) -> list[JSONDict]:
        width, height = stored.width or 1280, stored.height or 720
        sizes = _photo_sizes(width, height)
        out = []
        for w, h in sizes:
            if (w, h) == sizes[-1]:
                file_id, unique, file_size = stored.file_id, stored.file_unique_id, len(stored.data)
            else:
                alias = self.world.store_file("photo", stored.data, width=w, height=h)
                alias.file_path = stored.file_path
                file_id, unique = alias.file_id, alias.file_unique_id
                file_size = max(1, len(stored.data) * w * h // (width * height))
            out.append({"file_id": file_id, "file_unique_id": unique, "file_size": file_size, "width": w, "height": h})
        return out

    def _editable(self, req: ApiRequest) -> tuple[FakeChat, StoredMessage]:
        if req.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self.world.find_chat(req.chat_ref())
        self.world.check_can_send(chat)
        message_id = req.get_int("message_id", required=True)
        assert message_id is not None
        stored = self.world.get_message(chat.id, message_id)
        if stored is None:
            raise bad_request("message to edit not found")
        if stored.sender_id != self.world.bot.id:
            raise bad_request("message can't be edited")
        return chat, stored

    def _apply_edit(self, req: ApiRequest, chat: FakeChat, stored: StoredMessage, new: JSONDict) -> JSONDict:
        keys = ("text", "entities", "caption", "caption_entities", "reply_markup")
        if all(new.get(k) == stored.data.get(k) for k in keys):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a specified old content and reply markup of the message"
            )
        self._rate_limit(chat, edit=True)
        new["edit_date"] = int(time.time())
        stored.data = new
        result = copy.deepcopy(new)
        self.fake.recorder.record_sent(req, chat.id, result)
        return result

    def _scope_key(self, scope: Any) -> str:
        if scope in (None, ""):
            return "default"
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        stype = scope["type"]
        if stype in _SIMPLE_SCOPES:
            return stype
        if stype in ("chat", "chat_administrators", "chat_member"):
            chat = self.world.find_chat(ApiRequest("", _normalize_params(scope)).chat_ref())
            if stype == "chat_member":
                return f"chat_member:{chat.id}:{int(scope.get('user_id', 0))}"
            return f"{stype}:{chat.id}"
        raise bad_request("wrong BotCommandScope type specified")

    def _commands_key(self, req: ApiRequest) -> tuple[str, str]:
        return self._scope_key(req.params.get("scope")), req.get_str("language_code", "") or ""

    # -- bot identity and updates -------------------------------------------

    @api_method("getMe")
    async def get_me(self, req: ApiRequest) -> JSONDict:
        data = self.world.bot.to_api()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.fake.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    @api_method("getUpdates")
    async def get_updates(self, req: ApiRequest) -> list[JSONDict]:
        if self.fake.webhook.config is not None:
            raise ApiError(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
            )
        queue = self.fake.updates
        allowed = req.params.get("allowed_updates")
        if isinstance(allowed, list):
            queue.allowed_updates = [str(a) for a in allowed]
        limit = min(max(req.get_int("limit", 100) or 100, 1), 100)
        timeout = max(req.get_int("timeout", 0) or 0, 0)
        self._poll_generation += 1
        generation = self._poll_generation
        queue.signal.notify()  # an older long poll is terminated by this one
        queue.confirm(req.get_int("offset", 0) or 0)
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
                )
            batch = queue.peek(limit)
            remaining = deadline - time.monotonic()
            if batch or remaining <= 0 or self.fake.closing:
                for pending in batch:
                    pending.delivered = True
                return [copy.deepcopy(p.update) for p in batch]
            await queue.signal.wait(remaining)

    @api_method("setWebhook")
    async def set_webhook(self, req: ApiRequest) -> _Described:
        url = req.get_str("url", "") or ""
        if not url:
            return await self.delete_webhook(req)
        if not re.match(r"^https?://", url) or (self.fake.require_https_webhook and not url.startswith("https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = req.get_str("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = min(max(req.get_int("max_connections", 40) or 40, 1), 100)
        queue = self.fake.updates
        if req.get_bool("drop_pending_updates"):
            queue.clear()
        allowed = req.params.get("allowed_updates")
        if isinstance(allowed, list):
            queue.allowed_updates = [str(a) for a in allowed]
        old = self.fake.webhook.config
        self.fake.webhook.config = WebhookConfig(url, secret, max_connections)
        queue.signal.notify()
        self.fake.recorder.record_sent(req, None, True)
        same = old is not None and old.url == url
        return _Described(True, "Webhook is already set" if same else "Webhook was set")

    @api_method("deleteWebhook")
    async def delete_webhook(self, req: ApiRequest) -> _Described:
        had = self.fake.webhook.config is not None
        self.fake.webhook.config = None
        if req.get_bool("drop_pending_updates"):
            self.fake.updates.clear()
        self.fake.updates.signal.notify()
        self.fake.recorder.record_sent(req, None, True)
        return _Described(True, "Webhook was deleted" if had else "Webhook is already deleted")

    @api_method("getWebhookInfo")
    async def get_webhook_info(self, req: ApiRequest) -> JSONDict:
        config = self.fake.webhook.config
        queue = self.fake.updates
        info: JSONDict = {
            "url": config.url if config else "",
            "has_custom_certificate": False,
            "pending_update_count": queue.pending_count,
        }
        if config is not None:
            info.update(ip_address=config.ip_address, max_connections=config.max_connections)
            if config.last_error_date is not None:
                info.update(last_error_date=config.last_error_date, last_error_message=config.last_error_message)
            if queue.allowed_updates:
                info["allowed_updates"] = list(queue.allowed_updates)
        return info

    # -- commands -------------------------------------------------------------

    @api_method("setMyCommands")
    async def set_my_commands(self, req: ApiRequest) -> bool:
        commands = req.params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse bot commands JSON object")
        if self.limits.max_commands is not None and len(commands) > self.limits.max_commands:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name, description = str(command.get("command", "")), str(command.get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._commands_key(req)
        if cleaned:
            self.world.commands[key] = cleaned
        else:
            self.world.commands.pop(key, None)
        self.fake.recorder.record_sent(req, None, True)
        return True

    @api_method("getMyCommands")
    async def get_my_commands(self, req: ApiRequest) -> list[JSONDict]:
        return copy.deepcopy(self.world.commands.get(self._commands_key(req), []))

    @api_method("deleteMyCommands")
    async def delete_my_commands(self, req: ApiRequest) -> bool:
        self.world.commands.pop(self._commands_key(req), None)
        self.fake.recorder.record_sent(req, None, True)
        return True

    # -- sending --------------------------------------------------------------

    @api_method("sendMessage")
    async def send_message(self, req: ApiRequest) -> JSONDict:
        chat = self._sendable_chat(req)
        content: JSONDict = {}
        self._put_formatted(content, self._text(req), "text", "entities")
        return self._send(req, chat, content)

    @api_method("sendPhoto")
    async def send_photo(self, req: ApiRequest) -> JSONDict:
        chat = self._sendable_chat(req)
        caption = self._caption(req)
        stored = self._upload(req, "photo", "photo")
        content: JSONDict = {"photo": self._photo_json(stored)}
        self._put_formatted(content, caption, "caption", "caption_entities")
        if req.get_bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return self._send(req, chat, content)

    @api_method("sendDocument")
    async def send_document(self, req: ApiRequest) -> JSONDict:
        chat = self._sendable_chat(req)
        caption = self._caption(req)
        stored = self._upload(req, "document", "document")
        document: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        document["file_size"] = len(stored.data)
        content: JSONDict = {"document": document}
        self._put_formatted(content, caption, "caption", "caption_entities")
        return self._send(req, chat, content)

    @api_method("sendChatAction")
    async def send_chat_action(self, req: ApiRequest) -> bool:
        chat = self._sendable_chat(req)
        if req.get_str("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.fake.recorder.record_sent(req, chat.id, True)
        return True

    # -- editing --------------------------------------------------------------

    @api_method("editMessageText")
    async def edit_message_text(self, req: ApiRequest) -> JSONDict:
        chat, stored = self._editable(req)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        new = copy.deepcopy(stored.data)
        self._put_formatted(new, self._text(req), "text", "entities")
        new.pop("reply_markup", None)
        markup = self._reply_markup(req)
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(req, chat, stored, new)

    @api_method("editMessageCaption")
    async def edit_message_caption(self, req: ApiRequest) -> JSONDict:
        chat, stored = self._editable(req)
        if not any(k in stored.data for k in ("photo", "document", "video", "audio", "animation")):
            raise bad_request("there is no caption in the message to edit")
        new = copy.deepcopy(stored.data)
        self._put_formatted(new, self._caption(req), "caption", "caption_entities")
        new.pop("reply_markup", None)
        markup = self._reply_markup(req)
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(req, chat, stored, new)

    @api_method("editMessageReplyMarkup")
    async def edit_message_reply_markup(self, req: ApiRequest) -> JSONDict:
        chat, stored = self._editable(req)
        new = copy.deepcopy(stored.data)
        new.pop("reply_markup", None)
        markup = self._reply_markup(req)
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(req, chat, stored, new)

    @api_method("deleteMessage")
    async def delete_message(self, req: ApiRequest) -> bool:
        chat = self.world.find_chat(req.chat_ref())
        self.world.check_can_send(chat)
        stored = self.world.get_message(chat.id, req.get_int("message_id", required=True) or 0)
        if stored is None:
            raise bad_request("message to delete not found")
        if stored.sender_id != self.world.bot.id and chat.is_group and chat.bot_status != "administrator":
            raise bad_request("message can't be deleted")
        stored.deleted = True
        self.fake.recorder.record_sent(req, chat.id, True)
        return True

    # -- callbacks ------------------------------------------------------------

    @api_method("answerCallbackQuery")
    async def answer_callback_query(self, req: ApiRequest) -> bool:
        query_id = req.get_str("callback_query_id")
        if not query_id:
            raise bad_request("callback_query_id is empty")
        context = self.world.callback_queries.get(query_id)
        if context is None or context.answered:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        text = req.get_str("text")
        limit = self.limits.max_callback_answer_length
        if text and limit is not None and len(text) > limit:
            raise bad_request("MESSAGE_TOO_LONG")
        context.answered = True
        self.fake.recorder.callback_answers.append(
            {
                "callback_query_id": query_id,
                "text": text,
                "show_alert": req.get_bool("show_alert"),
                "url": req.get_str("url"),
                "cache_time": req.get_int("cache_time", 0),
                "user_id": context.user_id,
                "chat_id": context.chat_id,
                "message_id": context.message_id,
                "data": context.data,
            }
        )
        self.fake.recorder.record_sent(req, context.chat_id, True)
        return True

    # -- chats ----------------------------------------------------------------

    @api_method("getChat")
    async def get_chat(self, req: ApiRequest) -> JSONDict:
        chat = self.world.find_chat(req.chat_ref())
        if chat.is_group and chat.bot_status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        return chat.full_info()

    @api_method("getChatMember")
    async def get_chat_member(self, req: ApiRequest) -> JSONDict:
        chat = self.world.find_chat(req.chat_ref())
        user_id = req.get_int("user_id", required=True)
        if user_id == self.world.bot.id:
            return chat_member_json(self.world.bot, chat.bot_status)
        user = self.world.users.get(user_id or 0)
        if user is None or (chat.type == "private" and chat.id != user_id):
            raise bad_request("user not found")
        status = "member" if chat.type == "private" else chat.members.get(user.id, "left")
        return chat_member_json(user, status)

    @api_method("getChatAdministrators")
    async def get_chat_administrators(self, req: ApiRequest) -> list[JSONDict]:
        chat = self.world.find_chat(req.chat_ref())
        if not chat.is_group:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            chat_member_json(self.world.user(uid), status)
            for uid, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(chat_member_json(self.world.bot, "administrator"))
        return admins

    @api_method("getChatMemberCount")
    async def get_chat_member_count(self, req: ApiRequest) -> int:
        chat = self.world.find_chat(req.chat_ref())
        if chat.type == "private":
            return 2
        present = ("creator", "administrator", "member", "restricted")
        return sum(status in present for status in chat.members.values()) + int(chat.bot_is_member)

    @api_method("leaveChat")
    async def leave_chat(self, req: ApiRequest) -> bool:
        chat = self.world.find_chat(req.chat_ref())
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self.world.check_can_send(chat)
        old = chat.bot_status
        chat.bot_status = "left"
        self.fake.recorder.record_sent(req, chat.id, True)
        self.fake._queue_my_chat_member(chat, self.world.bot, old, "left")
        return True

    # -- files ----------------------------------------------------------------

    @api_method("getFile")
    async def get_file(self, req: ApiRequest) -> JSONDict:
        stored = self.world.files.get(req.get_str("file_id", "") or "")
        if stored is None:
            raise bad_request("invalid file_id")
        limit = self.limits.max_download_bytes
        if limit is not None and len(stored.data) > limit:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


# ---------------------------------------------------------------------------
# Facade
# ---------------------------------------------------------------------------


@dataclass
class _InjectedError:
    error: ApiError
    remaining: int
    chat_id: int | str | None = None  # only calls addressed to this chat, when set


class FakeTelegramAPI:
    """Fake Bot API server. See the module docstring for an overview.

    Args:
        token: the only token accepted in ``/bot<token>/<method>``.
        bot_username / bot_first_name: what getMe reports.
        limits: content limits (``MessageLimits.unlimited()`` to disable).
        rate_limits: flood limits (``None`` or ``RateLimits.disabled()`` to disable).
        privacy_mode: emulate BotFather's group privacy (bot only sees commands,
            mentions and replies to it in groups unless it is an admin).
        require_https_webhook: reject non-https setWebhook URLs like Telegram does.
        webhook_retry_delay: seconds between redelivery attempts to a failing webhook.
        clock: monotonic clock used by the rate limiter (inject one for deterministic tests).
    """

    def __init__(
        self,
        token: str = "123456789:TEST-TOKEN",
        *,
        bot_username: str = "EduNetTestBot",
        bot_first_name: str = "EduNet Test Bot",
        limits: MessageLimits | None = None,
        rate_limits: RateLimits | None = RateLimits(),
        privacy_mode: bool = False,
        require_https_webhook: bool = False,
        webhook_retry_delay: float = 0.2,
        webhook_timeout: float = 10.0,
        first_update_id: int = 100_000_001,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        bot_id_text = token.partition(":")[0]
        if not bot_id_text.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.token = token
        self.host = host
        self.port = port
        self.privacy_mode = privacy_mode
        self.require_https_webhook = require_https_webhook
        self.limits = limits or MessageLimits()
        self.rate_limiter = RateLimiter(rate_limits, clock)
        self.world = TelegramWorld(FakeUser(int(bot_id_text), bot_first_name, bot_username, is_bot=True))
        self.updates = UpdateQueue(first_update_id)
        self.recorder = Recorder()
        self.webhook = WebhookDeliverer(
            self.updates, self._execute_webhook_reply, retry_delay=webhook_retry_delay, timeout=webhook_timeout
        )
        self.methods = BotApiMethods(self)
        self.undelivered_updates: list[JSONDict] = []
        self.closing = False
        self._injected: dict[str, list[_InjectedError]] = {}
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # -- lifecycle ------------------------------------------------------------

    async def start(self) -> FakeTelegramAPI:
        """Start the HTTP server on ``host`` (a free port when ``port`` is 0)."""
        max_size = self.limits.max_upload_bytes
        app = web.Application(client_max_size=(max_size or 1 << 30) + (1 << 20))
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self._url = f"http://{self.host}:{sock.getsockname()[1]}"
        self.closing = False
        await self.webhook.start()
        return self

    async def stop(self) -> None:
        """Stop the server; pending long polls return empty."""
        self.closing = True
        self.updates.signal.notify()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegramAPI:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (available after ``start``)."""
        if self._url is None:
            raise RuntimeError("FakeTelegramAPI is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """Value for ``telegram.Bot(base_url=...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``telegram.Bot(base_file_url=...)``."""
        return f"{self.url}/file/bot"

    def bot_kwargs(self) -> JSONDict:
        """``telegram.Bot(**fake.bot_kwargs())``."""
        return {"token": self.token, "base_url": self.base_url, "base_file_url": self.base_file_url}

    @property
    def bot_id(self) -> int:
        return self.world.bot.id

    @property
    def bot_username(self) -> str:
        return self.world.bot.username or ""

    # -- HTTP -----------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        method = request.match_info["method"]
        try:
            params, files = await read_api_request(request)
        except ApiError as exc:
            self.recorder.record_call(method, {}, exc.status, exc.description)
            return web.json_response(exc.to_json(), status=exc.status)
        except web.HTTPRequestEntityTooLarge:
            error = ApiError(413, "Request Entity Too Large")
            return web.json_response(error.to_json(), status=413)
        status, body = await self.call(method, params, files)
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def call(
        self, method: str, params: JSONDict, files: dict[str, UploadedFile] | None = None
    ) -> tuple[int, JSONDict]:
        """Execute a Bot API method in-process; returns (HTTP status, JSON body)."""
        handler = self.methods.handlers.get(method.lower())
        try:
            if handler is None:
                raise ApiError(404, "Not Found")
            injected = self._take_injected(method.lower(), params.get("chat_id"))
            if injected is not None:
                raise injected
            result = await handler(ApiRequest(method, params, files))
        except ApiError as exc:
            self.recorder.record_call(method, params, exc.status, exc.description)
            return exc.status, exc.to_json()
        except Exception:  # a bug in the fake: answer 500 and remember it
            trace = traceback.format_exc()
            log.error("fake Telegram API failed in %s:\n%s", method, trace)
            self.recorder.internal_errors.append(trace)
            self.recorder.record_call(method, params, 500, "Internal Server Error")
            return 500, ApiError(500, "Internal Server Error").to_json()
        self.recorder.record_call(method, params, 200, None)
        if isinstance(result, _Described):
            return 200, {"ok": True, "result": result.result, "description": result.description}
        return 200, {"ok": True, "result": result}

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").to_json(), status=401)
        path = request.match_info["path"]
        for stored in self.world.files.values():
            if stored.file_path == path:
                return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
        return web.json_response(ApiError(404, "Not Found").to_json(), status=404)

    async def _execute_webhook_reply(self, reply: JSONDict) -> None:
        params = dict(reply)
        method = str(params.pop("method"))
        await self.call(method, _normalize_params(params))

    def _take_injected(self, method: str, chat_id: Any = None) -> ApiError | None:
        for key in (method, "*"):
            queue = self._injected.get(key, [])
            for entry in queue:
                if entry.chat_id is not None and str(entry.chat_id) != str(chat_id):
                    continue
                entry.remaining -= 1
                if entry.remaining <= 0:
                    queue.remove(entry)
                return entry.error
        return None

    # -- test controls: setup -------------------------------------------------

    def add_user(
        self, user_id: int, first_name: str, username: str | None = None, language_code: str | None = "th",
        *, last_name: str | None = None,
    ) -> FakeUser:  # fmt: skip
        """Register (or update) a user."""
        user = FakeUser(user_id, first_name, username, last_name, language_code)
        self.world.users[user_id] = user
        return user

    def add_private_chat(
        self, user_id: int, first_name: str, username: str | None = None, language_code: str | None = "th",
        *, last_name: str | None = None, started: bool = True,
    ) -> FakeChat:  # fmt: skip
        """A private chat with a user (``started=False``: user never pressed Start)."""
        user = self.add_user(user_id, first_name, username, language_code, last_name=last_name)
        chat = FakeChat(user_id, "private", first_name=user.first_name, last_name=last_name, username=username)
        chat.started = started
        self.world.chats[user_id] = chat
        return chat

    def add_group(
        self, chat_id: int, title: str, type: str = "group",
        *, username: str | None = None, members: Mapping[int, str] | None = None, bot_status: str = "member",
    ) -> FakeChat:  # fmt: skip
        """A group/supergroup (negative id) the bot is in (``bot_status``); ``members`` maps user id → status."""
        if type not in ("group", "supergroup"):
            raise ValueError("type must be 'group' or 'supergroup'")
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = FakeChat(chat_id, type, title=title, username=username, bot_status=bot_status)
        for user_id, status in (members or {}).items():
            self.set_member_status(chat_id, user_id, status, _chat=chat)
        self.world.chats[chat_id] = chat
        return chat

    def set_member_status(self, chat_id: int, user_id: int, status: str, *, _chat: FakeChat | None = None) -> None:
        """Set a user's ChatMember status ("creator", "administrator", "member", "left", ...)."""
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"unknown status {status!r}")
        chat = _chat or self._chat(chat_id)
        self.world.user(user_id)
        chat.members[user_id] = status

    def deactivate_user(self, user_id: int) -> None:
        """Sends to this user now fail with 403 "user is deactivated"."""
        self.world.user(user_id).deactivated = True

    def inject_error(
        self, method: str, status: int, description: str | None = None,
        retry_after: int | None = None, times: int = 1, *, migrate_to_chat_id: int | None = None,
        chat_id: int | str | None = None,
    ) -> None:  # fmt: skip
        """Fail the next ``times`` calls of ``method`` ("*" = any method) with this error; with
        ``chat_id``, only calls addressed to that chat (so a test does not race on which send comes first)."""
        if description is None:
            base = _STATUS_DESCRIPTIONS.get(status, "Error")
            description = f"{base}: retry after {retry_after}" if status == 429 and retry_after else base
        error = ApiError(status, description, retry_after=retry_after, migrate_to_chat_id=migrate_to_chat_id)
        self._injected.setdefault(method.lower(), []).append(_InjectedError(error, times, chat_id))

    def reset_rate_limits(self) -> None:
        self.rate_limiter.reset()

    # -- test controls: updates -----------------------------------------------

    def push_update(self, update: JSONDict) -> int:
        """Queue a raw Update dict (update_id assigned if missing); returns its update_id."""
        return self.updates.push(copy.deepcopy(update))

    def redeliver(self, update_id: int) -> int:
        """Queue an identical copy of an earlier update (same update_id), e.g. for de-dup tests."""
        if update_id not in self.updates.history:
            raise KeyError(f"unknown update_id {update_id}")
        return self.updates.push(copy.deepcopy(self.updates.history[update_id]), redelivery=True)

    def user_sends_text(
        self, user_id: int, chat_id: int, text: str, *, reply_to_message_id: int | None = None
    ) -> int:
        """A user's text message (bot_command/mention/url/hashtag entities detected)."""
        chat = self._chat_for_user(user_id, chat_id)
        content: JSONDict = {"text": text}
        entities = detect_entities(text)
        if entities:
            content["entities"] = entities
        if reply_to_message_id is not None:
            target = self.world.get_message(chat.id, reply_to_message_id)
            if target is None:
                raise ValueError(f"no message {reply_to_message_id} in chat {chat.id}")
            replied = copy.deepcopy(target.data)
            replied.pop("reply_to_message", None)
            content["reply_to_message"] = replied
        if chat.type == "private":
            chat.started = True
        message = self.world.new_message(chat, self.world.user(user_id), content)
        return self._queue_message(chat, message)

    def user_presses_button(self, user_id: int, chat_id: int, message_id: int, callback_data: str) -> int:
        """A callback_query for a button on message ``message_id``."""
        chat = self._chat(chat_id)
        stored = self.world.get_message(chat.id, message_id)
        if stored is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        query_id = str(uuid.uuid4().int % 10**19)
        self.world.callback_queries[query_id] = CallbackContext(query_id, user_id, chat.id, message_id, callback_data)
        return self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.world.user(user_id).to_api(),
                    "message": copy.deepcopy(stored.data),
                    "chat_instance": str((chat.id * 2654435761) % 10**19),
                    "data": callback_data,
                }
            }
        )

    def bot_added_to_group(
        self, chat_id: int, by_user_id: int, *, as_admin: bool = False, title: str | None = None,
        type: str | None = None,
    ) -> int:  # fmt: skip
        """my_chat_member: the bot was added to a group (created if unknown)."""
        chat = self.world.chats.get(chat_id)
        if chat is None:
            kind = type or ("supergroup" if str(chat_id).startswith("-100") else "group")
            chat = self.add_group(chat_id, title or f"Group {chat_id}", kind, bot_status="left")
        chat.members.setdefault(by_user_id, "creator" if not chat.members else "member")
        self.world.user(by_user_id)
        old = chat.bot_status
        chat.bot_status = "administrator" if as_admin else "member"
        return self._queue_my_chat_member(chat, self.world.user(by_user_id), old, chat.bot_status)

    def bot_removed_from_group(self, chat_id: int, by_user_id: int) -> int:
        """my_chat_member: a user removed the bot (status "left"; sends → 403 not a member)."""
        chat = self._chat(chat_id)
        old, chat.bot_status = chat.bot_status, "left"
        return self._queue_my_chat_member(chat, self.world.user(by_user_id), old, "left")

    def kick_bot(self, chat_id: int, by_user_id: int | None = None) -> int:
        """my_chat_member: the bot was banned from a group (sends → 403 kicked)."""
        chat = self._chat(chat_id)
        if by_user_id is None:
            by_user_id = next((u for u, s in chat.members.items() if s in ("creator", "administrator")), None)
        actor = self.world.user(by_user_id) if by_user_id is not None else self.world.user(777000)
        old, chat.bot_status = chat.bot_status, "kicked"
        return self._queue_my_chat_member(chat, actor, old, "kicked")

    def block_bot(self, user_id: int) -> int:
        """my_chat_member in the private chat: the user blocked the bot (sends → 403 blocked)."""
        chat = self._chat_for_user(user_id, user_id)
        old, chat.bot_status = chat.bot_status, "kicked"
        return self._queue_my_chat_member(chat, self.world.user(user_id), old, "kicked")

    def unblock_bot(self, user_id: int) -> int:
        """my_chat_member in the private chat: the user unblocked the bot."""
        chat = self._chat_for_user(user_id, user_id)
        old, chat.bot_status = chat.bot_status, "member"
        return self._queue_my_chat_member(chat, self.world.user(user_id), old, "member")

    def member_joined(self, chat_id: int, user_id: int) -> int:
        """Service message with ``new_chat_members``."""
        chat = self._chat(chat_id)
        user = self.world.user(user_id)
        chat.members[user_id] = "member"
        message = self.world.new_message(chat, user, {"new_chat_members": [user.to_api()]})
        return self._queue_message(chat, message)

    def member_left(self, chat_id: int, user_id: int) -> int:
        """Service message with ``left_chat_member``."""
        chat = self._chat(chat_id)
        user = self.world.user(user_id)
        chat.members[user_id] = "left"
        message = self.world.new_message(chat, user, {"left_chat_member": user.to_api()})
        return self._queue_message(chat, message)

    def group_migrated(self, old_chat_id: int, new_chat_id: int, by_user_id: int | None = None) -> int:
        """Group upgraded to a supergroup: queues the ``migrate_to_chat_id`` message (returned)
        and the ``migrate_from_chat_id`` message; sends to the old id then fail with
        400 "group chat was upgraded to a supergroup chat" (PTB: ChatMigrated)."""
        old = self._chat(old_chat_id)
        if old.type != "group":
            raise ValueError("only basic groups can migrate")
        new = FakeChat(new_chat_id, "supergroup", title=old.title, bot_status=old.bot_status, members=dict(old.members))
        self.world.chats[new_chat_id] = new
        if by_user_id is None:
            by_user_id = next((u for u, s in old.members.items() if s == "creator"), 777000)
        actor = self.world.user(by_user_id)
        first = self._queue_message(old, self.world.new_message(old, actor, {"migrate_to_chat_id": new_chat_id}))
        self._queue_message(new, self.world.new_message(new, actor, {"migrate_from_chat_id": old_chat_id}))
        old.migrated_to = new_chat_id
        return first

    # -- recordings -----------------------------------------------------------

    @property
    def sent(self) -> list[SentRecord]:
        return self.recorder.sent

    @property
    def calls(self) -> list[ApiCall]:
        return self.recorder.calls

    @property
    def callback_answers(self) -> list[JSONDict]:
        return self.recorder.callback_answers

    @property
    def internal_errors(self) -> list[str]:
        """Tracebacks of bugs inside the fake (answered as HTTP 500)."""
        return self.recorder.internal_errors

    @property
    def webhook_deliveries(self) -> list[WebhookDelivery]:
        return self.webhook.deliveries

    @property
    def commands(self) -> dict[tuple[str, str], list[JSONDict]]:
        """What setMyCommands stored, keyed by (scope key, language_code); scope keys look like
        "default", "all_group_chats", "chat:-100123", "chat_member:-100123:42"."""
        return copy.deepcopy(self.world.commands)

    def commands_for(self, scope: str = "default", language_code: str = "") -> list[JSONDict]:
        return copy.deepcopy(self.world.commands.get((scope, language_code), []))

    def messages_to(self, chat_id: int, *, include_deleted: bool = False) -> list[JSONDict]:
        """Current state (edits applied) of the bot's messages in a chat, oldest first."""
        return [copy.deepcopy(m.data) for m in self.world.bot_messages(chat_id, include_deleted)]

    def texts_to(self, chat_id: int) -> list[str]:
        """Texts (or captions) of the bot's messages in a chat."""
        return [m.get("text", m.get("caption", "")) for m in self.messages_to(chat_id)]

    def last_message(self, chat_id: int) -> JSONDict | None:
        messages = self.messages_to(chat_id)
        return messages[-1] if messages else None

    def clear_recordings(self) -> None:
        self.recorder.clear()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy and return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                recent = [(r.method, r.chat_id) for r in self.sent[-5:]]
                raise TimeoutError(f"condition not met within {timeout}s; last sent: {recent}")
            await self.recorder.signal.wait(min(remaining, 0.05))

    # -- internals ------------------------------------------------------------

    def _chat(self, chat_id: int) -> FakeChat:
        chat = self.world.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}; add it with add_private_chat/add_group")
        return chat

    def _chat_for_user(self, user_id: int, chat_id: int) -> FakeChat:
        """The chat a user acts in, creating the private chat / membership as needed."""
        user = self.world.user(user_id)
        chat = self.world.chats.get(chat_id)
        if chat is None:
            if chat_id != user_id:
                raise ValueError(f"unknown chat {chat_id}; add it with add_group")
            chat = self.add_private_chat(user_id, user.first_name, user.username, user.language_code)
        elif chat.type == "private" and chat_id != user_id:
            raise ValueError("only the owner of a private chat can act in it")
        if chat.is_group and chat.members.get(user_id) in (None, "left"):
            chat.members[user_id] = "member"
        return chat

    def _queue_message(self, chat: FakeChat, message: JSONDict) -> int:
        update = {"update_id": self.updates.next_id(), "message": copy.deepcopy(message)}
        if self._bot_sees(chat, message):
            return self.updates.push(update)
        self.updates.history[update["update_id"]] = update
        self.undelivered_updates.append(update)
        return int(update["update_id"])

    def _queue_my_chat_member(self, chat: FakeChat, actor: FakeUser, old: str, new: str) -> int:
        return self.push_update(
            {
                "my_chat_member": {
                    "chat": chat.to_api(),
                    "from": actor.to_api(),
                    "date": int(time.time()),
                    "old_chat_member": chat_member_json(self.world.bot, old),
                    "new_chat_member": chat_member_json(self.world.bot, new),
                }
            }
        )

    def _bot_sees(self, chat: FakeChat, message: JSONDict) -> bool:
        """Whether Telegram would deliver this group message to the bot."""
        if chat.type == "private":
            return True
        if not chat.bot_is_member:
            return False
        if not self.privacy_mode or chat.bot_status == "administrator" or "text" not in message:
            return True
        text = message["text"]
        mention = f"@{self.bot_username}".lower()
        for entity in message.get("entities", []):
            if entity["type"] == "bot_command":
                command = text.encode("utf-16-le")[2 * entity["offset"] : 2 * (entity["offset"] + entity["length"])]
                target = command.decode("utf-16-le").partition("@")[2].lower()
                if not target or f"@{target}" == mention:
                    return True
        reply = message.get("reply_to_message")
        return mention in text.lower() or bool(reply and reply["from"]["id"] == self.bot_id)
