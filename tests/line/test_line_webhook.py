"""LINE webhook parsing and mapping, with LINE's own sample bodies
(``../shared/contracts/line-webhook-samples``) and the spec's webhook schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.adapters.line.events import MalformedWebhook, event_id, parse_body, signature_ok, to_event
from bot.model import ChatKind, EventKind
from tests.contracts.line_openapi import SKIP_REASON, require_line_spec, webhook_samples_dir
from tests.fakes.line_api import (
    event_redelivered,
    member_joined_event,
    postback_event,
    sign,
    text_event,
    webhook_body,
)

USER = "U" + "a1" * 16
GROUP = "C" + "c3" * 16

#: sample file number → (kind, chat kind) of the neutral event, or None: ignored.
EXPECTED: dict[str, tuple[EventKind, ChatKind] | None] = {
    "00": (EventKind.TEXT, ChatKind.PRIVATE),
    "01": None, "02": None, "03": None, "04": None, "05": None,  # image, video, audio, location, sticker
    "06": (EventKind.FOLLOW, ChatKind.PRIVATE),
    "07": (EventKind.UNFOLLOW, ChatKind.PRIVATE),
    "08": (EventKind.BOT_ADDED, ChatKind.GROUP),
    "09": (EventKind.BOT_REMOVED, ChatKind.GROUP),
    "10": (EventKind.BUTTON, ChatKind.PRIVATE),
    "11": None, "12": None, "13": None,  # beacons, account link
    "14": (EventKind.TEXT, ChatKind.GROUP),
    "15": (EventKind.TEXT, ChatKind.GROUP),  # a room is a group chat
    "16": (EventKind.BUTTON, ChatKind.PRIVATE),
    "17": (EventKind.BUTTON, ChatKind.PRIVATE),
    "18": (EventKind.BUTTON, ChatKind.PRIVATE),
    "19": (EventKind.MEMBER_JOINED, ChatKind.GROUP),
    "20": (EventKind.MEMBER_LEFT, ChatKind.GROUP),
    "21": None, "22": None, "23": None, "24": None,  # file, unsend, video played, image
    "25": (EventKind.TEXT, ChatKind.PRIVATE),
    "26": None,  # messageEdited
    "27": None,  # a type LINE may add tomorrow
}


def samples() -> Path:
    folder = webhook_samples_dir()
    if folder is None:
        pytest.skip(SKIP_REASON)
    return folder


def test_every_sample_event_maps_as_expected() -> None:
    files = sorted((samples() / "v3-single-events").glob("*.json"))
    assert len(files) == len(EXPECTED)
    for path in files:
        raw_body = path.read_bytes()
        [raw] = parse_body(raw_body)
        event = to_event(raw)
        expected = EXPECTED[path.name[:2]]
        if expected is None:
            assert event is None, path.name
            continue
        assert event is not None, path.name
        assert (event.kind, event.chat.kind) == expected, path.name
        assert event.event_id == raw["webhookEventId"]
        assert event.reply_handle == raw.get("replyToken")
        assert event.received_at is not None
        if raw["source"].get("userId"):
            assert event.sender.user_id == raw["source"]["userId"]
        if event.kind is EventKind.TEXT:
            assert event.text == raw["message"]["text"]
        if event.kind is EventKind.BUTTON:
            assert event.payload == raw["postback"]["data"]


def test_the_whole_sample_body_parses_and_a_group_event_may_lack_a_user_id() -> None:
    body = (samples() / "webhook-v3.json").read_bytes()
    events = parse_body(body)
    assert len(events) == 28
    mapped = [to_event(e) for e in events]
    join = next(e for e in mapped if e is not None and e.kind is EventKind.BOT_ADDED)
    assert join.sender.user_id is None and join.chat.chat_id.startswith("C")
    room_image = events[1]
    assert to_event(room_image) is None


def test_our_webhook_builders_match_lines_webhook_schema() -> None:
    spec = require_line_spec()
    body = json.loads(webhook_body([text_event(USER, "สวัสดี"), postback_event(USER, "1|reg", GROUP),
                                    member_joined_event(GROUP, [USER])]))
    assert spec.webhook_errors(body) == []


def test_signature_is_checked_over_the_exact_bytes() -> None:
    body = webhook_body([text_event(USER, "hi")])
    assert signature_ok("secret", body, sign(body, "secret"))
    assert not signature_ok("secret", body, sign(body, "other"))
    assert not signature_ok("secret", body + b"\n", sign(body, "secret"))
    assert not signature_ok("secret", body, None)
    assert not signature_ok("secret", body, "")
    assert not signature_ok("secret", body, "ไม่ใช่")
    assert not signature_ok("", body, sign(body, ""))


@pytest.mark.parametrize("body", [b"", b"[]", b"{", b'{"events": {}}', b'{"events": [1]}', b'{"events": [{}]}',
                                  b"\xff\xfe"])
def test_malformed_bodies_are_rejected(body: bytes) -> None:
    with pytest.raises(MalformedWebhook):
        parse_body(body)


def test_mapping_details() -> None:
    joined = member_joined_event(GROUP, [USER, "U" + "b2" * 16])
    event = to_event(joined)
    assert event is not None and event.kind is EventKind.MEMBER_JOINED
    assert event.sender.user_id == USER  # one event for the batch; everyone is in raw
    assert [m["userId"] for m in event.raw["joined"]["members"]] == [USER, "U" + "b2" * 16]

    redelivered = to_event(event_redelivered(text_event(USER, "x")))
    assert redelivered is not None and redelivered.is_redelivery

    hidden = text_event(None, "/register", GROUP)  # type: ignore[arg-type]
    mapped = to_event(hidden)
    assert mapped is not None and mapped.sender.user_id is None and mapped.lock_key == ("line", GROUP, "")

    standby = dict(text_event(USER, "x"), mode="standby")
    assert to_event(standby) is None

    legacy = {k: v for k, v in text_event(USER, "x").items() if k != "webhookEventId"}
    assert event_id(legacy) == event_id(dict(legacy)) and event_id(legacy).startswith("sha256:")


def test_a_body_nested_thousands_deep_is_malformed_not_a_crash() -> None:
    with pytest.raises(MalformedWebhook, match="nested too deeply"):
        parse_body(b'{"events": ' + b"[" * 10_000 + b"]" * 10_000 + b"}")
