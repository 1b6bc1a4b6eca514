"""Delivery of queued pushes (the outbox).

Rows are written by handlers in the same transaction as the change that caused them
(:meth:`bot.context.BaseContext.push`); a dispatcher delivers them through the
platform's :class:`Sender`. A crash at any point loses nothing: undelivered rows stay
pending and are picked up again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Protocol

from bot.model import Reply, reply_from_dict
from storage.membership import Chat, ChatRepo
from storage.runtime import OutboxRepo, OutboxRow

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6


class DeliveryError(Exception):
    """A failed send. ``chat_gone``: the bot was blocked/removed; don't retry this chat."""

    def __init__(self, message: str, *, retryable: bool = True, retry_after: float | None = None,
                 chat_gone: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable and not chat_gone
        self.retry_after = retry_after
        self.chat_gone = chat_gone


class Sender(Protocol):
    """A platform's way to push messages to a chat."""

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        """Deliver or raise :class:`DeliveryError`."""
        ...


@dataclass
class Delivery:
    chat: Chat
    replies: list[Reply]
    key: str


def backoff(attempt: int) -> timedelta:
    """Exponential: 2 s, 4 s, 8 s … capped at 5 minutes."""
    return timedelta(seconds=min(300, 2 ** max(1, attempt)))


class OutboxDispatcher:
    """Delivers due outbox rows, one at a time, through the platform senders."""

    def __init__(self, app: App, senders: dict[str, Sender]) -> None:
        self.app = app
        self.senders = senders

    async def deliver_due(self, limit: int = 500) -> int:
        """Try every due row once; returns how many were delivered."""
        async with self.app.db.transaction() as conn:
            rows = await OutboxRepo(conn).due(self.app.clock.now(), limit=limit)
        delivered = 0
        for row in rows:
            delivered += await self._deliver(row)
        return delivered

    async def _deliver(self, row: OutboxRow) -> int:
        async with self.app.db.transaction() as conn:
            chat = await ChatRepo(conn).get(row.chat_id)
        if chat is None:
            return 0
        sender = self.senders.get(chat.platform)
        if sender is None:
            return 0  # no adapter for that platform runs in this process
        replies = [reply_from_dict(m) for m in row.messages]
        try:
            await sender.send(chat, replies, retry_key=row.retry_key)
        except DeliveryError as exc:
            await self._failed(row, chat, exc)
            return 0
        async with self.app.db.transaction() as conn:
            await OutboxRepo(conn).mark_sent(row.id, self.app.clock.now())
        return 1

    async def _failed(self, row: OutboxRow, chat: Chat, exc: DeliveryError) -> None:
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            if exc.chat_gone:
                await ChatRepo(conn).set_active(chat.id, False, reason=str(exc)[:255])
            retry_at = None
            if exc.retryable and row.attempts + 1 < MAX_ATTEMPTS:
                delay = timedelta(seconds=exc.retry_after) if exc.retry_after else backoff(row.attempts + 1)
                retry_at = now + delay
            await OutboxRepo(conn).mark_failed(row.id, error=str(exc), retry_at=retry_at)
        log.warning("delivery of %s to chat %s failed (attempt %d): %s", row.key, chat.id, row.attempts + 1, exc)
