"""Neutral replies → LINE message objects (JSON dicts in the shape of LINE's OpenAPI spec).

* Text is split at 5,000 characters (at a line break or space when possible).
* Buttons become **quick replies** when the reply asks for them, all are postbacks, there
  are at most 13, and the message is the last of its request (LINE shows only the last
  message's quick replies); otherwise they become postback/URI buttons in a **Flex bubble**.
* Cards become Flex bubbles (fields, body, progress bars, buttons). Every Flex message
  carries ``altText`` in the recipient's language (the card's own translated text).
* Images are published by :class:`bot.media.MediaStore` and sent by URL; documents
  (LINE bots cannot send files) become a text with an expiring download link.

A request carries at most 5 messages: :func:`pack` groups replies into requests, and
:func:`carousel` puts consecutive Flex bubbles (cards) into one carousel message (≤ 12 bubbles), so a
free reply can carry several notifications (:func:`packed_count` sizes that without rendering).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.i18n import Translator
from bot.model import Button, Card, Document, Image, ProgressBar, Reply, Text

Message = dict[str, Any]
# (content, mime_type, filename, kind "image"|"preview"|"document") -> public URL, or None when unavailable
Publisher = Callable[[bytes, str, str, str], Awaitable[str | None]]

TEXT_LIMIT = 5000
MAX_MESSAGES = 5
MAX_QUICK_REPLIES = 13
QUICK_LABEL = 20
BUTTON_LABEL = 40
POSTBACK_DATA = 300
DISPLAY_TEXT = 300
ALT_TEXT = 400
BUBBLE_TEXT = 1200  # longer texts go as plain messages before their buttons
BUTTONS_PER_BUBBLE = 10
MAX_BUBBLES = 12
GREEN = "#06C755"
GREY = "#8C8C8C"
TRACK = "#E6E6E6"


@dataclass
class RenderOptions:
    translator: Translator
    private: bool
    publish: Publisher | None = None


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut at a line break or space when there is one."""
    text = text.strip("\n")
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", limit // 2, limit + 1)
        if cut <= 0:
            cut = text.rfind(" ", limit // 2, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n ")
    if text.strip():
        pieces.append(text)
    return pieces


def clip(text: str, limit: int) -> str:
    text = " ".join(text.split()) if "\n" in text and limit <= BUTTON_LABEL else text
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def alt_text(text: str) -> str:
    return clip(" ".join(text.split()), ALT_TEXT) or "EduNet"


# ------------------------------------------------------------------ actions


def action(button: Button, *, label_limit: int, private: bool) -> dict[str, Any]:
    label = clip(button.label, label_limit) or "…"
    if button.url:
        return {"type": "uri", "label": label, "uri": button.url}
    data = button.payload or ""
    if len(data) > POSTBACK_DATA:
        raise ValueError(f"postback data is longer than {POSTBACK_DATA} characters: {data[:40]!r}…")
    postback: dict[str, Any] = {"type": "postback", "label": label, "data": data}
    if private:
        # Echo the choice in a private chat; in groups it would announce everyone's taps.
        postback["displayText"] = clip(button.label, DISPLAY_TEXT)
    return postback


def quick_reply(buttons: Sequence[Button], *, private: bool) -> dict[str, Any]:
    return {"items": [{"type": "action", "action": action(b, label_limit=QUICK_LABEL, private=private)}
                      for b in buttons]}


def can_quick_reply(reply: Text) -> bool:
    buttons = reply.all_buttons()
    return (reply.quick_replies and 0 < len(buttons) <= MAX_QUICK_REPLIES
            and all(b.payload and not b.url for b in buttons))


# ------------------------------------------------------------------ flex pieces


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": text if text.strip() else "-", "wrap": True, **style}


def _button(button: Button, *, primary: bool, private: bool) -> dict[str, Any]:
    component = {"type": "button", "action": action(button, label_limit=BUTTON_LABEL, private=private),
                 "height": "sm", "style": "primary" if primary else "secondary"}
    if primary:
        component["color"] = GREEN
    return component


def _button_rows(rows: Sequence[Sequence[Button]], *, private: bool) -> list[dict[str, Any]]:
    """Footer contents: rows of up to two buttons side by side, longer rows one per line."""
    contents: list[dict[str, Any]] = []
    first = True
    for row in rows:
        if not row:
            continue
        if 1 < len(row) <= 2:
            contents.append({"type": "box", "layout": "horizontal", "spacing": "sm",
                             "contents": [_button(b, primary=first and i == 0, private=private)
                                          for i, b in enumerate(row)]})
        else:
            contents.extend(_button(b, primary=first and i == 0, private=private) for i, b in enumerate(row))
        first = False
    return contents


def _chunk_rows(rows: Sequence[Sequence[Button]], size: int = BUTTONS_PER_BUBBLE) -> list[list[list[Button]]]:
    """Button rows split into groups of at most ``size`` buttons (one group per bubble)."""
    groups: list[list[list[Button]]] = [[]]
    count = 0
    for row in rows:
        for start in range(0, len(row), size):
            part = list(row[start:start + size])
            if count + len(part) > size and groups[-1]:
                groups.append([])
                count = 0
            groups[-1].append(part)
            count += len(part)
    return [g for g in groups if g]


def progress_box(bar: ProgressBar, tr: Translator) -> dict[str, Any]:
    percent = round(bar.fraction * 100)
    track: dict[str, Any] = {"type": "box", "layout": "vertical", "backgroundColor": TRACK, "height": "8px",
                             "cornerRadius": "4px", "margin": "xs", "contents": []}
    if percent > 0:
        track["contents"] = [{"type": "box", "layout": "vertical", "backgroundColor": GREEN, "height": "8px",
                              "cornerRadius": "4px", "width": f"{percent}%",
                              "contents": [{"type": "filler"}]}]
    else:
        track["contents"] = [{"type": "filler"}]
    numbers = f"{tr.number(bar.value, _decimals(bar.value))}/{tr.number(bar.total, _decimals(bar.total))} " \
              f"({percent}%)"
    return {"type": "box", "layout": "vertical", "margin": "md", "contents": [
        {"type": "box", "layout": "horizontal", "contents": [
            _text(bar.label, size="sm", flex=3),
            _text(numbers, size="sm", color=GREY, align="end", flex=2)]},
        track]}


def _decimals(value: float) -> int:
    return 0 if float(value).is_integer() else 1


def card_bubble(card: Card, tr: Translator, *, private: bool, rows: Sequence[Sequence[Button]] | None = None
                ) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    for label, value in card.fields:
        body.append({"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
            _text(label, size="sm", color=GREY, flex=2), _text(value, size="sm", flex=4)]})
    if card.body:
        body.append(_text(card.body, size="sm", margin="md"))
    body.extend(progress_box(bar, tr) for bar in card.progress)
    bubble: dict[str, Any] = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical",
                   "contents": ([_text(card.network, size="xs", color=GREY)] if card.network else [])
                   + [_text(card.title, weight="bold", size="lg")]},
    }
    if body:
        bubble["body"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": body}
    buttons = _button_rows(card.buttons if rows is None else rows, private=private)
    if buttons:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": buttons}
    return bubble


def buttons_bubble(text: str | None, rows: Sequence[Sequence[Button]], *, private: bool) -> dict[str, Any]:
    bubble: dict[str, Any] = {"type": "bubble"}
    if text:
        bubble["body"] = {"type": "box", "layout": "vertical", "contents": [_text(text)]}
    bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm",
                        "contents": _button_rows(rows, private=private)}
    return bubble


