"""The LINE adapter in-process: the durable inbox, media URLs, toasts, public URL rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import pytest

from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.settings import LineSettings
from bot.app import App, Outcome
from edunet import build_app
from bot.clock import ManualClock
from bot.config import Settings
from bot.media import PublicURLError, check_public_url
from bot.model import ChatKind, ChatRef, Event, EventKind, Sender, Text
from bot.web import WebServer
from storage.inbox import InboxRepo
from tests.support.conversation import START
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_user_id, sign, text_event, webhook_body

SECRET = "adapter-secret"
TOKEN = "tok"


class Running:
    def __init__(self, app: App, adapter: LineAdapter, web: WebServer, fake: FakeLineAPI) -> None:
        self.app, self.adapter, self.web, self.fake = app, adapter, web, fake

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web.port}"

    async def post(self, events: list) -> int:  # type: ignore[type-arg]
        body = webhook_body(events)
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{self.url}/webhooks/line", data=body,
                                    headers={"x-line-signature": sign(body, SECRET)}) as response:
                return response.status


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    async with FakeLineAPI(access_token=TOKEN, spec=None) as server:
        yield server


def settings(sqlite_url: str, **extra: object) -> Settings:
    values: dict[str, object] = dict(database_url=sqlite_url, port=0, public_url="https://edunet.example")
    values.update(extra)
    return Settings(**values)  # type: ignore[arg-type]


def line_settings(fake: FakeLineAPI) -> LineSettings:
    return LineSettings(channel_secret=SECRET, channel_access_token=TOKEN, api_base_url=fake.url,
                        data_api_base_url=fake.url)


@pytest.fixture
async def running(sqlite_url: str, fake: FakeLineAPI) -> AsyncIterator[Running]:
    config = settings(sqlite_url)
    app = build_app(config, clock=ManualClock(START))
    web = WebServer(config)
    adapter = LineAdapter(app, line_settings(fake), web)
    await web.start()
    yield Running(app, adapter, web, fake)
    await adapter.stop()
    await web.stop()
    await app.close()


async def test_events_are_stored_before_the_200_and_processed_after_a_restart(running: Running) -> None:
    # The worker is not started: the webhook still answers 200, and the event waits in the inbox.
    user = new_user_id()
    event = text_event(user, "/start", fake=running.fake)
    assert await running.post([event, event]) == 200
    async with running.app.db.transaction() as conn:
        assert await InboxRepo(conn, "line").status(event["webhookEventId"]) == "pending"
    assert running.fake.requests == []
    await running.adapter.start()  # a (re)started process picks it up
    await running.fake.wait_for(lambda: running.fake.replies)
    assert len(running.fake.replies) == 1

    async def done() -> bool:
        async with running.app.db.transaction() as conn:
            return await InboxRepo(conn, "line").status(event["webhookEventId"]) == "done"

    assert await running.fake.wait_for(done)


async def test_media_urls_are_unguessable_expiring_and_served(running: Running) -> None:
    media = running.adapter.media
    url = await media.url_for(b"\x89PNG fake", mime_type="image/png", filename="chart.png",
                              ttl=timedelta(days=1))
    again = await media.url_for(b"\x89PNG fake", mime_type="image/png", filename="chart.png")
    assert url == again and url.startswith("https://edunet.example/media/") and url.endswith(".png")
    local = running.url + url.removeprefix("https://edunet.example")
    document = await media.url_for(b"a,b\n", mime_type="text/csv", filename="รายงาน.csv")
    async with aiohttp.ClientSession() as session:
        async with session.get(local) as response:
            assert response.status == 200 and response.content_type == "image/png"
            assert await response.read() == b"\x89PNG fake"
        async with session.get(running.url + document.removeprefix("https://edunet.example")) as response:
            assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
        async with session.get(running.url + "/media/" + "A" * 32 + ".png") as response:
            assert response.status == 404
        async with session.get(running.url + "/media/..%2F..%2Fetc") as response:
            assert response.status == 404
        running.app.clock.advance(timedelta(days=31))  # type: ignore[attr-defined]
        async with session.get(local) as response:
            assert response.status == 404
    assert await media.prune() == 2  # the image (expired) and the document (7 days)


def event(kind: EventKind, *, private: bool, user: str | None = "U" + "a1" * 16) -> Event:
    chat = ChatRef("line", user if private and user else new_group_id(),
                   ChatKind.PRIVATE if private else ChatKind.GROUP)
    return Event(platform="line", event_id="e", chat=chat, sender=Sender(user), kind=kind)


async def test_toasts_become_messages_only_where_the_user_must_see_them(running: Running) -> None:
    answers = running.adapter.answers
    toast = Outcome(toast="บันทึกแล้ว")
    assert await answers(event(EventKind.BUTTON, private=True), toast) == [Text("บันทึกแล้ว")]
    assert await answers(event(EventKind.BUTTON, private=False), toast) == []
    failed = Outcome(toast="ขออภัย", failed=True)
    assert await answers(event(EventKind.BUTTON, private=False), failed) == [Text("ขออภัย")]
    with_reply = Outcome(replies=[Text("ok")], toast="t")
    assert await answers(event(EventKind.BUTTON, private=True), with_reply) == [Text("ok")]
    [ask] = await answers(event(EventKind.BUTTON, private=False, user=None), toast)
    assert "เพื่อน" in ask.text and ask.buttons[0][0].url == "https://line.me/R/ti/p/%40edunet"


def test_public_url_rules(sqlite_url: str) -> None:
    assert check_public_url("https://bot.example.org/", allow_http=False) == "https://bot.example.org"
    assert check_public_url("", allow_http=False) == ""
    assert check_public_url("http://127.0.0.1:8080", allow_http=True) == "http://127.0.0.1:8080"
    with pytest.raises(PublicURLError, match="EDUNET_ALLOW_HTTP_PUBLIC_URL"):
        check_public_url("http://bot.example.org", allow_http=False)
    with pytest.raises(PublicURLError):
        check_public_url("ftp://bot.example.org", allow_http=True)


async def test_the_adapter_refuses_to_start_with_an_http_public_url(sqlite_url: str, fake: FakeLineAPI) -> None:
    config = settings(sqlite_url, public_url="http://bot.example.org")
    app = build_app(config)
    try:
        with pytest.raises(SystemExit, match="https"):
            LineAdapter(app, line_settings(fake), WebServer(config))
    finally:
        await app.close()
