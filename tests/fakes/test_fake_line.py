"""End-to-end tests of FakeLineAPI driven by line-bot-sdk's async client."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncApiClient,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    Configuration,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
    TextMessage,
)
from linebot.v3.webhook import WebhookParser

from tests.contracts.line_openapi import LineSpec, require_line_spec
from tests.fakes.line_api import (
    MSG_RATE_LIMIT,
    FakeLineAPI,
    event_redelivered,
    join_event,
    member_joined_event,
    member_left_event,
    new_group_id,
    new_user_id,
    sign,
    text_event,
    webhook_body,
)

TOKEN = "test-channel-access-token"
USER = "U" + "a1" * 16
OTHER = "U" + "b2" * 16
GROUP = "C" + "c3" * 16


@pytest.fixture
def spec() -> LineSpec:
    return require_line_spec()


@pytest.fixture
async def fake(spec: LineSpec) -> AsyncIterator[FakeLineAPI]:
    async with FakeLineAPI(access_token=TOKEN, spec=spec) as server:
        yield server


@pytest.fixture
async def api_client(fake: FakeLineAPI) -> AsyncIterator[AsyncApiClient]:
    async with AsyncApiClient(Configuration(host=fake.url, access_token=TOKEN)) as client:
        yield client


@pytest.fixture
def api(api_client: AsyncApiClient) -> AsyncMessagingApi:
    return AsyncMessagingApi(api_client)


def _text(text: str) -> TextMessage:
    return TextMessage(text=text)


async def test_push_with_retry_key_is_delivered_once(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=USER, messages=[_text("Meeting at 10:00")])
    first = await api.push_message_with_http_info(request, x_line_retry_key=key)
    assert first.status_code == 200 and len(first.data.sent_messages) == 1

    with pytest.raises(ApiException) as info:
        await api.push_message(request, x_line_retry_key=key)
    assert info.value.status == 409
    body = json.loads(info.value.body)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"][0]["id"] == first.data.sent_messages[0].id
    assert info.value.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]

    assert fake.push_count == 1
    assert fake.pushes_to(USER) == [request.to_dict()]
    assert [m["text"] for m in fake.messages_to(USER)] == ["Meeting at 10:00"]
    assert fake.violations == []


async def test_retry_key_not_consumed_by_failed_request(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    key = str(uuid.uuid4())
    fake.inject_error("/v2/bot/message/push", 500)
    request = PushMessageRequest(to=USER, messages=[_text("retry me")])
    with pytest.raises(ApiException) as info:
        await api.push_message(request, x_line_retry_key=key)
    assert info.value.status == 500
    await api.push_message(request, x_line_retry_key=key)
    assert fake.push_count == 1


async def test_reply_tokens_are_single_use_and_expire(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    token = fake.issue_reply_token(USER)
    request = ReplyMessageRequest(reply_token=token, messages=[_text("ยินดีต้อนรับ")])
    response = await api.reply_message(request)
    assert len(response.sent_messages) == 1 and response.sent_messages[0].quote_token

    with pytest.raises(ApiException) as info:
        await api.reply_message(request)
    assert info.value.status == 400
    assert json.loads(info.value.body) == {"message": "Invalid reply token"}

    expired = fake.issue_reply_token(USER, ttl=0.0)
    await asyncio.sleep(0.01)
    with pytest.raises(ApiException) as info:
        await api.reply_message(ReplyMessageRequest(reply_token=expired, messages=[_text("late")]))
    assert info.value.status == 400

    with pytest.raises(ApiException):
        await api.reply_message(ReplyMessageRequest(reply_token="never-issued", messages=[_text("?")]))

    assert fake.replies == [request.to_dict()]
    assert [m["text"] for m in fake.messages_to(USER)] == ["ยินดีต้อนรับ"]
    assert fake.violations == []


async def test_injected_429_surfaces_as_api_exception(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    fake.inject_error("/v2/bot/message/push", 429, times=1)
    request = PushMessageRequest(to=USER, messages=[_text("hello")])
    with pytest.raises(ApiException) as info:
        await api.push_message(request)
    assert info.value.status == 429
    assert json.loads(info.value.body) == {"message": MSG_RATE_LIMIT}
    await api.push_message(request)  # injection used up
    assert fake.push_count == 1
    assert fake.violations == []


async def test_rate_limit_per_endpoint(spec: LineSpec) -> None:
    async with FakeLineAPI(TOKEN, spec, rate_limits={"/v2/bot/message/push": 2}) as fake:
        async with AsyncApiClient(Configuration(host=fake.url, access_token=TOKEN)) as client:
            api = AsyncMessagingApi(client)
            request = PushMessageRequest(to=USER, messages=[_text("x")])
            await api.push_message(request)
            await api.push_message(request)
            with pytest.raises(ApiException) as info:
                await api.push_message(request)
            assert info.value.status == 429
            await api.get_bot_info()  # other endpoints are unaffected
    assert fake.push_count == 2


async def test_wrong_token_is_401(fake: FakeLineAPI) -> None:
    async with AsyncApiClient(Configuration(host=fake.url, access_token="wrong")) as client:
        with pytest.raises(ApiException) as info:
            await AsyncMessagingApi(client).get_bot_info()
    assert info.value.status == 401
    assert json.loads(info.value.body)["message"].startswith("Authentication failed")
    assert fake.violations == []  # a wrong token is not a contract violation


async def test_invalid_bodies_are_recorded_and_rejected_like_line(fake: FakeLineAPI) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    bad = {"to": USER, "messages": [{"type": "text"}, {"type": "flex", "contents": {"type": "bubble"}}]}
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.url}/v2/bot/message/push", json=bad, headers=headers) as resp:
            assert resp.status == 400
            body = await resp.json()
        async with session.post(f"{fake.url}/v2/bot/message/push", json={"to": USER}) as resp:
            assert resp.status == 401  # missing auth header: 401, and recorded
        async with session.get(f"{fake.url}/v2/bot/nope", headers=headers) as resp:
            assert resp.status == 404
    assert body == {
        "message": "The request body has 2 error(s)",
        "details": [
            {"message": "'text' is a required property", "property": "messages[0]"},
            {"message": "'altText' is a required property", "property": "messages[1]"},
        ],
    }
    assert fake.push_count == 0
    assert len(fake.violations) == 5
    assert "missing Authorization header" in fake.violations[2]
    assert "unknown path" in fake.violations[-1]


async def test_a_group_push_is_billed_per_member_and_the_quota_resets_each_month(spec: LineSpec) -> None:
    from datetime import datetime, timedelta, timezone

    now = [datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)]
    async with FakeLineAPI(TOKEN, spec, quota=100, clock=lambda: now[0]) as fake:
        fake.add_group(GROUP, members=[f"U{i:032x}" for i in range(40)])
        async with AsyncApiClient(Configuration(host=fake.url, access_token=TOKEN)) as client:
            api = AsyncMessagingApi(client)
            await api.push_message(PushMessageRequest(to=GROUP, messages=[_text("a"), _text("b")]))
            await api.push_message(PushMessageRequest(to=GROUP, messages=[_text("c")]))
            await api.reply_message(ReplyMessageRequest(reply_token=fake.issue_reply_token(GROUP),
                                                        messages=[_text("free")]))
            assert (await api.get_message_quota_consumption()).total_usage == 80  # 2 pushes × 40, reply free
            with pytest.raises(ApiException) as info:
                await api.push_message(PushMessageRequest(to=GROUP, messages=[_text("d")]))
            assert info.value.status == 429 and "monthly limit" in str(info.value.body)
            now[0] += timedelta(days=1)  # December: a fresh quota
            await api.push_message(PushMessageRequest(to=GROUP, messages=[_text("d")]))
            assert (await api.get_message_quota_consumption()).total_usage == 40
    assert fake.billed_by_month() == {"2026-11": 80, "2026-12": 40}


async def test_push_to_malformed_id_is_rejected(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    with pytest.raises(ApiException) as info:
        await api.push_message(PushMessageRequest(to="12345", messages=[_text("x")]))
    assert info.value.status == 400
    assert fake.violations and "'to' must be a user, group or room ID" in fake.violations[0]


async def test_multicast_and_quota(spec: LineSpec) -> None:
    async with FakeLineAPI(TOKEN, spec, quota=3) as fake:
        async with AsyncApiClient(Configuration(host=fake.url, access_token=TOKEN)) as client:
            api = AsyncMessagingApi(client)
            await api.multicast(MulticastRequest(to=[USER, OTHER], messages=[_text("news")]))
            assert (await api.get_message_quota()).value == 3
            assert (await api.get_message_quota_consumption()).total_usage == 2
            await api.reply_message(
                ReplyMessageRequest(reply_token=fake.issue_reply_token(GROUP), messages=[_text("free")])
            )
            await api.push_message(PushMessageRequest(to=GROUP, messages=[_text("3rd")]))
            with pytest.raises(ApiException) as info:
                await api.push_message(PushMessageRequest(to=USER, messages=[_text("4th")]))
            assert info.value.status == 429
        assert fake.multicasts[0]["to"] == [USER, OTHER]
        assert fake.texts_to(OTHER) == ["news"]
        assert fake.texts_to(GROUP) == ["free", "3rd"]
        assert fake.violations == []


async def test_profile_group_and_bot_info(fake: FakeLineAPI, api: AsyncMessagingApi, spec: LineSpec) -> None:
    fake.add_profile(USER, "ครูสมชาย", language="th", pictureUrl="https://example.com/p.png")
    fake.add_group(GROUP, "STEM teachers", members=[USER, OTHER])
    profile = await api.get_profile(USER)
    assert profile.display_name == "ครูสมชาย" and profile.language == "th"
    assert (await api.get_group_summary(GROUP)).group_name == "STEM teachers"
    assert (await api.get_group_member_count(GROUP)).count == 2
    info = await api.get_bot_info()
    assert info.user_id == fake.bot_info["userId"]
    unknown = await api.get_profile(new_user_id())  # auto_create
    assert unknown.display_name.startswith("User ")
    for rec in fake.requests:
        assert spec.response_errors(rec.method, rec.path, rec.status, rec.response) == []
    assert fake.violations == []


async def test_webhook_endpoint_information(fake: FakeLineAPI, api: AsyncMessagingApi, spec: LineSpec) -> None:
    fake.webhook_endpoint = {"endpoint": "https://bot.example.org/webhooks/line", "active": False}
    hook = await api.get_webhook_endpoint()
    assert (hook.endpoint, hook.active) == ("https://bot.example.org/webhooks/line", False)
    for rec in fake.requests:
        assert spec.response_errors(rec.method, rec.path, rec.status, rec.response) == []
    assert fake.violations == []


async def test_rich_menu_lifecycle(fake: FakeLineAPI, api_client: AsyncApiClient, api: AsyncMessagingApi) -> None:
    menu = RichMenuRequest(
        size=RichMenuSize(width=2500, height=843),
        selected=True,
        name="EduNet main menu",
        chat_bar_text="เมนู",
        areas=[
            RichMenuArea(
                bounds=RichMenuBounds(x=0, y=0, width=1250, height=843),
                action=PostbackAction(label="Events", data="menu=events"),
            )
        ],
    )
    menu_id = (await api.create_rich_menu(menu)).rich_menu_id
    blob = AsyncMessagingApiBlob(api_client)  # api-data host: Configuration.host wins
    with pytest.raises(ApiException) as info:
        await api.set_default_rich_menu(menu_id)
    assert info.value.status == 400  # no image yet
    await blob.set_rich_menu_image(menu_id, b"\x89PNG\r\n\x1a\n...", _headers={"Content-Type": "image/png"})
    await api.set_default_rich_menu(menu_id)
    assert fake.default_rich_menu_id == menu_id
    menus = (await api.get_rich_menu_list()).richmenus
    assert [m.rich_menu_id for m in menus] == [menu_id]
    await api.delete_rich_menu(menu_id)
    assert (await api.get_rich_menu_list()).richmenus == []
    assert fake.violations == []


async def test_wait_for_sees_background_pushes(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await api.push_message(PushMessageRequest(to=USER, messages=[_text("reminder")]))

    task = asyncio.create_task(later())
    assert await fake.wait_for(lambda: fake.messages_to(USER), timeout=2)
    await task
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: fake.push_count > 1, timeout=0.1)


async def test_webhook_builders_issue_reply_tokens(fake: FakeLineAPI, api: AsyncMessagingApi, spec: LineSpec) -> None:
    group = new_group_id()
    joined = join_event(group, fake=fake)
    members = member_joined_event(group, [USER, OTHER], fake=fake)
    left = member_left_event(group, [OTHER], fake=fake)
    message = text_event(USER, "hello bot", group, fake=fake)
    assert (await api.get_group_member_count(group)).count == 1

    again = event_redelivered(message)
    assert again["deliveryContext"]["isRedelivery"] is True
    assert again["webhookEventId"] == message["webhookEventId"]
    assert message["deliveryContext"]["isRedelivery"] is False

    body = webhook_body([joined, members, left, message, again])
    assert spec.webhook_errors(json.loads(body)) == []
    events = WebhookParser("secret").parse(body.decode(), sign(body, "secret"))
    assert events[3].source.group_id == group and events[3].message.text == "hello bot"

    await api.reply_message(ReplyMessageRequest(reply_token=message["replyToken"], messages=[_text("hi!")]))
    await api.reply_message(ReplyMessageRequest(reply_token=joined["replyToken"], messages=[_text("thanks")]))
    assert fake.texts_to(group) == ["hi!", "thanks"]
    assert fake.violations == []


async def test_quick_reply_round_trip_has_no_violations(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    items = [QuickReplyItem(action=PostbackAction(label=f"{i}", data=f"rate={i}")) for i in range(1, 6)]
    message = TextMessage(text="Rate the workshop", quick_reply=QuickReply(items=items))
    await api.push_message(PushMessageRequest(to=USER, messages=[message]))
    sent: Any = fake.messages_to(USER)[0]
    assert [i["action"]["data"] for i in sent["quickReply"]["items"]] == [f"rate={i}" for i in range(1, 6)]
    assert fake.requests[-1].header("authorization") == f"Bearer {TOKEN}"
    assert fake.violations == []


async def test_sdk_request_breaking_documented_limit_is_rejected(fake: FakeLineAPI, api: AsyncMessagingApi) -> None:
    with pytest.raises(ApiException) as info:
        await api.push_message(PushMessageRequest(to=USER, messages=[_text("ก" * 5001)]))
    assert info.value.status == 400
    assert json.loads(info.value.body)["details"][0]["property"] == "messages[0].text"
    assert fake.push_count == 0
    assert len(fake.violations) == 1 and "5001 characters" in fake.violations[0]
