"""What one LINE event costs besides its handler (in-process adapter against FakeLineAPI): profile and
group-name look-ups are cached for PROFILE_TTL (a rename shows after it), and the free reply is counted
in the event's own transaction: once, not again for a retried event, taken back when the reply did not go."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.api import PROFILE_TTL, LineApi
from bot.adapters.line.settings import LineSettings
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.web import WebServer
from edunet import build_app
from storage.delivery_stats import DeliveryStatsRepo
from storage.inbox import InboxRow
from storage.tables import outbox
from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id, text_event
from tests.support.conversation import START

TOKEN = "tok"
REPLY = "/v2/bot/message/reply"


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    async with FakeLineAPI(access_token=TOKEN, spec=load_line_spec()) as server:
        yield server


def line_settings(fake: FakeLineAPI) -> LineSettings:
    return LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                        data_api_base_url=fake.url)


@pytest.fixture
async def adapter(sqlite_url: str, fake: FakeLineAPI) -> AsyncIterator[LineAdapter]:
    config = Settings(database_url=sqlite_url, port=0)
    app = build_app(config, clock=ManualClock(START), billed_platforms=frozenset({"line"}))
    line = LineAdapter(app, line_settings(fake), WebServer(config))
    yield line
    await line.stop()
    await app.close()


class Clock:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def calls(fake: FakeLineAPI, template: str) -> int:
    return sum(1 for r in fake.requests if r.template == template)


MEMBER_PROFILE = "/v2/bot/group/{groupId}/member/{userId}"
PROFILE = "/v2/bot/profile/{userId}"
SUMMARY = "/v2/bot/group/{groupId}/summary"


async def test_a_second_event_in_a_group_asks_line_nothing_and_a_rename_shows_after_the_ttl(
        fake: FakeLineAPI) -> None:
    api = LineApi(line_settings(fake))
    api.clock = clock = Clock()
    user, group = new_user_id(), new_group_id()
    fake.add_group(group, "ครู ม.1", members=[user])
    fake.add_profile(user, "สมชาย", language="th")
    try:
        for _ in range(2):
            profile = await api.profile(user, group)
            assert profile is not None and profile.display_name == "สมชาย" and profile.language is None
            assert await api.group_title(group) == "ครู ม.1"
        assert (calls(fake, MEMBER_PROFILE), calls(fake, SUMMARY)) == (1, 1)
        fake.profiles[user]["displayName"] = "สมชาย ใจดี"  # LINE tells the bot nothing of a rename
        fake.groups[group].name = "ครู ม.2"
        clock.now += PROFILE_TTL - 1
        assert (await api.profile(user, group)).display_name == "สมชาย"  # type: ignore[union-attr]
        assert calls(fake, MEMBER_PROFILE) == 1
        clock.now += 2
        assert (await api.profile(user, group)).display_name == "สมชาย ใจดี"  # type: ignore[union-attr]
        assert await api.group_title(group) == "ครู ม.2"
        assert (calls(fake, MEMBER_PROFILE), calls(fake, SUMMARY)) == (2, 2)
    finally:
        await api.close()


async def test_in_a_group_the_users_own_cached_profile_gives_the_name_not_the_language(fake: FakeLineAPI) -> None:
    api = LineApi(line_settings(fake))
    api.clock = clock = Clock()
    user, group = new_user_id(), new_group_id()
    fake.add_group(group, members=[user])
    fake.add_profile(user, "สมหญิง", language="en")
    try:
        own = await api.profile(user)
        assert own is not None and (own.display_name, own.language) == ("สมหญิง", "en")
        in_group = await api.profile(user, group)  # as LINE's member profile would: no language
        assert in_group is not None and (in_group.display_name, in_group.language) == ("สมหญิง", None)
        assert (calls(fake, PROFILE), calls(fake, MEMBER_PROFILE)) == (1, 0)
        clock.now += PROFILE_TTL + 1
        await api.profile(user, group)
        assert (calls(fake, PROFILE), calls(fake, MEMBER_PROFILE)) == (1, 1)
    finally:
        await api.close()


async def replies_counted(app: App, chat_id: str) -> int:
    async with app.db.transaction() as conn:
        stats = await DeliveryStatsRepo(conn, "line").for_chat(chat_id, START.strftime("%Y-%m"))
    return stats.replies if stats else 0


def row(body: dict, number: int = 1) -> InboxRow:  # type: ignore[type-arg]
    return InboxRow(id=number, event_id=body["webhookEventId"], chat_id=body["source"]["userId"], body=body,
                    attempts=1)


async def test_a_free_reply_is_counted_once_with_its_event_and_not_again_on_a_retry(
        adapter: LineAdapter, fake: FakeLineAPI) -> None:
    user = new_user_id()
    body = text_event(user, "/help", fake=fake)
    await adapter._process(row(body))
    assert len(fake.replies) == 1 and await replies_counted(adapter.app, user) == 1
    await adapter._process(row(body))  # run again (a crash before the inbox marked it done): a duplicate
    assert len(fake.replies) == 1 and await replies_counted(adapter.app, user) == 1
    await adapter._process(row(text_event(user, "/help", fake=fake), 2))
    assert len(fake.replies) == 2 and await replies_counted(adapter.app, user) == 2
    assert fake.violations == []


async def test_a_reply_line_refuses_is_not_counted_and_its_answer_is_pushed(
        adapter: LineAdapter, fake: FakeLineAPI) -> None:
    user = new_user_id()
    fake.inject_error(REPLY, 400, {"message": "Invalid reply token"}, method="POST")
    await adapter._process(row(text_event(user, "/help", fake=fake)))
    assert fake.replies == [] and await replies_counted(adapter.app, user) == 0
    async with adapter.app.db.transaction() as conn:
        [queued] = (await conn.execute(sa.select(outbox.c.chat_id, outbox.c.status))).all()
    assert queued.status == "pending"
