"""The LINE adapter: a signed webhook, a durable inbox, cost-aware answers.

``POST /webhooks/line`` and ``GET /media/…``
    :class:`bot.adapters.line.receiver.LineReceiver` (which this adapter extends): signed webhooks
    into the inbox, LINE's 200 at once; a background worker processes them here, in order per chat.

Answers
    A reply (free) uses the reply token while it is fresh (< 50 s) and the event is not
    a redelivery. If there is no usable token, or the reply fails, or there are more
    than 5 messages, the rest is queued in the outbox and pushed with a retry key.

Toasts (LINE has none)
    A toast is sent as a message only when the handler gave no other reply and the chat
    is private, or, in a group, when the handler failed (the apology). Other group
    toasts (confirmations, refusals of a tap) stay silent so a group is not flooded.
    A tap in a group by a user whose id LINE hides is answered with "add me as a friend".

Media
    Images and downloads (see :mod:`bot.media`) under ``EDUNET_PUBLIC_URL``, which must
    be HTTPS unless ``EDUNET_ALLOW_HTTP_PUBLIC_URL`` is set (the adapter refuses to start).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import aiohttp
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.adapters.line.api import LineApi, LineSender, publisher
from bot.adapters.line.client import LineApiError
from bot.adapters.line.events import to_event
from bot.adapters.line.receiver import STOP_GRACE, LineReceiver
from bot.adapters.line.render import (MAX_MESSAGES, Message, RenderOptions, carousel, message_count, pack,
                                      packed_count, render_reply)
from bot.answer import FreeReply, answer
from bot.app import Outcome
from bot.i18n import Translator
from bot.model import Button, Event, EventKind, Reply, Sender, Text
from bot.startup import Connector, CredentialsRejected, Unreachable
from storage.delivery_stats import DeliveryStatsRepo
from storage.inbox import InboxRow
from storage.membership import Chat, MemberRepo

if TYPE_CHECKING:
    from bot.app import App
    from bot.adapters.line.settings import LineSettings
    from bot.web import WebServer

log = logging.getLogger(__name__)

REPLY_TOKEN_MAX_AGE = 50.0  # seconds; LINE's tokens last about a minute


@dataclass
class ReplyTally:
    """One event's free reply in the delivery statistics. The reply the handler's answers will make is
    counted in the event's own transaction (``counted``), so the count commits, or rolls back, with the
    event and a retried event (a duplicate) counts nothing again; ``sent`` once it went. A counted reply
    that did not go (no fresh token by then, too many messages, LINE refused it) is taken back."""

    counted: bool = False
    sent: bool = False


class LineAdapter(LineReceiver):
    """Receives LINE webhooks on the shared web server and answers through the Messaging API."""

    def __init__(self, app: App, settings: LineSettings, web_server: WebServer) -> None:
        super().__init__(app, settings, web_server)
        self.api = LineApi(settings)
        self.sender = LineSender(app, self.api, lambda network_id: publisher(self.media, network_id))
        self.connector = Connector(self.platform, settings.api_base_url.strip().rstrip("/"), self._bot_info,
                                   self._connected)
        self._side_tasks: set[asyncio.Task[None]] = set()
        self._friend_url: str | None = None
        self._reply_counts: dict[tuple[str, int | None], int] = {}  # replies waiting to be counted
        self._counting: asyncio.Future[None] | None = None
        self._counts_started = self._counts_done = 0
        self._friend_url_known = False
        # Claimed events whose sender is a member of some network (:meth:`_claimed`): no profile look-up.
        self._members_claimed: set[str] = set()

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Ask LINE for the bot's info first: a refused access token stops the start-up
        (:class:`CredentialsRejected`); an unreachable API is retried in the background while
        webhooks are received and worked (their answers wait in the outbox until LINE answers)."""
        await self.connector.start()
        self.inbox.start()

    async def _bot_info(self) -> None:
        try:
            await self.api.bot_info()
        except LineApiError as exc:
            if exc.status == 401:
                raise CredentialsRejected(
                    "LINE rejected LINE_CHANNEL_ACCESS_TOKEN (bot info answered 401 Unauthorized): issue a "
                    "long-lived channel access token in the LINE Developers console (Messaging API tab) and set "
                    "it again") from None
            raise Unreachable(f"HTTP {exc.status}") from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise Unreachable(str(exc)) from exc

    async def _connected(self) -> None:
        log.info("line: the channel access token is accepted")

    async def stop(self, grace: float = STOP_GRACE) -> None:
        """Finish the event in hand (cancelling a task mid-transaction can wedge the database
        driver), then stop; events not started stay in the inbox for the next start."""
        deadline = time.monotonic() + grace
        await self.connector.stop()
        await self.inbox.stop(grace)
        tasks = set(self._side_tasks)
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))
            for task in pending:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.api.close()

    # ------------------------------------------------------------ the inbox worker

    async def _process(self, row: InboxRow) -> None:
        """Handle one stored event and answer it (the worker retries it when this raises)."""
        member = row.event_id in self._members_claimed
        self._members_claimed.discard(row.event_id)
        event = to_event(row.body)
        if event is not None:
            event = await self._enrich(event, member=member)
            tally = ReplyTally()

            async def count(conn: AsyncConnection, handled: Event, outcome: Outcome) -> None:
                await self._count_with_event(conn, handled, outcome, tally)

            # The inbox runs an event again if this process dies before marking it done: its answer is kept.
            outcome = await self.app.handle(event, before_commit=count, keep_answer=True)
            if outcome.profile_needed:  # not a member where it counts (or registering): nothing was stored
                event = await self._enrich(event)
                outcome = await self.app.handle(event, before_commit=count, keep_answer=True)
            # Rolled back (or never run) with the handler's work, a kept answer's count included.
            if outcome.failed or outcome.duplicate or outcome.kept:
                tally.counted = False
            await self.respond(event, outcome, tally)
            self._after(event)

    async def _count_with_event(self, conn: AsyncConnection, event: Event, outcome: Outcome,
                                tally: ReplyTally) -> None:
        """In the event's transaction: count the free reply its answers will make (see :class:`ReplyTally`)."""
        chat = outcome.chat
        if chat is None or not self.reply_usable(event) or not self._will_answer(event, outcome):
            return
        await DeliveryStatsRepo(conn, self.platform).count(chat.platform_chat_id, now=self.app.clock.now(),
                                                           network_id=chat.network_id, replies=1)
        tally.counted = True

    async def _claimed(self, conn: AsyncConnection, rows: list[InboxRow]) -> None:
        """In the claim's transaction: which of the batch's senders are members of some network (one
        statement). Their events skip the profile look-up: a member's answers use the stored language,
        and the core asks for the profile where it needs it after all (``Event.profile_pending``)."""
        senders = {row.event_id: _sender_of(row.body) for row in rows}
        members = await MemberRepo(conn).active_identities(self.platform, {s for s in senders.values() if s})
        # The batch replaces the last one's (run by now; a row that was not is claimed and asked about again).
        self._members_claimed = {event_id for event_id, sender in senders.items() if sender in members}

    async def _enrich(self, event: Event, *, member: bool = False) -> Event:
        """Display name and language from the LINE profile, the group's name (both cached). ``member``:
        the sender is a member of some network (:meth:`_claimed`): the profile waits until it is needed."""
        chat = event.chat
        if not event.is_private and chat.chat_id.startswith("C"):
            title = await self.api.group_title(chat.chat_id)
            if title:
                chat = replace(chat, title=title[:255])
        sender = event.sender
        event.profile_pending = False
        if sender.user_id and event.kind not in (EventKind.UNFOLLOW, EventKind.MEMBER_LEFT):
            if member:
                event.profile_pending = True
            else:
                profile = await self.api.profile(sender.user_id, None if event.is_private else chat.chat_id)
                if profile is not None:
                    sender = Sender(sender.user_id, display_name=profile.display_name[:200],
                                    language_hint=profile.language)
        event.chat, event.sender = chat, sender
        return event

    def _after(self, event: Event) -> None:
        """Keep a group's member count (the cost of a push to it) roughly current."""
        if event.kind in (EventKind.BOT_ADDED, EventKind.MEMBER_JOINED, EventKind.MEMBER_LEFT):
            task = asyncio.create_task(self._refresh_group_size(event.chat.chat_id))
            self._side_tasks.add(task)
            task.add_done_callback(self._side_tasks.discard)

    async def _refresh_group_size(self, platform_chat_id: str) -> None:
        count = await self.api.member_count(platform_chat_id)
        if count is not None:
            async with self.app.db.transaction() as conn:
                await DeliveryStatsRepo(conn, self.platform).set_group_size(platform_chat_id, count,
                                                                            self.app.clock.now())

    # ------------------------------------------------------------ answering

    async def respond(self, event: Event, outcome: Outcome, tally: ReplyTally | None = None) -> None:
        """Send the outcome: by reply token when fresh, otherwise (or on failure) by outbox push.
        ``tally``: whether the event's transaction counted the reply already."""
        if outcome.duplicate:
            return
        tally = tally or ReplyTally()

        async def reply_now(chat: Chat, replies: list[Reply]) -> list[Reply]:
            return await self._reply_now(event, chat, replies, language=outcome.chat_language, tally=tally,
                                         kept=outcome.kept)

        # A fresh reply token also carries what waits for the chat, free (bot/catchup.py).
        free = (FreeReply(MAX_MESSAGES, message_count, measure=packed_count)
                if self.reply_usable(event) and not outcome.failed else None)
        try:
            await answer(self.app, event, await self.answers(event, outcome), reply_now, free=free,
                         asked=outcome.catch_up_asked, chat=outcome.chat, waiting=outcome.catch_up_possible)
        finally:
            if tally.counted and not tally.sent and outcome.chat is not None:  # counted, but no reply went
                tally.counted = False
                await asyncio.shield(self._count_reply(outcome.chat.platform_chat_id, outcome.chat.network_id,
                                                       -1))

    async def _reply_now(self, event: Event, chat: Chat, replies: list[Reply], *,
                         language: str | None = None, tally: ReplyTally | None = None,
                         kept: bool = False) -> list[Reply]:
        """The first push-sized group by the free reply token when it is fresh (counted); the rest is left.
        ``language``: the chat's, when the handler's transaction read it already (``Outcome.chat_language``);
        ``tally``: the event's, when its transaction counted this reply already. ``kept``: the answer an
        earlier run of the event committed (``Outcome.kept``): a fresh token LINE calls invalid was spent
        by that run, on this very answer, so nothing is left to push (a billed repeat)."""
        if not self.reply_usable(event):
            return replies
        groups = pack(replies)
        options = RenderOptions(Translator(language or await self.sender.language_of(chat)),
                                private=event.is_private, publish=publisher(self.media, chat.network_id))
        if len(groups) > 1 and packed_count(replies) <= MAX_MESSAGES:
            groups = [list(replies)]  # cards share a carousel: everything fits one free reply
        messages: list[Message] = []
        for index, reply in enumerate(groups[0]):
            messages += await render_reply(reply, options, last=index == len(groups[0]) - 1)
        messages = carousel(messages)
        if len(messages) > MAX_MESSAGES:
            return replies
        try:
            await self.api.reply(event.reply_handle, messages)
        except Exception as exc:  # noqa: BLE001 - any failure: push instead
            if kept and isinstance(exc, LineApiError) and exc.status == 400 and "reply token" in str(exc).lower():
                log.info("LINE reply token of %s was spent by its first run: its answer went out then",
                         event.event_id)
                return []
            log.info("LINE reply for %s failed (%s); pushing through the outbox", event.event_id,
                     str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            return replies
        if tally is not None and tally.counted and not tally.sent:
            tally.sent = True  # counted in the event's transaction
        else:  # a reply the handler's answers did not foretell (only what waited for the chat, say)
            await self._count_reply(chat.platform_chat_id, chat.network_id)
        return [r for group in groups[1:] for r in group]

    def reply_usable(self, event: Event) -> bool:
        if not event.reply_handle or event.is_redelivery:
            return False
        if event.received_at is None:
            return True
        return time.time() - event.received_at.timestamp() < REPLY_TOKEN_MAX_AGE

    @staticmethod
    def _answer_kind(event: Event, outcome: Outcome) -> str | None:
        """What :meth:`answers` gives: the handler's "replies", a "friend" request, the "toast", or nothing."""
        if outcome.replies:
            return "replies"
        if not event.is_private and event.sender.user_id is None and event.kind is EventKind.BUTTON:
            return "friend"
        if outcome.toast and (event.is_private or outcome.failed):
            return "toast"
        return None

    def _will_answer(self, event: Event, outcome: Outcome) -> bool:
        """Whether :meth:`answers` gives anything for this outcome."""
        return self._answer_kind(event, outcome) is not None

    async def answers(self, event: Event, outcome: Outcome) -> list[Reply]:
        """The handler's replies, plus the toast or a friend request where LINE needs them (see module doc)."""
        kind = self._answer_kind(event, outcome)
        if kind == "replies":
            return list(outcome.replies)
        if kind == "friend":
            return [await self.friend_request(event)]
        if kind == "toast" and outcome.toast:  # (the kind says so; the check tells mypy)
            return [Text(outcome.toast)]
        return []

    async def friend_request(self, event: Event) -> Text:
        """"Add me as a friend": LINE hides the id of users who have not, so we cannot register them."""
        tr = Translator(event.sender.language_hint or self.app.settings.language)
        if not self._friend_url_known:
            self._friend_url = await self.api.add_friend_url()
            self._friend_url_known = self._friend_url is not None
        buttons = [[Button(tr("Add EduNet as a friend"), url=self._friend_url)]] if self._friend_url else []
        return Text(tr("I can't see who you are, so I can't register you yet. Please add me as a friend "
                       "first (tap my name, then Add), then try again here."), buttons=buttons)

    async def _count_reply(self, platform_chat_id: str, network_id: int | None, replies: int = 1) -> None:
        """Count a free reply (``replies`` -1: take back one counted with its event that did not go) in a
        transaction of its own. Replies counted while a count is being written are written together in the
        next transaction (group commit: one write per batch of replies, not one per reply)."""
        key = (platform_chat_id, network_id)
        self._reply_counts[key] = self._reply_counts.get(key, 0) + replies
        mine = self._counts_started + 1  # the next write to start takes this count
        while self._counts_done < mine:
            if self._counting is not None:
                await asyncio.shield(self._counting)
                continue
            counts, self._reply_counts = self._reply_counts, {}
            self._counts_started += 1
            self._counting = asyncio.get_running_loop().create_future()
            try:
                async with self.app.db.transaction() as conn:
                    stats = DeliveryStatsRepo(conn, self.platform)
                    for (chat_id, network), replies in counts.items():
                        await stats.count(chat_id, now=self.app.clock.now(), network_id=network, replies=replies)
            except Exception:
                log.exception("could not count %d LINE replies", sum(counts.values()))
            finally:
                self._counts_done += 1
                self._counting.set_result(None)
                self._counting = None


def _sender_of(body: dict[str, object]) -> str | None:
    """The LINE user id of a stored webhook event's sender, if it has one."""
    source = body.get("source")
    user = source.get("userId") if isinstance(source, dict) else None
    return user if isinstance(user, str) and user else None
