"""Free riders: a LINE push a group pays for anyway (urgent, a reminder at its deadline) also carries the
group's other waiting notifications, so they cost nothing more (real LineSender against FakeLineAPI)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapters.line.api import LineApi, LineSender, publisher
from bot.adapters.line.settings import LineSettings
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.media import MediaStore
from bot.model import Text, reply_to_dict
from bot.outbox import OutboxDispatcher, RetryPolicy
from edunet import build_app
from storage.membership import ChatRepo, NetworkRepo
from storage.runtime import OutboxRepo
from storage.tables import outbox
from tests.line.harness import TOKEN
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id
from tests.support.conversation import START

PUSH = "/v2/bot/message/push"


async def line_app(db_url: str, fake: FakeLineAPI, *, billed: bool) -> tuple[App, LineSender, LineApi]:
    app = build_app(Settings(database_url=db_url), clock=ManualClock(START),
                    billed_platforms=frozenset({"line"}) if billed else frozenset())
    api = LineApi(LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                               data_api_base_url=fake.url))
    store = MediaStore(app, secret="s", public_url="https://edunet.example")
    return app, LineSender(app, api, lambda network_id: publisher(store, network_id)), api


@pytest.fixture
async def billed(db_url: str, fake: FakeLineAPI) -> AsyncIterator[tuple[App, LineSender]]:
    app, sender, api = await line_app(db_url, fake, billed=True)
    yield app, sender
    await api.close()
    await app.close()


async def group_chat(app: App, fake: FakeLineAPI, members: int = 40) -> tuple[int, int, str]:
    group = new_group_id()
    fake.add_group(group, "ครู ม.1", members=[new_user_id() for _ in range(members)])
    async with app.db.transaction() as conn:
        now = app.clock.now()
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=now)
        chat = await ChatRepo(conn).upsert("line", group, "group", "ครู ม.1", now=now)
        await ChatRepo(conn).link(chat.id, network.id, by_member_id=None, now=now)
    return network.id, chat.id, group


async def queue(app: App, network: int, chat: int, key: str, urgency: str, *texts: str,
                wait: timedelta = timedelta(0)) -> None:
    """A row as a feature queues it: ``wait`` until it may be pushed by the clock (its last call)."""
    now = app.clock.now()
    async with app.db.transaction() as conn:
        await OutboxRepo(conn).enqueue(key=key, network_id=network, chat_id=chat, now=now, not_before=now + wait,
                                       messages=[reply_to_dict(Text(t)) for t in texts or (key,)],
                                       urgency=urgency, deliver_by=now + wait + timedelta(hours=1))


async def rows(app: App) -> dict[str, Any]:
    async with app.db.transaction() as conn:
        return {r.key: r for r in (await conn.execute(sa.select(outbox))).all()}


def texts(push: dict[str, Any]) -> list[str]:
    return [m["text"] for m in push["messages"]]


async def test_an_urgent_push_to_a_group_carries_what_waits_for_it_and_costs_one_push(
        billed: tuple[App, LineSender], fake: FakeLineAPI) -> None:
    app, sender = billed
    network, chat, group = await group_chat(app, fake)
    # Yesterday's weekly summary waits for a free reply (its last call is 20 hours away), a reminder
    # waits for its deadline; then a meeting is cancelled an hour before it starts.
    await queue(app, network, chat, "summary", "digest", "สรุปประจำสัปดาห์", wait=timedelta(hours=20))
    await queue(app, network, chat, "reminder", "timely", "เตือน: ประชุมพรุ่งนี้", wait=timedelta(hours=6))
    await queue(app, network, chat, "long", "digest", "1", "2", "3", "4", wait=timedelta(hours=20))
    await queue(app, network, chat, "cancelled", "urgent", "ยกเลิกประชุมวันนี้")
    dispatcher = OutboxDispatcher(app, {"line": sender})
    assert await dispatcher.deliver_due() == 3
    [push] = fake.pushes_to(group)
    # In the chat's order; the four-message row did not fit the five objects and waits on.
    assert texts(push) == ["สรุปประจำสัปดาห์", "เตือน: ประชุมพรุ่งนี้", "ยกเลิกประชุมวันนี้"]
    assert sum(fake.billed_by_month().values()) == 40  # one push to 40 members, not three
    state = await rows(app)
    assert {k: (state[k].status, state[k].via) for k in ("summary", "reminder", "cancelled")} == {
        "summary": ("sent", "push"), "reminder": ("sent", "push"), "cancelled": ("sent", "push")}
    assert state["long"].status == "pending" and state["long"].claimed_by is None
    assert dispatcher.stats["riders"] == 2
    # The summary and the reminder are not pushed again when their own time comes.
    app.clock.advance(timedelta(hours=21))
    await dispatcher.deliver_due()
    assert [texts(p) for p in fake.pushes_to(group)][1:] == [["1", "2", "3", "4"]]
    assert fake.violations == []


async def test_a_failed_push_with_riders_is_retried_as_the_same_request(
        billed: tuple[App, LineSender], fake: FakeLineAPI) -> None:
    app, sender = billed
    network, chat, group = await group_chat(app, fake)
    await queue(app, network, chat, "summary", "digest", "สรุป", wait=timedelta(hours=20))
    await queue(app, network, chat, "cancelled", "urgent", "ยกเลิก")
    fake.inject_error(PUSH, 500)
    dispatcher = OutboxDispatcher(app, {"line": sender}, retry=RetryPolicy(base_seconds=2))
    assert await dispatcher.deliver_due() == 0
    state = await rows(app)
    # Both wait for the same retry time, so the retry is the same request under the same key.
    assert state["summary"].not_before == state["cancelled"].not_before > app.clock.now()
    app.clock.advance(timedelta(seconds=3))
    assert await dispatcher.deliver_due() == 2
    pushes = [r for r in fake.requests if r.path == PUSH]
    assert [r.status for r in pushes] == [500, 200]
    assert len({r.header("X-Line-Retry-Key") for r in pushes}) == 1
    assert [texts(r.json) for r in pushes] == [["สรุป", "ยกเลิก"]] * 2
    assert fake.push_count == 1 and fake.violations == []


async def test_at_night_an_urgent_push_goes_alone(billed: tuple[App, LineSender], fake: FakeLineAPI) -> None:
    app, sender = billed
    network, chat, group = await group_chat(app, fake)
    assert isinstance(app.clock, ManualClock)
    app.clock.set(START.replace(hour=22))  # the quiet hours (21:00-07:00): no digest is pushed
    await queue(app, network, chat, "summary", "digest", "สรุป", wait=timedelta(hours=10))
    await queue(app, network, chat, "cancelled", "urgent", "ยกเลิกประชุมพรุ่งนี้เช้า")
    assert await OutboxDispatcher(app, {"line": sender}).deliver_due() == 1
    assert [texts(p) for p in fake.pushes_to(group)] == [["ยกเลิกประชุมพรุ่งนี้เช้า"]]
    assert (await rows(app))["summary"].status == "pending"


async def test_a_push_refused_for_the_month_leaves_its_riders_waiting_as_they_were(
        billed: tuple[App, LineSender], fake: FakeLineAPI) -> None:
    app, sender = billed
    network, chat, group = await group_chat(app, fake)
    await queue(app, network, chat, "summary", "digest", "สรุป", wait=timedelta(hours=20))
    await queue(app, network, chat, "cancelled", "urgent", "ยกเลิก")
    before = (await rows(app))["summary"].not_before
    fake.quota = 1000
    await sender.quota()  # what the bot last read: room left
    fake.quota = 0  # but LINE answers 429 "You have reached your monthly limit."
    assert await OutboxDispatcher(app, {"line": sender}).deliver_due() == 0
    state = await rows(app)
    assert state["cancelled"].wait_reason == "monthly_limit" and state["cancelled"].attempts == 0
    assert (state["summary"].status, state["summary"].not_before, state["summary"].wait_reason,
            state["summary"].attempts, state["summary"].claimed_by) == ("pending", before, None, 0, None)


async def test_where_pushes_are_not_billed_nothing_rides_early(db_url: str, fake: FakeLineAPI) -> None:
    app, sender, api = await line_app(db_url, fake, billed=False)  # LINE_FREE_DELIVERY=0: pushed when due
    try:
        network, chat, group = await group_chat(app, fake)
        await queue(app, network, chat, "later", "timely", "ภายหลัง", wait=timedelta(hours=3))
        await queue(app, network, chat, "now", "urgent", "ตอนนี้")
        assert await OutboxDispatcher(app, {"line": sender}).deliver_due() == 1
        assert [texts(p) for p in fake.pushes_to(group)] == [["ตอนนี้"]]
        assert (await rows(app))["later"].status == "pending"
    finally:
        await api.close()
        await app.close()
