"""LINE webhooks: signature check, body parsing, and the mapping of LINE events to
neutral :class:`bot.model.Event` objects.

Each event is checked as line-bot-sdk's webhook models check it (the fields each model
requires, with their JSON types), for the event and message types EduNet handles; it keeps
each event's raw JSON, which the inbox stores, and the handling is our own awaited code.
An event of another type, or one that lacks a required field, is ignored (logged), as the
SDK's parser would have dropped it. ``tests/line/test_line_webhook_oracle.py`` holds this
against the SDK's own parse of LINE's sample bodies, and of every sample with one field
taken away or of the wrong type.

Mapping: ``webhookEventId`` → event_id; ``source.userId`` → sender (None when LINE hides
it: users who have not accepted the terms, in groups); groupId/roomId → a group chat
(rooms too), userId → a private chat; replyToken → reply_handle; text message → TEXT;
postback → BUTTON (data = payload); follow/unfollow → FOLLOW/UNFOLLOW; join/leave →
BOT_ADDED/BOT_REMOVED; memberJoined/memberLeft → ONE MEMBER_JOINED/MEMBER_LEFT event for
the whole batch (one reply token can answer once), the first member as sender, every
member id in ``raw``; ``deliveryContext.isRedelivery`` → is_redelivery. Other events
(stickers, images, unsend, beacons...) and ``mode: standby`` events are ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.model import ChatKind, ChatRef, Event, EventKind, Sender

log = logging.getLogger(__name__)


class MalformedWebhook(ValueError):
    """A signed body that is not a LINE webhook body."""


def signature_ok(channel_secret: str, body: bytes, signature: str | None) -> bool:
    """HMAC-SHA256 of the raw body, base64, compared in constant time."""
    if not signature or not channel_secret:
        return False
    expected = base64.b64encode(hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest())
    return hmac.compare_digest(expected, signature.strip().encode("utf-8", "replace"))


def parse_body(body: bytes) -> list[dict[str, Any]]:
    """The events of a webhook body (raw dicts); raises :class:`MalformedWebhook`."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedWebhook(f"body is not JSON: {exc}") from exc
    except RecursionError:  # validly signed but nested thousands deep: refuse it, never crash on it
        raise MalformedWebhook("body is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise MalformedWebhook("body must be an object with an 'events' list")
    events: list[dict[str, Any]] = data["events"]
    if not all(isinstance(e, dict) and isinstance(e.get("type"), str) for e in events):
        raise MalformedWebhook("every event must be an object with a 'type'")
    return events


def event_id(raw: dict[str, Any]) -> str:
    """``webhookEventId``, or (old-style bodies without one) a digest of the event."""
    value = raw.get("webhookEventId")
    if isinstance(value, str) and value:
        return value[:128]
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return f"sha256:{digest[:64]}"


def chat_id(raw: dict[str, Any]) -> str:
    """The chat a raw event belongs to ("" if it names none)."""
    found = raw.get("source")
    source: dict[str, Any] = found if isinstance(found, dict) else {}
    return str(source.get("groupId") or source.get("roomId") or source.get("userId") or "")[:64]


class _Invalid(ValueError):
    """An event the SDK's models would refuse (a required field missing or of the wrong type)."""


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise _Invalid(what)


def _optional_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    _need(value is None or isinstance(value, str), f"{key} must be a string")
    return value


def _dict(value: Any, what: str) -> dict[str, Any]:
    _need(isinstance(value, dict), f"{what} must be an object")
    return value  # type: ignore[no-any-return]


def _items(value: Any, what: str) -> list[Any]:
    """A list's items (as the SDK's models, any iterable: ``{}`` and ``""`` are empty lists)."""
    try:
        return list(value)
    except TypeError:
        raise _Invalid(f"{what} must be a list") from None


def _coerced(value: Any, what: str) -> dict[str, Any]:
    """An object given as something else (pydantic 1 takes ``dict(value)``: ``[]`` and ``""`` are ``{}``)."""
    if isinstance(value, dict):
        return value
    try:
        return dict(value)
    except (TypeError, ValueError):
        raise _Invalid(f"{what} must be an object") from None


@dataclass(frozen=True)
class _Source:
    kind: str  # user, group, room
    chat_id: str | None
    user_id: str | None


def _source(value: Any) -> _Source | None:
    if value is None:
        return None
    source = _dict(value, "source")
    kind = source.get("type")
    _need(kind in ("user", "group", "room"), f"unknown source type {kind!r}")
    user_id = _optional_str(source, "userId")
    if kind == "user":
        return _Source("user", user_id, user_id)
    key = "groupId" if kind == "group" else "roomId"
    _need(_is_str(source.get(key)), f"{key} must be a string")
    return _Source(str(kind), source[key], user_id)


def _member_ids(value: Any, what: str) -> list[str | None]:
    members = _items(_dict(value, what).get("members"), f"{what}.members")
    ids: list[str | None] = []
    for member in members:
        if isinstance(member, dict):
            kind = member.get("type")
        else:  # as pydantic 1's parse_obj: a missing type is "user"
            member = _coerced(member, f"{what}.members[]")
            kind = member.get("type", "user")
        _need(isinstance(kind, (str, int, float)), "a member needs a type")
        ids.append(_optional_str(member, "userId"))
    return ids


def _text_message(message: dict[str, Any]) -> str:
    """The text of a text message; raises :class:`_Invalid` for other messages or missing fields."""
    kind = message.get("type")
    _need(kind == "text", f"a {kind!r} message")
    for key in ("id", "text", "quoteToken"):
        _need(_is_str(message.get(key)), f"message.{key} must be a string")
    for key in ("quotedMessageId", "markAsReadToken"):
        _optional_str(message, key)
    if message.get("emojis") is not None:
        for emoji in _items(message["emojis"], "message.emojis"):
            emoji = _coerced(emoji, "message.emojis[]")
            _need(_is_int(emoji.get("index")) and _is_int(emoji.get("length")) and _is_str(emoji.get("productId"))
                  and _is_str(emoji.get("emojiId")), "an emoji needs index, length, productId, emojiId")
    if message.get("mention") is not None:
        for mentionee in _items(_dict(message["mention"], "message.mention").get("mentionees"), "mentionees"):
            mentionee = _dict(mentionee, "mentionees[]")
            _need(mentionee.get("type") in ("user", "all"), "a mentionee is a user or all")
            _need(_is_int(mentionee.get("index")) and _is_int(mentionee.get("length")),
                  "a mentionee needs index and length")
            if mentionee["type"] == "user":
                _optional_str(mentionee, "userId")
                _need(mentionee.get("isSelf") is None or isinstance(mentionee["isSelf"], bool),
                      "isSelf must be true or false")
    return str(message["text"])


def _postback_data(value: Any) -> str:
    postback = _dict(value, "postback")
    _need(_is_str(postback.get("data")), "postback.data must be a string")
    if postback.get("params") is not None:
        params = _coerced(postback["params"], "postback.params")
        _need(all(_is_str(v) for v in params.values()), "postback.params must map to strings")
    return str(postback["data"])


_KINDS = {"message": EventKind.TEXT, "postback": EventKind.BUTTON, "follow": EventKind.FOLLOW,
          "unfollow": EventKind.UNFOLLOW, "join": EventKind.BOT_ADDED, "leave": EventKind.BOT_REMOVED,
          "memberJoined": EventKind.MEMBER_JOINED, "memberLeft": EventKind.MEMBER_LEFT}
#: The event types with a reply token, and those where it is required (as the SDK's models).
_REPLY_TOKEN = {"message", "postback", "follow", "join", "memberJoined"}
_REPLY_TOKEN_REQUIRED = {"follow", "join", "memberJoined"}


def _read(raw: dict[str, Any]) -> Event | None:
    """The neutral event, None when EduNet ignores it; raises :class:`_Invalid` for a malformed one."""
    kind = _KINDS.get(raw["type"]) if isinstance(raw.get("type"), str) else None
    if kind is None:
        raise _Invalid("not an event type EduNet handles")
    source = _source(raw.get("source"))
    timestamp = raw.get("timestamp")
    _need(_is_int(timestamp), "timestamp must be an integer")
    mode = raw.get("mode")
    _need(mode in ("active", "standby"), "mode must be active or standby")
    _need(_is_str(raw.get("webhookEventId")), "webhookEventId must be a string")
    delivery = _dict(raw.get("deliveryContext"), "deliveryContext")
    _need(isinstance(delivery.get("isRedelivery"), bool), "deliveryContext.isRedelivery must be true or false")
    reply_token = _optional_str(raw, "replyToken") if raw["type"] in _REPLY_TOKEN else None
    if raw["type"] in _REPLY_TOKEN_REQUIRED:
        _need(reply_token is not None, "replyToken is required")
    text = ""
    payload = None
    user_id = source.user_id if source else None
    if kind is EventKind.TEXT:
        message = _dict(raw.get("message"), "message")
        if message.get("type") != "text":
            return None  # images, stickers...: ignored (whatever their fields)
        text = _text_message(message)
    elif kind is EventKind.BUTTON:
        payload = _postback_data(raw.get("postback"))
    elif kind is EventKind.FOLLOW:
        _need(isinstance(_dict(raw.get("follow"), "follow").get("isUnblocked"), bool),
              "follow.isUnblocked must be true or false")
    elif kind in (EventKind.MEMBER_JOINED, EventKind.MEMBER_LEFT):
        key = "joined" if kind is EventKind.MEMBER_JOINED else "left"
        user_id = next((i for i in _member_ids(raw.get(key), key) if i), None)
    if mode == "standby" or source is None:
        return None
    if source.kind == "user":
        if not source.user_id:
            return None
        chat = ChatRef("line", source.user_id, ChatKind.PRIVATE)
    else:
        chat = ChatRef("line", str(source.chat_id), ChatKind.GROUP)
    return Event(
        platform="line",
        event_id=event_id(raw),
        chat=chat,
        sender=Sender(user_id=user_id or None),
        kind=kind,
        text=text,
        payload=payload,
        received_at=datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc) if timestamp else None,
        reply_handle=reply_token,
        is_redelivery=bool(delivery["isRedelivery"]),
        raw=raw,
    )


def to_event(raw: dict[str, Any]) -> Event | None:
    """The neutral event for one raw LINE event, or None when EduNet ignores it."""
    try:
        return _read(raw)
    except _Invalid as exc:  # unknown type (LINE adds them without notice) or bad fields
        log.info("ignoring LINE event of type %r: %s", raw.get("type"), exc)
        return None
