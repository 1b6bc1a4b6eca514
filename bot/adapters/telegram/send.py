"""Delivering rendered replies to Telegram: edits of live messages, supergroup migration,
and PTB errors turned into :class:`bot.outbox.DeliveryError`.

Pacing: one :class:`bot.ratelimit.Pacer` over :data:`bot.adapters.telegram.rate.RATE_PROFILE`
serves both paths. The outbox dispatcher uses it (it is this sender's ``pacer``) and grants
each pushed request; direct replies take their grants from it too, so together they stay
within Telegram's limits.

Error mapping (what the outbox dispatcher then does):

* ``RetryAfter`` → ``retry_after`` = Telegram's seconds; only that chat is put on hold
  (by the dispatcher for pushes; here, for replies)
* ``Forbidden`` (blocked, kicked, deactivated) and "chat not found" → ``chat_gone``
* ``ChatMigrated`` → the chat's id is replaced by the supergroup's and the send retried
* ``TimedOut`` / ``NetworkError`` / 5xx → retryable; any other ``BadRequest`` → not
"""

from __future__ import annotations

import collections
import logging
import warnings
from datetime import timedelta
from typing import TYPE_CHECKING

from telegram import Bot, InputFile, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.adapters.telegram.render import OutDocument, Outgoing, OutPhoto, OutText, render
from bot.model import Reply
from bot.outbox import DeliveryError
from bot.ratelimit import Pacer, RateProfile
from storage.membership import Chat
from storage.repo import serialise_on
from storage.sent_messages import SentMessageRepo

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

