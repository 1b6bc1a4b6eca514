"""Routing: commands (with Thai aliases), button payloads, multi-step flows, other events
and scheduled tasks. Permissions are declared here, on each route, and checked in one
place (:meth:`Router.refusal`) before any handler runs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.model import EventKind
from bot.roles import Role

if TYPE_CHECKING:
    from bot.context import Context, TaskContext

Handler = Callable[["Context"], Awaitable[None]]
TaskHandler = Callable[["TaskContext"], Awaitable[None]]


class Where(str, enum.Enum):
    ANY = "any"
    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True)
class Rule:
    """Who may use a route, and where."""

    member: bool = True
    roles: frozenset[Role] | None = None
    where: Where = Where.ANY


@dataclass
class CommandRoute:
    name: str
    aliases: tuple[str, ...]
    handler: Handler
    rule: Rule
    help: str | None
    order: int


@dataclass
class ButtonRoute:
    action: str
    handler: Handler
    rule: Rule


@dataclass
class FlowRoute:
    name: str
    handler: Handler
    rule: Rule
    ttl: timedelta | None


@dataclass
class Router:
    """Collects routes; feature modules each have one, the app includes them all."""

    commands: dict[str, CommandRoute] = field(default_factory=dict)
    buttons: dict[str, ButtonRoute] = field(default_factory=dict)
    flows: dict[str, FlowRoute] = field(default_factory=dict)
    events: dict[EventKind, list[Handler]] = field(default_factory=dict)
    tasks: dict[str, TaskHandler] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------ registration

    def command(self, name: str, *aliases: str, member: bool = True, roles: frozenset[Role] | set[Role] | None = None,
                where: Where = Where.ANY, help: str | None = None) -> Callable[[Handler], Handler]:
        """Register ``/name`` (and Thai aliases, usable with or without the slash)."""

        def register(handler: Handler) -> Handler:
            route = CommandRoute(name=name, aliases=aliases, handler=handler,
                                 rule=Rule(member=member or bool(roles), roles=frozenset(roles) if roles else None,
                                           where=where),
                                 help=help, order=len(self.commands))
            self._add_command(route)
            return handler

        return register

    def _add_command(self, route: CommandRoute) -> None:
        for word in (route.name, *route.aliases):
            key = word.lower()
            if key in self._aliases:
                raise ValueError(f"command word {word!r} is registered twice")
            self._aliases[key] = route.name
        self.commands[route.name] = route

    def button(self, action: str, *, member: bool = True, roles: frozenset[Role] | set[Role] | None = None,
               where: Where = Where.ANY) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if action in self.buttons:
                raise ValueError(f"button action {action!r} is registered twice")
            self.buttons[action] = ButtonRoute(action, handler, Rule(member=member or bool(roles),
                                                                     roles=frozenset(roles) if roles else None,
                                                                     where=where))
            return handler

        return register

    def flow(self, name: str, *, member: bool = True, roles: frozenset[Role] | set[Role] | None = None,
             ttl: timedelta | None = None) -> Callable[[Handler], Handler]:
        """Register the handler that receives every input while flow ``name`` is active."""

        def register(handler: Handler) -> Handler:
            if name in self.flows:
                raise ValueError(f"flow {name!r} is registered twice")
            self.flows[name] = FlowRoute(name, handler, Rule(member=member or bool(roles),
                                                             roles=frozenset(roles) if roles else None), ttl)
            return handler

        return register

    def on(self, kind: EventKind) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.events.setdefault(kind, []).append(handler)
            return handler

        return register

    def task(self, kind: str) -> Callable[[TaskHandler], TaskHandler]:
        """Register the runner of scheduled tasks of ``kind`` (rows in scheduled_tasks)."""

        def register(handler: TaskHandler) -> TaskHandler:
            if kind in self.tasks:
                raise ValueError(f"task kind {kind!r} is registered twice")
            self.tasks[kind] = handler
            return handler

        return register

    def include(self, other: Router) -> None:
        for route in sorted(other.commands.values(), key=lambda r: r.order):
            route.order = len(self.commands)
            self._add_command(route)
        for action, button in other.buttons.items():
            if action in self.buttons:
                raise ValueError(f"button action {action!r} is registered twice")
            self.buttons[action] = button
        for name, flow in other.flows.items():
            if name in self.flows:
                raise ValueError(f"flow {name!r} is registered twice")
            self.flows[name] = flow
        for kind, handlers in other.events.items():
            self.events.setdefault(kind, []).extend(handlers)
        for kind, handler in other.tasks.items():
            if kind in self.tasks:
                raise ValueError(f"task kind {kind!r} is registered twice")
            self.tasks[kind] = handler

    # ------------------------------------------------------------ lookup

    def resolve(self, word: str) -> CommandRoute | None:
        name = self._aliases.get(word.lower())
        return self.commands.get(name) if name else None

    def parse_command(self, text: str, *, allow_bare: bool, bot_username: str | None = None
                      ) -> tuple[CommandRoute, str] | None:
        """``(route, arguments)`` if ``text`` is a command.

        ``/name args`` always counts; ``/name@OtherBot`` does not. A bare first word
        (no slash: Thai users often type ``เข้าร่วม ABC``) counts only where
        ``allow_bare`` (private chats outside a flow).
        """
        text = text.strip()
        if not text:
            return None
        match = re.match(r"^(/?)([^\s@/]+)(?:@(\S+))?(?:\s+(.*))?$", text, re.DOTALL)
        if not match:
            return None
        slash, word, addressee, args = match.groups()
        if addressee and (not slash or (bot_username and addressee.lower() != bot_username.lower())):
            return None
        if not slash and not allow_bare:
            return None
        route = self.resolve(word)
        if route is None:
            return None
        return route, (args or "").strip()

    @staticmethod
    def refusal(rule: Rule, ctx: Context) -> str | None:
        """The one place permissions are enforced. Returns a message, or None to proceed."""
        tr = ctx.t
        if rule.where is Where.PRIVATE and not ctx.event.is_private:
            return tr("Please send this to me in a private chat.")
        if rule.where is Where.GROUP and ctx.event.is_private:
            return tr("Please use this inside a group chat.")
        if rule.member and ctx.member is None:
            if ctx.foreign_member:
                return tr("This group belongs to another network; your membership is elsewhere.")
            if not ctx.event.is_private and ctx.network is not None:
                return tr("You are not registered in this network yet. Tap Register on my welcome message, "
                          "or send /register here.")
            return tr("You are not registered yet. Ask your coordinator for an invite code, "
                      "then send /join CODE to me in a private chat.")
        if rule.roles is not None and (ctx.member is None or Role(ctx.member.role) not in rule.roles):
            needed = ", ".join(tr(r.value) for r in sorted(rule.roles, key=lambda r: list(Role).index(r)))
            return tr("Only a {roles} can do this. Your role: {role}.", roles=needed,
                      role=tr(ctx.member.role) if ctx.member else "-")
        return None


@dataclass
class Dispatch:
    """What the router decided to do with an event (for logging and tests)."""

    kind: str
    name: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