def flex(alt: str, bubbles: list[dict[str, Any]]) -> Message:
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles[:MAX_BUBBLES]}
    return {"type": "flex", "altText": alt_text(alt), "contents": contents}


def card_alt_text(card: Card) -> str:
    if card.alt_text:
        return card.alt_text
    parts = ([card.network] if card.network else []) + [card.title]
    parts += [f"{label}: {value}" for label, value in card.fields]
    if card.body:
        parts.append(card.body)
    parts += [f"{bar.label} {round(bar.fraction * 100)}%" for bar in card.progress]
    return " · ".join(parts)


# ------------------------------------------------------------------ replies


async def render_reply(reply: Reply, options: RenderOptions, *, last: bool) -> list[Message]:
    """One neutral reply as LINE messages; ``last``: it ends its request (quick replies allowed)."""
    tr, private = options.translator, options.private
    if isinstance(reply, Text):
        return _render_text(reply, private=private, quick_ok=last)
    if isinstance(reply, Card):
        groups = _chunk_rows(reply.buttons) or [[]]
        bubbles = [card_bubble(reply, tr, private=private, rows=groups[0])]
        bubbles += [buttons_bubble(None, g, private=private) for g in groups[1:]]
        return [flex(card_alt_text(reply), bubbles)]
    if isinstance(reply, Image):
        return await _render_image(reply, options)
    if isinstance(reply, Document):
        return await _render_document(reply, options)
    raise TypeError(f"cannot render {type(reply).__name__} for LINE")


