"""The platform-neutral message model: what comes in (Event) and what goes out (Reply).

Handlers see only these types; adapters translate them to and from LINE and Telegram.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Union


class ChatKind(str, enum.Enum):
    PRIVATE = "private"
    GROUP = "group"


class EventKind(str, enum.Enum):
    TEXT = "text"
    COMMAND = "command"
    BUTTON = "button"
    BOT_ADDED = "bot_added"
    BOT_REMOVED = "bot_removed"
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    FOLLOW = "follow"
    UNFOLLOW = "unfollow"
    PHOTO = "photo"


@dataclass(frozen=True)
class ChatRef:
    """A chat as the platform names it."""

    platform: str  # the adapter's name, as stored in chats.platform
    chat_id: str
    kind: ChatKind
    title: str | None = None


@dataclass(frozen=True)
class Sender:
    """Who wrote. ``user_id`` may be None: LINE omits it for users who have not
    accepted the account's terms."""

    user_id: str | None
    display_name: str = ""
    language_hint: str | None = None


class ProfileNeeded(Exception):
    """The event needs its sender's profile (``Event.profile_pending``): its transaction is rolled back
    and the adapter hands it in again with the profile."""


@dataclass
class Event:
    """One inbound happening, already stripped of platform detail."""

    platform: str
    event_id: str
    chat: ChatRef
    sender: Sender
    kind: EventKind
    text: str = ""
    command: str | None = None
    args: str = ""
    payload: str | None = None
    photo: bytes | None = None
    received_at: datetime | None = None
    # The adapter's handle for answering (a LINE reply token, a Telegram message id...).
    reply_handle: Any = None
    # For button presses: the platform id of the message the button sat on (to edit it).
    source_message_id: str | None = None
    is_redelivery: bool = False
    raw: dict[str, Any] | None = None
    # The adapter did not ask the platform for the sender's name and language (it took the sender for a
    # member, whose stored ones are used): where they are needed, the core raises ProfileNeeded and the
    # adapter looks them up and hands the event in again.
    profile_pending: bool = False

    @property
    def is_private(self) -> bool:
        return self.chat.kind is ChatKind.PRIVATE

    @property
    def lock_key(self) -> tuple[str, str, str]:
        return (self.platform, self.chat.chat_id, self.sender.user_id or "")


# ---------------------------------------------------------------- replies


@dataclass(frozen=True)
class Button:
    """A button: a visible label and a compact payload (see :mod:`bot.payload`), or a URL."""

    label: str
    payload: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class ProgressBar:
    label: str
    value: float
    total: float

    @property
    def fraction(self) -> float:
        if self.total <= 0:
            return 0.0
        return max(0.0, min(1.0, self.value / self.total))


@dataclass
class Text:
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    # Quick replies are suggestions below the input box (LINE quick replies;
    # Telegram renders them as an inline keyboard too).
    quick_replies: bool = False
    # A stable key lets a later message replace this one (live counts).
    update_key: str | None = None

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass
class Card:
    title: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    progress: list[ProgressBar] = field(default_factory=list)
    buttons: list[list[Button]] = field(default_factory=list)
    alt_text: str = ""
    update_key: str | None = None
    # The network the card belongs to, shown above its title in the private chat of a person who
    # belongs to several networks (the app sets it; features leave it empty).
    network: str = ""

    def all_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass
class Image:
    png: bytes
    alt_text: str
    caption: str = ""

    def all_buttons(self) -> list[Button]:
        return []


@dataclass
class Document:
    """A file for the user to download (CSV exports, .ics calendar files)."""

    filename: str
    content: bytes
    mime_type: str
    caption: str = ""

    def all_buttons(self) -> list[Button]:
        return []


Reply = Union[Text, Card, Image, Document]


def reply_to_dict(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for the outbox (JSON-safe; image bytes as base64)."""
    import base64
    from dataclasses import asdict

    if isinstance(reply, Image):
        return {"type": "image", "png": base64.b64encode(reply.png).decode(), "alt_text": reply.alt_text,
                "caption": reply.caption}
    if isinstance(reply, Document):
        return {"type": "document", "filename": reply.filename,
                "content": base64.b64encode(reply.content).decode(), "mime_type": reply.mime_type,
                "caption": reply.caption}
    kind = "text" if isinstance(reply, Text) else "card"
    return {"type": kind, **asdict(reply)}


def reply_from_dict(data: dict[str, Any]) -> Reply:
    """Inverse of :func:`reply_to_dict`."""
    import base64

    data = dict(data)
    kind = data.pop("type")
    if kind == "image":
        return Image(png=base64.b64decode(data["png"]), alt_text=data["alt_text"], caption=data.get("caption", ""))
    if kind == "document":
        return Document(filename=data["filename"], content=base64.b64decode(data["content"]),
                        mime_type=data["mime_type"], caption=data.get("caption", ""))
    buttons = [[Button(**b) for b in row] for row in data.pop("buttons", [])]
    if kind == "text":
        return Text(buttons=buttons, **data)
    progress = [ProgressBar(**p) for p in data.pop("progress", [])]
    fields = [tuple(f) for f in data.pop("fields", [])]
    return Card(buttons=buttons, progress=progress, fields=fields, **data)
