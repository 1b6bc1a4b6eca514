"""Routing: commands (with Thai aliases), button payloads, multi-step flows, other events
and scheduled tasks, plus the hooks other features call into: summary sections, exporters
and periodic jobs. Permissions are declared here, on each route, and checked in one place
(:meth:`Router.refusal`) before any handler runs.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from bot.flows import Steps, run_steps
from bot.model import EventKind
from bot.roles import Role
from bot.summary import Period, SummarySection

if TYPE_CHECKING:
    from bot.context import BaseContext, Context, TaskContext

# A handler takes a Context, or a MemberContext on routes that require a member (the app
# hands those a MemberContext; see bot/context.py), hence Any rather than Context here.
Handler = Callable[[Any], Awaitable[None]]
H = TypeVar("H", bound=Callable[..., Awaitable[None]])
TaskHandler = Callable[["TaskContext"], Awaitable[None]]
SectionProvider = Callable[["BaseContext", Period], Awaitable[SummarySection | None]]
Exporter = Callable[[Any, str], Awaitable[None]]
# A feature's answer to what another feature announces (ctx.announce): listener(ctx, *items).
Listener = Callable[..., Awaitable[None]]

# How often a periodic job runs, by the word used in @router.periodic.
EVERY = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}


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
    # A button whose first argument names a network: the rule is checked against the sender's
    # membership of that network (a coordinator of two networks picks one), not the chat's.
    network_arg: bool = False


def _rule(member: bool, roles: frozenset[Role] | set[Role] | None, where: Where = Where.ANY,
          network_arg: bool = False) -> Rule:
    """A route's rule: naming roles implies being a member."""
    return Rule(member=member or bool(roles), roles=frozenset(roles) if roles else None, where=where,
                network_arg=network_arg)


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
    steps: Steps | None = None  # when declared as steps (see bot/flows.py)


@dataclass
class SectionRoute:
    """A feature's part of /summary and the weekly summary (see bot/summary.py)."""

    name: str
    provider: SectionProvider
    order: int


@dataclass
class ExportRoute:
    """``/export WORD ARGS`` handled by a feature: ``handler(ctx, args)``."""

    words: tuple[str, ...]
    handler: Exporter


@dataclass
class PeriodicRoute:
    """A job the scheduler keeps running every ``interval``: one ``scheduled_tasks`` row,
    re-scheduled after each run, seeded when missing."""

    name: str
    every: str
    interval: timedelta
    handler: TaskHandler

    @property
    def key(self) -> str:
        return f"{self.name}:{self.every}"

    @property
    def kind(self) -> str:
        return f"{self.name}_{self.every}"


