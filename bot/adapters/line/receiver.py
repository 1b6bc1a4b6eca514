"""LINE's receiving half: the signed webhook into the durable inbox, and the media it serves.

``POST /webhooks/line``
    The ``x-line-signature`` (HMAC-SHA256 of the raw body with the channel secret) is
    checked in constant time before anything is parsed: missing/wrong → 401, a body over
    1 MB → 413, not a webhook body → 400; none of these touches the database. Otherwise
    the events are stored in the inbox (de-duplicated by ``webhookEventId``, so a
    redelivery changes nothing) and LINE gets its 200 at once.

``GET /media/{token}.{ext}``
    Images and downloads (see :mod:`bot.media`) under ``EDUNET_PUBLIC_URL``.

With ``EDUNET_PROCESSES=2`` the receiving process runs only this (:data:`bot.adapters.AdapterSpec.build_receiver`):
it answers nothing, so it needs neither the Messaging API client nor the features, and stays small; the
worker process runs the whole :class:`bot.adapters.line.adapter.LineAdapter`, which is this plus the answers.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiohttp import web

from bot.adapters.line.events import MalformedWebhook, chat_id, event_id, parse_body, signature_ok
from bot.inbox import InboxWorker
from bot.media import MediaStore, PublicURLError, check_public_url
from storage.inbox import InboxRow

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.app import App
    from bot.adapters.line.settings import LineSettings
    from bot.web import WebServer

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/line"
MAX_BODY = 1024 * 1024
STOP_GRACE = 8.0  # seconds to finish the work in hand when stopping


class LineReceiver:
    """Receives LINE webhooks on the shared web server and stores them in the inbox."""

    platform = "line"

    def __init__(self, app: App, settings: LineSettings, web_server: WebServer) -> None:
        try:
            public_url = check_public_url(app.settings.public_url, allow_http=app.settings.allow_http_public_url)
        except PublicURLError as exc:
            raise SystemExit(f"edunet: {exc}") from None
        if not public_url:
            log.warning("EDUNET_PUBLIC_URL is not set: LINE users get charts as text and no download links")
        self.app = app
        self.settings = settings
        self.media = MediaStore(app, secret=settings.channel_secret, public_url=public_url)
        web_server.add_route("POST", WEBHOOK_PATH, self.webhook)
        web_server.add_route("GET", "/media/{name}", self.media.handle)
        self.inbox = InboxWorker(app, self.platform, self._process, housekeeping=self.media.prune,
                                 claimed=self._claimed)

    async def _process(self, row: InboxRow) -> None:  # the LineAdapter processes; a receiving process never does
        raise RuntimeError(f"the LINE receiver cannot process inbox event {row.event_id}")

    async def _claimed(self, conn: AsyncConnection, rows: list[InboxRow]) -> None:
        """What the LineAdapter reads about a claimed batch (a receiving process claims none)."""

    async def start(self) -> None:
        self.inbox.start()  # in a receiving process (app.works is False) it only stores

    async def stop(self, grace: float = STOP_GRACE) -> None:
        await self.inbox.stop(grace)

    async def webhook(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"error": "body too large"}, status=413)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in request.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > MAX_BODY:
                    return web.json_response({"error": "body too large"}, status=413)
                chunks.append(chunk)
        except Exception:
            return web.json_response({"error": "could not read the body"}, status=400)
        body = b"".join(chunks)
        if not signature_ok(self.settings.channel_secret, body, request.headers.get("x-line-signature")):
            log.warning("LINE webhook with a missing or wrong signature from %s", request.remote)
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            events = parse_body(body)
        except MalformedWebhook as exc:
            log.warning("malformed LINE webhook: %s", exc)
            return web.json_response({"error": "malformed body"}, status=400)
        stored = await self.inbox.store((event_id(raw), chat_id(raw), raw) for raw in events) if events else 0
        return web.json_response({"stored": stored})
