"""Rendering neutral replies as LINE messages, checked against LINE's OpenAPI spec."""

from __future__ import annotations

from typing import Any

import pytest
from linebot.v3.messaging import PushMessageRequest

from bot.adapters.line.render import (
    MAX_MESSAGES,
    RenderOptions,
    pack,
    render_requests,
    split_text,
)
from bot.i18n import Translator
from bot.model import Button, Card, Document, Image, ProgressBar, Text
from bot.payload import encode
from tests.contracts.line_openapi import LineSpec, require_line_spec

USER = "U" + "a1" * 16


@pytest.fixture
def spec() -> LineSpec:
    return require_line_spec()


def options(private: bool = True, published: list[tuple[str, str]] | None = None) -> RenderOptions:
    async def publish(content: bytes, mime: str, filename: str, kind: str) -> str:
        if published is not None:
            published.append((filename, kind))
        return f"https://edunet.example/media/{kind}-{len(content)}.png"

    return RenderOptions(translator=Translator("th"), private=private, publish=publish)


def assert_valid(spec: LineSpec, requests: list[list[dict[str, Any]]]) -> None:
    for messages in requests:
        body = {"to": USER, "messages": messages}
        assert spec.schema_errors("PushMessageRequest", body) == []
        assert 1 <= len(messages) <= MAX_MESSAGES
        # What our client sends is what line-bot-sdk's models would have sent (which add LINE's default).
        assert PushMessageRequest.from_dict(body).to_dict() == {**body, "notificationDisabled": False}


def buttons(n: int) -> list[list[Button]]:
    return [[Button(f"ตัวเลือก {i}", encode("pick", i))] for i in range(n)]


def test_split_text_prefers_line_breaks_and_never_exceeds_the_limit() -> None:
    text = ("บรรทัด " * 300 + "\n") * 10
    pieces = split_text(text)
    assert all(len(p) <= 5000 for p in pieces)
    assert "".join(p.replace("\n", "").replace(" ", "") for p in pieces) == text.replace("\n", "").replace(" ", "")
    assert split_text("x" * 12001) == ["x" * 5000, "x" * 5000, "x" * 2001]


async def test_long_text_is_split_and_requests_hold_five_messages(spec: LineSpec) -> None:
    requests = await render_requests([Text("ก" * 27_000)], options())
    assert [len(r) for r in requests] == [5, 1]
    assert all(len(m["text"]) <= 5000 for r in requests for m in r)
    assert_valid(spec, requests)


async def test_quick_replies_on_the_last_message_only(spec: LineSpec) -> None:
    quick = Text("เลือกเลย", buttons=[[Button("ใช่", encode("yes")), Button("ไม่", encode("no"))]],
                 quick_replies=True)
    [[message]] = await render_requests([quick], options())
    items = message["quickReply"]["items"]
    assert [i["action"]["label"] for i in items] == ["ใช่", "ไม่"]
    assert items[0]["action"] == {"type": "postback", "label": "ใช่", "data": "1|yes", "displayText": "ใช่"}
    # Not last in its request: LINE would hide them, so they move into a card.
    [messages] = await render_requests([quick, Text("ต่อไป")], options())
    assert messages[0]["type"] == "flex" and messages[1] == {"type": "text", "text": "ต่อไป"}
    assert_valid(spec, [messages])


async def test_more_than_13_quick_replies_move_into_a_card(spec: LineSpec) -> None:
    [[message]] = await render_requests([Text("เลือก", buttons=buttons(14), quick_replies=True)], options())
    assert message["type"] == "flex" and message["altText"] == "เลือก"
    assert message["contents"]["type"] == "carousel"  # 10 buttons per bubble
    labels = [c["action"]["label"] for b in message["contents"]["contents"] for c in b["footer"]["contents"]]
    assert labels == [f"ตัวเลือก {i}" for i in range(14)]
    assert_valid(spec, [[message]])
    [[few]] = await render_requests([Text("เลือก", buttons=buttons(13), quick_replies=True)], options())
    assert len(few["quickReply"]["items"]) == 13


async def test_group_postbacks_do_not_echo_the_choice() -> None:
    [[message]] = await render_requests([Text("โหวต", buttons=buttons(2), quick_replies=True)],
                                        options(private=False))
    assert all("displayText" not in i["action"] for i in message["quickReply"]["items"])