@dataclass
class Router:
    """Collects routes; feature modules each have one, the app includes them all."""

    commands: dict[str, CommandRoute] = field(default_factory=dict)
    buttons: dict[str, ButtonRoute] = field(default_factory=dict)
    flows: dict[str, FlowRoute] = field(default_factory=dict)
    events: dict[EventKind, list[Handler]] = field(default_factory=dict)
    tasks: dict[str, TaskHandler] = field(default_factory=dict)
    summary_sections: list[SectionRoute] = field(default_factory=list)
    exporters: dict[str, ExportRoute] = field(default_factory=dict)
    periodic_jobs: dict[str, PeriodicRoute] = field(default_factory=dict)
    listeners: dict[str, list[Listener]] = field(default_factory=dict)
    _aliases: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------ registration

    def command(self, name: str, *aliases: str, member: bool = True, roles: frozenset[Role] | set[Role] | None = None,
                where: Where = Where.ANY, help: str | None = None) -> Callable[[H], H]:
        """Register ``/name`` (and Thai aliases, usable with or without the slash)."""

        def register(handler: H) -> H:
            route = CommandRoute(name=name, aliases=aliases, handler=handler, rule=_rule(member, roles, where),
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
               where: Where = Where.ANY, network_arg: bool = False) -> Callable[[H], H]:
        """Register a button's handler. ``network_arg``: the payload's first argument is a network id,
        and ``roles`` are checked in that network (only in a chat not linked to another network)."""

        def register(handler: H) -> H:
            if action in self.buttons:
                raise ValueError(f"button action {action!r} is registered twice")
            self.buttons[action] = ButtonRoute(action, handler, _rule(member, roles, where, network_arg))
            return handler

        return register

    def flow(self, name: str, *, member: bool = True, roles: frozenset[Role] | set[Role] | None = None,
             ttl: timedelta | None = None) -> Callable[[H], H]:
        """Register the handler that receives every input while flow ``name`` is active."""

        def register(handler: H) -> H:
            if name in self.flows:
                raise ValueError(f"flow {name!r} is registered twice")
            self.flows[name] = FlowRoute(name, handler, _rule(member, roles), ttl)
            return handler

        return register

    def steps(self, name: str, steps: Steps, *, member: bool = True,
              roles: frozenset[Role] | set[Role] | None = None, ttl: timedelta | None = None) -> None:
        """Register flow ``name`` as a table of steps; start it with :func:`bot.flows.begin`."""

        async def handler(ctx: Context) -> None:
            await run_steps(steps, ctx)

        self.flow(name, member=member, roles=roles, ttl=ttl)(handler)
        self.flows[name].steps = steps

    def on(self, kind: EventKind) -> Callable[[H], H]:
        def register(handler: H) -> H:
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

    def summary_section(self, *, order: int = 100) -> Callable[[SectionProvider], SectionProvider]:
        """Contribute a section to /summary and the weekly summary; ``order`` places it on the card."""

        def register(provider: SectionProvider) -> SectionProvider:
            self.summary_sections.append(SectionRoute(provider.__module__, provider, order))
            return provider

        return register

    def exporter(self, word: str, *aliases: str) -> Callable[[Exporter], Exporter]:
        """Handle ``/export WORD ARGS`` (the /export command checks its permissions)."""

        def register(handler: Exporter) -> Exporter:
            self._add_exporter(ExportRoute((word, *aliases), handler))
            return handler

        return register

    def _add_exporter(self, route: ExportRoute) -> None:
        for word in route.words:
            if word.lower() in self.exporters:
                raise ValueError(f"export word {word!r} is registered twice")
            self.exporters[word.lower()] = route

    def periodic(self, every: str, *, name: str) -> Callable[[TaskHandler], TaskHandler]:
        """Run ``handler`` every ``every`` ("hourly", "daily"): task kind ``{name}_{every}``,
        key ``{name}:{every}``. The scheduler seeds the row; after each run the next one is
        scheduled from the time it ran."""
        if every not in EVERY:
            raise ValueError(f"unknown period {every!r}; use one of {', '.join(EVERY)}")

        def register(handler: TaskHandler) -> TaskHandler:
            route = PeriodicRoute(name, every, EVERY[every], handler)

            async def run_and_reschedule(ctx: TaskContext) -> None:
                await handler(ctx)
                await ctx.schedule(route.key, route.kind, ctx.now + route.interval)

            self.task(route.kind)(run_and_reschedule)
            self.periodic_jobs[route.key] = route
            return handler

        return register

    def listens(self, signal: str) -> Callable[[H], H]:
        """Run ``handler(ctx, *items)`` whenever a feature announces ``signal`` with
        :meth:`bot.context.BaseContext.announce` (same transaction, after the announcer's own
        work): a feature reacts to another's news without the two importing each other."""

        def register(handler: H) -> H:
            self.listeners.setdefault(signal, []).append(handler)
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
        for event_kind, handlers in other.events.items():
            self.events.setdefault(event_kind, []).extend(handlers)
        for kind, handler in other.tasks.items():
            if kind in self.tasks:
                raise ValueError(f"task kind {kind!r} is registered twice")
            self.tasks[kind] = handler
        self.summary_sections.extend(other.summary_sections)
        for exporter in {id(r): r for r in other.exporters.values()}.values():  # once per route, not per word
            self._add_exporter(exporter)
        self.periodic_jobs.update(other.periodic_jobs)  # their task kinds, checked above, are unique
        for signal, listeners in other.listeners.items():
            self.listeners.setdefault(signal, []).extend(listeners)

    # ------------------------------------------------------------ lookup

    def sections(self) -> list[SectionRoute]:
        """Summary sections in card order (ties keep feature order)."""
        return sorted(self.summary_sections, key=lambda r: r.order)

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
        if rule.member and (ctx.member is None or ctx.network is None):
            if ctx.foreign_member:
                return tr("This group belongs to another network; your membership is elsewhere.")
            if not ctx.event.is_private and ctx.network is not None:
                return tr("You are not registered in this network yet. Tap Register on my welcome message, "
                          "or send /register here.")
            return tr("You are not registered yet. Ask your coordinator for an invite code, "
                      "then send /join CODE to me in a private chat.")
        if rule.roles is not None and (ctx.member is None or Role(ctx.member.role) not in rule.roles):
            needed = tr.join(tr(r.value) for r in sorted(rule.roles, key=lambda r: list(Role).index(r)))
            return tr("Only these roles can do this: {roles}. Your role: {role}.", roles=needed,
                      role=tr(ctx.member.role) if ctx.member else "-")
        return None

