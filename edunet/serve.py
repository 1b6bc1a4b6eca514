"""``edunet serve``: run the configured platforms, the outbox dispatcher and the
scheduler until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.app import App
from edunet import build_app
from bot.config import Settings
from bot.outbox import OutboxDispatcher
from bot.web import WebServer
from scheduler.service import SchedulerService

log = logging.getLogger(__name__)


def configured_adapters(app: App, settings: Settings, web: WebServer) -> list:  # type: ignore[type-arg]
    adapters = []
    if settings.telegram_bot_token:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(app, settings, web))
    if settings.line_channel_secret and settings.line_channel_access_token:
        from bot.adapters.line import LineAdapter

        adapters.append(LineAdapter(app, settings, web))
    return adapters


async def serve(settings: Settings) -> int:
    # LINE bills every push per recipient; Telegram pushes are free.
    app = build_app(settings, billed_platforms=frozenset({"line"}) if settings.line_free_delivery else frozenset())
    web = WebServer(settings)
    adapters = configured_adapters(app, settings, web)
    if not adapters:
        print("no platform is configured: set TELEGRAM_BOT_TOKEN, or LINE_CHANNEL_SECRET and "
              "LINE_CHANNEL_ACCESS_TOKEN (try `edunet console` to run without any)", file=sys.stderr)
        return 2
    await app.start()
    dispatcher = OutboxDispatcher(app, {a.platform: a.sender for a in adapters})
    scheduler = SchedulerService(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    delivery = asyncio.create_task(dispatcher.run(), name="outbox-dispatcher")
    try:
        await scheduler.start()
        await web.start()
        for adapter in adapters:
            await adapter.start()
        log.info("EduNet is running (%s)", ", ".join(a.platform for a in adapters))
        await stop.wait()
    finally:
        for adapter in adapters:
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping the %s adapter failed", adapter.platform)
        dispatcher.stop()
        await scheduler.stop()
        try:
            await asyncio.wait_for(delivery, timeout=10)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            delivery.cancel()
        await web.stop()
        await app.close()
    return 0
