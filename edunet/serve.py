"""``edunet serve``: run the configured platforms, the outbox dispatcher and the
scheduler until SIGINT/SIGTERM: in one process, or (``EDUNET_PROCESSES=2``) as a receiving
process and a worker process it starts (:mod:`edunet.processes`).

A platform whose credentials are refused at start-up stops the process with one line and exit
status 1; one that cannot be reached is retried in the background while the rest runs
(:mod:`bot.startup`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.adapters import Adapter, AdapterSpec, Receiver, discover
from bot import metrics
from bot.app import App
from bot.config import Settings
from bot.heartbeat import Heartbeat
from bot.startup import CredentialsRejected
from bot.web import WebServer
from edunet import build_app
from edunet.processes import (EXIT_REFUSED, INBOX, OUTBOX, ROLE, SCHEDULER, WORKER_NICENESS, WorkerProcess,
                              freeze_start_up_objects, give_back_freed_memory, listen_for_wakes, stop_listening,
                              tell_ready)
if TYPE_CHECKING:
    from bot.outbox import OutboxDispatcher
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


def add_web_view(web: WebServer, app: App, *, on_first_use: bool) -> None:
    """The coordinator's web view (issue 16) under ``/dashboard``; ``on_first_use``: its pages (and the
    features they read) are loaded on its first request, not at start (a receiver stays small)."""
    def mount(server: object) -> None:
        from handlers.dashboard import add_routes

        add_routes(server, app)

    if on_first_use:
        web.add_pages_on_first_use("/dashboard", mount)
    else:
        mount(web)


def _configured(specs: list[AdapterSpec]) -> list[tuple[AdapterSpec, Any]]:
    """Every platform whose settings are complete, with its settings."""
    found = []
    for spec in specs:
        platform_settings = spec.settings()
        if spec.enabled(platform_settings):
            found.append((spec, platform_settings))
    return found


def configured_adapters(app: App, web: WebServer, specs: list[AdapterSpec]) -> list[Adapter]:
    """An adapter for every platform whose settings are complete."""
    return [spec.build(app, web, platform_settings) for spec, platform_settings in _configured(specs)]


def configured_receivers(app: App, web: WebServer, specs: list[AdapterSpec]) -> list[Receiver]:
    """What a receiving process runs of every configured platform: its receiver, or its whole adapter
    where it has none (:attr:`bot.adapters.AdapterSpec.build_receiver`)."""
    return [(spec.build_receiver or spec.build)(app, web, platform_settings)
            for spec, platform_settings in _configured(specs)]


ONE, RECEIVER, WORKER = "receiver and worker", "receiver", "worker"


@dataclass
class Process:
    """What this ``edunet serve`` process runs (:func:`compose`)."""

    role: str  # ONE, RECEIVER or WORKER
    app: App
    web: WebServer
    adapters: list[Adapter]  # the whole platforms (none in a receiver)
    receivers: list[Receiver]  # what receives: the adapters, or in a receiver their receiving halves


def urgency_file(receiver_pid: int) -> str:
    """Where a receiver and its worker share the urgent-writer flag on PostgreSQL (on SQLite it lies
    beside the database file): the worker is the receiver's child, so both know the receiver's pid."""
    import tempfile

    return os.path.join(tempfile.gettempdir(), f"edunet-{receiver_pid}.urgent")


def role_of(settings: Settings) -> str:
    """EDUNET_PROCESSES=2: the process started receives (stores and acknowledges), the worker process
    it starts processes (edunet/processes.py); EDUNET_ROLE=worker is that worker."""
    if os.environ.get(ROLE, "") == "worker":  # set by the receiver for the worker it starts, not a setting
        return WORKER
    return RECEIVER if settings.processes == 2 else ONE


def compose(settings: Settings, specs: list[AdapterSpec], role: str) -> Process:
    """The app, the web server and the platforms of a process in ``role``. A receiver handles no
    event, so it has no features and only the platforms' receiving halves (issue 18: it stays small)."""
    # Platforms whose pushes cost money (LINE: per recipient): there, what can wait rides on free replies.
    billed = frozenset(spec.name for spec in specs if spec.billed is not None and spec.billed(spec.settings()))
    app = build_app(settings, specs=specs, billed_platforms=billed, features=role != RECEIVER)
    app.receives = role != WORKER
    app.works = role != RECEIVER
    if role != ONE:
        # The receiver's inbox writes go before the worker's (both engines: storage.db.UrgentSignal).
        receiver_pid = os.getpid() if role == RECEIVER else os.getppid()
        app.db.share_urgency(None if app.db.is_sqlite else urgency_file(receiver_pid))
    if role == WORKER:  # it serves no page: its reads need no thread of their own (Database.read_on_loop)
        app.db.read_on_loop()
    web = WebServer(settings)
    if role != WORKER:  # the worker binds no port: its receiver serves the pages
        add_privacy_page(web, settings)
        add_web_view(web, app, on_first_use=role == RECEIVER)
    if role == RECEIVER:
        return Process(role, app, web, [], configured_receivers(app, web, specs))
    adapters = configured_adapters(app, web, specs)
    return Process(role, app, web, adapters, list(adapters))


