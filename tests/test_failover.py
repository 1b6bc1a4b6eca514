"""Failover in seconds: instances heartbeat, and a survivor takes over a dead instance's outbox
rows, inbox events and overdue scheduled tasks without waiting for a lease to run out.

These drive two Apps on one database by hand with a manual lease clock; the kill -9 trials of
real ``edunet serve`` processes are tests/test_kill9.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.clock import ManualClock
from bot.heartbeat import Heartbeat
from bot.model import Text
from bot.outbox import OutboxDispatcher
from scheduler.service import SchedulerService
from storage.inbox import InboxRepo
from storage.runtime import TaskRepo
from bot.config import Settings
from edunet import build_app
from tests.support.conversation import START
from tests.support.fake_sender import FakeSender, SimulatedCrash
from tests.test_outbox import enqueue, make_app, row, setup_chats


@pytest.fixture
async def two(db_url: str):  # type: ignore[no-untyped-def]
    clock = ManualClock(START)
    first, second = await make_app(db_url, clock), await make_app(db_url, clock)
    yield first, second
    await first.close()
    await second.close()


async def test_a_survivor_takes_over_a_dead_instances_rows_within_seconds_not_at_lease_end(two: tuple[App, App]) -> None:
    dead, survivor = two
    network, chats = await setup_chats(dead, 3, platform="line")
    for i, chat in enumerate(chats):
        await enqueue(dead, network, chat, f"k:{i}", Text(f"m{i}"))
    lease_clock = ManualClock(START)
    beat_dead = Heartbeat(dead, "dead-1", clock=lease_clock)
    beat_survivor = Heartbeat(survivor, "survivor-1", clock=lease_clock)
    await beat_dead.beat()
    await beat_survivor.beat()

    sender = FakeSender()
    sender.crash_after_next_send = True  # the platform accepted g0's push, then the process died
    crashing = OutboxDispatcher(dead, {"line": sender}, owner="dead-1", lease_clock=lease_clock, lease_seconds=60)
    with pytest.raises(SimulatedCrash):
        await crashing.deliver_due()
    # An event the dead instance was processing
    async with dead.db.transaction() as conn:
        await InboxRepo(conn, "line").add("ev-1", "C1", {"x": 1}, dead.clock.now())
        [event_id] = await InboxRepo(conn, "line").candidates(dead.clock.now(), 10)
        assert await InboxRepo(conn, "line").claim(event_id, dead.clock.now(), timedelta(minutes=5), owner="dead-1")

    rescuer = OutboxDispatcher(survivor, {"line": sender}, owner="survivor-1", lease_clock=lease_clock,
                               lease_seconds=60)
    lease_clock.advance(timedelta(seconds=4))
    assert await beat_survivor.beat() == []  # 4 s without a beat: not dead yet
    assert await rescuer.deliver_due() == 0  # the rows are still the (maybe slow) instance's
    lease_clock.advance(timedelta(seconds=3))
    [taken] = await beat_survivor.beat()  # 7 s: dead; its 60 s leases are handed back now
    assert (taken.instance, taken.outbox_rows, taken.inbox_events) == ("dead-1", 3, 1)
    assert await rescuer.deliver_due() == 3
    assert sorted(s.chat for s in sender.sent) == ["g0", "g1", "g2"]
    assert sender.duplicates_suppressed == 1  # g0 again, under the same X-Line-Retry-Key
    assert {(await row(survivor, f"k:{i}")).status for i in range(3)} == {"sent"}
    async with survivor.db.transaction() as conn:
        assert await InboxRepo(conn, "line").status("ev-1") == "pending"
        assert await InboxRepo(conn, "line").candidates(survivor.clock.now(), 10) == [event_id]
    assert await beat_survivor.alive() == 1


async def test_an_instance_taken_for_dead_is_told_and_drops_what_it_held(two: tuple[App, App]) -> None:
    slow, survivor = two
    lease_clock = ManualClock(START)
    beat_slow = Heartbeat(slow, "slow-1", clock=lease_clock)
    beat_survivor = Heartbeat(survivor, "survivor-1", clock=lease_clock)
    await beat_slow.beat()
    fenced: list[bool] = []
    beat_slow.on_fenced.append(lambda: fenced.append(True))
    lease_clock.advance(timedelta(seconds=10))
    [taken] = await beat_survivor.beat()
    assert taken.instance == "slow-1"
    await beat_slow.beat()  # back: it learns it was taken for dead, and beats again as itself
    assert fenced == [True]
    assert await beat_survivor.alive() == 2


async def test_a_task_only_a_dead_instance_had_armed_runs_on_a_survivor(two: tuple[App, App]) -> None:
    dead, survivor = two
    network, (chat,) = await setup_chats(dead, 1)
    async with dead.db.transaction() as conn:
        now = dead.clock.now()
        await TaskRepo(conn).schedule(key="t:1", kind="nothing", run_at=now - timedelta(seconds=5), payload={},
                                      network_id=network, now=now)
    ran: list[str] = []

    async def handler(ctx) -> None:  # type: ignore[no-untyped-def]
        ran.append(ctx.task.key)

    survivor.router.tasks["nothing"] = handler
    try:
        service = SchedulerService(survivor, overdue_grace=3)
        assert await service.run_overdue() == 1  # the survivor's scheduler never had a job for it
        assert await service.run_overdue() == 0  # once
        assert ran == ["t:1"]
    finally:
        del survivor.router.tasks["nothing"]


class OneAtATime(FakeSender):
    """A platform without an idempotency key: the dispatcher may have one push of it between
    request and "sent" mark at a time."""

    concurrent_sends = 1

    def __init__(self) -> None:
        super().__init__(latency=0.02)
        self.busy = 0
        self.most = 0

    async def send(self, chat, replies, *, retry_key):  # type: ignore[no-untyped-def]
        self.busy += 1
        self.most = max(self.most, self.busy)
        try:
            await super().send(chat, replies, retry_key=retry_key)
        finally:
            self.busy -= 1


async def test_a_platform_without_retry_keys_has_one_push_in_flight_and_all_are_marked(two: tuple[App, App]) -> None:
    app, _other = two
    network, chats = await setup_chats(app, 6)
    for i, chat in enumerate(chats):
        await enqueue(app, network, chat, f"k:{i}", Text(f"m{i}"))
    sender = OneAtATime()
    dispatcher = OutboxDispatcher(app, {"telegram": sender}, idle_poll_seconds=0.05)
    run = asyncio.create_task(dispatcher.run())
    try:
        for _ in range(200):
            if len(sender.sent) == 6:
                break
            await asyncio.sleep(0.02)
        await dispatcher.drain(5)
    finally:
        dispatcher.stop()
        await run
    assert sorted(s.chat for s in sender.sent) == [f"g{i}" for i in range(6)]
    assert sender.most == 1  # six chats, yet never two pushes in flight
    assert {(await row(app, f"k:{i}")).status for i in range(6)} == {"sent"}


async def test_rows_a_dead_instance_leased_for_a_free_reply_are_taken_over_like_its_outbox_rows(
        db_url: str) -> None:
    from bot.catchup import claim
    from storage.membership import ChatRepo

    clock = ManualClock(START)
    dead = build_app(Settings(database_url=db_url), clock=clock, billed_platforms=frozenset({"line"}))
    survivor = build_app(Settings(database_url=db_url), clock=clock, billed_platforms=frozenset({"line"}))
    try:
        network, [chat_id] = await setup_chats(dead, 1, platform="line")
        await enqueue(dead, network, chat_id, "k:reply", Text("ประกาศ"))
        async with dead.db.transaction() as conn:
            chat = await ChatRepo(conn).get(chat_id)
        assert chat is not None
        lease_clock = ManualClock(START)
        dead.instance = "dead-1"
        beat_dead, beat_survivor = Heartbeat(dead, "dead-1", clock=lease_clock), Heartbeat(survivor, "survivor-1",
                                                                                            clock=lease_clock)
        await beat_dead.beat()
        await beat_survivor.beat()
        catch_up = await claim(dead, chat, room=5, size=lambda _reply: 1, asked=True)  # then the process died
        assert catch_up is not None and catch_up.owner.startswith("dead-1:reply:")
        survivor.instance = "survivor-1"
        assert await claim(survivor, chat, room=5, size=lambda _reply: 1, asked=True) is None  # still leased
        lease_clock.advance(timedelta(seconds=7))
        [taken] = await beat_survivor.beat()  # dead: its reply's rows are handed back with the rest
        assert (taken.instance, taken.outbox_rows) == ("dead-1", 1)
        rescued = await claim(survivor, chat, room=5, size=lambda _reply: 1, asked=True)
        assert rescued is not None and rescued.rows == 1 and rescued.owner.startswith("survivor-1:reply:")
    finally:
        await dead.close()
        await survivor.close()