def _render_text(reply: Text, *, private: bool, quick_ok: bool) -> list[Message]:
    pieces = split_text(reply.text) or ["…"]
    buttons = reply.all_buttons()
    if not buttons:
        return [{"type": "text", "text": p} for p in pieces]
    if quick_ok and can_quick_reply(reply):
        messages: list[Message] = [{"type": "text", "text": p} for p in pieces]
        messages[-1]["quickReply"] = quick_reply(buttons, private=private)
        return messages
    # Buttons in a card: the (last piece of) text goes in the bubble when it is short enough.
    rows = [row for row in reply.buttons if row]
    if reply.quick_replies:  # quick replies that could not stay quick replies: one button per line
        rows = [[b] for b in buttons]
    groups = _chunk_rows(rows)
    lead: list[Message] = []
    body: str | None = pieces[-1]
    if len(pieces[-1]) > BUBBLE_TEXT:
        lead, body = [{"type": "text", "text": p} for p in pieces], None
    else:
        lead = [{"type": "text", "text": p} for p in pieces[:-1]]
    bubbles = [buttons_bubble(body, groups[0], private=private)]
    bubbles += [buttons_bubble(None, g, private=private) for g in groups[1:]]
    return lead + [flex(body or pieces[-1], bubbles)]


async def _render_image(reply: Image, options: RenderOptions) -> list[Message]:
    from bot.media import png_preview

    messages: list[Message] = [{"type": "text", "text": p} for p in split_text(reply.caption)] if reply.caption else []
    original = preview = None
    if options.publish is not None:
        original = await options.publish(reply.png, "image/png", "chart.png", "image")
        if original is not None:
            preview = await options.publish(png_preview(reply.png), "image/png", "chart-preview.png", "preview")
    if original is None or preview is None:
        messages.append({"type": "text", "text": clip(f"[{reply.alt_text}]", TEXT_LIMIT)})
        return messages
    messages.append({"type": "image", "originalContentUrl": original, "previewImageUrl": preview})
    return messages


async def _render_document(reply: Document, options: RenderOptions) -> list[Message]:
    tr = options.translator
    url = None
    if options.publish is not None:
        url = await options.publish(reply.content, reply.mime_type, reply.filename, "document")
    if url is None:
        line = tr("The file {name} cannot be sent on LINE. Please ask for it on another channel.",
                  name=reply.filename)
    else:
        line = tr("Download {name}: {url}\n(the link works for 7 days)", name=reply.filename, url=url)
    text = f"{reply.caption}\n{line}" if reply.caption else line
    return [{"type": "text", "text": p} for p in split_text(text)]


# ------------------------------------------------------------------ requests


def message_count(reply: Reply) -> int:
    """How many LINE messages ``reply`` becomes at most (without publishing anything)."""
    if isinstance(reply, Text):
        pieces = split_text(reply.text) or ["…"]
        if not reply.all_buttons():
            return len(pieces)
        return len(pieces) + (1 if len(pieces[-1]) > BUBBLE_TEXT else 0)
    if isinstance(reply, Card):
        return 1
    if isinstance(reply, Image):
        return (len(split_text(reply.caption)) if reply.caption else 0) + 1
    if isinstance(reply, Document):
        return max(1, len(split_text(f"{reply.caption}\n{'x' * 300}")))
    raise TypeError(f"cannot render {type(reply).__name__} for LINE")


