"""The Telegram adapter: python-telegram-bot as the transport for answers (Bot, Update, its
request layer), our own pipeline for everything else.

* Receiving (long polling or the secret-checked webhook into the durable inbox) is
  :class:`bot.adapters.telegram.receiver.TelegramReceiver`, which this extends; here a webhook
  body is also checked against PTB's models, and one that is not an Update is kept as failed.
* In either mode the inbox worker handles the stored updates, in order per chat.
* Each update becomes a neutral event (``event_id`` = update id, so redeliveries are
  dropped by the app). Every button press is answered, duplicates and failures too.
* Replies are rendered natively (:mod:`bot.adapters.telegram.render`); replies and pushes
  (through :attr:`sender`, by the outbox dispatcher) share one pacer over
  :data:`bot.adapters.telegram.rate.RATE_PROFILE`.
* The command menu (``setMyCommands``) is registered by the process that has the features
  (a worker with ``EDUNET_PROCESSES=2``: its receiver's router is empty).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from telegram import (BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, Bot, Update)
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.adapters.telegram.botapi import api_urls, webhook_url
from bot.adapters.telegram.events import Converted, convert
from bot.adapters.telegram.rate import RATE_PROFILE
from bot.adapters.telegram.receiver import (REFUSED_TOKEN, TelegramReceiver, dead_letter_id,
                                            parse_update, stored, update_chat)
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.render import toast
from bot.adapters.telegram.send import TelegramSender
from bot.answer import answer
from bot.app import App, Outcome
from bot.i18n import Translator
from bot.inbox import Unprocessable
from bot.model import Event, EventKind
from bot.ratelimit import Pacer, RateProfile
from bot.router import Where
from bot.startup import CredentialsRejected, Unreachable
from bot.web import WebServer
from storage.inbox import InboxRow
from storage.repo import serialise_on
from storage.runtime import EventLogRepo
from storage.sent_messages import SentMessageRepo

__all__ = ["TelegramAdapter", "api_urls", "build_bot", "dead_letter_id", "parse_update", "stored", "update_chat",
           "webhook_url"]

log = logging.getLogger(__name__)

COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
# (language_code for setMyCommands, our language): "" is everyone else → Thai first.
COMMAND_LANGUAGES = (("", "th"), ("th", "th"), ("en", "en"))
MAX_COMMANDS = 100
MAX_PHOTO_BYTES = 20 * 1024 * 1024


def build_bot(settings: TelegramSettings) -> Bot:
    base_url, base_file_url = api_urls(settings.api_base_url)
    return Bot(settings.bot_token, base_url=base_url, base_file_url=base_file_url,
               request=HTTPXRequest(connection_pool_size=32, connect_timeout=10, read_timeout=20,
                                    write_timeout=30, pool_timeout=10))


class TelegramAdapter(TelegramReceiver):
    """``edunet serve`` runs one of these when ``TELEGRAM_BOT_TOKEN`` is set."""

    def __init__(self, app: App, settings: TelegramSettings, web_server: WebServer, *, bot: Bot | None = None,
                 rate_profile: RateProfile = RATE_PROFILE) -> None:
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        super().__init__(app, settings, web_server)
        self.bot = bot or build_bot(settings)
        self.pacer = Pacer(rate_profile)
        self.sender = TelegramSender(self.bot, app, self.pacer)

    # ------------------------------------------------------------ lifecycle

    async def _get_me(self) -> None:
        try:
            await self.bot.initialize()
        except InvalidToken:
            raise CredentialsRejected(REFUSED_TOKEN) from None  # PTB's message holds the token
        except (TelegramError, OSError) as exc:
            raise Unreachable(str(exc)) from exc
        self.app.bot_usernames[self.platform] = self.bot.username

    async def _before_receiving(self) -> None:
        if not self.app.works:  # cannot happen (a receiver runs TelegramReceiver), but its router is empty
            return
        try:
            await self.register_commands()
        except TelegramError:
            log.exception("registering the command list failed; continuing without it")

    async def stop(self) -> None:
        await super().stop()
        await self.bot.shutdown()

    # ------------------------------------------------------------ commands

    def command_lists(self) -> dict[tuple[str, str], list[BotCommand]]:
        """(scope, language_code) → commands with localized descriptions."""
        routes = sorted(self.app.router.commands.values(), key=lambda r: r.order)
        lists: dict[tuple[str, str], list[BotCommand]] = {}
        for code, lang in COMMAND_LANGUAGES:
            tr = Translator(lang)
            for scope, excluded in (("private", Where.GROUP), ("group", Where.PRIVATE)):
                lists[(scope, code)] = [
                    BotCommand(route.name, tr(route.help)[:256])
                    for route in routes
                    if route.help and route.rule.where is not excluded and COMMAND_NAME.fullmatch(route.name)
                ][:MAX_COMMANDS]
        return lists

    async def register_commands(self) -> None:
        """setMyCommands for private chats and for groups, in Thai (default) and English."""
        scopes = {"private": BotCommandScopeAllPrivateChats(), "group": BotCommandScopeAllGroupChats()}
        for (scope, code), commands in self.command_lists().items():
            await self.bot.set_my_commands(commands, scope=scopes[scope], language_code=code or None)

    # ------------------------------------------------------------ processing

    def _not_an_update(self, data: dict[str, Any]) -> str | None:
        try:
            Update.de_json(data, None)
        except Exception as exc:  # noqa: BLE001 - whatever PTB rejects is not an Update
            return _not_an_update(exc)
        return None

    async def _process_stored(self, row: InboxRow) -> None:
        """Handle and answer one update from the inbox; raising makes the worker retry it."""
        try:  # a receiving process stored it without PTB's models
            update = Update.de_json(row.body, self.bot)
        except Exception as exc:  # noqa: BLE001 - whatever PTB rejects is not an Update
            raise Unprocessable(_not_an_update(exc)) from exc
        finish = await self.process(update)
        await finish()
        if not finish.handled:
            raise RuntimeError(f"telegram update {update.update_id} was not handled")

    async def process(self, update: Update):  # type: ignore[no-untyped-def]
        """Handle an update (everything stored); returns the coroutine function that
        answers it (callback answer, then replies)."""
        outcomes: list[tuple[Event, Outcome]] = []
        converted = Converted([])
        handled = False
        try:
            converted = convert(update, bot_id=self.bot.id, bot_username=self.bot.username)
            if converted.migration is not None:
                await self._migrate(converted.migration.event_id, converted.migration.old_chat_id,
                                    converted.migration.new_chat_id)
            for event in converted.events:
                if event.kind is EventKind.PHOTO:
                    await self._download_photo(event)
                # Every update comes from the inbox, which runs it again if this process dies before
                # marking it done: its answer is kept.
                outcomes.append((event, await self.app.handle(event, keep_answer=True)))
            handled = True
        except Exception:
            log.exception("telegram update %s could not be handled", update.update_id)

        async def finish() -> None:
            query_id = converted.callback_query_id or (update.callback_query.id if update.callback_query else None)
            if query_id is not None:
                note = outcomes[0][1].toast if outcomes else None
                await self._answer_callback(query_id, note)
            for event, outcome in outcomes:
                try:
                    await answer(self.app, event, outcome.replies, self.sender.reply_now)
                except Exception:
                    log.exception("replying to telegram update %s failed", update.update_id)

        finish.handled = handled  # type: ignore[attr-defined]
        return finish

    async def _answer_callback(self, query_id: str, text: str | None) -> None:
        """Always answer, so the client stops spinning (an empty answer when there is nothing to say)."""
        try:
            await self.bot.answer_callback_query(query_id, text=toast(text))
        except TelegramError as exc:
            log.info("answerCallbackQuery %s failed: %s", query_id, exc)

    async def _migrate(self, event_id: str, old_chat_id: str, new_chat_id: str) -> None:
        async with self.app.db.transaction() as conn:
            await serialise_on(conn, f"telegram-migrate|{old_chat_id}")
            if not await EventLogRepo(conn).claim(self.platform, event_id, self.app.clock.now()):
                return
            await SentMessageRepo(conn).migrate_chat(self.platform, old_chat_id, new_chat_id)
        log.info("telegram group %s is now supergroup %s", old_chat_id, new_chat_id)

    async def _download_photo(self, event: Event) -> None:
        file_id = (event.raw or {}).get("file_id")
        if not file_id:
            return
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size and file.file_size > MAX_PHOTO_BYTES:
                return
            event.photo = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("downloading photo %s failed: %s", file_id, exc)


def _not_an_update(exc: Exception) -> str:
    return f"not an Update: {type(exc).__name__}: {exc}"[:500]
