"""Telegram's receiving half: long polling or the secret-checked webhook, into the durable inbox.

* Long polling by default: each batch from ``getUpdates`` is stored in the inbox
  (:mod:`bot.inbox`) before the next call confirms it, so a crash at any point loses no update
  (one not stored is fetched again).
* A webhook when ``TELEGRAM_WEBHOOK_URL`` is set, served by the shared web server at
  ``/webhooks/telegram`` and verified on every request with the secret token (constant-time
  compare; anything else gets 403 and changes nothing). An update is stored and acknowledged at
  once; a body that is not an update is answered 200 too (Telegram would only redeliver it) and
  kept in the inbox as ``failed``. Only when the inbox cannot be written does Telegram get a 500.

It talks to Telegram through :class:`bot.adapters.telegram.botapi.BotApi` and stores updates as
the JSON Telegram sent. With ``EDUNET_PROCESSES=2`` the receiving process runs only this
(:attr:`bot.adapters.AdapterSpec.build_receiver`): no python-telegram-bot, no features. The whole
adapter (:class:`bot.adapters.telegram.adapter.TelegramAdapter`) is this plus processing and
answering, and in its worker process it only processes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

import aiohttp
from aiohttp import web

from bot.adapters.telegram.botapi import ALLOWED_UPDATES, WEBHOOK_PATH, BotApi, BotApiError, webhook_url
from bot.inbox import InboxWorker
from bot.startup import Connector, CredentialsRejected, Unreachable, reason
from storage.inbox import InboxRow

if TYPE_CHECKING:
    from bot.adapters.telegram.settings import TelegramSettings
    from bot.app import App
    from bot.web import WebServer

log = logging.getLogger(__name__)
T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = 10  # seconds a getUpdates long poll waits for updates
STOP_GRACE = 8.0  # seconds to finish the work in hand when stopping
MAX_POLL_DELAY = 30.0  # seconds between getUpdates retries, at most
REFUSED_TOKEN = ("Telegram rejected TELEGRAM_BOT_TOKEN (getMe answered 401 Unauthorized): copy the token from "
                 "@BotFather (/mybots → API Token) again")


def refused(code: int) -> bool:
    """Whether a Bot API error code means the token is refused (401; 404 for a malformed token)."""
    return code in (401, 404)


class TelegramReceiver:
    """Receives Telegram updates (polling or webhook) and stores them in the inbox."""

    platform = "telegram"

    def __init__(self, app: App, settings: TelegramSettings, web_server: WebServer) -> None:
        self.app = app
        self.settings = settings
        self.api = BotApi(settings.bot_token, settings.api_base_url)
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
        unreachable API is retried in the background (:class:`bot.startup.Connector`) and the rest
        of the start-up (webhook or polling, the inbox) runs once it answers."""
        await self.connector.start()

    async def _get_me(self) -> None:
        try:
            me = await self.api.call("getMe", timeout=10)
        except BotApiError as exc:
            if refused(exc.code):
                raise CredentialsRejected(REFUSED_TOKEN) from None
            raise Unreachable(str(exc)) from exc
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            raise Unreachable(reason(exc)) from exc
        if isinstance(me, dict) and me.get("username"):
            self.app.bot_usernames[self.platform] = str(me["username"])

    async def _before_receiving(self) -> None:
        """What the whole adapter does once Telegram answered, before it receives (its command menu)."""

    async def _start_receiving(self) -> None:
        await self._before_receiving()
        if not self.app.receives:  # a worker process: its receiver sets the webhook or polls
            self.inbox.start()
            return
        if self.webhook_url:
            if not self.webhook_url.startswith("https://"):
                log.warning("TELEGRAM_WEBHOOK_URL is not https; Telegram itself only posts to https URLs")
            await self.api.call("setWebhook", {"url": self.webhook_url, "secret_token": self.secret,
                                               "allowed_updates": ALLOWED_UPDATES, "max_connections": 40})
            log.info("telegram: webhook set to %s", self.webhook_url)
        else:
            await self.api.call("deleteWebhook")  # getUpdates is refused while a webhook is set
            self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
            log.info("telegram: long polling as @%s", self.app.bot_usernames.get(self.platform, "?"))
        self.inbox.start()  # in polling mode too: updates a webhook stored before a restart

    async def stop(self) -> None:
        await self.connector.stop()
        self._stop_polling.set()
        if self._poller is not None:
            await asyncio.gather(self._poller, return_exceptions=True)
        await self.inbox.stop(STOP_GRACE)
        await self.api.close()

    async def _process_stored(self, row: InboxRow) -> None:  # the adapter processes; a receiver never does
        raise RuntimeError(f"the Telegram receiver cannot process inbox event {row.event_id}")

    # ------------------------------------------------------------ receiving

    async def _poll(self) -> None:
        """getUpdates → store the batch in the inbox → the next getUpdates (with the offset after the
        batch) confirms it. A batch that could not be stored is not confirmed: it comes again."""
        offset: int | None = None
        delay = 1.0
        while not self._stop_polling.is_set():
            try:
                updates = await self._unless_stopped(self.api.call(
                    "getUpdates", _updates_after(offset, POLL_TIMEOUT), timeout=POLL_TIMEOUT + 10))
                if updates:
                    await self.inbox.store([stored(update) for update in updates])
                    offset = int(updates[-1]["update_id"]) + 1
                delay = 1.0
            except BotApiError as exc:
                if refused(exc.code):
                    log.error("telegram: the bot token was refused; polling stops")
                    return
                if exc.retry_after is not None:
                    await self._unless_stopped(asyncio.sleep(exc.retry_after))
                    continue
                delay = await self._wait_after(exc, delay)
            except Exception as exc:  # noqa: BLE001 - the network or the database: try again later
                delay = await self._wait_after(exc, delay)
        if offset is not None:  # confirm the last batch (it is stored) so a restart does not fetch it again
            try:
                await self.api.call("getUpdates", _updates_after(offset, 0), timeout=10)
            except Exception as exc:  # noqa: BLE001 - the updates are stored: a restart skips them as stored
                log.info("telegram: confirming the last updates failed (%s); they will be skipped as stored",
                         reason(exc))

    async def _wait_after(self, exc: BaseException, delay: float) -> float:
        log.warning("telegram: receiving updates failed (%s); retrying in %.0f s", reason(exc), delay)
        await self._unless_stopped(asyncio.sleep(delay))
        return min(MAX_POLL_DELAY, delay * 2)

    async def _unless_stopped(self, work: Awaitable[T]) -> T | None:
        """``work``'s result, or None when the receiver stops first (a long poll is cut short)."""
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
        if problem is None:
            problem = self._not_an_update(data)
        try:
            if problem is not None:
                log.warning("telegram webhook: a body that is not an Update was dead-lettered (%s)", problem)
                await self.inbox.dead_letter(dead_letter_id(data, body), "", data, error=problem)
            else:
                await self.inbox.store([stored(data)])
        except Exception:  # the database is down: let Telegram deliver it again
            log.exception("telegram webhook: the update could not be stored")
            return web.Response(status=500, text="not stored")
        return web.Response(status=200)

    def _not_an_update(self, data: dict[str, Any]) -> str | None:
        """Why ``data`` (a JSON object with an update id) is not an update, or None. A receiver cannot
        tell without python-telegram-bot's models: its worker keeps such an update as failed."""
        return None


def _updates_after(offset: int | None, timeout: int) -> dict[str, Any]:
    params: dict[str, Any] = {"timeout": timeout, "allowed_updates": ALLOWED_UPDATES}
    if offset is not None:
        params["offset"] = offset
    return params


def parse_update(body: bytes) -> tuple[dict[str, Any], str | None]:
    """The body's JSON object, and why it is not an update (None when it has the shape of one)."""
    try:
        data = json.loads(body)
    except ValueError:
        return {"body": body[:10_000].decode("utf-8", "replace")}, "not JSON"
    if not isinstance(data, dict):
        return {"body": data}, "not a JSON object"
    if not isinstance(data.get("update_id"), int) or isinstance(data["update_id"], bool):
        return data, "no update_id"
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


def stored(update: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """An update as the inbox keeps it: (event id, chat, body)."""
    return str(update["update_id"]), update_chat(update), update
