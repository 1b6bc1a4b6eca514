"""The Telegram adapter: python-telegram-bot as the transport (Bot, Update, its request
layer), our own pipeline for everything else.

* Long polling by default: each batch from ``getUpdates`` is stored in the durable inbox
  (:mod:`bot.inbox`) before the next call confirms it, so a crash at any point loses no
  update (one not stored is fetched again).
* A webhook when ``TELEGRAM_WEBHOOK_URL`` is set, served by the shared web server at
  ``/webhooks/telegram`` and verified on every request with the secret token
  (constant-time compare; anything else gets 403 and changes nothing). An update is
  stored in the inbox and acknowledged at once; a body that is not an Update is answered
  200 too (Telegram would only redeliver it) and kept in the inbox as ``failed``. Only
  when the inbox cannot be written does Telegram get a 500 (and redeliver).
* In either mode the inbox worker handles the stored updates, in order per chat.
* Each update becomes a neutral event (``event_id`` = update id, so redeliveries are
  dropped by the app). Every button press is answered, duplicates and failures too.
* Replies are rendered natively (:mod:`bot.adapters.telegram.render`); replies and pushes
  (through :attr:`sender`, by the outbox dispatcher) share one pacer over
  :data:`bot.adapters.telegram.rate.RATE_PROFILE`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import secrets
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats, Bot, Update)
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.adapters.telegram.events import ALLOWED_UPDATES, Converted, convert
from bot.adapters.telegram.rate import RATE_PROFILE
from bot.adapters.telegram.settings import TelegramSettings
from bot.adapters.telegram.render import toast
from bot.adapters.telegram.send import TelegramSender
from bot.answer import answer
from bot.app import App, Outcome
from bot.i18n import Translator
from bot.inbox import InboxWorker
from bot.model import Event, EventKind
from bot.ratelimit import Pacer, RateProfile
from bot.router import Where
from bot.startup import Connector, CredentialsRejected, Unreachable
from bot.web import WebServer
from storage.inbox import InboxRow
from storage.repo import serialise_on
from storage.runtime import EventLogRepo
from storage.sent_messages import SentMessageRepo

log = logging.getLogger(__name__)
T = TypeVar("T")

WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
# (language_code for setMyCommands, our language): "" is everyone else → Thai first.
COMMAND_LANGUAGES = (("", "th"), ("th", "th"), ("en", "en"))
MAX_COMMANDS = 100
POLL_TIMEOUT = 10
MAX_PHOTO_BYTES = 20 * 1024 * 1024
STOP_GRACE = 8.0
MAX_POLL_DELAY = 30.0  # seconds between getUpdates retries, at most


def api_urls(base: str) -> tuple[str, str]:
    """PTB's ``base_url`` and ``base_file_url`` for a Bot API server root URL."""
    base = base.strip().rstrip("/")
    if base.endswith("/bot"):
        base = base[: -len("/bot")]
    return f"{base}/bot", f"{base}/file/bot"


def webhook_url(settings: TelegramSettings) -> str | None:
    """The public URL Telegram posts to; a bare origin gets ``/webhooks/telegram``."""
    url = settings.webhook_url.strip()
    if not url:
        return None
    if urlsplit(url).path in ("", "/"):
        url = url.rstrip("/") + WEBHOOK_PATH
    return url


def build_bot(settings: TelegramSettings) -> Bot:
    base_url, base_file_url = api_urls(settings.api_base_url)
    return Bot(settings.bot_token, base_url=base_url, base_file_url=base_file_url,
               request=HTTPXRequest(connection_pool_size=32, connect_timeout=10, read_timeout=20,
                                    write_timeout=30, pool_timeout=10),
               get_updates_request=HTTPXRequest(connection_pool_size=2, connect_timeout=10, read_timeout=10))


