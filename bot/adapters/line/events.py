"""LINE webhooks: signature check, body parsing, and the mapping of LINE events to
neutral :class:`bot.model.Event` objects.

Parsing follows line-bot-sdk's ``WebhookParser`` (``Event.from_dict`` per event, unknown
types tolerated) but keeps each event's raw JSON, which the inbox stores, and leaves the
handling to our own awaited code (the SDK's ``WebhookHandler`` cannot await coroutines).

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
from datetime import datetime, timezone
from typing import Any

from linebot.v3.webhooks import (
    Event as SDKEvent,
)
from linebot.v3.webhooks import (
    FollowEvent,
    GroupSource,
    JoinEvent,
    LeaveEvent,
    MemberJoinedEvent,
    MemberLeftEvent,
    MessageEvent,
    PostbackEvent,
    RoomSource,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

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


def sdk_event(raw: dict[str, Any]) -> SDKEvent | None:
    """The SDK's typed event, or None for unknown types and events the SDK cannot read."""
    try:
        return SDKEvent.from_dict(raw)
    except Exception as exc:  # unknown type (LINE adds them without notice) or bad fields
        log.info("ignoring LINE event of type %r: %s", raw.get("type"), str(exc).splitlines()[0] if str(exc) else "")
        return None


def _chat(source: Any) -> tuple[ChatRef, str | None] | None:
    if isinstance(source, GroupSource):
        return ChatRef("line", source.group_id, ChatKind.GROUP), source.user_id
    if isinstance(source, RoomSource):
        return ChatRef("line", source.room_id, ChatKind.GROUP), source.user_id
    if isinstance(source, UserSource) and source.user_id:
        return ChatRef("line", source.user_id, ChatKind.PRIVATE), source.user_id
    return None


def to_event(raw: dict[str, Any], parsed: SDKEvent | None = None) -> Event | None:
    """The neutral event for one raw LINE event, or None when EduNet ignores it."""
    parsed = parsed if parsed is not None else sdk_event(raw)
    if parsed is None:
        return None
    mode = getattr(parsed, "mode", None)
    if mode is not None and str(getattr(mode, "value", mode)) == "standby":
        return None
    where = _chat(getattr(parsed, "source", None))
    if where is None:
        return None
    chat, user_id = where
    kind: EventKind
    text = ""
    payload = None
    if isinstance(parsed, MessageEvent):
        if not isinstance(parsed.message, TextMessageContent):
            return None
        kind, text = EventKind.TEXT, parsed.message.text
    elif isinstance(parsed, PostbackEvent):
        kind, payload = EventKind.BUTTON, parsed.postback.data
    elif isinstance(parsed, FollowEvent):
        kind = EventKind.FOLLOW
    elif isinstance(parsed, UnfollowEvent):
        kind = EventKind.UNFOLLOW
    elif isinstance(parsed, JoinEvent):
        kind = EventKind.BOT_ADDED
    elif isinstance(parsed, LeaveEvent):
        kind = EventKind.BOT_REMOVED
    elif isinstance(parsed, (MemberJoinedEvent, MemberLeftEvent)):
        joined = isinstance(parsed, MemberJoinedEvent)
        kind = EventKind.MEMBER_JOINED if joined else EventKind.MEMBER_LEFT
        people = (parsed.joined if joined else parsed.left).members or []
        ids = [getattr(m, "user_id", None) for m in people]
        user_id = next((i for i in ids if i), None)
    else:
        return None
    delivery = getattr(parsed, "delivery_context", None)
    timestamp = getattr(parsed, "timestamp", None)
    return Event(
        platform="line",
        event_id=event_id(raw),
        chat=chat,
        sender=Sender(user_id=user_id or None),
        kind=kind,
        text=text,
        payload=payload,
        received_at=datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc) if timestamp else None,
        reply_handle=getattr(parsed, "reply_token", None),
        is_redelivery=bool(getattr(delivery, "is_redelivery", False)),
        raw=raw,
    )
