"""Tests for the LINE contract tooling: the spec validator and webhook samples.

Needs LINE's OpenAPI spec and webhook samples in ``../shared/contracts``;
skips otherwise (see :data:`tests.contracts.line_openapi.SKIP_REASON`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhook import WebhookParser

from tests.contracts import line_openapi
from tests.contracts.line_openapi import LineSpec, load_line_spec, require_line_spec
from tests.fakes.line_api import (
    follow_event,
    join_event,
    leave_event,
    member_joined_event,
    member_left_event,
    postback_event,
    sign,
    text_event,
    unfollow_event,
    webhook_body,
)

CHANNEL_SECRET = "0123456789abcdef0123456789abcdef"
BOT_ID = "U" + "0" * 32
USER = "U" + "1" * 32
AUTH = {"Authorization": "Bearer tok", "Content-Type": "application/json"}

# Fields added to the platform after the legacy v2 sample was recorded.
LEGACY_MISSING = {"'quoteToken' is a required property", "'follow' is a required property"}


def _samples() -> list[Path]:
    root = line_openapi.webhook_samples_dir()
    return sorted(root.rglob("*.json")) if root else []


@pytest.fixture
def spec() -> LineSpec:
    return require_line_spec()


# -- skipping ---------------------------------------------------------------- #


def test_skips_cleanly_without_shared_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(line_openapi, "CONTRACTS_DIR", tmp_path / "absent")
    assert load_line_spec() is None
    assert line_openapi.webhook_samples_dir() is None
    with pytest.raises(pytest.skip.Exception, match=r"\.\./shared/contracts is absent"):
        require_line_spec()


def test_shared_dir_is_found_relative_to_repo_root() -> None:
    repo_root = Path(__file__).resolve().parents[2]
    assert line_openapi.CONTRACTS_DIR == repo_root / ".." / "shared" / "contracts"


# -- (a) webhook samples ------------------------------------------------------ #


@pytest.mark.parametrize("path", _samples() or [None], ids=lambda p: p.name if p else "absent")
def test_webhook_sample_parses_and_matches_spec(spec: LineSpec, path: Path | None) -> None:
    if path is None:
        pytest.skip(line_openapi.SKIP_REASON)
    raw = path.read_text("utf-8")
    parser = WebhookParser(CHANNEL_SECRET)

    events = parser.parse(raw, sign(raw.encode("utf-8"), CHANNEL_SECRET))
    assert len(events) == len(json.loads(raw)["events"])
    with pytest.raises(InvalidSignatureError):
        parser.parse(raw, sign(raw.encode("utf-8"), "wrong-secret"))

    body = json.loads(raw)
    body["destination"] = BOT_ID  # samples use a dummy the spec's pattern rejects
    errors = spec.webhook_errors(body)
    if path.name == "webhook-legacy-v2.json":
        # Recorded before quoteToken / follow.isUnblocked existed.
        assert errors and {e.split(": ", 1)[1] for e in errors} <= LEGACY_MISSING
    else:
        assert errors == []


def test_webhook_samples_present(spec: LineSpec) -> None:
    names = {p.name for p in _samples()}
    assert "webhook-v3.json" in names
    assert sum(1 for n in names if n[:2].isdigit()) >= 28


def test_webhook_validation_is_not_vacuous(spec: LineSpec) -> None:
    event = text_event(USER, "hi")
    del event["message"]["text"]
    del event["deliveryContext"]
    errors = spec.webhook_errors({"destination": "xxxxxxxxxx", "events": [event]})
    assert any("destination" in e for e in errors)
    assert any("'deliveryContext' is a required property" in e for e in errors)
    assert any(e.startswith("$.events[0].message:") and "'text'" in e for e in errors)


def test_unknown_webhook_event_types_are_tolerated(spec: LineSpec) -> None:
    event = unfollow_event(USER)
    event["type"] = "somethingNew"
    assert spec.webhook_errors({"destination": BOT_ID, "events": [event]}) == []


def test_event_builders_match_webhook_spec_and_sdk(spec: LineSpec) -> None:
    group = "C" + "2" * 32
    events = [
        text_event(USER, "สวัสดี"),
        text_event(USER, "hi group", group),
        text_event(USER, "hi room", "R" + "3" * 32),
        postback_event(USER, "action=join&id=1"),
        postback_event(USER, "pick", group, params={"date": "2025-01-31"}),
        follow_event(USER),
        unfollow_event(USER),
        join_event(group),
        leave_event(group),
        member_joined_event(group, [USER]),
        member_left_event(group, [USER]),
    ]
    body = webhook_body(events, BOT_ID)
    assert spec.webhook_errors(json.loads(body)) == []
    parsed = WebhookParser(CHANNEL_SECRET).parse(body.decode("utf-8"), sign(body, CHANNEL_SECRET))
    assert [type(e).__name__ for e in parsed] == [
        "MessageEvent", "MessageEvent", "MessageEvent", "PostbackEvent", "PostbackEvent",
        "FollowEvent", "UnfollowEvent", "JoinEvent", "LeaveEvent", "MemberJoinedEvent",
        "MemberLeftEvent",
    ]


# -- (b) outgoing message bodies ---------------------------------------------- #


def _quick_reply(n: int) -> QuickReply:
    return QuickReply(
        items=[
            QuickReplyItem(action=PostbackAction(label=f"opt {i}", data=f"choice={i}", display_text=f"opt {i}"))
            for i in range(n)
        ]
    )


def _flex() -> FlexMessage:
    bubble = FlexBubble(
        body=FlexBox(
            layout="vertical",
            contents=[
                FlexText(text="Workshop: STEM teaching", weight="bold", wrap=True),
                FlexButton(action=PostbackAction(label="Register", data="action=register&event=42")),
            ],
        )
    )
    return FlexMessage(alt_text="Workshop invitation", contents=bubble)


def _push(*messages: Any) -> dict[str, Any]:
    return {"to": USER, "messages": list(messages)}


def test_sdk_built_push_bodies_are_valid(spec: LineSpec) -> None:
    text = TextMessage(text="Choose one", quick_reply=_quick_reply(13))
    body = PushMessageRequest(to=USER, messages=[text, _flex()]).to_dict()
    assert spec.schema_errors("PushMessageRequest", body) == []
    assert spec.validate_request("POST", "/v2/bot/message/push", body, AUTH) == []
    reply = ReplyMessageRequest(reply_token="abc", messages=[text]).to_dict()
    assert spec.validate_request("POST", "/v2/bot/message/reply", reply, AUTH) == []


def _errors(spec: LineSpec, body: dict[str, Any]) -> list[str]:
    errors = spec.validate_request("POST", "/v2/bot/message/push", body, AUTH)
    assert errors, f"expected violations for {json.dumps(body)[:200]}"
    return errors


def test_rejects_text_message_without_text(spec: LineSpec) -> None:
    errors = _errors(spec, _push({"type": "text"}))
    assert errors == ["POST /v2/bot/message/push: body.messages[0]: 'text' is a required property"]


def test_rejects_flex_without_alt_text(spec: LineSpec) -> None:
    flex = _flex().to_dict()
    del flex["altText"]
    assert any("'altText' is a required property" in e for e in _errors(spec, _push(flex)))


def test_rejects_unknown_message_type(spec: LineSpec) -> None:
    errors = _errors(spec, _push({"type": "carousel", "text": "x"}))
    assert any("body.messages[0].type: 'carousel' is not a known type" in e for e in errors)


def test_rejects_six_messages(spec: LineSpec) -> None:
    errors = _errors(spec, _push(*[{"type": "text", "text": str(i)} for i in range(6)]))
    assert any("body.messages: has 6 items; the maximum is 5" in e for e in errors)


def test_rejects_long_postback_data_inside_flex(spec: LineSpec) -> None:
    flex = _flex().to_dict()
    flex["contents"]["body"]["contents"][1]["action"]["data"] = "x" * 301
    errors = _errors(spec, _push(flex))
    assert any("action.data: is 301 characters long; the maximum is 300" in e for e in errors)


def test_rejects_fourteen_quick_reply_items(spec: LineSpec) -> None:
    # line-bot-sdk's pydantic models refuse 14 items themselves; add one by hand
    text = TextMessage(text="too many", quick_reply=_quick_reply(13)).to_dict()
    text["quickReply"]["items"].append(text["quickReply"]["items"][0])
    assert any("quickReply.items: has 14 items" in e for e in _errors(spec, _push(text)))


def test_documented_limits_beyond_the_spec(spec: LineSpec) -> None:
    assert spec.schema_errors("TextMessage", {"type": "text", "text": "ก" * 5000}) == []
    [too_long] = spec.schema_errors("TextMessage", {"type": "text", "text": "ก" * 5001})
    assert "5001 characters" in too_long and "LINE's docs" in too_long
    flex = _flex().to_dict() | {"altText": "a" * 1501}
    assert any("altText: is 1501 characters" in e for e in spec.schema_errors("Message", flex))


def test_discriminators_are_followed_recursively(spec: LineSpec) -> None:
    flex = _flex().to_dict()
    flex["contents"]["body"]["contents"].append({"type": "box", "layout": "diagonal", "contents": []})
    flex["contents"]["body"]["contents"][1]["action"] = {"type": "uri", "label": "x"}
    errors = spec.schema_errors("Message", flex)
    assert any("contents[2].layout: 'diagonal' is not one of" in e for e in errors)
    assert any("contents[1].action: 'uri' is a required property" in e for e in errors)
    assert spec.schema_errors("Action", {"type": "postback", "label": "x"}) == [
        "$: 'data' is a required property (rule from LINE's docs; not in the OpenAPI spec)"
    ]


def test_request_level_checks(spec: LineSpec) -> None:
    body = _push({"type": "text", "text": "hi"})
    assert spec.validate_request("POST", "/v2/bot/message/push", body, {}) == [
        "POST /v2/bot/message/push: missing Authorization header (Bearer channel access token)"
    ]
    bad_key = {**AUTH, "X-Line-Retry-Key": "not-a-uuid"}
    assert any("X-Line-Retry-Key" in e for e in spec.validate_request("POST", "/v2/bot/message/push", body, bad_key))
    assert "unknown path" in spec.validate_request("POST", "/v2/bot/message/pushh", body, AUTH)[0]
    assert "method not allowed" in spec.validate_request("GET", "/v2/bot/message/push", None, AUTH)[0]
    assert "request body is required" in spec.validate_request("POST", "/v2/bot/message/push", None, AUTH)[0]
    assert spec.validate_request("GET", "/v2/bot/message/12345/content", None, AUTH) == []
    assert spec.match("GET", "/v2/bot/richmenu/list").template == "/v2/bot/richmenu/list"
    assert spec.match("DELETE", "/v2/bot/richmenu/richmenu-1").template == "/v2/bot/richmenu/{richMenuId}"
    png = {"Authorization": "Bearer tok", "Content-Type": "image/png"}
    assert spec.validate_request("POST", "/v2/bot/richmenu/rm-1/content", b"\x89PNG", png) == []
    gif = {**png, "Content-Type": "image/gif"}
    assert spec.validate_request("POST", "/v2/bot/richmenu/rm-1/content", b"GIF8", gif)


def test_rich_menu_request_documented_requirements(spec: LineSpec) -> None:
    menu = {
        "size": {"width": 2500, "height": 843},
        "selected": True,
        "name": "main",
        "chatBarText": "Menu",
        "areas": [{"bounds": {"x": 0, "y": 0, "width": 2500, "height": 843},
                   "action": {"type": "postback", "data": "menu=home"}}],
    }
    assert spec.validate_request("POST", "/v2/bot/richmenu", menu, AUTH) == []
    incomplete = {k: v for k, v in menu.items() if k != "chatBarText"}
    assert any("'chatBarText' is a required property" in e
               for e in spec.validate_request("POST", "/v2/bot/richmenu", incomplete, AUTH))
