"""What the core knows of a platform: its name, what people call it, and what a push costs.

The composition root hands the App one :class:`PlatformInfo` per discovered adapter
(``bot.adapters.AdapterSpec.info``); the core and the features never import adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # discovering the platforms (`edunet --help`) must not load the database layer
    from sqlalchemy.ext.asyncio import AsyncConnection

    from storage.membership import Chat, Member


@dataclass(frozen=True)
class DeliveryCost:
    """The estimated price of one push to an audience on a platform that bills pushes.

    ``messages``: what counts against the platform's quota; ``unknown_groups``: groups whose
    size is not known yet (each counted as 1); ``platform``: the platform's display name.
    """

    pushes: int
    messages: int
    unknown_groups: int = 0
    platform: str = ""


class CostEstimator(Protocol):
    """Estimates a push to ``groups`` and ``people`` (all on the estimator's platform)."""

    async def __call__(self, conn: AsyncConnection, network_id: int, groups: Sequence[Chat],
                      people: Sequence[Member]) -> DeliveryCost: ...


@dataclass(frozen=True)
class PlatformInfo:
    name: str
    display_name: str
    delivery_cost: CostEstimator | None = None
