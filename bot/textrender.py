"""Plain-text rendering of neutral replies (the console; a base for text-only platforms)."""

from __future__ import annotations

from bot.model import Card, Document, Image, ProgressBar, Reply, Text

BAR_WIDTH = 10


def progress_bar(bar: ProgressBar, width: int = BAR_WIDTH) -> str:
    """``▓▓▓▓░░░░░░ 40%`` — a bar that reads well in any chat client."""
    filled = round(bar.fraction * width)
    percent = round(bar.value / bar.total * 100) if bar.total > 0 else 0
    return f"{'▓' * filled}{'░' * (width - filled)} {percent}%"


def card_lines(card: Card) -> list[str]:
    lines = [f"[{card.network}]", card.title] if card.network else [card.title]
    lines += [f"{label}: {value}" for label, value in card.fields]
    if card.body:
        lines.append(card.body)
    for bar in card.progress:
        lines.append(f"{bar.label} {progress_bar(bar)}")
    return lines


def render_plain(reply: Reply) -> tuple[str, list[list[str]]]:
    """The reply's text and its button labels, row by row."""
    if isinstance(reply, Text):
        return reply.text, [[b.label for b in row] for row in reply.buttons]
    if isinstance(reply, Card):
        return "\n".join(card_lines(reply)), [[b.label for b in row] for row in reply.buttons]
    if isinstance(reply, Image):
        text = f"[image: {reply.alt_text}, {len(reply.png):,} bytes]"
        return (f"{reply.caption}\n{text}" if reply.caption else text), []
    if isinstance(reply, Document):
        text = f"[file: {reply.filename}, {len(reply.content):,} bytes]"
        return (f"{reply.caption}\n{text}" if reply.caption else text), []
    raise TypeError(f"unknown reply type {type(reply).__name__}")
