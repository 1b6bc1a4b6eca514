"""Text that users and platforms give us, cleaned where it enters: display names, chat
titles and typed text (network and organisation names, activity, survey and meeting titles).

Removed: control characters (Unicode Cc) and format characters (Cf) — bidirectional
overrides and isolates (U+202A–U+202E, U+2066–U+2069) that make a name read backwards,
zero-width spaces, the BOM. Kept: the newline in typed text (multi-line answers), and the
zero-width joiner, which emoji sequences in display names need. Thai needs neither ZWJ nor
ZWNJ (its marks are Mn, untouched), so ZWNJ goes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Final

from bot.model import Event

ZWJ: Final = "\u200d"
_SPACES = re.compile(r"[ \t]+")


def _keep(char: str, *, newline: bool) -> bool:
    if char == "\n":
        return newline
    if char == ZWJ:
        return True
    return unicodedata.category(char) not in ("Cc", "Cf")


def clean_text(text: str) -> str:
    """Typed text without control and format characters; newlines stay, tabs become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return "".join(c for c in text if _keep(c, newline=True))


def clean_name(text: str) -> str:
    """A one-line name: as :func:`clean_text`, and line breaks and runs of spaces become one space."""
    text = clean_text(text).replace("\n", " ")
    return _SPACES.sub(" ", text).strip()


def clean_event(event: Event) -> None:
    """Clean, in place, everything of an inbound event that came from a person."""
    event.text = clean_text(event.text)
    event.args = clean_text(event.args)
    if event.sender.display_name:
        event.sender = replace(event.sender, display_name=clean_name(event.sender.display_name))
    if event.chat.title:
        event.chat = replace(event.chat, title=clean_name(event.chat.title) or None)
