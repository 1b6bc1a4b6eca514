"""A LINE chat's waiting cards ride on the next free reply together, as one Flex carousel (the real
LINE adapter's answer path against FakeLineAPI; the requests are checked against LINE's OpenAPI spec
when ../shared is present)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.events import to_event
from bot.adapters.line.render import MAX_BUBBLES, carousel, packed_count
from bot.adapters.line.settings import LineSettings
from bot.app import App, Outcome
from bot.clock import ManualClock
from bot.config import Settings
from bot.model import Card, Text, reply_to_dict
from edunet import build_app
from storage.runtime import OutboxRepo
from tests.fakes.line_api import FakeLineAPI, new_user_id, text_event
from tests.line.harness import TOKEN
from tests.line.test_line_batching import group_chat
from tests.support.conversation import START


class _NoWeb:
    def add_route(self, *_args: object) -> None:
        pass


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    application = build_app(Settings(database_url=db_url), clock=ManualClock(START),
                            billed_platforms=frozenset({"line"}))
    await application.start()
    yield application
    await application.close()


async def cards_waiting(app: App, network: int, chat: int, count: int) -> None:
    async with app.db.transaction() as conn:
        for n in range(count):
            card = Card(title=f"ข่าว {n + 1}", fields=[("เรื่อง", f"รายการที่ {n + 1}")])
            await OutboxRepo(conn).enqueue(key=f"news:{n}", network_id=network, chat_id=chat, now=app.clock.now(),
                                           messages=[reply_to_dict(card)], urgency="digest",
                                           not_before=app.clock.now() + timedelta(hours=1))


async def test_seven_waiting_cards_go_in_one_free_reply_as_a_carousel(app: App, fake: FakeLineAPI) -> None:
    network, chat, group = await group_chat(app, fake, members=40)
    await cards_waiting(app, network, chat, 7)
    adapter = LineAdapter(app, LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                                            data_api_base_url=fake.url), _NoWeb())  # type: ignore[arg-type]
    try:
        event = to_event(text_event(new_user_id(), "สวัสดีค่ะ", group, fake=fake))
        assert event is not None
        await adapter.respond(event, Outcome(replies=[Text("รับทราบ")]))
        assert fake.push_count == 0 and len(fake.replies) == 1  # free: one reply, nothing pushed
        messages = fake.replies[0]["messages"]
        assert [m["type"] for m in messages] == ["text", "flex"]
        bubbles = messages[1]["contents"]
        assert bubbles["type"] == "carousel" and len(bubbles["contents"]) == 7
        assert "ข่าว 1" in messages[1]["altText"] and "ข่าว 7" in messages[1]["altText"]
        assert fake.violations == []
        async with app.db.transaction() as conn:
            rows = [await OutboxRepo(conn).by_key(f"news:{n}") for n in range(7)]
        assert all(row is not None and row.status == "sent" for row in rows)
    finally:
        await adapter.api.close()


def test_a_carousel_holds_twelve_bubbles_and_leaves_other_messages_in_place() -> None:
    flex = [{"type": "flex", "altText": f"c{n}", "contents": {"type": "bubble"}} for n in range(14)]
    text = {"type": "text", "text": "x"}
    merged = carousel([text, *flex, text])
    assert [m["type"] for m in merged] == ["text", "flex", "flex", "text"]
    assert len(merged[1]["contents"]["contents"]) == MAX_BUBBLES and merged[2]["contents"]["type"] == "carousel"
    assert packed_count([Card(title=str(n)) for n in range(14)]) == 2
    assert packed_count([Text("a"), Card(title="b"), Card(title="c"), Text("d")]) == 3
