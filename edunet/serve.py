"""``edunet serve``: run the configured platforms, the outbox dispatcher and the
scheduler until SIGINT/SIGTERM.

A platform whose credentials are refused at start-up stops the process with one line and exit
status 1; one that cannot be reached is retried in the background while the rest runs
(:mod:`bot.startup`)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from bot.adapters import Adapter, AdapterSpec, discover
from bot import metrics
from bot.app import App
from bot.config import Settings
from bot.heartbeat import Heartbeat
from bot.outbox import OutboxDispatcher
from bot.startup import CredentialsRejected
from bot.web import WebServer
from edunet import build_app
from scheduler.service import SchedulerService

log = logging.getLogger(__name__)


def add_privacy_page(web: WebServer, settings: Settings) -> None:
    """``GET /privacy``: the full privacy notice (Thai, then English), linked from the chat notice."""
    from aiohttp import web as aioweb

    from handlers.privacy import PAGE_PATH, notice_html

    page = notice_html(settings)

    async def privacy_page(_request: aioweb.Request) -> aioweb.Response:
        return aioweb.Response(text=page, content_type="text/html", charset="utf-8",
                               headers={"Cache-Control": "public, max-age=3600"})

    web.add_route("GET", PAGE_PATH, privacy_page)


def configured_adapters(app: App, web: WebServer, specs: list[AdapterSpec]) -> list[Adapter]:
    """An adapter for every platform whose settings are complete."""
    adapters = []
    for spec in specs:
        platform_settings = spec.settings()
        if spec.enabled(platform_settings):
            adapters.append(spec.build(app, web, platform_settings))
    return adapters


async def serve(settings: Settings, *, specs: list[AdapterSpec] | None = None,
                stop: asyncio.Event | None = None) -> int:
    """Serve every configured platform until SIGINT/SIGTERM (or until ``stop`` is set)."""
    specs = discover() if specs is None else specs
    # Platforms whose pushes cost money (LINE: per recipient): there, what can wait rides on free replies.
    billed = frozenset(spec.name for spec in specs if spec.billed is not None and spec.billed(spec.settings()))
    app = build_app(settings, specs=specs, billed_platforms=billed)
    web = WebServer(settings)
    add_privacy_page(web, settings)
    from handlers.dashboard import add_routes as add_dashboard_routes  # the coordinator's web view (issue 16)

    add_dashboard_routes(web, app)
    adapters = configured_adapters(app, web, specs)
    if not adapters:
        needed = ", or ".join(spec.required for spec in specs)
        print(f"no platform is configured: set {needed} (try `edunet console` to run without any)",
              file=sys.stderr)
        return 2
    await app.start()
    # This process is one instance among any number on the database: it heartbeats, and takes over
    # a dead one's outbox rows and inbox events within seconds (bot/heartbeat.py).
    heartbeat = Heartbeat(app)
    app.instance = heartbeat.instance
    await heartbeat.start()
    dispatcher = OutboxDispatcher(app, {a.platform: a.sender for a in adapters}, owner=heartbeat.instance,
                                  fence=heartbeat.fresh)
    heartbeat.on_fenced.append(dispatcher.forget)
    scheduler = SchedulerService(app)
    web.add_route("GET", "/metrics", metrics.handler(app, dispatcher, heartbeat.alive))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    delivery = asyncio.create_task(dispatcher.run(), name="outbox-dispatcher")
    try:
        await scheduler.start()
        await web.start()
        for adapter in adapters:
            try:
                await adapter.start()
            except CredentialsRejected as exc:  # one clear line, no traceback: nothing works until it is fixed
                print(f"edunet: {exc}", file=sys.stderr)
                return 1
        log.info("EduNet is running (%s) as instance %s", ", ".join(a.platform for a in adapters),
                 heartbeat.instance)
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
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
        await heartbeat.stop()  # after the dispatcher and the inbox workers gave their work back
        await web.stop()
        await app.close()
    return 0
