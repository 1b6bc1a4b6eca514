"""One answer path for every platform: reply now where the platform can, defer the rest.

An adapter hands :func:`answer` the event's replies and its platform call, ``reply_now``:
it sends what can go out at once (LINE: through a fresh reply token; Telegram: directly,
paced) and returns what is left. The core does the rest, the same way for every platform:
the leftovers are pushed through the outbox under the event's unique key (a redelivered
event queues nothing twice), and a chat that turns out to be gone is marked inactive.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot import catchup
from bot.model import Event, Reply, reply_to_dict
from bot.outbox import DeliveryError
from storage.membership import Chat, ChatRepo
from storage.runtime import OutboxRepo

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)


class ReplyNow(Protocol):
    async def __call__(self, chat: Chat, replies: list[Reply]) -> list[Reply]:
        """Send what the platform can send right now; return the replies still to deliver.
        Raise :class:`bot.outbox.DeliveryError` with ``chat_gone`` when the chat is gone."""
        ...


def reply_key(event: Event) -> str:
    """The outbox key of an event's deferred replies."""
    return f"{event.platform}:reply:{event.event_id}"


@dataclass(frozen=True)
class FreeReply:
    """An adapter's word that this event's reply is free and fresh: ``objects`` message objects fit in
    one reply, ``size`` counts a reply's. The chat's pending notifications then ride along
    (bot/catchup.py)."""

    objects: int
    size: Callable[[Reply], int]
    # How many objects a whole reply becomes once packed (LINE: cards share a carousel); None: the sum of sizes.
    measure: Callable[[Sequence[Reply]], int] | None = None


async def answer(app: App, event: Event, replies: Sequence[Reply], reply_now: ReplyNow, *,
                 free: FreeReply | None = None, asked: bool = False, chat: Chat | None = None,
                 waiting: bool = True) -> None:
    """Deliver an event's replies: now where possible, otherwise through the outbox. With ``free``,
    the reply also carries what waits for the chat (``asked``: the member asked, whatever the interval;
    ``waiting`` False: the handler's transaction saw nothing pending, ``Outcome.catch_up_possible``).
    ``chat``: the chat row as the handler's transaction left it (``Outcome.chat``); read when not given."""
    if not replies and free is None:
        return
    if chat is None:
        chat = await app.chat_by_platform_id(event.platform, event.chat.chat_id)
    if chat is None:
        if replies:
            log.error("no chat row for %s chat %s; dropping %d replies", event.platform, event.chat.chat_id,
                      len(replies))
        return
    caught = None
    if free is not None and waiting:
        room = free.objects - sum(free.size(r) for r in replies)
        caught = await catchup.claim(app, chat, room=room, size=free.size, asked=asked, measure=free.measure,
                                     base=replies, objects=free.objects)
    sending = list(replies) + (caught.replies if caught else [])
    if not sending:
        return
    try:
        rest = await reply_now(chat, sending)
    except DeliveryError as exc:
        if caught is not None:
            await catchup.settle(app, caught, delivered=False)
        if not exc.chat_gone:
            raise
        log.info("%s chat %s is gone: %s", event.platform, event.chat.chat_id, exc)
        async with app.db.transaction() as conn:
            await ChatRepo(conn).set_active(chat.id, False, reason=str(exc)[:255])
        return
    if caught is not None:
        # The caught rows went only if the whole reply did; otherwise they stay with the dispatcher.
        await catchup.settle(app, caught, delivered=not rest)
        carried = {id(r) for r in caught.replies}
        rest = [r for r in rest if id(r) not in carried]
    if not rest:
        return
    async with app.db.transaction() as conn:
        await OutboxRepo(conn).enqueue(key=reply_key(event), network_id=chat.network_id, chat_id=chat.id,
                                       messages=[reply_to_dict(r) for r in rest], now=app.clock.now())
    app.notify_outbox()