async def serve(settings: Settings, *, specs: list[AdapterSpec] | None = None,
                stop: asyncio.Event | None = None) -> int:
    """Serve every configured platform until SIGINT/SIGTERM (or until ``stop`` is set)."""
    specs = discover() if specs is None else specs
    role = role_of(settings)
    worker_role, receiver_role = role == WORKER, role == RECEIVER
    if worker_role:
        # When the cores are busy (several instances on one machine, PostgreSQL beside them), the
        # receiver's acks go first and processing takes what is left: LINE and Telegram wait for the ack.
        os.nice(WORKER_NICENESS)
    process = compose(settings, specs, role)
    app, web, adapters, receivers = process.app, process.web, process.adapters, process.receivers
    if not receivers:
        needed = ", or ".join(spec.required for spec in specs)
        print(f"no platform is configured: set {needed} (try `edunet console` to run without any)",
              file=sys.stderr)
        return 2
    # The schema is brought up to date here, before the receiver starts its worker (which finds it so).
    await app.start(upgrade_in_child=True)
    trimming = asyncio.create_task(give_back_freed_memory(), name="give-back-freed-memory")
    worker: WorkerProcess | None = None
    # This process is one instance among any number on the database: it heartbeats, and takes over
    # a dead one's outbox rows and inbox events within seconds (bot/heartbeat.py).
    heartbeat = Heartbeat(app)
    app.instance = heartbeat.instance
    await heartbeat.start()
    dispatcher: OutboxDispatcher | None = None
    scheduler: SchedulerService | None = None
    if app.works:
        from bot import outbox  # not in a receiver: it sends nothing and runs no scheduler
        from scheduler import service

        dispatcher = outbox.OutboxDispatcher(app, {a.platform: a.sender for a in adapters}, owner=heartbeat.instance,
                                             fence=heartbeat.fresh)
        heartbeat.on_fenced.append(dispatcher.forget)
        scheduler = service.SchedulerService(app)
    web.add_route("GET", "/metrics", metrics.handler(app, dispatcher, heartbeat.alive))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    wake_fd = listen_for_wakes({INBOX: app.notify_inbox, OUTBOX: app.notify_outbox,
                                SCHEDULER: app.notify_scheduler}, stop.set) if worker_role else None
    delivery = asyncio.create_task(dispatcher.run(), name="outbox-dispatcher") if dispatcher is not None else None
    try:
        if receiver_role:
            worker = WorkerProcess(on_refused=stop.set)
            app.on_inbox(lambda: worker.tell(INBOX) if worker is not None else None)
            app.on_outbox(lambda: worker.tell(OUTBOX) if worker is not None else None)
            app.on_scheduler(lambda: worker.tell(SCHEDULER) if worker is not None else None)
            await worker.start()
            web.health_checks.append(lambda: worker.problem() if worker is not None else None)
        if scheduler is not None:
            await scheduler.start()
        if not worker_role:  # the worker binds no port: its receiver serves the web
            await web.start()
        for receiver in receivers:
            try:
                await receiver.start()
            except CredentialsRejected as exc:  # one clear line, no traceback: nothing works until it is fixed
                print(f"edunet: {exc}", file=sys.stderr)
                return EXIT_REFUSED if worker_role else 1
        if worker_role:
            tell_ready()
        # Started: what start-up made stays for the process's life, and full collections need not walk it.
        frozen = freeze_start_up_objects()
        log.info("EduNet is running (%s) as instance %s (%s); %d start-up objects set aside from the garbage "
                 "collector", ", ".join(r.platform for r in receivers), heartbeat.instance, role, frozen)
        await stop.wait()
        if worker is not None and worker.refused:  # its one line (the platform refused credentials) is printed
            return 1
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        stop_listening(wake_fd)
        for receiver in receivers:
            try:
                await receiver.stop()
            except Exception:
                log.exception("stopping the %s adapter failed", receiver.platform)
        if worker is not None:  # after the adapters stored what they received
            await worker.stop()
        if dispatcher is not None:
            dispatcher.stop()
        if scheduler is not None:
            await scheduler.stop()
        if delivery is not None:
            try:
                await asyncio.wait_for(delivery, timeout=10)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                delivery.cancel()
        trimming.cancel()
        await heartbeat.stop()  # after the dispatcher and the inbox workers gave their work back
        await web.stop()
        await app.close()
        if receiver_role and not app.db.is_sqlite and app.db.urgency_path:  # its worker has stopped
            with contextlib.suppress(OSError):
                os.unlink(app.db.urgency_path)
    return 0
