"""Thai and English user-visible text.

Message ids are the English text (gettext style); Thai translations live in
``bot/locales/th/*.po`` — one catalog file per feature, merged at load time and read
with Babel, so no compile step is needed. Thai is the default language.
"""

from __future__ import annotations

import logging
import datetime as dt
from datetime import date, datetime, time
from functools import lru_cache
from pathlib import Path
from collections.abc import Iterable
from typing import Any

from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
LANGUAGES = ("th", "en")
DEFAULT_LANGUAGE = "th"


def N_(msgid: str) -> str:
    """Mark a string for translation without translating it now."""
    return msgid


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """All translations for ``lang`` (msgid → text); empty for English, the source language."""
    if lang == "en":
        return {}
    merged: dict[str, str] = {}
    for po_file in sorted((LOCALES_DIR / lang).glob("*.po")):
        with po_file.open("rb") as fh:
            for message in read_po(fh, locale=lang):
                if message.id and message.string and not message.fuzzy:
                    merged[str(message.id)] = str(message.string)
    return merged


@lru_cache(maxsize=None)
def _reverse(lang: str) -> dict[str, frozenset[str]]:
    originals: dict[str, set[str]] = {}
    for msgid, text in catalog(lang).items():
        originals.setdefault(text, set()).add(msgid)
    return {text: frozenset(ids) for text, ids in originals.items()}


def english_originals(text: str) -> frozenset[str]:
    """Every English original of a translated string (one Thai word may translate several
    English ones); the console uses it to match button labels written in English scripts."""
    found: set[str] = {text}
    for lang in LANGUAGES:
        if lang != "en":
            found |= _reverse(lang).get(text, frozenset())
    return frozenset(found)


def normalise_language(lang: str | None) -> str:
    if not lang:
        return DEFAULT_LANGUAGE
    lang = lang.lower().split("-")[0].split("_")[0]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def is_thai(char: str) -> bool:
    """A letter, vowel or sign of the Thai script."""
    return "\u0e00" <= char <= "\u0e7f"


class Translator:
    """Translates and formats for one language: ``tr("Hello {name}", name=...)``."""

    def __init__(self, lang: str) -> None:
        self.lang = normalise_language(lang)
        self._catalog = catalog(self.lang)

    def __call__(self, msgid: str, /, **kwargs: Any) -> str:
        text = self._catalog.get(msgid)
        if text is None:
            if self.lang != "en":
                log.warning("missing %s translation: %r", self.lang, msgid)
            text = msgid
        return text.format(**kwargs) if kwargs else text

    def label(self, text: str) -> str:
        """A word standing alone as a button or a card value: capitalised in English ("Funding"),
        as it is in Thai, which has no capitals."""
        return text[:1].upper() + text[1:] if self.lang != "th" else text

    def join(self, items: Iterable[str]) -> str:
        """A list the way the language writes one: "coordinators, teachers and partners";
        Thai has no comma: "ผู้ประสานงานและครู", "ผู้ประสานงาน ครู และภาคีเครือข่าย" ("และ" is
        written apart from a Latin name: "Dao และ Ploy")."""
        words = [item for item in items if item]
        if len(words) < 2:
            return "".join(words)
        *head, last = words
        if self.lang != "th":
            return f"{', '.join(head)} and {last}"
        before = "" if len(head) == 1 and is_thai(head[-1][-1]) else " "
        after = "" if is_thai(last[0]) else " "
        return f"{' '.join(head)}{before}และ{after}{last}"

    def date(self, value: date) -> str:
        from bot.dates import format_date

        return format_date(value, self.lang)

    def date_range(self, first: dt.date, last: dt.date) -> str:  # dt: "date" here is the method above
        """Both ends included: ``16–22 พ.ย. 2569``."""
        from bot.dates import format_date_range

        return format_date_range(first, last, self.lang)

    def time(self, value: time) -> str:
        from bot.dates import format_time

        return format_time(value, self.lang)

    def datetime(self, value: datetime) -> str:
        """Format a *local* datetime (convert from UTC first)."""
        from bot.dates import format_datetime

        return format_datetime(value, self.lang)

    def number(self, value: float | int, decimals: int = 0) -> str:
        return f"{value:,.{decimals}f}"
