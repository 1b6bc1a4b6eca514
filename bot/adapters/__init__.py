"""Platform adapters. Each turns platform updates into neutral events, renders neutral
replies natively, and provides the outbox :class:`bot.outbox.Sender` for its platform.

An adapter implements :class:`Adapter`; ``edunet serve`` starts every adapter whose
credentials are configured, on one shared web server.
"""

from __future__ import annotations

from typing import Protocol

from bot.outbox import Sender


class Adapter(Protocol):
    platform: str
    sender: Sender

    async def start(self) -> None:
        """Begin receiving (register webhook routes before the web server starts, or start polling)."""
        ...

    async def stop(self) -> None:
        ...
