"""Our Messaging API client (bot/adapters/line/client.py): LINE's endpoints against FakeLineAPI
(validated by LINE's OpenAPI spec), errors as LINE sends them, the data API host, proxies read
once, one session per process, and `edunet serve`'s LINE imports without line-bot-sdk."""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.adapters.line.api import LineApi, _accepted_count, classify
from bot.adapters.line.client import DEFAULT_DATA_API, LineApiError, MessagingClient, data_host
from bot.proxies import proxy_for
from bot.adapters.line.settings import LineSettings
from tests.fakes.line_api import FakeLineAPI, new_group_id, new_room_id, new_user_id
from tests.fakes.local_server import LocalServer
from tests.line.harness import ROOT, TOKEN


@pytest.fixture
async def client(fake: FakeLineAPI) -> AsyncIterator[MessagingClient]:
    line = MessagingClient(TOKEN, fake.url)
    yield line
    await line.close()


def test_serving_line_does_not_import_line_bot_sdk() -> None:
    probe = ("import sys\nimport bot.adapters.line, bot.adapters.line.adapter, bot.adapters.line.richmenu\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] == 'linebot'))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


async def test_every_endpoint_the_bot_calls_matches_lines_spec(fake: FakeLineAPI, client: MessagingClient) -> None:
    user, group, room = new_user_id(), new_group_id(), new_room_id()
    fake.add_profile(user, "สมชาย", language="th")
    fake.add_group(group, "ครูอนุบาล", members=[user])
    await client.push(user, [{"type": "text", "text": "สวัสดีค่ะ"}], retry_key="0b8c3c43-7d0e-4bd7-a3d5-7a1b9f6d4e21")
    await client.reply(fake.issue_reply_token(user), [{"type": "text", "text": "ตอบ"}])
    assert (await client.profile(user))["displayName"] == "สมชาย"
    assert (await client.member_profile(group, user))["displayName"] == "สมชาย"
    assert (await client.group_summary(group))["groupName"] == "ครูอนุบาล"
    assert await client.member_count(group) == 1
    fake.add_group(room, members=[user, new_user_id()])
    assert await client.member_count(room) == 2
    assert (await client.message_quota())["type"] == "none"
    assert "totalUsage" in await client.message_quota_consumption()
    assert (await client.bot_info())["basicId"] == "@edunet"
    assert fake.violations == []
    assert fake.texts_to(user) == ["สวัสดีค่ะ", "ตอบ"]  # Thai sent as UTF-8, not escaped
    [push] = [r for r in fake.requests if r.path == "/v2/bot/message/push"]
    assert push.header("X-Line-Retry-Key") == "0b8c3c43-7d0e-4bd7-a3d5-7a1b9f6d4e21"
    assert "สวัสดีค่ะ".encode() in push.body


async def test_a_repeated_retry_key_is_a_409_that_tells_what_was_accepted(fake: FakeLineAPI,
                                                                          client: MessagingClient) -> None:
    user = new_user_id()
    key = "5f0c1f5e-3d0a-4c9a-9d7e-2b6a8e1c4f00"
    await client.push(user, [{"type": "text", "text": "1"}, {"type": "text", "text": "2"}], retry_key=key)
    with pytest.raises(LineApiError) as info:
        await client.push(user, [{"type": "text", "text": "1"}], retry_key=key)
    assert info.value.status == 409 and classify(info.value) is None
    assert _accepted_count(info.value) == 2
    assert info.value.headers.get("x-line-request-id") or info.value.headers.get("X-Line-Request-Id")


class Scripted(LocalServer):
    """A server that answers each path as told (status, JSON body or bytes, headers, delay)."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: dict[str, tuple[int, object, dict[str, str], float]] = {}
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        self.peers: set[int] = set()

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append((request.method, request.path, dict(request.headers)))
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername")[1])
        status, body, headers, delay = self.answers.get(request.path, (200, {}, {}, 0.0))
        await asyncio.sleep(delay)
        if isinstance(body, bytes):
            return web.Response(body=body, status=status, headers=headers, content_type="image/jpeg")
        return web.json_response(body, status=status, headers=headers)


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    async with Scripted() as server:
        yield server


async def test_errors_carry_status_reason_body_and_headers_for_the_outbox(scripted: Scripted) -> None:
    line = MessagingClient(TOKEN, scripted.url)
    try:
        scripted.answers["/v2/bot/message/push"] = (429, {"message": "The API rate limit has been exceeded."},
                                                    {"Retry-After": "17"}, 0.0)
        with pytest.raises(LineApiError) as info:
            await line.push("U" + "0" * 32, [{"type": "text", "text": "x"}], retry_key="k")
        assert (info.value.status, info.value.reason) == (429, "Too Many Requests")
        error = classify(info.value)
        assert error is not None and error.rate_limited and error.retry_after == 17

        scripted.answers["/v2/bot/message/push"] = (429, {"message": "You have reached your monthly limit."}, {}, 0.0)
        with pytest.raises(LineApiError) as info:
            await line.push("U" + "0" * 32, [{"type": "text", "text": "x"}], retry_key="k")
        error = classify(info.value)
        assert error is not None and error.wait_reason == "monthly_limit" and not error.rate_limited

        for status, gone, retryable in ((403, True, False), (404, True, False), (401, False, True),
                                        (500, False, True), (400, False, False)):
            scripted.answers["/v2/bot/message/push"] = (status, {"message": "no", "details": [
                {"property": "to", "message": "bad"}]}, {}, 0.0)
            with pytest.raises(LineApiError) as info:
                await line.push("U" + "0" * 32, [{"type": "text", "text": "x"}], retry_key="k")
            error = classify(info.value)
            assert error is not None and (error.chat_gone, error.retryable) == (gone, retryable), status
            assert f"LINE {status}: no to: bad" in str(error)
    finally:
        await line.close()


async def test_a_slow_answer_times_out_and_is_retried_later(scripted: Scripted) -> None:
    line = MessagingClient(TOKEN, scripted.url)
    scripted.answers["/v2/bot/message/push"] = (200, {}, {}, 2.0)
    try:
        with pytest.raises(asyncio.TimeoutError) as info:
            await line.push("U" + "0" * 32, [{"type": "text", "text": "x"}], retry_key="k", timeout=0.2)
        error = classify(info.value)
        assert error is not None and error.retryable and "unreachable" in str(error)
    finally:
        await line.close()


async def test_one_session_and_connection_serve_many_requests(scripted: Scripted) -> None:
    api = LineApi(LineSettings(channel_access_token=TOKEN, api_base_url=scripted.url))
    scripted.answers["/v2/bot/info"] = (200, {"basicId": "@edu net"}, {}, 0.0)
    try:
        for _ in range(5):
            assert await api.add_friend_url() == "https://line.me/R/ti/p/%40edu net"
        session = api.client._session
        await api.bot_info()
        assert api.client._session is session
    finally:
        await api.close()
    assert len(scripted.peers) == 1  # kept alive: one TCP connection for all six
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for _m, _p, h in scripted.seen)


async def test_content_goes_to_the_data_api_host(scripted: Scripted) -> None:
    async with Scripted() as data:
        data.answers["/v2/bot/message/4711/content"] = (200, b"\xff\xd8jpeg", {}, 0.0)
        line = MessagingClient(TOKEN, scripted.url, data.url)
        try:
            assert await line.message_content("4711") == b"\xff\xd8jpeg"
            await line.upload_rich_menu_image("richmenu-1", b"png")
            await line.set_default_rich_menu("richmenu-1")
        finally:
            await line.close()
    assert [(m, p) for m, p, _h in data.seen] == [("GET", "/v2/bot/message/4711/content"),
                                                  ("POST", "/v2/bot/richmenu/richmenu-1/content")]
    assert data.seen[1][2]["Content-Type"] == "image/png"
    assert [p for _m, p, _h in scripted.seen] == ["/v2/bot/user/all/richmenu/richmenu-1"]
    assert data_host("https://api.line.me") == DEFAULT_DATA_API == data_host("https://api.line.me/ ")
    assert data_host("http://127.0.0.1:1") == "http://127.0.0.1:1"


def test_proxies_come_from_the_environment_and_no_proxy_is_honoured() -> None:
    assert proxy_for("https://api.line.me", {}) == (None, {})
    env = {"HTTPS_PROXY": "http://teacher:s3cret@proxy.school.ac.th:3128", "NO_PROXY": "localhost,.internal"}
    proxy, headers = proxy_for("https://api.line.me", env)
    assert str(proxy) == "http://proxy.school.ac.th:3128"
    assert headers == {"Proxy-Authorization": "Basic " + base64.b64encode(b"teacher:s3cret").decode()}
    assert proxy_for("https://api-data.line.me", {"https_proxy": "proxy:8080", "HTTPS_PROXY": "other:1"})[0] \
        == proxy_for("https://x.y", {"https_proxy": "proxy:8080"})[0]
    assert str(proxy_for("https://x.y", {"https_proxy": "proxy:8080"})[0]) == "http://proxy:8080"
    assert proxy_for("https://api.line.me", {**env, "NO_PROXY": "line.me"}) == (None, {})
    assert proxy_for("http://fake.internal:8080", {**env, "HTTP_PROXY": "http://p:1"}) == (None, {})
    assert proxy_for("http://127.0.0.1:9", {"HTTPS_PROXY": "http://p:1"}) == (None, {})  # http needs HTTP_PROXY
    assert proxy_for("https://api.line.me", {**env, "NO_PROXY": "*"}) == (None, {})
    assert proxy_for("https://api.line.me", {**env, "no_proxy": "api.line.me:443"}) == (None, {})
    assert proxy_for("https://api.line.me", {**env, "NO_PROXY": "api.line.me:8443"})[0] is not None
    assert proxy_for("https://notline.me", {**env, "NO_PROXY": "line.me"})[0] is not None


async def test_requests_go_through_the_proxy_named_at_session_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with Scripted() as proxy:  # a plain-HTTP forward proxy sees the absolute URL
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        line = MessagingClient(TOKEN, "http://api.line.test")
        try:
            await line.bot_info()
            monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # read once: a later change is not seen
            await line.bot_info()
        finally:
            await line.close()
    assert [(p, h["Host"]) for _m, p, h in proxy.seen] == [("/v2/bot/info", "api.line.test")] * 2
    assert [h.get("Proxy-Authorization") for _m, _p, h in proxy.seen] == [None, None]


async def test_https_goes_through_the_proxy_with_its_credentials_and_never_the_token(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    connects: list[tuple[str, dict[str, str]]] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in head[1:] if ": " in line)
        connects.append((head[0], headers))
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")  # the school's proxy says no
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://ครู:pw@127.0.0.1:{port}")
    line = MessagingClient(TOKEN)  # api.line.me, through the proxy: nothing leaves this machine
    try:
        with pytest.raises(Exception) as info:
            await line.bot_info()
        error = classify(info.value)
        assert error is not None and error.retryable and "unreachable" in str(error)
    finally:
        await line.close()
        server.close()
        await server.wait_closed()
    [(request_line, headers)] = connects
    assert request_line == "CONNECT api.line.me:443 HTTP/1.1"
    assert headers["Proxy-Authorization"] == "Basic " + base64.b64encode("ครู:pw".encode()).decode()
    assert TOKEN not in str(headers)


def test_an_error_reads_well_in_the_log() -> None:
    error = LineApiError(400, "Bad Request", json.dumps({"message": "The request body has 1 error(s)"}).encode())
    assert str(error).splitlines()[0] == "(400) Bad Request"
    assert "The request body has 1 error(s)" in str(error)
