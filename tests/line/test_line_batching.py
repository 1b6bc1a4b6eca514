"""The dispatcher batches a LINE chat's due rows into one push (real LineSender against
FakeLineAPI): fewer billed messages, statistics per push and recipient, idempotent retries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.adapters.line.settings import LineSettings
from bot.adapters.line.api import LineApi, LineSender, publisher
from bot.app import App
from edunet import build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.media import MediaStore
from bot.model import Text, reply_to_dict
from bot.outbox import OutboxDispatcher, RetryPolicy
from storage.delivery_stats import DeliveryStatsRepo
from storage.membership import ChatRepo, NetworkRepo
from storage.runtime import OutboxRepo
from tests.support.conversation import START
from tests.line.harness import TOKEN
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id

PUSH = "/v2/bot/message/push"


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    settings = Settings(database_url=db_url)
    application = build_app(settings, clock=ManualClock(START))
    yield application
    await application.close()


@pytest.fixture
async def sender(app: App, fake: FakeLineAPI) -> AsyncIterator[LineSender]:
    api = LineApi(LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                               data_api_base_url=fake.url))
    store = MediaStore(app, secret="s", public_url="https://edunet.example")
    yield LineSender(app, api, lambda network_id: publisher(store, network_id))
    await api.close()


async def group_chat(app: App, fake: FakeLineAPI, members: int) -> tuple[int, int, str]:
    """A network with one linked LINE group of ``members`` members: (network id, chat id, group id)."""
    group = new_group_id()
    fake.add_group(group, "ครู ม.1", members=[new_user_id() for _ in range(members)])
    async with app.db.transaction() as conn:
        now = app.clock.now()
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=now)
        chat = await ChatRepo(conn).upsert("line", group, "group", "ครู ม.1", now=now)
        await ChatRepo(conn).link(chat.id, network.id, by_member_id=None, now=now)
    return network.id, chat.id, group


async def enqueue(app: App, network_id: int, chat_id: int, key: str, *texts: str) -> None:
    async with app.db.transaction() as conn:
        await OutboxRepo(conn).enqueue(key=key, network_id=network_id, chat_id=chat_id,
                                       messages=[reply_to_dict(Text(t)) for t in texts], now=app.clock.now())


async def status(app: App, key: str) -> str:
    async with app.db.transaction() as conn:
        row = await OutboxRepo(conn).by_key(key)
    assert row is not None
    return row.status


async def test_three_pushes_for_one_group_become_one_push_request(
        app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    network, chat, group = await group_chat(app, fake, members=6)
    for n in range(3):
        await enqueue(app, network, chat, f"remind:{n}", f"เตือนความจำ {n}")
    dispatcher = OutboxDispatcher(app, {"line": sender})
    assert await dispatcher.deliver_due() == 3
    assert fake.push_count == 1
    assert [m["text"] for m in fake.pushes_to(group)[0]["messages"]] == [f"เตือนความจำ {n}" for n in range(3)]
    async with app.db.transaction() as conn:
        first = await OutboxRepo(conn).by_key("remind:0")
        [stats] = await DeliveryStatsRepo(conn, "line").month(app.clock.now().strftime("%Y-%m"), network_id=network)
    [push] = [r for r in fake.requests if r.path == PUSH]
    assert first is not None and push.header("X-Line-Retry-Key") == first.retry_key
    # One push, three message objects, billed once per member (6), not 3 × 6.
    assert (stats.pushes, stats.push_messages, stats.recipients) == (1, 3, 6)
    assert [await status(app, f"remind:{n}") for n in range(3)] == ["sent"] * 3
    assert fake.violations == []


async def test_a_failed_batch_is_retried_as_the_same_request(
        app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    network, chat, group = await group_chat(app, fake, members=3)
    for n in range(2):
        await enqueue(app, network, chat, f"r:{n}", f"ข่าว {n}")
    fake.inject_error(PUSH, 500)
    dispatcher = OutboxDispatcher(app, {"line": sender}, retry=RetryPolicy(base_seconds=2, jitter=0))
    assert await dispatcher.deliver_due() == 0
    assert [await status(app, f"r:{n}") for n in range(2)] == ["pending", "pending"]
    app.clock.advance(timedelta(seconds=2))
    assert await dispatcher.deliver_due() == 2
    pushes = [r for r in fake.requests if r.path == PUSH]
    assert [r.status for r in pushes] == [500, 200]
    assert len({r.header("X-Line-Retry-Key") for r in pushes}) == 1
    assert fake.push_count == 1 and len(fake.pushes[0]["messages"]) == 2
    assert fake.violations == []


async def test_the_running_dispatcher_batches_with_pacing(
        app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    network, chat, group = await group_chat(app, fake, members=2)
    for n in range(7):  # five in one push, two in the next
        await enqueue(app, network, chat, f"loop:{n}", str(n))
    dispatcher = OutboxDispatcher(app, {"line": sender}, idle_poll_seconds=0.05)
    assert "line" in dispatcher.pacers  # LineSender declares LINE's rate profile
    task = asyncio.create_task(dispatcher.run())
    try:
        for _ in range(300):
            if dispatcher.stats["sent"] >= 7:
                break
            await asyncio.sleep(0.01)
    finally:
        dispatcher.stop()
        await task
    assert [[m["text"] for m in p["messages"]] for p in fake.pushes_to(group)] == [
        ["0", "1", "2", "3", "4"], ["5", "6"]]
    assert fake.violations == []


async def test_the_monthly_limit_parks_rows_without_burning_retries_and_tells_the_coordinators(
        app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    import sqlalchemy as sa

    from bot.outbox import MONTHLY_LIMIT_TASK
    from storage.runtime import TaskRepo
    from storage.tables import outbox

    fake.quota = 0  # the month's quota is used up: LINE answers 429 "You have reached your monthly limit."
    network, chat, group = await group_chat(app, fake, members=3)
    await enqueue(app, network, chat, "news:1", "ข่าว")
    dispatcher = OutboxDispatcher(app, {"line": sender}, retry=RetryPolicy(base_seconds=2, jitter=0))
    assert await dispatcher.deliver_due() == 0
    async with app.db.transaction() as conn:
        row = (await conn.execute(sa.select(outbox).where(outbox.c.key == "news:1"))).one()
        task = await TaskRepo(conn).get(f"{MONTHLY_LIMIT_TASK}:{network}:{app.clock.now():%Y-%m-%d}")
    assert row.status == "pending" and row.attempts == 0 and row.wait_reason == "monthly_limit"
    assert row.not_before == app.clock.now() + timedelta(hours=1) and "monthly limit" in row.last_error
    assert task is not None and task.status == "pending"  # the coordinators hear of it (handlers/announcements)
    assert fake.push_count == 0 and fake.violations == []


async def test_a_digest_waits_when_the_budget_does_not_allow_it_and_an_urgent_row_still_goes(
        db_url: str, fake: FakeLineAPI) -> None:
    import sqlalchemy as sa

    from storage.tables import outbox

    app = build_app(Settings(database_url=db_url), clock=ManualClock(START), billed_platforms=frozenset({"line"}))
    api = LineApi(LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                               data_api_base_url=fake.url))
    store = MediaStore(app, secret="s", public_url="https://edunet.example")
    sender = LineSender(app, api, lambda network_id: publisher(store, network_id))
    try:
        fake.quota = 100  # 20 reserved for urgent pushes; a digest may spend half of the other 80
        network, chat, group = await group_chat(app, fake, members=50)
        async with app.db.transaction() as conn:
            for key, urgency in (("weekly", "digest"), ("cancelled", "urgent")):
                await OutboxRepo(conn).enqueue(key=key, network_id=network, chat_id=chat, now=app.clock.now(),
                                               messages=[reply_to_dict(Text(key))], urgency=urgency)
        dispatcher = OutboxDispatcher(app, {"line": sender})
        # The two would go in one push (it costs the same): the urgent row carries the digest along.
        assert await dispatcher.deliver_due() == 2 and fake.push_count == 1
        async with app.db.transaction() as conn:
            await OutboxRepo(conn).enqueue(key="weekly:2", network_id=network, chat_id=chat, now=app.clock.now(),
                                           messages=[reply_to_dict(Text("weekly 2"))], urgency="digest")
        assert await dispatcher.deliver_due() == 0  # 50 used: a digest for 50 more does not fit
        async with app.db.transaction() as conn:
            row = (await conn.execute(sa.select(outbox).where(outbox.c.key == "weekly:2"))).one()
        assert row.status == "pending" and row.wait_reason == "budget" and row.attempts == 0
        assert row.not_before == app.clock.now() + timedelta(hours=1)
        assert fake.push_count == 1 and fake.violations == []
    finally:
        await api.close()
        await app.close()
