"""``edunet serve``: run the configured platforms, the outbox dispatcher and the
scheduler until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.app import App
from bot.config import Settings
from bot.outbox import OutboxDispatcher
from bot.web import WebServer

log = logging.getLogger(__name__)
POLL_SECONDS = 5.0
SHUTDOWN_GRACE = 10.0


def configured_adapters(app: App, settings: Settings, web: WebServer) -> list:  # type: ignore[type-arg]
    adapters = []
    if settings.telegram_bot_token:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(app, settings, web))
    if settings.line_channel_secret and settings.line_channel_access_token:
        from bot.adapters.line import LineAdapter

        adapters.append(LineAdapter(app, settings, web))
    return adapters


async def _background(app: App, dispatcher: OutboxDispatcher, stop: asyncio.Event) -> None:
    """Deliver the outbox and run due tasks; woken early by new work."""
    wake = asyncio.Event()
    app.on_outbox(wake.set)
    app.on_scheduler(wake.set)
    while not stop.is_set():
        wake.clear()
        try:
            await app.run_due_tasks()
            await dispatcher.deliver_due()
        except Exception:
            log.exception("background delivery failed; retrying")
        try:
            await asyncio.wait_for(wake.wait(), timeout=POLL_SECONDS)
        except asyncio.TimeoutError:
            pass


async def serve(settings: Settings) -> int:
    app = App(settings)
    web = WebServer(settings)
    adapters = configured_adapters(app, settings, web)
    if not adapters:
        print("no platform is configured: set TELEGRAM_BOT_TOKEN, or LINE_CHANNEL_SECRET and "
              "LINE_CHANNEL_ACCESS_TOKEN (try `edunet console` to run without any)", file=sys.stderr)
        return 2
    await app.start()
    dispatcher = OutboxDispatcher(app, {a.platform: a.sender for a in adapters})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    background = asyncio.create_task(_background(app, dispatcher, stop))
    try:
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
        # Let the delivery loop finish its pass: cancelling it mid-transaction can leave the
        # database driver closing a connection forever, and the process would never exit.
        app.notify_outbox()  # wakes the loop, which then sees `stop`
        _done, pending = await asyncio.wait([background], timeout=SHUTDOWN_GRACE)
        for task in pending:
            task.cancel()
        await asyncio.gather(background, return_exceptions=True)
        await web.stop()
        await app.close()
    return 0
