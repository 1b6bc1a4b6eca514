"""The one object a handler gets: who, where, the open transaction, the clock, and ways
to answer (reply now), push (through the outbox, later, to other chats) and schedule work.

Routes that require a member get a :class:`MemberContext`, whose ``member`` and
``network`` are never None; everything else gets a :class:`Context`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.delivery_policy import QuietHours, Urgency, WaitReason, deadline_for, push_time, quiet_hours_of
from bot.i18n import Translator
from bot.model import Button, Card, Event, EventKind, ProfileNeeded, Reply, Text, reply_to_dict
from bot.payload import Payload, encode
from bot.platforms import DeliveryCost
from storage.deliveries import DeliveryRepo
from storage.membership import Chat, ChatRepo, Member, MemberRepo, Network, NetworkRepo
from storage.runtime import AuditRepo, FlowRepo, FlowState, OutboxRepo, ScheduledTask, TaskRepo

if TYPE_CHECKING:
    from bot.app import App

R = TypeVar("R")
Render = Callable[[Translator], Sequence[Reply]] | Sequence[Reply]

FLOW_BUTTON = "f"
# The key in a flow's data naming the network the flow was started in.
FLOW_NETWORK = "_network"


async def labelled(members: MemberRepo, platform: str, user_id: str, network: Network,
                   replies: Sequence[Reply]) -> list[Reply]:
    """``replies`` for a private chat: when the person belongs to several networks, every card
    names the network it belongs to above its title (copies; the originals may go elsewhere)."""
    out = list(replies)
    if not any(isinstance(r, Card) and not r.network for r in out):
        return out
    if await members.count_memberships(platform, user_id) < 2:
        return out
    return [replace(r, network=network.name) if isinstance(r, Card) and not r.network else r for r in out]


async def label_cards(ctx: Context) -> None:
    """The app's last step for an event: its private answers' cards name the network they came from."""
    if ctx.event.is_private and ctx.network is not None and ctx.event.sender.user_id:
        ctx.replies = await labelled(ctx.repo(MemberRepo), ctx.event.platform, ctx.event.sender.user_id,
                                     ctx.network, ctx.replies)


class BaseContext:
    """What event handlers and scheduled tasks share."""

    def __init__(self, app: App, conn: AsyncConnection, network: Network | None, lang: str) -> None:
        self.app = app
        self.conn = conn
        self.network = network
        self.t = Translator(lang)
        self._repos: dict[type, Any] = {}
        # Set by push/schedule/...: the app wakes the dispatcher and scheduler only
        # after the commit, when the rows are visible. Handlers never set these.
        self.outbox_touched = False
        self.scheduler_touched = False

    @property
    def lang(self) -> str:
        return self.t.lang

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.network.timezone if self.network else self.app.settings.timezone)

    def local(self, when: datetime) -> datetime:
        """A UTC datetime in the network's time zone."""
        return when.astimezone(self.tz)

    @property
    def today(self) -> date:
        return self.local(self.now).date()

    def to_utc(self, local_naive: datetime) -> datetime:
        """A naive local (network time zone) datetime as aware UTC."""
        from datetime import timezone

        return local_naive.replace(tzinfo=self.tz).astimezone(timezone.utc)

    def repo(self, cls: type[R]) -> R:
        """A repository bound to this transaction (one instance per class)."""
        if cls not in self._repos:
            self._repos[cls] = cls(self.conn)  # type: ignore[call-arg]
        return self._repos[cls]  # type: ignore[no-any-return]

    # ------------------------------------------------------------ pushes

    async def push(self, chat: Chat, render: Render, *, key: str, urgency: Urgency, lang: str | None = None,
                   due: datetime | None = None, deliver_by: datetime | None = None,
                   topic: str | None = None) -> bool:
        """Queue messages for ``chat`` in this transaction; the same key twice is a no-op.

        ``render`` is either replies or a function of a Translator, called in the
        recipient's language (a member's own, or the network's for groups). ``urgency`` says
        when it may be pushed (bot/delivery_policy.py): ``due`` is when the feature wants it out
        (default now), ``deliver_by`` its latest acceptable delivery (a deadline), ``topic`` a
        supersede key: a newer row of the chat with the same topic drops the older pending one.
        """
        if lang is None:
            lang = await self._chat_language(chat)
        replies = render(Translator(lang)) if callable(render) else render
        network = await self._network_of(chat)
        if chat.kind == "private" and network is not None:
            replies = await labelled(self.repo(MemberRepo), chat.platform, chat.platform_chat_id, network, replies)
        tz = ZoneInfo(network.timezone) if network else self.tz
        quiet = self.quiet_hours(network)
        due = due or self.now
        deadline = deadline_for(urgency, due, deliver_by)
        billed = chat.platform in self.app.billed_platforms
        at = push_time(urgency, now=self.now, due=due, deadline=deadline, quiet=quiet, tz=tz, billed=billed)
        if at > due:  # on a billed platform: a free chance delivers it first
            not_before, wait = at, WaitReason.FREE_CHANCE if billed else WaitReason.QUIET_HOURS
        else:
            not_before, wait = at, None
        queued = await self.repo(OutboxRepo).enqueue(
            key=key, network_id=chat.network_id or (self.network.id if self.network else None), chat_id=chat.id,
            messages=[reply_to_dict(r) for r in replies], now=self.now, not_before=not_before,
            urgency=urgency.value, deliver_by=deadline, topic=topic, wait_reason=wait.value if wait else None)
        self.outbox_touched |= queued
        return queued

    async def push_member(self, member: Member, render: Render, *, key: str, urgency: Urgency,
                          due: datetime | None = None, deliver_by: datetime | None = None,
                          topic: str | None = None) -> bool:
        """Queue a private message to a member; False when the bot cannot reach them."""
        if not member.reachable:
            return False
        chat = await self.repo(ChatRepo).private_chat_of(member.platform, member.platform_user_id)
        if chat is None or not chat.active:
            return False
        return await self.push(chat, render, key=key, lang=member.language, urgency=urgency, due=due,
                               deliver_by=deliver_by, topic=topic)

    async def push_network_groups(self, render: Render, *, key_prefix: str, urgency: Urgency,
                                  deliver_by: datetime | None = None, topic: str | None = None) -> int:
        """Queue messages to every active linked group of this network (both platforms); a
        ``topic`` is made per chat."""
        assert self.network is not None
        count = 0
        for chat in await self.repo(ChatRepo).linked_groups(self.network.id):
            count += await self.push(chat, render, key=f"{key_prefix}:chat:{chat.id}", urgency=urgency,
                                     deliver_by=deliver_by, topic=f"{topic}:chat:{chat.id}" if topic else None)
        return count

    def quiet_hours(self, network: Network | None) -> QuietHours:
        """The network's quiet hours (the installation's default when it set none)."""
        return quiet_hours_of(network.settings if network else {}, self.app.settings.quiet_hours)

    async def _network_of(self, chat: Chat) -> Network | None:
        """The network whose settings (time zone, quiet hours) govern pushes to ``chat``."""
        if chat.network_id is None or (self.network is not None and self.network.id == chat.network_id):
            return self.network
        return await self.repo(NetworkRepo).get(chat.network_id)

    async def retry_failed_pushes(self) -> int:
        """Queue this network's failed (dead-letter) pushes again; returns how many."""
        assert self.network is not None
        count = await self.repo(DeliveryRepo).requeue_dead(self.network.id, self.now)
        self.outbox_touched |= count > 0
        return count

    async def _chat_language(self, chat: Chat) -> str:
        if chat.kind == "private":
            member = await self.repo(MemberRepo).active_by_identity(chat.platform, chat.platform_chat_id)
            if member is not None:
                return member.language
        return self.network.language if self.network else self.app.settings.language

    # ------------------------------------------------------------ bookkeeping

    def platform_label(self, platform: str) -> str:
        """What people call a platform ("LINE"), as its adapter declares it."""
        info = self.app.platforms.get(platform)
        return info.display_name if info else platform.capitalize()

    async def delivery_cost(self, groups: Sequence[Chat], people: Sequence[Member]) -> list[DeliveryCost]:
        """The estimated cost of one push to ``groups`` and ``people``, one entry per platform
        that bills pushes and has something to count (platforms whose pushes are free are absent)."""
        assert self.network is not None
        costs: list[DeliveryCost] = []
        for info in self.app.platforms.values():
            mine = [c for c in groups if c.platform == info.name], [m for m in people if m.platform == info.name]
            if info.delivery_cost is None or not (mine[0] or mine[1]):
                continue
            cost = await info.delivery_cost(self.conn, self.network.id, *mine)
            if cost.pushes:
                costs.append(replace(cost, platform=info.display_name))
        return costs

    async def audit(self, action: str, entity: str, entity_id: object = None, **details: Any) -> None:
        await self.repo(AuditRepo).record(
            network_id=self.network.id if self.network else None,
            member_id=self.actor_id, action=action, entity=entity, entity_id=entity_id, details=details,
            now=self.now)

    @property
    def actor_id(self) -> int | None:
        return None

    async def schedule(self, key: str, kind: str, run_at: datetime, payload: dict[str, Any] | None = None, *,
                       network: Network | None = None) -> None:
        """Persist a task; the scheduler runs it at ``run_at`` (UTC), once, even across restarts.
        It belongs to this context's network unless ``network`` says otherwise (a periodic
        job, which has none, scheduling work for each network)."""
        if kind not in self.app.router.tasks:
            raise ValueError(f"no task handler registered for {kind!r}")
        owner = network or self.network
        await self.repo(TaskRepo).schedule(key=key, kind=kind, run_at=run_at, payload=payload or {},
                                           network_id=owner.id if owner else None, now=self.now)
        self.scheduler_touched = True

    async def unschedule(self, key: str, *, prefix: bool = False, note: str = "cancelled") -> None:
        repo = self.repo(TaskRepo)
        if prefix:
            await repo.cancel_prefix(key, self.now, note=note)
        else:
            await repo.cancel(key, self.now, note=note)
        self.scheduler_touched = True

    async def is_scheduled(self, key: str) -> bool:
        """Whether the task ``key`` is waiting to run."""
        task = await self.repo(TaskRepo).get(key)
        return task is not None and task.status == "pending"

    async def announce(self, signal: str, *items: Any) -> None:
        """Tell the features that listen for ``signal`` (``@router.listens``) what just happened,
        in this transaction: ``ctx.announce("need_posted", need)``."""
        for listener in self.app.router.listeners.get(signal, []):
            await listener(self, *items)

    async def ensure_periodic(self) -> None:
        """Every periodic job the router declares is on the schedule (missing ones run now)."""
        self.scheduler_touched |= await self.app.ensure_periodic(self.conn)


