"""The application: turns one neutral event into stored changes and replies.

For every event: take the per-user lock, open one write transaction, drop the event if
it was already processed (platform redelivery, double tap), build the context, check
permissions and run the handler. Replies are handed back only after the commit, so
nothing is acknowledged that is not stored. A handler that raises is logged, its
transaction rolled back, and the user gets a short apology in their language.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.flows import DISCARD, RESUME, offer_resume, resume
from bot.context import FLOW_BUTTON, FLOW_NETWORK, Context, MemberContext, TaskContext, label_cards
from bot.delivery_policy import QuotaReading
from bot.i18n import LANGUAGES, Translator, catalog, normalise_language
from bot.model import ChatKind, Event, EventKind, ProfileNeeded, Reply, Text, reply_from_dict, reply_to_dict
from bot.names import clean_event
from bot.payload import Payload, PayloadError, decode
from bot.platforms import PlatformInfo
from bot.router import Router
from storage.db import Database, connection_lost
from storage.membership import Chat, ChatRepo, Member, MemberRepo, NetworkRepo
from storage.runtime import EventLogRepo, FlowRepo, FlowState, ScheduledTask, TaskRepo

log = logging.getLogger(__name__)

CANCEL_WORDS = frozenset({"cancel", "/cancel", "ยกเลิก", "/ยกเลิก"})
# What a member reads when their event failed (``App._failed``); its msgid, translated by the catalogs.
APOLOGY = "Sorry, something went wrong on my side. Nothing was saved; please try again in a moment."


@dataclass
class Outcome:
    """What the adapter should do after an event: send replies, maybe show a toast."""

    replies: list[Reply] = field(default_factory=list)
    toast: str | None = None
    duplicate: bool = False
    failed: bool = False
    # The member asked for what is waiting (/news): the reply carries it whatever the catch-up interval.
    catch_up_asked: bool = False
    # The chat as the handler left it, and the language its answers are rendered in (the member's own
    # in a private chat, the network's in a group), read in the handler's transaction so the adapter
    # does not open another one per answer.
    chat: Chat | None = None
    chat_language: str | None = None
    # False: the handler's transaction found nothing pending for the chat on a billed platform, so the
    # free reply has nothing to carry (bot/catchup.py) and no read is needed after the commit.
    catch_up_possible: bool = True
    # The event needs the sender's profile, which the adapter did not look up (``Event.profile_pending``):
    # nothing was stored; hand it in again with the profile.
    profile_needed: bool = False
    # The answer an earlier run of the event committed and may not have sent (``App.handle(keep_answer=…)``).
    kept: bool = False


class _RunBefore(Exception):
    """The event's claim found it committed by an earlier run: this run's work is rolled back."""


def kept_answer(outcome: Outcome) -> dict[str, Any] | None:
    """What :meth:`App.handle` keeps with an inbox event's claim: the replies, the toast and the language they
    are rendered in; None when they are not plain JSON (a NaN, say, which PostgreSQL refuses: the event is then
    kept without its answer rather than failed)."""
    answer = {"replies": [reply_to_dict(reply) for reply in outcome.replies], "toast": outcome.toast,
              "language": outcome.chat_language}
    try:
        json.dumps(answer, allow_nan=False)
    except (TypeError, ValueError):
        log.warning("an answer that is not plain JSON is not kept")
        return None
    return answer


# What an adapter writes in the event's own transaction, after the handler (``App.handle(before_commit=…)``):
# it sees the outcome the replies will come from and commits, or rolls back, with the event.
BeforeCommit = Callable[[AsyncConnection, Event, Outcome], Awaitable[None]]


@dataclass
class _Answering:
    """What an event's run knows across its attempts: the language its answers (an apology too) are in
    (the sender's hint, then the member's), and what it answers when its commit was under way as the
    connection was lost (``committing``: the outcome and the context it ran in)."""

    language: str
    committing: tuple[Outcome, Context] | None = None


class KeyedLocks:
    """One asyncio lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Any, asyncio.Lock] = {}
        self._users: dict[Any, int] = defaultdict(int)

    @asynccontextmanager
    async def hold(self, key: Any) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] += 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if self._users[key] == 0:
                del self._users[key]
                self._locks.pop(key, None)


