"""Neutral replies → Telegram messages (HTML parse mode).

Pure functions, no I/O: text is escaped, split at Telegram's limits on line boundaries
(4,096 characters a message, 1,024 a caption, counted in UTF-16 units like Telegram
does), buttons become inline keyboards (≤ 8 a row, ≤ 100 in all, callback data
≤ 64 bytes), cards become formatted text and progress bars text bars.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.model import Button, Card, Document, Image, Reply, Text
from bot.textrender import progress_bar

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
MAX_BUTTONS_PER_ROW = 8
MAX_BUTTONS = 100
MAX_BUTTON_LABEL = 64
MAX_TOAST = 200


@dataclass
class OutText:
    """One ``sendMessage``; ``update_key`` set when a later message may edit it."""

    html: str
    keyboard: InlineKeyboardMarkup | None = None
    update_key: str | None = None


@dataclass
class OutPhoto:
    png: bytes
    caption_html: str = ""
    filename: str = "image.png"


@dataclass
class OutDocument:
    filename: str
    content: bytes
    mime_type: str
    caption_html: str = ""


Outgoing = OutText | OutPhoto | OutDocument


@dataclass
class _Line:
    """A line of a message: its visible text (what Telegram counts) and its HTML."""

    plain: str
    html: str = field(default="")

    def __post_init__(self) -> None:
        if not self.html:
            self.html = html.escape(self.plain, quote=False)


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def _hard_split(text: str, limit: int) -> list[str]:
    """Split one over-long line, preferring spaces, never inside a surrogate pair."""
    pieces: list[str] = []
    while tg_len(text) > limit:
        cut, size = 0, 0
        for i, ch in enumerate(text):
            size += 2 if ord(ch) > 0xFFFF else 1
            if size > limit:
                break
            cut = i + 1
        space = text.rfind(" ", 0, cut + 1)
        if space > cut // 2:  # break at the space (Telegram trims it at a message's end anyway)
            pieces.append(text[:space])
            text = text[space + 1:]
            continue
        pieces.append(text[:cut])
        text = text[cut:]
    pieces.append(text)
    return pieces


def _plain_lines(text: str, limit: int) -> list[_Line]:
    lines: list[_Line] = []
    for raw in text.split("\n"):
        lines.extend(_Line(piece) for piece in _hard_split(raw, limit))
    return lines


def chunk_lines(lines: list[_Line], limit: int) -> list[str]:
    """Join lines into HTML chunks whose visible text is at most ``limit``."""
    chunks: list[str] = []
    current: list[_Line] = []
    size = 0
    for line in lines:
        extra = tg_len(line.plain) + (1 if current else 0)
        if current and size + extra > limit:
            chunks.append("\n".join(item.html for item in current))
            current, size = [], 0
            extra = tg_len(line.plain)
        current.append(line)
        size += extra
    if current:
        chunks.append("\n".join(item.html for item in current))
    return [c for c in chunks if c.strip()]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Escape ``text`` and split it into messages of at most ``limit`` visible characters."""
    return chunk_lines(_plain_lines(text, limit), limit)


def _button(button: Button) -> InlineKeyboardButton | None:
    label = button.label.strip()[:MAX_BUTTON_LABEL] or "·"
    if button.url:
        return InlineKeyboardButton(label, url=button.url)
    if button.payload and len(button.payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
        return InlineKeyboardButton(label, callback_data=button.payload)
    log.error("button %r dropped: callback data %r is empty or longer than %d bytes", button.label,
              button.payload, MAX_CALLBACK_BYTES)
    return None


def keyboard(rows: list[list[Button]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard: rows wider than 8 wrap, more than 100 buttons are cut."""
    out: list[list[InlineKeyboardButton]] = []
    total = 0
    for row in rows:
        built = [b for b in (_button(button) for button in row) if b is not None]
        for start in range(0, len(built), MAX_BUTTONS_PER_ROW):
            part = built[start:start + MAX_BUTTONS_PER_ROW][:MAX_BUTTONS - total]
            if part:
                out.append(part)
                total += len(part)
    if sum(len(r) for r in rows) > total:
        log.warning("keyboard cut to %d buttons", total)
    return InlineKeyboardMarkup(out) if out else None


def card_lines(card: Card) -> list[_Line]:
    """A card as lines: bold title, ``label: value`` fields, body, text progress bars."""
    lines = [_Line(card.title, f"<b>{escape(card.title)}</b>")]
    if card.network:  # whose card it is, for a person in several networks
        lines.insert(0, _Line(card.network, f"<i>{escape(card.network)}</i>"))
    for label, value in card.fields:
        lines.append(_Line(f"{label}: {value}", f"<b>{escape(label)}:</b> {escape(value)}"))
    if card.body:
        lines.extend(_plain_lines(card.body, MAX_TEXT))
    for bar in card.progress:
        text = progress_bar(bar)
        lines.append(_Line(f"{bar.label}\n{text}", f"{escape(bar.label)}\n<code>{escape(text)}</code>"))
    return [piece for line in lines for piece in _fit(line)]


def _fit(line: _Line) -> list[_Line]:
    """A formatted line too long for one message falls back to plain pieces."""
    if tg_len(line.plain) <= MAX_TEXT:
        return [line]
    return _plain_lines(line.plain, MAX_TEXT)


def _texts(chunks: list[str], markup: InlineKeyboardMarkup | None, update_key: str | None) -> list[OutText]:
    if not chunks and markup is not None:
        chunks = ["⋯"]  # Telegram refuses empty text; the buttons still need a message
    out = [OutText(chunk) for chunk in chunks]
    if out:
        out[-1].keyboard = markup  # buttons sit under the last part
        if len(out) == 1:
            out[0].update_key = update_key
    return out


def _caption(text: str) -> tuple[str, list[str]]:
    """A caption that fits 1,024 characters, and the rest as follow-up messages."""
    if not text:
        return "", []
    lines = _plain_lines(text, MAX_CAPTION)
    first = chunk_lines(lines, MAX_CAPTION)
    if len(first) <= 1:
        return (first[0] if first else ""), []
    # Caption = as many whole lines as fit; the remainder is sent as text.
    taken: list[_Line] = []
    size = 0
    for line in lines:
        extra = tg_len(line.plain) + (1 if taken else 0)
        if taken and size + extra > MAX_CAPTION:
            break
        taken.append(line)
        size += extra
    rest = "\n".join(line.plain for line in lines[len(taken):])
    return "\n".join(line.html for line in taken), split_text(rest)


def render(reply: Reply) -> list[Outgoing]:
    """The Telegram messages for one neutral reply (in order)."""
    if isinstance(reply, Text):
        return list(_texts(split_text(reply.text), keyboard(reply.buttons), reply.update_key))
    if isinstance(reply, Card):
        return list(_texts(chunk_lines(card_lines(reply), MAX_TEXT), keyboard(reply.buttons), reply.update_key))
    if isinstance(reply, Image):
        caption, rest = _caption(reply.caption or reply.alt_text)
        return [OutPhoto(reply.png, caption), *(OutText(chunk) for chunk in rest)]
    if isinstance(reply, Document):
        caption, rest = _caption(reply.caption)
        return [OutDocument(reply.filename, reply.content, reply.mime_type, caption),
                *(OutText(chunk) for chunk in rest)]
    raise TypeError(f"unknown reply type {type(reply).__name__}")


def toast(text: str | None) -> str | None:
    """answerCallbackQuery text: at most 200 characters."""
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= MAX_TOAST else text[:MAX_TOAST - 1] + "…"
