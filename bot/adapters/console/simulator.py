"""The console simulator: several users, private and group chats, buttons and a clock,
all in one terminal (or a script), with no platform credentials.

Script grammar (one line each)::

    alice@dm: /start            alice writes in her private chat with the bot
    alice@teachers: hello       alice writes in the group "teachers"
    alice@teachers: [Register]  alice presses the button labelled Register on the latest
                                bot message in that chat that has it; [2] the 2nd button
    :clock +1d2h                advance the simulated clock (scheduled work then runs)
    :clock 2026-11-21 09:00     set it (local time of the default time zone)
    :platform NAME              the platform the following lines' chats belong to (line, telegram, …)
    :join bob teachers          bob joins the group (the platform's member-joined event)
    :leave bob teachers         bob leaves it
    :kick teachers              the bot is removed from the group
    :redeliver                  the platform delivers the previous event again
    # a comment
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import catchup
from bot.app import App, Outcome
from bot.clock import ManualClock
from bot.i18n import english_originals
from bot.model import Button, ChatKind, ChatRef, Event, EventKind, Reply, Sender
from bot.outbox import DeliveryError, OutboxDispatcher
from bot.textrender import render_plain
from storage.membership import Chat

LINE_RE = re.compile(r"^(?P<user>[A-Za-z0-9_.\-]+)@(?P<chat>[^\s:]+):\s?(?P<text>.*)$")
# Message objects one reply holds (LINE's limit: the console stands in for it).
REPLY_OBJECTS = 5
CLOCK_RE = re.compile(r"^\+(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?$")


class ScriptError(Exception):
    """A malformed script line."""

    def __init__(self, line_no: int, line: str, why: str) -> None:
        super().__init__(f"line {line_no}: {why}: {line!r}")
        self.line_no, self.line, self.why = line_no, line, why


@dataclass
class Shown:
    """One bot message as the console showed it, remembered for button presses."""

    chat: str
    text: str
    buttons: list[Button] = field(default_factory=list)


class ConsoleSender:
    """Delivers outbox pushes by printing them."""

    def __init__(self, console: Console) -> None:
        self.console = console

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        name = self.console.chat_names.get((chat.platform, chat.platform_chat_id))
        if name is None:
            raise DeliveryError("chat unknown to this console session", retryable=False)
        for reply in replies:
            self.console.show(name, reply)


class Console:
    """Drives an :class:`App` as a set of simulated users.

    ``platforms``: the names of the platforms it plays (the composition root passes every
    discovered adapter's); the first is the default, ``:platform NAME`` switches.
    """

    def __init__(self, app: App, clock: ManualClock, platforms: Sequence[str], *, out=print,  # type: ignore[no-untyped-def]
                 image_dir: Path | None = None) -> None:
        if not platforms:
            raise ValueError("the console needs at least one platform to play")
        self.app = app
        self.clock = clock
        self.out = out
        self.image_dir = image_dir
        self.platforms = tuple(platforms)
        self.platform = self.platforms[0]
        self.history: list[Shown] = []
        self.transcript: list[str] = []
        self.chat_names: dict[tuple[str, str], str] = {}
        self.known_groups: set[tuple[str, str]] = set()
        self.last_event: Event | None = None
        self.dispatcher = OutboxDispatcher(app, {p: ConsoleSender(self) for p in self.platforms})

    # ------------------------------------------------------------ output

    def emit(self, line: str) -> None:
        self.transcript.append(line)
        self.out(line)

    def show(self, chat_name: str, reply: Reply) -> None:
        text, rows = render_plain(reply)
        lines = text.split("\n")
        self.emit(f"bot@{chat_name} → {lines[0]}")
        for extra in lines[1:]:
            self.emit(f"    {extra}")
        for row in rows:
            self.emit("    " + " ".join(f"[{label}]" for label in row))
        buttons = reply.all_buttons()
        if self.image_dir and hasattr(reply, "png"):
            self.image_dir.mkdir(parents=True, exist_ok=True)
            path = self.image_dir / f"image-{len(self.history) + 1}.png"
            path.write_bytes(reply.png)
            self.emit(f"    (saved {path})")
        self.history.append(Shown(chat=chat_name, text=text, buttons=buttons))

    # ------------------------------------------------------------ input

    def _chat(self, user: str, chat: str) -> tuple[ChatRef, str]:
        platform = self.platform
        if chat == "dm":
            ref = ChatRef(platform, f"{user}", ChatKind.PRIVATE, None)
            name = f"dm:{user}"
        else:
            ref = ChatRef(platform, f"group-{chat}", ChatKind.GROUP, chat)
            name = chat
        self.chat_names[(platform, ref.chat_id)] = name
        return ref, name

    def _sender(self, user: str) -> Sender:
        return Sender(user_id=user, display_name=user.capitalize(), language_hint=None)

    async def say(self, user: str, chat: str, text: str, *, line_no: int = 0, line: str = "") -> None:
        ref, name = self._chat(user, chat)
        if ref.kind is ChatKind.GROUP and (ref.platform, ref.chat_id) not in self.known_groups:
            self.known_groups.add((ref.platform, ref.chat_id))
            await self._send_event(Event(platform=ref.platform, event_id=self._id(), chat=ref,
                                         sender=self._sender(user), kind=EventKind.BOT_ADDED), name)
        button = re.fullmatch(r"\[(.+)\]", text.strip())
        if button:
            pressed = self._find_button(name, button.group(1))
            if pressed is None:
                raise ScriptError(line_no, line, f"no bot message in {name} has a button {button.group(0)}")
            event = Event(platform=ref.platform, event_id=self._id(), chat=ref, sender=self._sender(user),
                          kind=EventKind.BUTTON, payload=pressed.payload, text=pressed.label)
        else:
            event = Event(platform=ref.platform, event_id=self._id(), chat=ref, sender=self._sender(user),
                          kind=EventKind.TEXT, text=text)
        await self._send_event(event, name)

    def _find_button(self, chat_name: str, label: str) -> Button | None:
        for shown in reversed(self.history):
            if shown.chat != chat_name or not shown.buttons:
                continue
            if label.isdigit():
                index = int(label) - 1
                return shown.buttons[index] if 0 <= index < len(shown.buttons) else None
            for candidate in shown.buttons:
                # Scripts may name a button by its shown label or its English original.
                if label.casefold() in {name.casefold() for name in english_originals(candidate.label)}:
                    return candidate
        return None

    async def _send_event(self, event: Event, chat_name: str) -> None:
        self.last_event = event
        outcome = await self.app.handle(event)
        for reply in outcome.replies:
            self.show(chat_name, reply)
        if outcome.toast and not outcome.replies:
            self.emit(f"bot@{chat_name} (only {event.sender.user_id} sees) → {outcome.toast}")
        if not outcome.duplicate and not outcome.failed:
            await self._catch_up(event, chat_name, outcome)
        await self.settle()

    async def _catch_up(self, event: Event, chat_name: str, outcome: Outcome) -> None:
        """Every console event has a fresh reply handle: on a billed platform, the chat's pending
        notifications ride on the reply (bot/catchup.py), as on LINE."""
        chat = await self.app.chat_by_platform_id(event.platform, event.chat.chat_id)
        if chat is None:
            return
        caught = await catchup.claim(self.app, chat, room=REPLY_OBJECTS - len(outcome.replies), size=lambda _r: 1,
                                     asked=outcome.catch_up_asked)
        if caught is None:
            return
        for reply in caught.replies:
            self.show(chat_name, reply)
        await catchup.settle(self.app, caught, delivered=True)

    async def settle(self) -> None:
        """Run due tasks and deliver due pushes until nothing more is due."""
        for _ in range(100):
            ran = await self.app.run_due_tasks()
            sent = await self.dispatcher.deliver_due()
            if not ran and not sent:
                return

    def _id(self) -> str:
        return uuid.uuid4().hex

    # ------------------------------------------------------------ directives

    async def run_line(self, line: str, line_no: int = 0) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if stripped.startswith(":"):
            await self._directive(stripped, line_no)
            return
        match = LINE_RE.match(stripped)
        if not match:
            raise ScriptError(line_no, line, "expected `user@chat: text` (chat is dm or a group name), "
                                             "a :directive or a # comment")
        await self.say(match["user"], match["chat"], match["text"], line_no=line_no, line=line)

    async def _directive(self, line: str, line_no: int) -> None:
        word, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if word == "clock":
            await self._clock(rest, line_no, line)
        elif word == "platform":
            if rest.lower() not in self.platforms:
                known = " or ".join(f":platform {p}" for p in self.platforms)
                raise ScriptError(line_no, line, f"expected {known}")
            self.platform = rest.lower()
        elif word in ("join", "leave"):
            parts = rest.split()
            if len(parts) != 2:
                raise ScriptError(line_no, line, f"expected :{word} USER GROUP")
            user, group = parts
            ref, name = self._chat(user, group)
            kind = EventKind.MEMBER_JOINED if word == "join" else EventKind.MEMBER_LEFT
            await self._send_event(Event(platform=ref.platform, event_id=self._id(), chat=ref,
                                         sender=self._sender(user), kind=kind), name)
        elif word == "kick":
            if not rest:
                raise ScriptError(line_no, line, "expected :kick GROUP")
            ref, name = self._chat("platform", rest)
            await self._send_event(Event(platform=ref.platform, event_id=self._id(), chat=ref,
                                         sender=Sender(None), kind=EventKind.BOT_REMOVED), name)
        elif word == "redeliver":
            if self.last_event is None:
                raise ScriptError(line_no, line, "nothing to redeliver yet")
            event = self.last_event
            name = self.chat_names.get((event.platform, event.chat.chat_id), event.chat.chat_id)
            event.is_redelivery = True
            await self._send_event(event, name)
        else:
            raise ScriptError(line_no, line, f"unknown directive :{word} (known: clock, platform, join, leave, kick, "
                                             "redeliver)")

    async def _clock(self, rest: str, line_no: int, line: str) -> None:
        match = CLOCK_RE.match(rest)
        if match and any(match.groupdict().values()):
            delta = timedelta(days=int(match["d"] or 0), hours=int(match["h"] or 0), minutes=int(match["m"] or 0))
            self.clock.advance(delta)
        else:
            try:
                local = datetime.strptime(rest, "%Y-%m-%d %H:%M")
            except ValueError:
                raise ScriptError(line_no, line, "expected :clock +1d2h30m or :clock YYYY-MM-DD HH:MM") from None
            when = local.replace(tzinfo=ZoneInfo(self.app.settings.timezone))
            if when < self.clock.now():
                raise ScriptError(line_no, line, "the clock does not go backwards")
            self.clock.set(when)
        local_now = self.clock.now().astimezone(ZoneInfo(self.app.settings.timezone))
        self.emit(f"# clock: {local_now:%Y-%m-%d %H:%M} ({self.app.settings.timezone})")
        await self.settle()

    async def run_script(self, text: str) -> None:
        for number, line in enumerate(text.splitlines(), start=1):
            await self.run_line(line, number)