# A reply to a user waits out a short flood hold inline; a longer one goes to the outbox.
MAX_INLINE_RETRY_AFTER = 30.0
NOT_MODIFIED = "message is not modified"
EDIT_IMPOSSIBLE = ("message to edit not found", "message can't be edited", "there is no text in the message")
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter's delay in seconds (PTB 22 stores a timedelta, reading it as int warns)."""
    value = getattr(exc, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = exc.retry_after
    return raw.total_seconds() if isinstance(raw, timedelta) else float(raw)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Classify a PTB error for the outbox."""
    text = str(exc)
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"flood control: {text}", retry_after=retry_seconds(exc), rate_limited=True)
    if isinstance(exc, Forbidden):
        return DeliveryError(text, retryable=False, chat_gone=True)
    if isinstance(exc, BadRequest):
        if "chat not found" in text.lower():
            return DeliveryError(text, retryable=False, chat_gone=True)
        return DeliveryError(text, retryable=False)
    if isinstance(exc, NetworkError):  # TimedOut, connection errors, 5xx
        return DeliveryError(text, retryable=True)
    return DeliveryError(text, retryable=False)


class TelegramSender:
    """The outbox's Telegram :class:`bot.outbox.Sender`, also used for direct replies."""

    # Telegram has no idempotency key: a push the API accepted but the outbox had not marked sent
    # when the process died is sent again. One outbox push at a time between its request and its
    # "sent" mark (a short transaction right after the answer) keeps that to one message per crash.
    concurrent_sends = 1

    def __init__(self, bot: Bot, app: App, pacer: Pacer) -> None:
        self.bot = bot
        self.app = app
        self.pacer = pacer  # shared with the outbox dispatcher
        # retry_key → how many rendered messages of that delivery already went out, so a
        # retried outbox row does not send its first parts twice.
        self._progress: collections.OrderedDict[str, int] = collections.OrderedDict()

    @property
    def rate_profile(self) -> RateProfile:
        return self.pacer.profile

    # ------------------------------------------------------------ the Sender protocol

    async def send(self, chat: Chat, replies: list[Reply], *, retry_key: str) -> None:
        """Deliver an outbox row or raise :class:`DeliveryError`."""
        outgoing = [out for reply in replies for out in render(reply)]
        done = self._progress.get(retry_key, 0)
        chat_id = chat.platform_chat_id
        is_group = chat.kind == "group"
        for index in range(done, len(outgoing)):
            if index > done:  # the dispatcher granted this request's first message; the rest take their own
                await self.pacer.acquire(chat_id, is_group=is_group)
            chat_id = await self._one(chat_id, is_group, chat.id, outgoing[index], outbox=True)
            self._remember_progress(retry_key, index + 1)
        self._progress.pop(retry_key, None)

    def _remember_progress(self, key: str, count: int) -> None:
        self._progress[key] = count
        self._progress.move_to_end(key)
        while len(self._progress) > 10_000:
            self._progress.popitem(last=False)

    # ------------------------------------------------------------ direct replies

    async def reply_now(self, chat: Chat, replies: list[Reply]) -> list[Reply]:
        """Answer an event now (the platform call of :func:`bot.answer.answer`): returns the
        replies that cannot go out yet (a long flood hold, a network failure); raises
        :class:`DeliveryError` with ``chat_gone`` when the chat is gone."""
        chat_id, is_group = chat.platform_chat_id, chat.kind == "group"
        for index, reply in enumerate(replies):
            try:
                for out in render(reply):
                    wait = self.pacer.delay(chat_id, is_group=is_group)
                    if wait > MAX_INLINE_RETRY_AFTER:
                        raise DeliveryError(f"chat {chat_id} is on flood hold", retry_after=wait)
                    await self.pacer.acquire(chat_id, is_group=is_group)
                    chat_id = await self._one(chat_id, is_group, chat.id, out, outbox=False)
            except DeliveryError as exc:
                if exc.chat_gone:
                    raise
                if exc.retryable:
                    log.warning("reply to chat %s deferred to the outbox: %s", chat_id, exc)
                    return replies[index:]
                log.error("reply to chat %s dropped: %s", chat_id, exc)
        return []

    # ------------------------------------------------------------ one message

    async def _one(self, chat_id: str, is_group: bool, chat_row_id: int | None, out: Outgoing, *,
                   outbox: bool) -> str:
        """Send (or edit) one message, its pacing grant already taken; returns the chat id it
        went to (changes on migration)."""
        for attempt in range(4):
            if attempt:  # a retry (migrated chat, short flood hold) is one more send
                await self.pacer.acquire(chat_id, is_group=is_group)
            try:
                try:
                    await self._call(chat_id, chat_row_id, out)
                finally:
                    self.pacer.done(chat_id)  # the windows count this request from its answer
                return chat_id
            except ChatMigrated as exc:
                new_id = str(exc.new_chat_id)
                log.info("telegram group %s migrated to %s", chat_id, new_id)
                await migrate_chat(self.app, chat_id, new_id)
                chat_id = new_id
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                log.warning("telegram flood control for chat %s: retry after %.0f s", chat_id, seconds)
                if outbox:  # the dispatcher holds the chat for retry_after and retries the row
                    raise delivery_error(exc) from exc
                self.pacer.pause(seconds, chat_id, is_group=is_group)
                if seconds > MAX_INLINE_RETRY_AFTER:
                    raise delivery_error(exc) from exc
            except TelegramError as exc:
                raise delivery_error(exc) from exc
        raise DeliveryError(f"could not deliver to chat {chat_id} after several attempts", retryable=True)

    async def _call(self, platform_chat_id: str, chat_row_id: int | None, out: Outgoing) -> None:
        chat_id: int | str = int(platform_chat_id) if platform_chat_id.lstrip("-").isdigit() else platform_chat_id
        if isinstance(out, OutPhoto):
            await self.bot.send_photo(chat_id, InputFile(out.png, filename=out.filename),
                                      caption=out.caption_html or None, parse_mode=ParseMode.HTML)
            return
        if isinstance(out, OutDocument):
            await self.bot.send_document(chat_id, InputFile(out.content, filename=out.filename),
                                         caption=out.caption_html or None, parse_mode=ParseMode.HTML)
            return
        assert isinstance(out, OutText)
        if out.update_key and chat_row_id is not None and await self._edit(chat_id, chat_row_id, out):
            return
        message = await self.bot.send_message(chat_id, out.html, parse_mode=ParseMode.HTML,
                                              reply_markup=out.keyboard, link_preview_options=NO_PREVIEW)
        if out.update_key and chat_row_id is not None:
            try:
                async with self.app.db.transaction() as conn:
                    await SentMessageRepo(conn).remember(chat_row_id, out.update_key, message.message_id,
                                                         self.app.clock.now())
            except Exception:  # the message went out: failing here would have it sent again
                log.exception("telegram message %s to chat %s sent, but not remembered for later edits",
                              message.message_id, platform_chat_id)

    async def _edit(self, chat_id: int | str, chat_row_id: int, out: OutText) -> bool:
        """Edit the live message for ``out.update_key``; False when there is none to edit."""
        assert out.update_key is not None
        async with self.app.db.transaction() as conn:
            message_id = await SentMessageRepo(conn).message_id(chat_row_id, out.update_key)
        if message_id is None:
            return False
        try:
            await self.bot.edit_message_text(out.html, chat_id=chat_id, message_id=message_id,
                                             parse_mode=ParseMode.HTML, reply_markup=out.keyboard,
                                             link_preview_options=NO_PREVIEW)
        except BadRequest as exc:
            text = str(exc).lower()
            if NOT_MODIFIED in text:
                return True  # the count did not change: nothing to do
            if any(reason in text for reason in EDIT_IMPOSSIBLE):
                return False  # deleted or too old: send a fresh message instead
            raise
        return True
async def migrate_chat(app: App, old_chat_id: str, new_chat_id: str) -> None:
    """Telegram turned a group into a supergroup: the new id replaces the old one."""
    async with app.db.transaction() as conn:
        await serialise_on(conn, f"telegram-migrate|{old_chat_id}")
        await SentMessageRepo(conn).migrate_chat("telegram", old_chat_id, new_chat_id)

