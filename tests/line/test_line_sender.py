"""The LINE outbox sender against FakeLineAPI: retry keys, 409, 429, 5xx, 400, 403/404,
timeouts, long rows split over several requests, statistics, and the cost estimate."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.adapters.line.settings import LineSettings
from bot.adapters.line.api import LineApi, LineSender, classify, part_key, publisher
from bot.adapters.line.client import LineApiError
from bot.app import App
from edunet import build_app
from bot.config import Settings
from bot.media import MediaStore
from bot.model import Card, Image, ProgressBar, Text
from bot.outbox import DeliveryError, OutboxDispatcher
from storage.delivery_stats import DeliveryStatsRepo
from storage.membership import Chat, ChatRepo, MemberRepo, NetworkRepo
from storage.runtime import OutboxRepo
from tests.line.harness import TOKEN
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id



@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    settings = Settings(database_url=db_url)
    application = build_app(settings)
    yield application
    await application.close()


@pytest.fixture
async def sender(app: App, fake: FakeLineAPI) -> AsyncIterator[LineSender]:
    api = LineApi(LineSettings(channel_secret="s", channel_access_token=TOKEN, api_base_url=fake.url,
                               data_api_base_url=fake.url))
    store = MediaStore(app, secret="s", public_url="https://edunet.example")
    yield LineSender(app, api, lambda network_id: publisher(store, network_id))
    await api.close()


async def chat(app: App, platform_chat_id: str, kind: str = "private", network_id: int | None = None) -> Chat:
    async with app.db.transaction() as conn:
        row = await ChatRepo(conn).upsert("line", platform_chat_id, kind, None, now=app.clock.now())
        if network_id is not None:
            await ChatRepo(conn).link(row.id, network_id, by_member_id=None, now=app.clock.now())
        return await ChatRepo(conn).get(row.id) or row


async def test_a_push_carries_the_retry_key_and_a_repeat_counts_as_delivered(
        app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    user = new_user_id()
    target = await chat(app, user)
    key = str(uuid.uuid4())
    card = Card(title="ประชุม", fields=[("เวลา", "10:00")], progress=[ProgressBar("ไป", 3, 10)])
    await sender.send(target, [Text("สวัสดี"), card], retry_key=key)
    await sender.send(target, [Text("สวัสดี"), card], retry_key=key)  # a retry after a lost answer
    pushes = [r for r in fake.requests if r.path == "/v2/bot/message/push"]
    assert [r.status for r in pushes] == [200, 409]
    assert {r.header("X-Line-Retry-Key") for r in pushes} == {key}
    assert fake.push_count == 1 and [m["type"] for m in fake.pushes[0]["messages"]] == ["text", "flex"]
    async with app.db.transaction() as conn:
        stats = await DeliveryStatsRepo(conn, "line").for_chat(user, app.clock.now().strftime("%Y-%m"))
    assert stats is not None and (stats.pushes, stats.push_messages, stats.recipients) == (1, 2, 1)
    assert fake.violations == []


async def test_a_long_row_uses_one_derived_key_per_request_and_resumes_after_a_failure(
        app: App, sender: LineSender, fake: FakeLineAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    target = await chat(app, new_user_id())
    key = str(uuid.uuid4())
    replies = [Text("ก" * 5000) for _ in range(7)]  # 7 messages: two requests
    real_push = sender.api.push
    failures = [part_key(key, 1)]

    async def flaky_push(to: str, messages: list, *, retry_key: str) -> None:  # type: ignore[type-arg]
        if retry_key in failures:
            failures.remove(retry_key)
            raise LineApiError(503, "Service Unavailable")
        await real_push(to, messages, retry_key=retry_key)

    monkeypatch.setattr(sender.api, "push", flaky_push)
    with pytest.raises(DeliveryError) as failed:
        await sender.send(target, replies, retry_key=key)
    assert failed.value.retryable
    await sender.send(target, replies, retry_key=key)  # the first request is a 409 now: already delivered
    pushes = [r for r in fake.requests if r.path == "/v2/bot/message/push"]
    assert [(r.status, r.header("X-Line-Retry-Key")) for r in pushes] == [
        (200, key), (409, key), (200, part_key(key, 1))]
    assert uuid.UUID(part_key(key, 1)) and part_key(key, 1) != key
    assert sum(len(p["messages"]) for p in fake.pushes) == 7
    assert fake.violations == []


async def test_group_pushes_count_every_member_as_a_recipient(app: App, sender: LineSender,
                                                              fake: FakeLineAPI) -> None:
    group = new_group_id()
    fake.add_group(group, "ครู", members=[new_user_id() for _ in range(4)])
    async with app.db.transaction() as conn:
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=app.clock.now())
        await MemberRepo(conn).add(network.id, platform="line", platform_user_id=new_user_id(), display_name="A",
                                   role="coordinator", language="th", now=app.clock.now())
    target = await chat(app, group, "group", network.id)
    await sender.send(target, [Text("ประกาศ")], retry_key=str(uuid.uuid4()))
    await sender.send(target, [Text("ประกาศ 2")], retry_key=str(uuid.uuid4()))
    async with app.db.transaction() as conn:
        repo = DeliveryStatsRepo(conn, "line")
        [stats] = await repo.month(app.clock.now().strftime("%Y-%m"), network_id=network.id)
        estimate = await repo.estimate(network.id)
        both = await repo.estimate(network.id, members_privately=True)
    assert (stats.pushes, stats.recipients) == (2, 8)
    assert (estimate.pushes, estimate.messages) == (1, 4)
    assert (both.pushes, both.messages) == (2, 5)
    assert len([r for r in fake.requests if r.path.endswith("/members/count")]) == 1  # cached


async def test_images_are_pushed_by_url(app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    from bot.charts import choice_counts

    target = await chat(app, new_user_id())
    png = choice_counts("สรุป", "x", {"ก": 1}, respondents=1, unit="คน")
    await sender.send(target, [Image(png, alt_text="กราฟ")], retry_key=str(uuid.uuid4()))
    [image] = fake.pushes[0]["messages"]
    assert image["originalContentUrl"].startswith("https://edunet.example/media/")
    assert fake.violations == []


@pytest.mark.parametrize(("status", "retryable", "gone"), [(400, False, False), (403, False, True),
                                                           (404, False, True), (500, True, False),
                                                           (502, True, False), (429, True, False)])
async def test_errors_are_classified(app: App, sender: LineSender, fake: FakeLineAPI, status: int,
                                     retryable: bool, gone: bool) -> None:
    target = await chat(app, new_user_id())
    fake.inject_error("/v2/bot/message/push", status)
    with pytest.raises(DeliveryError) as info:
        await sender.send(target, [Text("x")], retry_key=str(uuid.uuid4()))
    assert (info.value.retryable, info.value.chat_gone) == (retryable, gone)
    assert str(status) in str(info.value)


def test_429_honours_retry_after_and_the_monthly_limit() -> None:
    limited = LineApiError(429, "Too Many Requests", json.dumps(
        {"message": "The API rate limit has been exceeded. Try again later."}), {"retry-after": "17"})
    error = classify(limited)
    assert error is not None and error.retryable and error.retry_after == 17
    monthly = LineApiError(429, "Too Many Requests", json.dumps({"message": "You have reached your monthly limit."}).encode())
    error = classify(monthly)
    assert error is not None and error.retry_after == 3600
    assert classify(LineApiError(409)) is None


async def test_an_unreachable_api_is_retryable(db_url: str) -> None:
    app = build_app(Settings(database_url=db_url))
    api = LineApi(LineSettings(channel_access_token=TOKEN, api_base_url="http://127.0.0.1:9"))
    try:
        sender = LineSender(app, api, lambda _n: None)
        target = await chat(app, new_user_id())
        with pytest.raises(DeliveryError) as info:
            await sender.send(target, [Text("x")], retry_key=str(uuid.uuid4()))
        assert info.value.retryable and "unreachable" in str(info.value)
    finally:
        await api.close()
        await app.close()


async def test_the_dispatcher_marks_a_blocked_chat_inactive(app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    target = await chat(app, new_user_id())
    async with app.db.transaction() as conn:
        await OutboxRepo(conn).enqueue(key="k1", network_id=None, chat_id=target.id,
                                       messages=[{"type": "text", "text": "hi", "buttons": [], "quick_replies": False,
                                                  "update_key": None}], now=app.clock.now())
    fake.inject_error("/v2/bot/message/push", 403)
    assert await OutboxDispatcher(app, {"line": sender}).deliver_due() == 0
    async with app.db.transaction() as conn:
        row = await OutboxRepo(conn).by_key("k1")
        again = await ChatRepo(conn).get(target.id)
    assert row is not None and row.status == "dead"
    assert again is not None and not again.active


def row(*texts: str, quick: bool = False) -> list:  # type: ignore[type-arg]
    from bot.model import Button

    replies = [Text(t) for t in texts]
    if quick:
        replies[-1] = Text(texts[-1], buttons=[[Button("ใช่", "1|yes")]], quick_replies=True)
    return replies


async def test_pending_rows_for_one_chat_share_pushes(app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    target = await chat(app, new_user_id())
    rows = [(row("a", "b"), str(uuid.uuid4())), (row("c", quick=True), str(uuid.uuid4())),
            (row("d", "e", "f"), str(uuid.uuid4())), (row("g"), str(uuid.uuid4()))]
    result = await sender.send_batch(target, rows)
    assert (result.delivered, result.error) == (4, None)
    assert [[m["text"] for m in p["messages"]] for p in fake.pushes] == [["a", "b", "c"], ["d", "e", "f", "g"]]
    first = fake.pushes[0]["messages"]
    assert "quickReply" in first[-1]  # c's quick reply stays: it ends its request
    keys = [r.header("X-Line-Retry-Key") for r in fake.requests if r.path == "/v2/bot/message/push"]
    assert keys == [rows[0][1], rows[2][1]]  # each push carries its first row's key
    assert fake.violations == []


async def test_a_batch_retried_with_more_rows_delivers_each_row_once(
        app: App, sender: LineSender, fake: FakeLineAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    target = await chat(app, new_user_id())
    a, b, c = (row("a"), str(uuid.uuid4())), (row("b"), str(uuid.uuid4())), (row("c"), str(uuid.uuid4()))
    real_push = sender.api.push
    lost = [True]

    async def answer_lost(to: str, messages: list, *, retry_key: str) -> None:  # type: ignore[type-arg]
        await real_push(to, messages, retry_key=retry_key)
        if lost:
            lost.clear()
            raise TimeoutError("the answer was lost")  # delivered, but we cannot know

    monkeypatch.setattr(sender.api, "push", answer_lost)
    result = await sender.send_batch(target, [a, b])
    assert result.delivered == 0 and result.error is not None and result.error.retryable
    # Next round, row c has joined: a+b are recognised as delivered by the 409, c goes alone.
    result = await sender.send_batch(target, [a, b, c])
    assert (result.delivered, result.error) == (3, None)
    assert [[m["text"] for m in p["messages"]] for p in fake.pushes] == [["a", "b"], ["c"]]


async def test_a_failing_batch_reports_how_far_it_got(app: App, sender: LineSender, fake: FakeLineAPI) -> None:
    target = await chat(app, new_user_id())
    rows = [(row("1", "2", "3", "4", "5"), str(uuid.uuid4())), (row("6"), str(uuid.uuid4()))]
    big = ([Text("ก" * 5000) for _ in range(6)], str(uuid.uuid4()))
    result = await sender.send_batch(target, [*rows, big])
    assert result.delivered == 3 and fake.push_count == 4  # 5 + 1 + a long row in two pushes
    fake.inject_error("/v2/bot/message/push", 429)
    result = await sender.send_batch(target, [(row("7"), str(uuid.uuid4()))])
    assert result.delivered == 0 and result.error is not None and result.error.retryable


async def test_line_stats_command_prints_the_month(app: App, sender: LineSender, fake: FakeLineAPI,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from bot.adapters.line.cli import run_line_command

    user = new_user_id()
    await sender.send(await chat(app, user), [Text("x")], retry_key=str(uuid.uuid4()))
    month = app.clock.now().strftime("%Y-%m")
    code = await run_line_command(app.settings, LineSettings(channel_access_token=TOKEN),
                                  argparse.Namespace(line_command="stats", month=month), app.router)
    out = capsys.readouterr().out
    assert code == 0 and f"{user}\t1\t1\t1\t0" in out and "total\t1\t1\t1\t0" in out


def test_the_monthly_limit_is_told_apart_from_rate_limits() -> None:
    limited = LineApiError(429, "Too Many Requests", json.dumps(
        {"message": "The API rate limit has been exceeded. Try again later."}))
    monthly = LineApiError(429, "Too Many Requests", json.dumps({"message": "You have reached your monthly limit."}).encode())
    rate, quota = classify(limited), classify(monthly)
    assert rate is not None and rate.wait_reason is None  # retried with backoff
    assert quota is not None and quota.wait_reason == "monthly_limit"  # parked: no retry burnt
