"""What one LINE event costs besides its handler (in-process adapter against FakeLineAPI): profile and
group-name look-ups are cached for PROFILE_TTL (a rename shows after it); a member's events ask LINE for no
profile unless they turn out to need it (registering elsewhere); and the free reply is counted in the
event's own transaction: once, not again for a retried event, taken back when the reply did not go."""

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
from bot.payload import encode
from handlers.privacy.notice import NOTICE_TAG
from storage.membership import ChatRepo, InviteRepo, MemberRepo, NetworkRepo
from tests.line.harness import TOKEN
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id, postback_event, text_event
from tests.support.conversation import START
from tests.test_commit_answer_lost import lose_the_next_events_commit_answer

REPLY = "/v2/bot/message/reply"


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


async def test_an_event_whose_commit_answer_was_lost_is_answered_and_counted_once(
        adapter: LineAdapter, fake: FakeLineAPI) -> None:
    fired = lose_the_next_events_commit_answer(adapter.app.db)
    user = new_user_id()
    await adapter._process(row(text_event(user, "/help", fake=fake)))
    assert fired() == 1  # committed, then the connection dropped; run again, it finds itself done
    assert len(fake.replies) == 1 and await replies_counted(adapter.app, user) == 1
    assert "/start" in fake.replies[0]["messages"][0]["text"]  # the help itself, not an apology
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


async def network_with(app: App, name: str, *members: str, group: str | None = None) -> int:
    """A network whose members (teachers, speaking English) have it as their current one; its linked group."""
    async with app.db.transaction() as conn:
        now = app.clock.now()
        network = await NetworkRepo(conn).create(name, timezone="Asia/Bangkok", language="th", now=now)
        for user in members:
            await MemberRepo(conn).add(network.id, platform="line", platform_user_id=user,
                                       display_name="ชื่อที่เก็บไว้", role="teacher", language="en", now=now)
            await MemberRepo(conn).set_current("line", user, network.id, now=now)
        if group is not None:
            chat = await ChatRepo(conn).upsert("line", group, "group", "กลุ่ม", now=now)
            await ChatRepo(conn).link(chat.id, network.id, by_member_id=None, now=now)
    return network.id


async def through_the_inbox(adapter: LineAdapter, *bodies: dict) -> None:  # type: ignore[type-arg]
    """Store the events as the webhook does and work them (claimed in a batch, as edunet serve does)."""
    def chat_of(body: dict) -> str:  # type: ignore[type-arg]
        source = body["source"]
        return str(source.get("groupId") or source["userId"])

    await adapter.inbox.store((b["webhookEventId"], chat_of(b), b) for b in bodies)
    assert await adapter.inbox.drain() == len(bodies)


async def name_in(app: App, network_id: int, user: str) -> str | None:
    async with app.db.transaction() as conn:
        member = await MemberRepo(conn).active_in(network_id, "line", user)
    return member.display_name if member else None


async def test_a_members_events_ask_line_for_no_profile(adapter: LineAdapter, fake: FakeLineAPI) -> None:
    user, stranger, group = new_user_id(), new_user_id(), new_group_id()
    fake.add_group(group, members=[user])
    await network_with(adapter.app, "A", user, group=group)
    fake.add_profile(stranger, "คนใหม่", language="en")
    await through_the_inbox(adapter, text_event(user, "/help", fake=fake), text_event(user, "สวัสดี", group, fake=fake),
                            postback_event(user, encode("me"), fake=fake), text_event(stranger, "/help", fake=fake))
    assert (calls(fake, PROFILE), calls(fake, MEMBER_PROFILE)) == (1, 0)  # the stranger's only
    texts = [m.get("text", "") for r in fake.replies for m in r["messages"]]
    assert sum("Commands you can use" in t for t in texts) == 2  # the member's stored language, the stranger's
    assert fake.violations == []


async def test_a_member_joining_another_network_is_registered_under_their_line_name(
        adapter: LineAdapter, fake: FakeLineAPI) -> None:
    user = new_user_id()
    await network_with(adapter.app, "A", user)
    other = await network_with(adapter.app, "B")
    async with adapter.app.db.transaction() as conn:
        await InviteRepo(conn).create(other, code="K7M3QX9P", role="teacher", max_uses=5,
                                      expires_at=START.replace(year=2027), created_by=None, now=START)
    fake.add_profile(user, "สมศรี ใจดี", language="th")
    await through_the_inbox(adapter, postback_event(user, encode("joincode", "K7M3QX9P", NOTICE_TAG), fake=fake))
    assert await name_in(adapter.app, other, user) == "สมศรี ใจดี"
    assert calls(fake, PROFILE) == 1 and len(fake.replies) == 1


async def test_a_member_registering_in_another_networks_group_gets_their_line_name(
        adapter: LineAdapter, fake: FakeLineAPI) -> None:
    user, group = new_user_id(), new_group_id()
    fake.add_group(group, members=[user])
    await network_with(adapter.app, "A", user)
    other = await network_with(adapter.app, "B", group=group)
    fake.add_profile(user, "สมชาย ใจดี")
    await through_the_inbox(adapter, postback_event(user, encode("reg", NOTICE_TAG), group, fake=fake))
    assert await name_in(adapter.app, other, user) == "สมชาย ใจดี"
    assert calls(fake, MEMBER_PROFILE) == 1


async def test_a_member_removed_after_the_claim_is_answered_in_their_line_language(
        adapter: LineAdapter, fake: FakeLineAPI) -> None:
    user = new_user_id()
    network = await network_with(adapter.app, "A", user)
    fake.add_profile(user, "สมศรี", language="en")
    body = text_event(user, "/help", fake=fake)
    async with adapter.app.db.transaction() as conn:
        await adapter._claimed(conn, [row(body)])  # a member when the batch was claimed
        member = await MemberRepo(conn).active_in(network, "line", user)
        assert member is not None
        await MemberRepo(conn).update(member.id, status="removed")  # removed before the event ran
    await adapter._process(row(body))
    assert calls(fake, PROFILE) == 1
    assert "Commands you can use" in fake.replies[-1]["messages"][0]["text"]  # not the default Thai
