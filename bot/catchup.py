"""Free delivery first: a chat's pending notifications ride on the free reply to its next event.

On a platform that bills pushes (LINE), a reply to an inbound event is free. So when any event with a
fresh reply handle arrives from a chat (a member's message in a group, a button press, a follow, a
private message), the adapter answers it and, in the same reply, delivers what is pending for that
chat (urgent, timely and digest rows alike, due or not): :func:`claim` leases as many whole rows as
the reply has room for (on LINE several cards share one carousel message), the adapter sends one reply, and :func:`settle` marks them sent ``via=reply``
or, when the reply failed, gives them back (still pending). At most one catch-up per chat per
``catchup_minutes`` (a network setting, default 30) unless the member asked (/news); never on a
redelivered event (the app drops those before any of this). The adapter only says whether its reply
handle is fresh and how many message objects a reply holds. The lease carries the instance's id
(:func:`storage.deliveries.reply_owner`), so when the instance dies mid-reply a survivor's heartbeat
hands its rows back at once, like the dispatcher's (bot/heartbeat.py), instead of after the lease.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.model import Reply, reply_from_dict
from storage.deliveries import CatchUpRepo, DeliveryRepo, reply_owner
from storage.membership import Chat, MemberRepo, NetworkRepo

if TYPE_CHECKING:
    from bot.app import App

DEFAULT_CATCHUP_MINUTES = 30
# How long a reply may take before the rows it carries are given back to the dispatcher.
CATCHUP_LEASE = timedelta(minutes=2)


@dataclass
class CatchUp:
    """Rows leased for one free reply, and what they say."""

    owner: str
    replies: list[Reply] = field(default_factory=list)
    rows: int = 0


def catchup_minutes(settings: dict[str, object]) -> int:
    value = settings.get("catchup_minutes", DEFAULT_CATCHUP_MINUTES)
    return value if isinstance(value, int) else DEFAULT_CATCHUP_MINUTES


async def claim(app: App, chat: Chat, *, room: int, size: Callable[[Reply], int],
                asked: bool = False, measure: Callable[[Sequence[Reply]], int] | None = None,
                base: Sequence[Reply] = (), objects: int = 0) -> CatchUp | None:
    """Lease the chat's pending rows that fit in ``room`` message objects (``size`` counts a reply's
    objects); None when the chat's platform does not bill pushes, nothing fits or is pending, or the
    last catch-up was less than the interval ago (unless the member ``asked``). With ``measure`` (what a
    whole reply becomes once packed, e.g. cards sharing a carousel), rows fit while the ``base`` replies
    and the rows together measure at most ``objects``."""
    if chat.platform not in app.billed_platforms or (room <= 0 and measure is None):
        return None
    now = app.clock.now()
    lease_now = datetime.now(timezone.utc)  # leases use the wall clock (storage/deliveries.py)
    owner = reply_owner(app.instance, uuid.uuid4().hex[:24])
    # Read first, without the write lock: most events find nothing waiting for their chat.
    async with app.db.read() as conn:
        repo = CatchUpRepo(conn)
        pending = await repo.pending(chat.id, lease_now=lease_now)
        if not pending:
            return None
        if not asked:
            interval = timedelta(minutes=catchup_minutes(await _network_settings(conn, chat)))
            last = await repo.last_catch_up(chat.id)
            if last is not None and now - last < interval:
                return None
    taken: list[tuple[int, list[Reply]]] = []
    used = 0
    carried: list[Reply] = list(base)
    for row in pending:
        row_replies = [reply_from_dict(m) for m in row.messages]
        if measure is not None:
            if measure(carried + row_replies) > objects:
                break  # a notification is never split, and they keep their order
            carried += row_replies
        else:
            cost = sum(size(r) for r in row_replies)
            if used + cost > room:
                break
            used += cost
        taken.append((row.id, row_replies))
    if not taken:
        return None
    async with app.db.transaction() as conn:  # the claim re-checks each row: a dispatcher may be faster
        claimed = set(await CatchUpRepo(conn).claim([row_id for row_id, _ in taken], owner=owner,
                                                    lease_now=lease_now, lease_until=lease_now + CATCHUP_LEASE))
    if not claimed:
        return None
    # A dispatcher may have leased some meanwhile: carry only what we hold.
    replies = [r for row_id, row_replies in taken if row_id in claimed for r in row_replies]
    return CatchUp(owner=owner, replies=replies, rows=len(claimed))


async def settle(app: App, catch_up: CatchUp, *, delivered: bool) -> None:
    """After the reply: its rows are sent (free), or, when it failed, pending again."""
    async with app.db.transaction() as conn:
        if delivered:
            await CatchUpRepo(conn).delivered(catch_up.owner, app.clock.now())
        else:
            await DeliveryRepo(conn).release(catch_up.owner)
    if not delivered:
        app.notify_outbox()


async def _network_settings(conn: AsyncConnection, chat: Chat) -> dict[str, object]:
    """The settings of the network the chat belongs to (a private chat: its member's network)."""
    network_id = chat.network_id
    if network_id is None and chat.kind == "private":
        member = await MemberRepo(conn).active_by_identity(chat.platform, chat.platform_chat_id)
        network_id = member.network_id if member else None
    network = await NetworkRepo(conn).get(network_id) if network_id is not None else None
    return dict(network.settings) if network else {}