class Context(BaseContext):
    """A handler's view of one inbound event."""

    def __init__(self, app: App, conn: AsyncConnection, event: Event, chat: Chat, member: Member | None,
                 network: Network | None, lang: str, flow: FlowState | None, *, foreign_member: bool = False) -> None:
        super().__init__(app, conn, network, lang)
        self.event = event
        self.chat = chat
        self.member = member
        self.flow = flow
        self.foreign_member = foreign_member
        self.replies: list[Reply] = []
        self.input: str = event.text
        self.toast: str | None = None
        self.pressed: Payload | None = None  # set by the app before a button route runs
        # Set by /news: the free reply carries this chat's pending notifications now (bot/catchup.py).
        self.catch_up_asked = False

    @property
    def actor_id(self) -> int | None:
        return self.member.id if self.member else None

    @property
    def sender_name(self) -> str:
        """The sender's display name on the platform (what a new member is registered under; their id
        when the platform gives none)."""
        if self.event.profile_pending:
            raise ProfileNeeded
        return self.event.sender.display_name or self.event.sender.user_id or ""

    @property
    def args(self) -> str:
        return self.event.args

    @property
    def payload(self) -> Payload:
        """The pressed button's decoded payload; only button routes have one."""
        if self.pressed is None:
            raise RuntimeError("ctx.payload outside a button route")
        return self.pressed

    async def reply(self, reply: Reply | str, buttons: list[list[Button]] | None = None) -> None:
        """Answer in this chat, right after the transaction commits."""
        if isinstance(reply, str):
            reply = Text(reply, buttons=buttons or [])
        self.replies.append(reply)

    async def say(self, text: str) -> None:
        """Answer briefly. A button press gets a toast (only the presser sees it) and, in a
        private chat, the same text as a message; anything else gets a message."""
        if self.event.kind is EventKind.BUTTON:
            self.toast = text
            if not self.event.is_private:
                return  # in groups a toast, not a message everyone sees
        await self.reply(text)

    def button(self, label: str, action: str, *args: object) -> Button:
        return Button(label=label, payload=encode(action, *args))

    # ------------------------------------------------------------ flows

    @property
    def flow_key(self) -> tuple[str, str, str]:
        return self.event.lock_key

    async def start_flow(self, name: str, step: str, data: dict[str, Any] | None = None) -> None:
        route = self.app.router.flows[name]
        ttl = route.ttl or timedelta(minutes=self.app.settings.flow_ttl_minutes)
        data = dict(data or {})
        if self.network is not None:  # a draft belongs to the network it was started in (see App._run_flow)
            data.setdefault(FLOW_NETWORK, self.network.id)
        self.flow = FlowState(flow=name, step=step, data=data, expires_at=self.now + ttl)
        await self.repo(FlowRepo).save(self.flow_key, self.flow, self.now)

    async def goto(self, step: str, **data: Any) -> None:
        """Move the active flow to ``step``, merging ``data`` into its state."""
        assert self.flow is not None, "goto() outside a flow"
        self.flow.step = step
        self.flow.data.update(data)
        route = self.app.router.flows[self.flow.flow]
        self.flow.expires_at = self.now + (route.ttl or timedelta(minutes=self.app.settings.flow_ttl_minutes))
        await self.repo(FlowRepo).save(self.flow_key, self.flow, self.now)

    async def end_flow(self) -> None:
        self.flow = None
        await self.repo(FlowRepo).clear(self.flow_key)

    def flow_button(self, label: str, value: object) -> Button:
        """A button whose press is fed to the active flow as input ``value``."""
        assert self.flow is not None, "flow_button() outside a flow"
        return Button(label=label, payload=encode(FLOW_BUTTON, self.flow.flow, value))


class MemberContext(Context):
    """A Context for routes that require a member: the app builds one whenever the sender
    is a member of the network in question, so ``member`` and ``network`` are set."""

    member: Member
    network: Network

    def __init__(self, app: App, conn: AsyncConnection, event: Event, chat: Chat, member: Member,
                 network: Network, lang: str, flow: FlowState | None) -> None:
        super().__init__(app, conn, event, chat, member, network, lang, flow)


class TaskContext(BaseContext):
    """A scheduled task's view: no event, no sender, just the network and time."""

    def __init__(self, app: App, conn: AsyncConnection, network: Network | None, task: ScheduledTask) -> None:
        super().__init__(app, conn, network, network.language if network else app.settings.language)
        self.task = task

    @property
    def payload(self) -> dict[str, Any]:
        return dict(self.task.payload)
