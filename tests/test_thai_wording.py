"""Thai as a native reader writes it: lists without the English comma, names set apart from the
Thai around them, one neutral persona, and lists joined the way each language joins them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.i18n import Translator

CATALOGS = sorted((Path(__file__).resolve().parent.parent / "bot" / "locales" / "th").glob("*.po"))
THAI = "\u0e00-\u0e7f"
# A comma between two Thai words or quoted names is an English list: Thai writes "ก ข และค".
ENGLISH_COMMA = re.compile(rf"[{THAI}”)]\s*,\s*[{THAI}“]")
# Placeholders that carry what people type (names of networks, people, surveys, …), so may be Latin.
NAMES = ("network", "name", "title", "description", "organisation", "org", "question", "place", "names", "groups")
GLUED_NAME = re.compile(rf"[{THAI}]\{{({'|'.join(NAMES)})\}}|\{{({'|'.join(NAMES)})\}}[{THAI}]")
GLUED_LATIN = re.compile(rf"[{THAI}][A-Za-z]|[A-Za-z][{THAI}]")
POLITE_PARTICLES = ("ค่ะ", "ครับ", "คะ")


def entries() -> list[tuple[str, str, str]]:
    """(catalog, msgid, Thai text) for every translated entry."""
    found = []
    for path in CATALOGS:
        with path.open("rb") as f:
            catalog = read_po(f)
        for message in catalog:
            if not message.id or not message.string:
                continue
            msgid = message.id if isinstance(message.id, str) else message.id[0]
            texts = [message.string] if isinstance(message.string, str) else list(message.string)
            found += [(path.name, msgid, text) for text in texts if text]
    return found


def test_the_catalogs_are_read() -> None:
    assert len(CATALOGS) >= 8 and len(entries()) > 500


def test_no_english_comma_joins_a_thai_list() -> None:
    assert [(name, text) for name, _, text in entries() if ENGLISH_COMMA.search(text)] == []


def test_a_name_is_set_apart_from_the_thai_around_it() -> None:
    assert [(name, text) for name, _, text in entries() if GLUED_NAME.search(text)] == []


def test_no_thai_is_glued_to_a_latin_word() -> None:
    without_placeholders = ((name, re.sub(r"\{\w*\}", " ", text)) for name, _, text in entries())
    assert [(name, text) for name, text in without_placeholders if GLUED_LATIN.search(text)] == []


def test_one_neutral_persona() -> None:
    """No gendered polite particle as a word ("คะ" inside "คะแนน" is not one)."""
    from pythainlp.tokenize import word_tokenize

    def gendered(text: str) -> bool:
        return any(word in POLITE_PARTICLES for word in word_tokenize(text))

    assert [(name, text) for name, _, text in entries() if gendered(text)] == []


def test_the_persona_check_sees_a_particle_but_not_a_score() -> None:
    from pythainlp.tokenize import word_tokenize

    assert "คะ" not in word_tokenize("คะแนนเฉลี่ย 4.2")
    assert "ค่ะ" in word_tokenize("บันทึกแล้วค่ะ")


def test_buttons_named_in_text_are_quoted_after_one_verb() -> None:
    """"กดปุ่ม “ลงทะเบียน”", never "กด ลงทะเบียน", "แตะ ส่ง" or "กดข้าม" (words, not letters: "สมาชิกด้วย"
    holds no "กด"; choosing and tapping a name are not buttons)."""
    from pythainlp.tokenize import word_tokenize

    def loose(text: str) -> bool:
        words = word_tokenize(text)
        return any(word in ("กด", "แตะ") and following not in ("เลือก", "ตัวเลือก", "ชื่อ")
                   for word, following in zip(words, words[1:] + [""]))

    assert [(name, text) for name, _, text in entries() if loose(text)] == []


def test_preview_reads_as_check_before_sending() -> None:
    thai = {msgid: text for _, msgid, text in entries()}
    assert thai["Preview:"] == "ตรวจสอบก่อนส่ง:"
    assert thai["Preview: {title}"].startswith("ตรวจสอบก่อนส่ง")
    assert not any("คำมั่น" in text for _, _, text in entries())  # the pledge words Thai schools use


@pytest.mark.parametrize(("lang", "items", "joined"), [
    ("th", ["ผู้ประสานงาน"], "ผู้ประสานงาน"),
    ("th", ["ผู้ประสานงาน", "ครู"], "ผู้ประสานงานและครู"),
    ("th", ["ผู้ประสานงาน", "ครู", "ภาคีเครือข่าย"], "ผู้ประสานงาน ครู และภาคีเครือข่าย"),
    ("th", ["Dao", "Ploy"], "Dao และ Ploy"),
    ("th", ["ครู", "Ploy"], "ครูและ Ploy"),
    ("en", ["coordinator", "teacher", "partner"], "coordinator, teacher and partner"),
    ("en", ["coordinator", "teacher"], "coordinator and teacher"),
    ("en", [], ""),
])
def test_lists_are_joined_the_way_the_language_joins_them(lang: str, items: list[str], joined: str) -> None:
    assert Translator(lang).join(items) == joined


def test_english_labels_are_capitalised_and_thai_ones_untouched() -> None:
    assert Translator("en").label("funding") == "Funding" and Translator("en").label("") == ""
    assert Translator("th").label("เงินทุน") == "เงินทุน"