class App:
    """One EduNet process's brain, shared by every adapter."""

    def __init__(self, settings: Settings, *, db: Database | None = None, clock: Clock | None = None,
                 router: Router, platforms: Sequence[PlatformInfo] = (), operators_are_admins: bool = False,
                 billed_platforms: frozenset[str] = frozenset()) -> None:
        self.settings = settings
        # The platforms this process knows (names, display names, cost estimators), from the
        # composition root's discovered adapters: the core never imports them.
        self.platforms: dict[str, PlatformInfo] = {p.name: p for p in platforms}
        self.db = db or Database(settings.database_url)
        self.clock = clock or SystemClock()
        self.router = router
        # The console's users are all the operator at the keyboard.
        self.operators_are_admins = operators_are_admins
        # Platforms that bill every push (the composition root knows which): there, pushes that
        # can wait, wait for a free reply (bot/delivery_policy.py).
        self.billed_platforms = billed_platforms
        # The latest quota reading per billed platform (its sender records it; /quota shows it).
        self.quotas: dict[str, QuotaReading] = {}
        self.bot_usernames: dict[str, str] = {}
        self.locks = KeyedLocks()
        self._outbox_listeners: list[Callable[[], None]] = []
        self._scheduler_listeners: list[Callable[[], None]] = []
        self._inbox_listeners: list[Callable[[], None]] = []
        # This process's instance id when it heartbeats (edunet serve; bot/heartbeat.py): what it leases
        # carries it, so survivors can hand its work back when it dies.
        self.instance: str | None = None
        # Which part of the work this process does (edunet serve with EDUNET_PROCESSES=2): the
        # receiver stores webhooks and polls, the worker processes the inbox; one process does both.
        self.receives = True
        self.works = True

    async def start(self, *, upgrade_in_child: bool = False) -> None:
        """Bring the database schema up to date and read the translations (some 40 ms of parsing .po
        files, else paid by the first event). ``upgrade_in_child``: Alembic, if the schema is behind,
        runs in a child process (:meth:`storage.db.Database.upgrade`)."""
        await self.db.upgrade(separate_process=upgrade_in_child)
        for language in LANGUAGES:
            catalog(language)

    async def close(self) -> None:
        await self.db.dispose()

    def is_admin(self, platform: str, user_id: str | None) -> bool:
        return self.operators_are_admins or self.settings.is_admin(platform, user_id)

    # ------------------------------------------------------------ wake-ups

    def on_outbox(self, listener: Callable[[], None]) -> None:
        self._outbox_listeners.append(listener)

    def on_scheduler(self, listener: Callable[[], None]) -> None:
        self._scheduler_listeners.append(listener)

    def notify_outbox(self) -> None:
        """Wake the dispatchers: committed outbox rows are waiting."""
        for listener in self._outbox_listeners:
            listener()

    def notify_scheduler(self) -> None:
        for listener in self._scheduler_listeners:
            listener()

    def on_inbox(self, listener: Callable[[], None]) -> None:
        self._inbox_listeners.append(listener)

    def notify_inbox(self) -> None:
        """Wake the inbox workers: events were handed back (a dead instance's)."""
        for listener in self._inbox_listeners:
            listener()

    def _after_commit(self, ctx: Any) -> None:
        if ctx.outbox_touched:
            self.notify_outbox()
        if ctx.scheduler_touched:
            self.notify_scheduler()

    # ------------------------------------------------------------ events

    async def handle(self, event: Event, *, before_commit: BeforeCommit | None = None,
                     keep_answer: bool = False) -> Outcome:
        """Process one event; never raises for a handler's failure. ``before_commit``: the adapter's own
        writes for this event (LINE counts its free reply there), in the event's transaction, after the
        handler; not called for a duplicate, rolled back with a failing handler. ``keep_answer``: the
        event comes from the inbox, which runs it again when the process died before it was marked done:
        its answer is committed with it (in the claim, at the end of its transaction), and a run that
        finds it committed answers with that answer instead of nothing (``Outcome.kept``). The answer may
        then reach the chat twice, when the first run had sent it: a repeated answer, never a lost one."""
        clean_event(event)  # names and text lose bidi overrides and other control characters
        answering = _Answering(normalise_language(event.sender.language_hint or self.settings.language))
        # One chat's (and sender's) events one at a time: in this process here; across instances the
        # inbox hands a chat to one instance at a time (bot.inbox), and an event taken over after a
        # lease ran out waits for its first run's uncommitted claim (EventLogRepo.claim's unique key).
        async with self.locks.hold(event.lock_key):
            for attempt in (1, 2):
                try:
                    outcome = await self._handle_in_transaction(event, before_commit, answering, keep_answer)
                    if outcome.duplicate and answering.committing is not None:
                        # The first attempt's commit went through; only its acknowledgement was lost (the
                        # event is claimed in that transaction, and this instance holds it): its answer.
                        committed, ctx = answering.committing
                        log.warning("the commit of %s event %s went through before the connection was lost; "
                                    "answering it", event.platform, event.event_id)
                        self._after_commit(ctx)
                        return committed
                    if outcome.duplicate and keep_answer:
                        return await self._kept(event) or outcome
                    return outcome
                except ProfileNeeded:  # rolled back: nothing of it is stored, the event is not claimed
                    return Outcome(profile_needed=True)
                except Exception as exc:
                    # A database restart: nothing was committed, or (lost during the commit) all of it.
                    if attempt == 1 and connection_lost(exc):
                        log.warning("database connection lost during %s event %s; running it again",
                                    event.platform, event.event_id)
                        continue
                    log.exception("handler failed for %s event %s in chat %s (kind=%s, text=%r, payload=%r)",
                                  event.platform, event.event_id, event.chat.chat_id, event.kind.value,
                                  event.text[:200], event.payload)
                    return await self._failed(event, answering.language)
        raise AssertionError("unreachable: the second attempt returns")

    async def _handle_in_transaction(self, event: Event, before_commit: BeforeCommit | None,
                                     answering: _Answering, keep_answer: bool) -> Outcome:
        try:
            async with self.db.transaction() as conn:
                now = self.clock.now()
                # The claim comes first (a redelivery runs nothing), or, with the answer it keeps, last.
                if not keep_answer and not await EventLogRepo(conn).claim(event.platform, event.event_id, now):
                    raise _RunBefore
                ctx = await self._context(conn, event)
                answering.language = ctx.lang  # an apology speaks the member's language from here on
                ctx = await self._dispatch(ctx)
                await label_cards(ctx)
                chat, chat_language, catch_up_possible = await self._chat_after(conn, ctx)
                outcome = Outcome(replies=ctx.replies, toast=ctx.toast, catch_up_asked=ctx.catch_up_asked,
                                  chat=chat, chat_language=chat_language, catch_up_possible=catch_up_possible)
                if before_commit is not None:
                    await before_commit(conn, event, outcome)
                if keep_answer and not await EventLogRepo(conn).claim(event.platform, event.event_id, now,
                                                                      answer=kept_answer(outcome)):
                    raise _RunBefore  # (on PostgreSQL it waited here for a run still open to commit)
                answering.committing = (outcome, ctx)  # if the commit's answer is lost, the retry tells
        except _RunBefore:
            log.info("duplicate event %s/%s ignored", event.platform, event.event_id)
            return Outcome(duplicate=True)
        answering.committing = None
        self._after_commit(ctx)
        return outcome

    async def _kept(self, event: Event) -> Outcome | None:
        """The answer an earlier run of ``event`` committed (:func:`kept_answer`), to send again: that run's
        process may have died before sending it. None when none was kept (or it was forgotten)."""
        async with self.db.read() as conn:
            kept = await EventLogRepo(conn).answer_of(event.platform, event.event_id)
            if kept is None:
                return None
            chat = await ChatRepo(conn).by_platform_id(event.platform, event.chat.chat_id)
        log.warning("%s event %s was committed by an earlier run; sending the answer it kept",
                    event.platform, event.event_id)
        return Outcome(replies=[reply_from_dict(reply) for reply in kept["replies"]], toast=kept["toast"],
                       chat=chat, chat_language=kept["language"], catch_up_possible=False, kept=True)

    async def _failed(self, event: Event, lang: str) -> Outcome:
        """The apology for a failed event (remembered as failed: a redelivery does not run it again)."""
        await self._record_failure(event)
        tr = Translator(lang)
        apology = tr(APOLOGY)
        if event.kind is EventKind.BUTTON:
            return Outcome(toast=apology, failed=True, replies=[] if not event.is_private else [Text(apology)])
        return Outcome(replies=[Text(apology)], failed=True)

    async def _record_failure(self, event: Event) -> None:
        """Remember the failed event so a redelivery does not run a crashing handler again."""
        try:
            async with self.db.transaction() as conn:
                await EventLogRepo(conn).claim(event.platform, event.event_id, self.clock.now(), status="failed")
        except Exception:  # the database itself may be what failed
            log.exception("could not record the failed event %s", event.event_id)

    async def _chat_after(self, conn: AsyncConnection, ctx: Context) -> tuple[Chat | None, str, bool]:
        """The chat row after the handler, its answers' language and whether a free reply to it could carry
        pending rows, in one statement: the handler may have linked the chat or changed the member's
        language. The language: in a private chat its member's, in a group (or without a member) the
        network's, else the default. Pending rows: only billed platforms carry any (False elsewhere, so
        no read is needed after the commit); asked in the open transaction, not in a read of its own."""
        found = await ChatRepo(conn).after_event(ctx.chat.id, lease_now=datetime.now(timezone.utc))
        if found is None:
            return None, self.settings.language, True
        language = found.member_language or found.network_language or self.settings.language
        return found.chat, language, found.waiting and found.chat.platform in self.billed_platforms

    async def _context(self, conn: Any, event: Event) -> Context:
        now = self.clock.now()
        chats = ChatRepo(conn)
        flow: FlowState | None = None
        if event.sender.user_id:
            chat, flow_row = await chats.upsert_with_flow(event.platform, event.chat.chat_id, event.chat.kind.value,
                                                          event.chat.title, user_id=event.sender.user_id, now=now)
            flow = await FlowRepo(conn).live(event.lock_key, flow_row, now)
        else:
            chat = await chats.upsert(event.platform, event.chat.chat_id, event.chat.kind.value,
                                      event.chat.title, now=now)
        if not chat.active and event.kind not in (EventKind.BOT_REMOVED, EventKind.UNFOLLOW):
            await chats.set_active(chat.id, True)  # they wrote to us: reachable again
            chat = await chats.get(chat.id) or chat
        # The network the chat resolves to, and the sender's membership of that network (the one
        # Router.refusal checks): a linked group acts on its network; a private chat (or a group not
        # linked yet) on the sender's current network (/network switches it).
        member: Member | None = None
        network = None
        foreign = False
        members = MemberRepo(conn)
        user_id = event.sender.user_id
        if event.chat.kind is ChatKind.GROUP and chat.network_id is not None:
            if user_id:
                network, member = await NetworkRepo(conn).with_member(chat.network_id, event.platform, user_id)
                # A member of other networks only: networks never see each other's members.
                foreign = member is None and await members.count_memberships(event.platform, user_id) > 0
            else:
                network = await NetworkRepo(conn).get(chat.network_id)
        elif user_id:
            found = await members.current_with_network(event.platform, user_id)
            if found is not None:
                member, network = found
        if member is None and event.profile_pending:
            raise ProfileNeeded  # not a member here after all: the language comes from the profile
        if member is not None:
            lang = member.language
        elif event.sender.language_hint:
            lang = normalise_language(event.sender.language_hint)
        else:
            lang = network.language if network else self.settings.language
        if member is not None and network is not None:
            return MemberContext(self, conn, event, chat, member, network, lang, flow)
        return Context(self, conn, event, chat, member, network, lang, flow, foreign_member=foreign)

    async def _dispatch(self, ctx: Context) -> Context:
        """Run the event's route; returns the context it ran in (a button naming its network runs
        in the sender's membership of that network)."""
        event = ctx.event
        if event.kind in (EventKind.TEXT, EventKind.COMMAND):
            await self._dispatch_text(ctx)
        elif event.kind is EventKind.BUTTON:
            return await self._dispatch_button(ctx)
        else:
            for handler in self.router.events.get(event.kind, []):
                await handler(ctx)
        return ctx

    async def _dispatch_text(self, ctx: Context) -> None:
        event = ctx.event
        text = event.text.strip()
        in_flow = ctx.flow is not None
        if in_flow and text.lower() in CANCEL_WORDS:
            text = "/cancel"
        if event.kind is EventKind.COMMAND and event.command:
            route = self.router.resolve(event.command)
            parsed = (route, event.args) if route else None
        else:
            parsed = self.router.parse_command(text, allow_bare=event.is_private and not in_flow,
                                               bot_username=self.bot_usernames.get(event.platform))
        if parsed is not None:
            route, args = parsed
            event.command, event.args = route.name, args
            draft = ctx.flow
            refusal = self.router.refusal(route.rule, ctx)
            if refusal:
                await ctx.reply(refusal)
            else:
                assert not route.rule.member or isinstance(ctx, MemberContext)
                await route.handler(ctx)
            # A command in the middle of a flow answers and keeps the draft (unless it ended or
            # replaced the flow itself).
            if draft is not None and ctx.flow is draft:
                await offer_resume(ctx)
            return
        if ctx.flow is not None:
            await self._run_flow(ctx, text)
            return
        if event.is_private and event.kind is EventKind.TEXT:
            if text.startswith("/"):
                await ctx.reply(ctx.t("I don't know that command. Send /help to see what I can do."))
            else:
                await ctx.reply(ctx.t("I didn't catch that. Send /help to see what I can do."))

    async def _run_flow(self, ctx: Context, value: str) -> None:
        assert ctx.flow is not None
        route = self.router.flows.get(ctx.flow.flow)
        if route is None:  # a flow from an older version of the bot
            await ctx.end_flow()
            await ctx.reply(ctx.t("That conversation has expired. Please start again."))
            return
        if await self._draft_elsewhere(ctx):
            return
        refusal = self.router.refusal(route.rule, ctx)
        if refusal:
            await ctx.end_flow()
            await ctx.reply(refusal)
            return
        assert not route.rule.member or isinstance(ctx, MemberContext)
        ctx.input = value
        await route.handler(ctx)

    async def _draft_elsewhere(self, ctx: Context) -> bool:
        """A draft started in another network than the one this chat acts on now (the person
        switched networks meanwhile) is kept, but not continued here: True after saying so."""
        assert ctx.flow is not None
        owner = ctx.flow.data.get(FLOW_NETWORK)
        if owner is None or ctx.network is None or ctx.network.id == owner:
            return False  # (no network at all: the route's refusal says why)
        network = await NetworkRepo(ctx.conn).get(int(owner))
        await ctx.reply(ctx.t("Your unfinished draft belongs to {network}. Switch back with /network to continue it, "
                              "or send /cancel to drop it.", network=network.name if network else "-"))
        return True

    async def _dispatch_button(self, ctx: Context) -> Context:
        payload = decode(ctx.event.payload)
        if payload is None:
            await ctx.say(ctx.t("This button has expired. Please start again."))
            return ctx
        if payload.action == FLOW_BUTTON:
            if ctx.flow is None or ctx.flow.flow != payload.arg(0):
                await ctx.say(ctx.t("This button has expired. Please start again."))
                return ctx
            value = "|".join(payload.args[1:])
            if value == DISCARD:
                await ctx.end_flow()
                await ctx.reply(ctx.t("Cancelled. Nothing was saved."))
            elif value == RESUME:
                if not await self._draft_elsewhere(ctx):
                    await resume(ctx)
            else:
                await self._run_flow(ctx, value)
            return ctx
        route = self.router.buttons.get(payload.action)
        if route is None:
            await ctx.say(ctx.t("This button has expired. Please start again."))
            return ctx
        if route.rule.network_arg:
            rebound = await self._in_named_network(ctx, payload)
            if rebound is None:
                await ctx.say(ctx.t("This button has expired. Please start again."))
                return ctx
            ctx = rebound
        refusal = self.router.refusal(route.rule, ctx)
        if refusal:
            await ctx.say(refusal)
            return ctx
        assert not route.rule.member or isinstance(ctx, MemberContext)
        ctx.pressed = payload
        await route.handler(ctx)
        return ctx

    async def _in_named_network(self, ctx: Context, payload: Payload) -> Context | None:
        """The context of a button that names its network: the sender's membership of that network
        (None: a chat linked to another network, or no such network)."""
        try:
            network_id = payload.int_arg(0)
        except PayloadError:
            return None
        if ctx.chat.network_id is not None and ctx.chat.network_id != network_id:
            return None
        network = await NetworkRepo(ctx.conn).get(network_id)
        if network is None:
            return None
        user_id = ctx.event.sender.user_id
        member = await MemberRepo(ctx.conn).active_in(network_id, ctx.event.platform, user_id) if user_id else None
        if member is None:
            return Context(self, ctx.conn, ctx.event, ctx.chat, None, None, ctx.lang, ctx.flow)
        return MemberContext(self, ctx.conn, ctx.event, ctx.chat, member, network, member.language, ctx.flow)

    # ------------------------------------------------------------ scheduled tasks

    async def run_due_tasks(self) -> int:
        """Run every pending task whose time has come, each exactly once; returns how many ran."""
        now = self.clock.now()
        async with self.db.transaction() as conn:
            due = await TaskRepo(conn).pending(due_before=now)
        ran = 0
        for task in due:
            ran += await self.run_task(task)
        return ran

    async def run_task(self, task: ScheduledTask) -> int:
        """Claim and run one task in one transaction; 1 if this process ran it."""
        handler = self.router.tasks.get(task.kind)
        try:
            async with self.db.transaction() as conn:
                if not await TaskRepo(conn).claim(task.id, self.clock.now()):
                    return 0  # another process ran it
                if handler is None:
                    log.error("no handler for task kind %r (%s); marked done", task.kind, task.key)
                    return 0
                network = await NetworkRepo(conn).get(task.network_id) if task.network_id else None
                ctx = TaskContext(self, conn, network, task)
                await handler(ctx)
            self._after_commit(ctx)
            return 1
        except Exception:
            log.exception("scheduled task %s (%s) failed", task.key, task.kind)
            async with self.db.transaction() as conn:
                await TaskRepo(conn).claim(task.id, self.clock.now(), status="failed", note="handler raised")
            return 0

    async def ensure_periodic(self, conn: AsyncConnection | None = None) -> bool:
        """Every periodic job the router declares has a pending row (a missing one is due
        now); True when one had to be (re)seeded. Runs in ``conn``'s transaction if given."""
        if conn is None:
            async with self.db.transaction() as own:
                return await self.ensure_periodic(own)
        repo = TaskRepo(conn)
        seeded = False
        for route in self.router.periodic_jobs.values():
            task = await repo.get(route.key)
            if task is None or task.status != "pending":
                now = self.clock.now()
                await repo.schedule(key=route.key, kind=route.kind, run_at=now, payload={}, network_id=None, now=now)
                seeded = True
        return seeded

    # ------------------------------------------------------------ helpers for adapters

    async def chat_by_platform_id(self, platform: str, chat_id: str) -> Chat | None:
        async with self.db.read() as conn:  # no write lock: it runs for every answer
            return await ChatRepo(conn).by_platform_id(platform, chat_id)