async def test_inline_buttons_and_url_buttons_become_a_flex_bubble(spec: LineSpec) -> None:
    reply = Text("ข้อความ", buttons=[[Button("สมัคร", encode("reg")), Button("เว็บไซต์", url="https://example.org")]])
    [[message]] = await render_requests([reply], options())
    bubble = message["contents"]
    assert bubble["body"]["contents"][0]["text"] == "ข้อความ"
    row = bubble["footer"]["contents"][0]
    assert [b["action"]["type"] for b in row["contents"]] == ["postback", "uri"]
    assert_valid(spec, [[message]])


async def test_cards_with_fields_progress_and_buttons(spec: LineSpec) -> None:
    card = Card(title="ความต้องการ: หนังสือ", fields=[("โรงเรียน", "บ้านหนองบัว"), ("ว่าง", "")],
                body="ต้องการหนังสือ 100 เล่ม",
                progress=[ProgressBar("ได้รับแล้ว", 40, 100), ProgressBar("ยังไม่มี", 0, 10)],
                buttons=[[Button("ร่วมบริจาค", encode("pledge", 7))]])
    [[message]] = await render_requests([card], options())
    assert message["type"] == "flex"
    assert message["altText"].startswith("ความต้องการ: หนังสือ · โรงเรียน: บ้านหนองบัว")
    text = str(message)
    assert "40%" in text and "'width': '40%'" in text
    assert_valid(spec, [[message]])
    [[explicit]] = await render_requests([Card(title="t", alt_text="สรุปประจำสัปดาห์")], options())
    assert explicit["altText"] == "สรุปประจำสัปดาห์"


async def test_images_are_published_with_a_preview_and_documents_become_links(spec: LineSpec) -> None:
    from bot.charts import choice_counts

    png = choice_counts("กิจกรรม", "จำนวน", {"ก": 3, "ข": 5}, respondents=8, unit="คน")
    published: list[tuple[str, str]] = []
    requests = await render_requests(
        [Image(png, alt_text="กราฟ", caption="สรุป"), Document("report.csv", b"a,b\n", "text/csv", caption="ไฟล์")],
        options(published=published))
    [messages] = requests
    assert [m["type"] for m in messages] == ["text", "image", "text"]
    assert messages[1]["originalContentUrl"].startswith("https://edunet.example/media/image-")
    assert messages[1]["previewImageUrl"].startswith("https://edunet.example/media/preview-")
    assert "report.csv" in messages[2]["text"] and "https://edunet.example/media/document-" in messages[2]["text"]
    assert [k for _, k in published] == ["image", "preview", "document"]
    assert_valid(spec, requests)


async def test_without_a_public_url_images_degrade_to_text() -> None:
    [[caption, fallback]] = await render_requests(
        [Image(b"png", alt_text="กราฟกิจกรรม", caption="สรุป")],
        RenderOptions(translator=Translator("th"), private=True, publish=None))
    assert fallback == {"type": "text", "text": "[กราฟกิจกรรม]"}


def test_pack_fills_requests_up_to_five_messages() -> None:
    groups = pack([Text(str(i)) for i in range(7)])
    assert [len(g) for g in groups] == [5, 2]
    assert [len(g) for g in pack([Text("x" * 12_000), Text("a"), Text("b"), Text("c")])] == [3, 1]


async def test_a_card_names_its_network_above_the_title_when_it_has_one(spec: LineSpec) -> None:
    from bot.adapters.telegram.render import card_lines

    card = Card(title="#1 อบรมสื่อ", fields=[("วันที่", "20 พ.ย. 2569")], network="เครือข่ายอำเภอเมือง")
    [[message]] = await render_requests([card], options())
    header = message["contents"]["header"]["contents"]
    assert [part["text"] for part in header] == ["เครือข่ายอำเภอเมือง", "#1 อบรมสื่อ"]
    assert message["altText"].startswith("เครือข่ายอำเภอเมือง · #1 อบรมสื่อ")
    assert_valid(spec, [[message]])
    assert [line.html for line in card_lines(card)][:2] == ["<i>เครือข่ายอำเภอเมือง</i>", "<b>#1 อบรมสื่อ</b>"]
    [[plain]] = await render_requests([Card(title="#1 อบรมสื่อ")], options())
    assert [part["text"] for part in plain["contents"]["header"]["contents"]] == ["#1 อบรมสื่อ"]
