"""Rendering for Telegram: escaping, splitting at the limits, keyboards, cards."""

from __future__ import annotations

import html

from bot.adapters.telegram.render import (MAX_CAPTION, MAX_TEXT, OutDocument, OutPhoto, OutText, keyboard, render,
                                          split_text, tg_len, toast)
from bot.model import Button, Card, Document, Image, ProgressBar, Text
from tests.fakes.telegram_api import parse_formatted_text


def visible(chunk: str) -> str:
    """What Telegram shows for an HTML chunk (the fake's own parser)."""
    return parse_formatted_text(chunk, "HTML").text


def test_text_is_escaped_for_html_parse_mode() -> None:
    [out] = render(Text("a < b & c > d <b>not bold</b>"))
    assert isinstance(out, OutText)
    assert out.html == "a &lt; b &amp; c &gt; d &lt;b&gt;not bold&lt;/b&gt;"
    assert visible(out.html) == "a < b & c > d <b>not bold</b>"


def test_long_text_splits_on_line_boundaries_within_4096() -> None:
    lines = [f"บรรทัดที่ {i} " + "ก" * 50 for i in range(300)]
    text = "\n".join(lines)
    chunks = split_text(text)
    assert len(chunks) > 1
    assert all(tg_len(visible(c)) <= MAX_TEXT for c in chunks)
    # Nothing lost, nothing cut mid-line.
    assert "\n".join(visible(c) for c in chunks) == text
    assert all(visible(c).split("\n")[0].startswith("บรรทัดที่") for c in chunks)


def test_escaping_does_not_count_against_the_limit_but_stays_whole() -> None:
    text = "\n".join(["<&>" * 100] * 40)  # 12,000 visible characters, far more escaped
    chunks = split_text(text)
    assert all(tg_len(visible(c)) <= MAX_TEXT for c in chunks)
    assert "\n".join(visible(c) for c in chunks) == text
    assert all("&l" not in c[-3:] for c in chunks)  # never cut inside an entity


def test_a_single_overlong_line_is_cut_at_spaces_and_emoji_count_double() -> None:
    words = ("คำ " * 3000).strip()
    chunks = split_text(words)
    assert all(tg_len(visible(c)) <= MAX_TEXT for c in chunks)
    assert " ".join(visible(c) for c in chunks) == words
    emoji = "😀" * 3000  # 2 UTF-16 units each: 6,000 units
    chunks = split_text(emoji)
    assert [tg_len(visible(c)) for c in chunks] == [4096, 1904]


def test_buttons_become_inline_keyboards_within_limits() -> None:
    row = [Button(f"b{i}", payload=f"1|x|{i}") for i in range(20)]
    markup = keyboard([row] * 6)  # 120 buttons, 20 a row
    assert markup is not None
    rows = markup.inline_keyboard
    assert all(len(r) <= 8 for r in rows)
    assert sum(len(r) for r in rows) == 100
    data = [b.callback_data for r in rows for b in r]
    assert data[:3] == ["1|x|0", "1|x|1", "1|x|2"]


def test_callback_data_over_64_bytes_is_dropped_not_sent() -> None:
    markup = keyboard([[Button("ok", payload="1|a|1"), Button("too long", payload="1|" + "ก" * 30),
                        Button("site", url="https://example.org")]])
    assert markup is not None
    [[ok, site]] = markup.inline_keyboard
    assert ok.callback_data == "1|a|1" and site.url == "https://example.org"
    assert all(len((b.callback_data or "").encode()) <= 64 for r in markup.inline_keyboard for b in r)
    assert keyboard([]) is None


def test_keyboard_goes_under_the_last_part_and_only_single_parts_are_live() -> None:
    parts = render(Text("x\n" * 5000, buttons=[[Button("ok", payload="1|a")]], update_key="poll:1"))
    assert len(parts) > 1
    assert all(isinstance(p, OutText) for p in parts)
    assert [p.keyboard is not None for p in parts] == [False] * (len(parts) - 1) + [True]
    assert all(p.update_key is None for p in parts)  # type: ignore[union-attr]
    [single] = render(Text("3 votes", update_key="poll:1"))
    assert single.update_key == "poll:1"  # type: ignore[union-attr]


def test_cards_have_a_bold_title_fields_and_text_progress_bars() -> None:
    [out] = render(Card(title="Need <books>", fields=[("Goal", "100 & more")], body="Thanks!",
                        progress=[ProgressBar("Pledged", 40, 100)], buttons=[[Button("Pledge", payload="1|p|3")]]))
    assert isinstance(out, OutText)
    assert out.html.startswith("<b>Need &lt;books&gt;</b>\n<b>Goal:</b> 100 &amp; more\nThanks!")
    parsed = parse_formatted_text(out.html, "HTML")
    assert "▓▓▓▓░░░░░░ 40%" in parsed.text
    assert parsed.entities[0] == {"type": "bold", "offset": 0, "length": len("Need <books>")}
    assert out.keyboard is not None and out.keyboard.inline_keyboard[0][0].callback_data == "1|p|3"


def test_images_and_documents_are_uploads_with_captions_of_at_most_1024() -> None:
    parts = render(Image(b"png", "chart", caption="สรุป\n" + "ข้อความ " * 300))
    photo = parts[0]
    assert isinstance(photo, OutPhoto) and photo.png == b"png"
    assert tg_len(visible(photo.caption_html)) <= MAX_CAPTION
    assert parts[1:] and all(isinstance(p, OutText) for p in parts[1:])
    [only] = render(Image(b"png", "chart <1>"))
    assert isinstance(only, OutPhoto) and only.caption_html == html.escape("chart <1>", quote=False)
    [doc] = render(Document("report.csv", b"a,b\n", "text/csv", caption="Report"))
    assert isinstance(doc, OutDocument) and doc.filename == "report.csv" and doc.caption_html == "Report"


def test_toasts_fit_answer_callback_query() -> None:
    assert toast(None) is None and toast("") is None
    assert toast("ok\n done") == "ok done"
    long = toast("ก" * 500)
    assert long is not None and len(long) == 200 and long.endswith("…")