def pack(replies: Sequence[Reply]) -> list[list[Reply]]:
    """Consecutive replies grouped so each group fits one request (≤ 5 messages); a reply
    that alone needs more stays alone (it is sent as several requests)."""
    groups: list[list[Reply]] = []
    used = MAX_MESSAGES
    for reply in replies:
        count = message_count(reply)
        if used + count > MAX_MESSAGES:
            groups.append([])
            used = 0
        groups[-1].append(reply)
        used += count
    return groups


async def render_group(replies: Sequence[Reply], options: RenderOptions, *, final: bool = True
                       ) -> list[list[Message]]:
    """One packed group as request-sized message lists (one list unless a reply is huge);
    ``final``: the group ends its request (its last reply may keep quick replies)."""
    messages: list[Message] = []
    for index, reply in enumerate(replies):
        messages += await render_reply(reply, options, last=final and index == len(replies) - 1)
    return [messages[i:i + MAX_MESSAGES] for i in range(0, len(messages), MAX_MESSAGES)] or []


async def render_requests(replies: Sequence[Reply], options: RenderOptions) -> list[list[Message]]:
    """Every reply as LINE requests' message lists, in order."""
    requests: list[list[Message]] = []
    for group in pack(replies):
        requests += await render_group(group, options)
    return requests


# ------------------------------------------------------------------ carousels


def _bubbles(message: Message) -> list[dict[str, Any]] | None:
    """The bubbles of a Flex message that may join a carousel (None for any other message)."""
    if message.get("type") != "flex" or "quickReply" in message:
        return None
    contents = message.get("contents") or {}
    if contents.get("type") == "bubble":
        return [contents]
    if contents.get("type") == "carousel":
        return list(contents.get("contents") or [])
    return None


def carousel(messages: Sequence[Message]) -> list[Message]:
    """Consecutive Flex messages merged into carousels of at most 12 bubbles (a message's bubbles stay
    together); the alt text lists each one's. Other messages keep their place and order."""
    merged: list[Message] = []
    group: list[tuple[Message, list[dict[str, Any]]]] = []

    def close() -> None:
        if len(group) == 1:
            merged.append(group[0][0])
        elif group:
            alt = " · ".join(str(m.get("altText", "")) for m, _b in group)
            merged.append({"type": "flex", "altText": alt_text(alt),
                           "contents": {"type": "carousel", "contents": [x for _m, b in group for x in b]}})
        group.clear()

    for message in messages:
        bubbles = _bubbles(message)
        if bubbles is None or len(bubbles) > MAX_BUBBLES:
            close()
            merged.append(message)
            continue
        if sum(len(b) for _m, b in group) + len(bubbles) > MAX_BUBBLES:
            close()
        group.append((message, bubbles))
    close()
    return merged


def _shape(reply: Reply) -> list[int]:
    """What ``reply`` becomes, without rendering: per message, its bubble count (0: not a bubble)."""
    count = message_count(reply)
    if isinstance(reply, Card):
        return [len(_chunk_rows(reply.buttons)) or 1]
    if isinstance(reply, Text) and reply.all_buttons() and not (reply.quick_replies and can_quick_reply(reply)):
        rows = [[b] for b in reply.all_buttons()] if reply.quick_replies else [row for row in reply.buttons if row]
        return [0] * (count - 1) + [len(_chunk_rows(rows)) or 1]
    return [0] * count


def packed_count(replies: Sequence[Reply]) -> int:
    """How many messages ``replies`` become at most once their bubbles share carousels (see :func:`carousel`)."""
    count, run = 0, 0
    for reply in replies:
        for bubbles in _shape(reply):
            if bubbles == 0 or bubbles > MAX_BUBBLES:
                count += (run > 0) + 1
                run = 0
            elif run + bubbles > MAX_BUBBLES:
                count += 1
                run = bubbles
            else:
                run += bubbles
    return count + (run > 0)
