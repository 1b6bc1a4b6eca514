"""Our webhook parsing against line-bot-sdk's, the oracle: LINE's sample bodies
(``../shared/contracts/line-webhook-samples``) must map to the same neutral events as the SDK's
models made of them, and so must every sample event with one field taken away or of another type.

``sdk_to_event`` is the mapping EduNet had on top of ``linebot.v3.webhooks`` (kept here, in the
tests, which still depend on the SDK)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
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

from bot.adapters.line.events import event_id, parse_body, to_event
from bot.model import ChatKind, ChatRef, Event, EventKind, Sender
from tests.contracts.line_openapi import SKIP_REASON, webhook_samples_dir
from tests.fakes.line_api import member_joined_event, member_left_event, postback_event, text_event

USER = "U" + "a1" * 16
GROUP = "C" + "c3" * 16


def sdk_to_event(raw: dict[str, Any]) -> Event | None:
    """EduNet's mapping as it was on line-bot-sdk's models (the oracle)."""
    try:
        parsed: Any = SDKEvent.from_dict(raw)
    except Exception:
        return None
    mode = getattr(parsed, "mode", None)
    if mode is not None and str(getattr(mode, "value", mode)) == "standby":
        return None
    source = getattr(parsed, "source", None)
    if isinstance(source, GroupSource):
        chat, user_id = ChatRef("line", source.group_id, ChatKind.GROUP), source.user_id
    elif isinstance(source, RoomSource):
        chat, user_id = ChatRef("line", source.room_id, ChatKind.GROUP), source.user_id
    elif isinstance(source, UserSource) and source.user_id:
        chat, user_id = ChatRef("line", source.user_id, ChatKind.PRIVATE), source.user_id
    else:
        return None
    text, payload = "", None
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
        ids = [getattr(m, "user_id", None) for m in (parsed.joined if joined else parsed.left).members or []]
        user_id = next((i for i in ids if i), None)
    else:
        return None
    timestamp = getattr(parsed, "timestamp", None)
    return Event(platform="line", event_id=event_id(raw), chat=chat, sender=Sender(user_id=user_id or None),
                 kind=kind, text=text, payload=payload,
                 received_at=datetime.fromtimestamp(timestamp / 1000, tz=timezone.utc) if timestamp else None,
                 reply_handle=getattr(parsed, "reply_token", None),
                 is_redelivery=bool(getattr(getattr(parsed, "delivery_context", None), "is_redelivery", False)),
                 raw=raw)


def sample_events() -> list[tuple[str, dict[str, Any]]]:
    folder = webhook_samples_dir()
    if folder is None:
        pytest.skip(SKIP_REASON)
    found = []
    for path in sorted(folder.rglob("*.json")):
        for index, raw in enumerate(parse_body(path.read_bytes())):
            found.append((f"{path.relative_to(folder)}#{index}", raw))
    return found


def ours_and_sdks() -> list[tuple[str, dict[str, Any]]]:
    """The samples and our own builders' events (which the other tests send)."""
    built = [text_event(USER, "สวัสดี"), text_event(None, "/register", GROUP),  # type: ignore[arg-type]
             postback_event(USER, "1|reg", GROUP), member_joined_event(GROUP, [USER]),
             member_left_event(GROUP, [USER])]
    return sample_events() + [(f"built#{i}", raw) for i, raw in enumerate(built)]


def mutations(raw: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The event with one field (at any depth) removed, or replaced by a value of another JSON type."""
    def paths(node: Any, prefix: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            yield prefix + (key,)
            yield from paths(value, prefix + (key,))

    for path in paths(raw, ()):
        for replacement in ("<removed>", None, "x", "", 7, 0, 1.5, True, False, {}, [], ["x"], {"type": "user"}):
            changed = copy.deepcopy(raw)
            parent = changed
            for key in path[:-1]:
                parent = parent[key]
            if replacement == "<removed>" and isinstance(parent, dict):
                del parent[path[-1]]
            elif replacement == "<removed>":
                continue
            else:
                parent[path[-1]] = copy.deepcopy(replacement)
            yield f"{'.'.join(map(str, path))}={json.dumps(replacement)}", changed


def test_every_sample_event_maps_as_the_sdk_mapped_it() -> None:
    events = sample_events()
    assert len(events) >= 28 * 2 + 1  # the single events, the whole v3 body, the legacy v2 body
    mapped = 0
    for name, raw in events:
        expected = sdk_to_event(raw)
        assert to_event(copy.deepcopy(raw)) == expected, name
        mapped += expected is not None
    assert mapped >= 2 * 14  # most of the samples are events EduNet handles, not just ignored ones


def test_a_sample_event_with_any_field_missing_or_mistyped_maps_as_the_sdk_mapped_it() -> None:
    differences = []
    cases = 0
    for name, raw in ours_and_sdks():
        for change, changed in mutations(raw):
            cases += 1
            ours, sdks = to_event(copy.deepcopy(changed)), sdk_to_event(changed)
            if ours != sdks:
                differences.append(f"{name} {change}: ours {ours and ours.kind} vs SDK {sdks and sdks.kind}")
    assert cases > 1000
    assert differences == []


def test_an_event_the_sdk_refuses_is_ignored_not_an_error() -> None:
    broken = text_event(USER, "x")
    del broken["message"]["quoteToken"]
    assert sdk_to_event(broken) is None and to_event(broken) is None
    assert to_event(dict(text_event(USER, "x"), type="somethingNew")) is None

