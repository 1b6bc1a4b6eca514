"""What a push costs on LINE: one message per recipient (every member of a group), however
many message objects the push holds; replies are free."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.platforms import DeliveryCost

if TYPE_CHECKING:  # the spec imports this module at discovery (`edunet --help`): keep it light
    from sqlalchemy.ext.asyncio import AsyncConnection

    from storage.membership import Chat, Member


async def estimate(conn: AsyncConnection, network_id: int, groups: Sequence[Chat],
                   people: Sequence[Member]) -> DeliveryCost:
    """The LINE messages one push to these LINE groups and members counts against the quota."""
    from storage.delivery_stats import DeliveryStatsRepo

    estimate = await DeliveryStatsRepo(conn, "line").estimate(network_id, groups=bool(groups),
                                                  members_privately=bool(people), chat_ids=[c.id for c in groups],
                                                  member_ids=[m.id for m in people])
    return DeliveryCost(pushes=estimate.pushes, messages=estimate.messages, unknown_groups=estimate.unknown_groups)