class TelegramAdapter:
    """``edunet serve`` runs one of these when ``TELEGRAM_BOT_TOKEN`` is set."""

    platform = "telegram"

    def __init__(self, app: App, settings: TelegramSettings, web_server: WebServer, *, bot: Bot | None = None,
                 rate_profile: RateProfile = RATE_PROFILE) -> None:
        # httpx logs every request URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        self.app = app
        self.settings = settings
        self.bot = bot or build_bot(settings)
        self.pacer = Pacer(rate_profile)
        self.sender = TelegramSender(self.bot, app, self.pacer)
        self.webhook_url = webhook_url(settings)
        self.secret = settings.webhook_secret or secrets.token_urlsafe(32)
        self._poller: asyncio.Task[None] | None = None
        self._stop_polling = asyncio.Event()
        self.inbox = InboxWorker(app, self.platform, self._process_stored)
        if self.webhook_url:
            web_server.add_route("POST", WEBHOOK_PATH, self._webhook)
        self.connector = Connector(self.platform, settings.api_base_url.strip().rstrip("/"), self._get_me,
                                   self._start_receiving)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """getMe first: a refused token stops the start-up (:class:`CredentialsRejected`); an
        unreachable API is retried in the background (:class:`bot.startup.Connector`) and the
        rest of the start-up (command menu, webhook or polling, the inbox) runs once it answers."""
        await self.connector.start()

    async def _get_me(self) -> None:
        try:
            await self.bot.initialize()
        except InvalidToken:
            raise CredentialsRejected(
                "Telegram rejected TELEGRAM_BOT_TOKEN (getMe answered 401 Unauthorized): copy the token from "
                "@BotFather (/mybots → API Token) again") from None  # PTB's message holds the token
        except (TelegramError, OSError) as exc:
            raise Unreachable(str(exc)) from exc

    async def _start_receiving(self) -> None:
        self.app.bot_usernames[self.platform] = self.bot.username
        if not self.app.receives:  # a worker process: its receiver sets the webhook or polls
            self.inbox.start()
            return
        try:
            await self.register_commands()
        except TelegramError:
            log.exception("registering the command list failed; continuing without it")
        if self.webhook_url:
            if not self.webhook_url.startswith("https://"):
                log.warning("TELEGRAM_WEBHOOK_URL is not https; Telegram itself only posts to https URLs")
            await self.bot.set_webhook(self.webhook_url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES,
                                       max_connections=40)
            log.info("telegram: webhook set to %s", self.webhook_url)
        else:
            await self.bot.delete_webhook()  # getUpdates is refused while a webhook is set
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
            log.info("telegram: long polling as @%s", self.bot.username)
        self.inbox.start()  # in polling mode too: updates a webhook stored before a restart

    async def stop(self) -> None:
        await self.connector.stop()
        self._stop_polling.set()
        if self._poller is not None:
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.inbox.stop(STOP_GRACE)
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

    # ------------------------------------------------------------ receiving

    async def _poll(self) -> None:
        """getUpdates → store the batch in the inbox → the next getUpdates (with the offset after the
        batch) confirms it. A batch that could not be stored is not confirmed: it comes again."""
        offset: int | None = None
        delay = 1.0
        while not self._stop_polling.is_set():
            try:
                updates = await self._unless_stopped(self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES))
                if updates:
                    await self.inbox.store([stored(update) for update in updates])
                    offset = updates[-1].update_id + 1
                delay = 1.0
            except InvalidToken:
                log.error("telegram: the bot token was refused; polling stops")
                return
            except RetryAfter as exc:
                await self._unless_stopped(asyncio.sleep(_seconds(exc.retry_after)))
            except Exception as exc:  # noqa: BLE001 - the API or the database: try again later
                log.warning("telegram: receiving updates failed (%s); retrying in %.0f s", exc, delay)
                await self._unless_stopped(asyncio.sleep(delay))
                delay = min(MAX_POLL_DELAY, delay * 2)
        if offset is not None:  # confirm the last batch (it is stored) so a restart does not fetch it again
            try:
                await self.bot.get_updates(offset=offset, timeout=0, allowed_updates=ALLOWED_UPDATES)
            except TelegramError as exc:
                log.info("telegram: confirming the last updates failed (%s); they will be skipped as stored", exc)

    async def _unless_stopped(self, work: Awaitable[T]) -> T | None:
        """``work``'s result, or None when the adapter stops first (a long poll is cut short)."""
        task = asyncio.ensure_future(work)
        stop = asyncio.ensure_future(self._stop_polling.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            return None
        return task.result()

    async def _webhook(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("telegram webhook: request without the right secret token from %s", request.remote)
            return web.Response(status=403, text="forbidden")
        body = await request.read()
        data, problem = parse_update(body)
        try:
            if problem is not None:
                log.warning("telegram webhook: a body that is not an Update was dead-lettered (%s)", problem)
                await self.inbox.dead_letter(dead_letter_id(data, body), "", data, error=problem)
            else:
                await self.inbox.store([(str(data["update_id"]), update_chat(data), data)])
        except Exception:  # the database is down: let Telegram deliver it again
            log.exception("telegram webhook: the update could not be stored")
            return web.Response(status=500, text="not stored")
        return web.Response(status=200)

    async def _process_stored(self, row: InboxRow) -> None:
        """Handle and answer one update from the inbox; raising makes the worker retry it."""
        update = Update.de_json(row.body, self.bot)
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
                outcomes.append((event, await self.app.handle(event)))
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


def parse_update(body: bytes) -> tuple[dict[str, Any], str | None]:
    """The update's JSON object, and why it is not an Update (None when it is one)."""
    try:
        data = json.loads(body)
    except ValueError:
        return {"body": body[:10_000].decode("utf-8", "replace")}, "not JSON"
    if not isinstance(data, dict):
        return {"body": data}, "not a JSON object"
    if not isinstance(data.get("update_id"), int) or isinstance(data["update_id"], bool):
        return data, "no update_id"
    try:
        Update.de_json(data, None)
    except Exception as exc:  # noqa: BLE001 - whatever PTB rejects is not an Update
        return data, f"not an Update: {type(exc).__name__}: {exc}"[:500]
    return data, None


def update_chat(data: dict[str, Any]) -> str:
    """The chat an update belongs to (its events run in order), or its sender for chat-less updates."""
    for value in data.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if isinstance(chat, dict) and "id" in chat:
                return str(chat["id"])
            sender = value.get("from")
            if isinstance(sender, dict) and "id" in sender:
                return str(sender["id"])
    return ""


def dead_letter_id(data: dict[str, Any], body: bytes) -> str:
    """The update id when there is one, else a digest of the body (the same body is kept once)."""
    update_id = data.get("update_id")
    if isinstance(update_id, int) and not isinstance(update_id, bool):
        return str(update_id)
    return "body:" + hashlib.sha256(body).hexdigest()[:40]


def stored(update: Update) -> tuple[str, str, dict[str, Any]]:
    """An update as the inbox keeps it: (event id, chat, body)."""
    data = update.to_dict()
    return str(update.update_id), update_chat(data), data


def _seconds(value: int | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
