"""Free delivery over LINE (in-process adapter against FakeLineAPI, requests checked against the
OpenAPI spec): a fresh reply token carries the chat's pending notifications, a failed reply leaves
them pending, a redelivered event carries nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.settings import LineSettings
from bot.app import App, Outcome
from bot.clock import ManualClock
from bot.config import Settings
from bot.model import ChatKind, ChatRef, Event, EventKind, Sender, Text, reply_to_dict
from bot.web import WebServer
from edunet import build_app
from storage.membership import ChatRepo, NetworkRepo
from storage.runtime import OutboxRepo
from storage.tables import outbox
from tests.line.harness import TOKEN
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id
from tests.support.conversation import START

REPLY = "/v2/bot/message/reply"


@pytest.fixture
async def adapter(sqlite_url: str, fake: FakeLineAPI) -> AsyncIterator[LineAdapter]:
    config = Settings(database_url=sqlite_url, port=0)
    app = build_app(config, clock=ManualClock(START), billed_platforms=frozenset({"line"}))
    web = WebServer(config)
    line = LineAdapter(app, LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                                         data_api_base_url=fake.url), web)
    yield line
    await line.stop()
    await app.close()


async def waiting_group(app: App, fake: FakeLineAPI, *texts: str) -> str:
    """A linked LINE group with one pending digest per text; returns the group id."""
    group = new_group_id()
    fake.add_group(group, "ครู ม.1", members=[new_user_id() for _ in range(3)])
    async with app.db.transaction() as conn:
        now = app.clock.now()
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=now)
        chat = await ChatRepo(conn).upsert("line", group, "group", "ครู ม.1", now=now)
        await ChatRepo(conn).link(chat.id, network.id, by_member_id=None, now=now)
        for i, text in enumerate(texts):
            await OutboxRepo(conn).enqueue(key=f"digest:{group}:{i}", network_id=network.id, chat_id=chat.id,
                                           messages=[reply_to_dict(Text(text))], now=now, urgency="digest",
                                           not_before=now.replace(year=2027), wait_reason="free_chance")
    return group


def chatter(fake: FakeLineAPI, group: str, *, redelivery: bool = False) -> Event:
    """A member's message in the group (the bot has nothing to say to it) with a fresh reply token."""
    return Event(platform="line", event_id=new_user_id(), chat=ChatRef("line", group, ChatKind.GROUP),
                 sender=Sender(new_user_id()), kind=EventKind.TEXT, text="สวัสดีค่ะ", reply_handle=fake.issue_reply_token(group),
                 is_redelivery=redelivery)


async def statuses(app: App) -> list[tuple[str, str | None, str | None]]:
    async with app.db.transaction() as conn:
        return [tuple(r) for r in (await conn.execute(
            sa.select(outbox.c.status, outbox.c.via, outbox.c.claimed_by).order_by(outbox.c.id))).all()]


async def test_group_chatter_carries_the_pending_notifications_in_one_free_reply(adapter: LineAdapter,
                                                                                 fake: FakeLineAPI) -> None:
    group = await waiting_group(adapter.app, fake, "ข่าวหนึ่ง", "ข่าวสอง")
    await adapter.respond(chatter(fake, group), Outcome())
    assert len([r for r in fake.requests if r.path == REPLY]) == 1
    assert [m["text"] for m in fake.replies[-1]["messages"]] == ["ข่าวหนึ่ง", "ข่าวสอง"]
    assert fake.push_count == 0 and fake.violations == []
    assert await statuses(adapter.app) == [("sent", "reply", None), ("sent", "reply", None)]


async def test_a_failed_reply_leaves_them_pending_and_a_redelivery_carries_nothing(adapter: LineAdapter,
                                                                                  fake: FakeLineAPI) -> None:
    group = await waiting_group(adapter.app, fake, "ข่าวหนึ่ง")
    fake.inject_error(REPLY, 400, {"message": "Invalid reply token"}, method="POST")
    await adapter.respond(chatter(fake, group), Outcome())
    assert await statuses(adapter.app) == [("pending", None, None)]  # back with the dispatcher
    await adapter.respond(chatter(fake, group, redelivery=True), Outcome())
    assert await statuses(adapter.app) == [("pending", None, None)]
    assert fake.push_count == 0 and len([r for r in fake.requests if r.path == REPLY]) == 1
    await adapter.respond(chatter(fake, group), Outcome(duplicate=True))  # an event the app already processed
    assert len([r for r in fake.requests if r.path == REPLY]) == 1


async def test_the_answer_comes_first_and_what_does_not_fit_waits(adapter: LineAdapter, fake: FakeLineAPI) -> None:
    group = await waiting_group(adapter.app, fake, *(f"ข่าว {i}" for i in range(6)))
    await adapter.respond(chatter(fake, group), Outcome(replies=[Text("คำตอบ")]))
    texts = [m["text"] for m in fake.replies[-1]["messages"]]
    assert texts == ["คำตอบ", "ข่าว 0", "ข่าว 1", "ข่าว 2", "ข่าว 3"]  # ≤ 5 message objects per reply
    assert [s for s, _, _ in await statuses(adapter.app)] == ["sent"] * 4 + ["pending"] * 2
    await adapter.respond(chatter(fake, group), Outcome())  # within the catch-up interval: nothing more
    assert len(fake.replies) == 1 and fake.violations == []
