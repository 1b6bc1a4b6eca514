"""The APScheduler path: jobs rebuilt from rows at start-up, restarts before, during and
after a reminder's time, two processes at once, and the server-mode pipeline
(scheduler → task → outbox → dispatcher woken by app.on_outbox)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa

from bot.app import App
from edunet import build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.outbox import OutboxDispatcher
from scheduler.service import SchedulerService
from storage.runtime import TaskRepo
from storage.tables import outbox, scheduled_tasks
from tests.support.conversation import BANGKOK, make_conversation
from tests.support.fake_sender import FakeSender

MEETING = ["alice@teachers: /meeting วางแผนภาคเรียน", "alice@teachers: 23/11/2569 14:00", "alice@teachers: 90",
           "alice@teachers: ห้องประชุม 3", "alice@teachers: [ไม่มีวาระ]", "alice@teachers: [ทุกกลุ่ม]",
           "alice@teachers: [สร้าง]"]


async def prepare(url: str) -> None:
    """A network, two groups, bob going to a meeting on Mon 23 Nov 14:00 (then the process stops)."""
    bot, app = await make_conversation(url, "line")
    await bot.setup_network()
    await bot.add_member("bob", "teacher")
    await bot("alice@parents: /linkgroup", *MEETING, "bob@teachers: [ไป]")
    await app.close()


def at(text: str) -> ManualClock:
    return ManualClock(datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=BANGKOK))


async def restart(url: str, clock: ManualClock) -> tuple[App, SchedulerService]:
    app = build_app(Settings(database_url=url), clock=clock)
    service = SchedulerService(app, reconcile_seconds=3600)
    await service.start()
    return app, service


async def eventually(check: Callable[[], object], timeout: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


async def keys(app: App, prefix: str) -> list[str]:
    async with app.db.transaction() as conn:
        return list((await conn.execute(sa.select(outbox.c.key).where(outbox.c.key.like(prefix + "%"))
                                         .order_by(outbox.c.key))).scalars())


async def task_state(app: App, key: str) -> tuple[str, str | None]:
    async with app.db.transaction() as conn:
        row = (await conn.execute(sa.select(scheduled_tasks.c.status, scheduled_tasks.c.note)
                                  .where(scheduled_tasks.c.key == key))).one()
    return row.status, row.note


async def test_jobs_are_rebuilt_from_rows_with_deterministic_ids_and_deliberate_misfire_policy(
        sqlite_url: str) -> None:
    await prepare(sqlite_url)
    app, service = await restart(sqlite_url, at("2026-11-21 09:30"))
    try:
        async with app.db.transaction() as conn:
            pending = {t.key for t in await TaskRepo(conn).pending()}
        assert {"meeting:1:remind:-1440m", "meeting:1:remind:-60m", "summary:1:weekly"} <= pending
        assert service.job_ids() == pending
        for job in service.scheduler.get_jobs():
            if job.id in pending:
                assert job.misfire_grace_time is None and job.coalesce is True and job.max_instances == 1
        await service.reconcile()  # rebuilding twice adds nothing
        assert service.job_ids() == pending and len(service.scheduler.get_jobs()) == len(pending) + 2  # reconcile, overdue
    finally:
        await service.stop()
        await app.close()


async def test_restart_before_the_reminder_then_it_fires_once_at_its_time(sqlite_url: str) -> None:
    await prepare(sqlite_url)
    clock = at("2026-11-22 13:59")
    app, service = await restart(sqlite_url, clock)
    try:
        await asyncio.sleep(0.2)
        assert await keys(app, "meeting:1:v1:remind:") == []
        clock.set(at("2026-11-22 14:00").now())
        await service.clock_moved()
        await eventually(lambda: keys(app, "meeting:1:v1:remind:-1440m"))
        await asyncio.sleep(0.2)
        assert await keys(app, "meeting:1:v1:remind:") == [
            "meeting:1:v1:remind:-1440m:chat:2", "meeting:1:v1:remind:-1440m:chat:4",
            "meeting:1:v1:remind:-1440m:member:2"]
        assert (await task_state(app, "meeting:1:remind:-1440m"))[0] == "done"
        assert "meeting:1:remind:-60m" in service.job_ids()  # the next one is armed
    finally:
        await service.stop()
        await app.close()


async def test_restart_after_a_reminder_time_before_the_meeting_sends_it_on_start_up(sqlite_url: str) -> None:
    await prepare(sqlite_url)
    app, service = await restart(sqlite_url, at("2026-11-23 10:00"))
    try:
        await eventually(lambda: keys(app, "meeting:1:v1:remind:-1440m"))
        assert (await task_state(app, "meeting:1:remind:-1440m"))[0] == "done"
        assert (await task_state(app, "meeting:1:remind:-60m"))[0] == "pending"
    finally:
        await service.stop()
        await app.close()


async def test_restart_after_the_meeting_started_drops_its_reminders_and_says_why(sqlite_url: str) -> None:
    await prepare(sqlite_url)
    app, service = await restart(sqlite_url, at("2026-11-23 14:05"))
    try:
        async def dropped() -> bool:
            states = [(await task_state(app, k))[0] for k in ("meeting:1:remind:-1440m", "meeting:1:remind:-60m")]
            return states == ["dropped", "dropped"]

        await eventually(dropped)
        assert await keys(app, "meeting:1:v1:remind:") == []
        status, note = await task_state(app, "meeting:1:remind:-60m")
        assert "already started" in (note or "")
    finally:
        await service.stop()
        await app.close()


async def test_two_processes_send_every_reminder_exactly_once(db_url: str) -> None:
    await prepare(db_url)
    clock = at("2026-11-23 13:05")  # both reminders due: one goes (late), the other is superseded by it
    (app1, s1), (app2, s2) = await asyncio.gather(restart(db_url, clock), restart(db_url, clock))
    sender = FakeSender()
    d1 = OutboxDispatcher(app1, {"line": sender}, idle_poll_seconds=0.05)
    d2 = OutboxDispatcher(app2, {"line": sender}, idle_poll_seconds=0.05)
    runs = [asyncio.create_task(d.run()) for d in (d1, d2)]
    try:
        await eventually(lambda: len([s for s in sender.sent if "เตือนความจำ" in s.texts[0]]) >= 3)
        await asyncio.sleep(0.3)
        reminders = [s for s in sender.sent if "เตือนความจำ" in s.texts[0]]
        assert sorted(s.chat for s in reminders) == ["bob", "group-parents", "group-teachers"]
        queued = await keys(app1, "meeting:1:v1:remind:")
        assert len(queued) == 3 and len({k.split(":")[4] for k in queued}) == 1  # one reminder's rows
        assert sum(":member:" in k for k in queued) == 1
        states = sorted([(await task_state(app1, f"meeting:1:remind:{o}"))[0] for o in ("-1440m", "-60m")])
        assert states == ["done", "dropped"]
        assert s1.ran + s2.ran >= 1 and sender.duplicates_suppressed == 0
    finally:
        for d in (d1, d2):
            d.stop()
        await asyncio.gather(*runs)
        for s in (s1, s2):
            await s.stop()
        await app1.close()
        await app2.close()


async def test_server_mode_pipeline_wakes_the_dispatcher_without_polling(sqlite_url: str) -> None:
    await prepare(sqlite_url)
    clock = at("2026-11-22 13:59")
    app, service = await restart(sqlite_url, clock)
    sender = FakeSender()
    dispatcher = OutboxDispatcher(app, {"line": sender}, idle_poll_seconds=60)
    run = asyncio.create_task(dispatcher.run())
    try:
        await asyncio.sleep(0.2)
        assert not [s for s in sender.sent if "เตือนความจำ" in s.texts[0]]
        clock.set(at("2026-11-22 14:00").now())
        await service.clock_moved()
        # Woken by app.on_outbox after the task's commit, not by the 60 s poll.
        await eventually(lambda: len([s for s in sender.sent if "เตือนความจำ" in s.texts[0]]) == 3, timeout=3)
    finally:
        dispatcher.stop()
        await run
        await service.stop()
        await app.close()
