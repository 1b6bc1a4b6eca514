"""End to end over real HTTP: ``python -m bot serve`` as a process, signed webhooks in,
FakeLineAPI recording (and, with ../shared present, validating) every request out."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from handlers import build_router
from tests.contracts.line_openapi import load_line_spec
from tests.fakes.line_api import (
    FakeLineAPI,
    event_redelivered,
    follow_event,
    join_event,
    member_joined_event,
    new_group_id,
    new_user_id,
    postback_event,
    sign,
    text_event,
)
from tests.line.harness import ADMIN, SECRET, TOKEN, LineBot, all_text, postback

pytestmark = pytest.mark.slow

PARENT = "U" + "0a" * 16
HIDDEN = None  # a group member whose id LINE does not reveal


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    # Validation against LINE's spec when ../shared is present (contract tests); plain otherwise.
    async with FakeLineAPI(access_token=TOKEN, spec=load_line_spec()) as server:
        server.add_profile(ADMIN, "Alice", language="th")
        server.add_profile(PARENT, "Bob", language="th")
        yield server


@pytest.fixture
async def line(fake: FakeLineAPI, sqlite_url: str, tmp_path: Path) -> AsyncIterator[LineBot]:
    bot = LineBot(fake, sqlite_url, tmp_path)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
        assert bot.process is not None and bot.process.returncode == 0, bot.log[-3000:]


def data(messages: list[dict], action: str) -> str:
    """The postback data of the first button for ``action`` (payload ``1|action|...``)."""
    for text in re.findall(r"'data': '([^']*)'", str(messages)):
        if text.split("|")[1:2] == [action]:
            return text
    raise AssertionError(f"no {action} button in {messages}")


async def opening(line: LineBot, group: str) -> None:
    """Admin creates a network, joins as coordinator, the bot joins a group that gets linked,
    a parent registers by button."""
    fake = line.fake
    said = all_text(await line.send(text_event(ADMIN, "/newnetwork เครือข่ายทดสอบ", fake=fake)))
    assert "เครือข่ายทดสอบ" in said and re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said), said
    created = fake.replies[-1]["messages"]
    said = all_text(await line.send(postback_event(ADMIN, data(created, "joincode"), fake=fake)))
    assert "ผู้ประสานงาน" in said, said  # registered as a coordinator

    greeting = all_text(await line.send(join_event(group, fake=fake)))
    assert "/linkgroup" in greeting, greeting
    linked = await line.send(text_event(ADMIN, "/linkgroup", group, fake=fake))
    assert "เครือข่ายทดสอบ" in all_text(linked)
    said = all_text(await line.send(postback_event(PARENT, data(linked, "reg"), group, fake=fake)))
    assert "Bob" in said and "ผู้ปกครอง" in said, said


async def test_the_core_journey_over_real_http(line: LineBot) -> None:
    fake = line.fake
    group = new_group_id()
    await opening(line, group)
    assert [r.path for r in fake.requests if r.path.endswith("/reply")], "answers use reply tokens"
    assert fake.push_count == 0  # everything so far was free

    # New people join the group: one welcome with the Register button for the whole batch.
    newcomers = [new_user_id(), new_user_id()]
    welcome = await line.send(member_joined_event(group, newcomers, fake=fake))
    assert data(welcome, "reg") and len(fake.replies[-1]["messages"]) == 1

    # A group member LINE does not identify taps Register: ask them to add the bot as a friend.
    linked = fake.replies[-3]["messages"]
    said = await line.send(postback_event(HIDDEN, data(linked, "reg"), group, fake=fake))  # type: ignore[arg-type]
    assert "เพื่อน" in all_text(said), said
    assert any(n.get("type") == "uri" and "line.me" in n.get("uri", "") for n in _walk(said))

    # The parent adds the bot as a friend; the coordinator makes them a teacher: a push, with a retry key.
    await line.send(follow_event(PARENT, fake=fake))
    mark = len(fake.requests)
    members = all_text(await line.send(text_event(ADMIN, "/members", fake=fake)))
    number = re.search(r"(\d+)\. Bob", members)
    assert number, members
    await line.send(text_event(ADMIN, f"/role {number.group(1)} teacher", fake=fake))
    [push] = await line.wait_requests(PARENT, mark, count=1)
    assert push.path == "/v2/bot/message/push" and "ครู" in all_text(push.json["messages"])
    key = push.header("X-Line-Retry-Key")
    assert key and uuid.UUID(key)
    await line.wait_db("SELECT retry_key, status FROM outbox", [(key, "sent")])
    await line.wait_db(f"SELECT pushes, push_messages, recipients FROM line_chat_stats "
                       f"WHERE platform_chat_id = '{PARENT}'", [(1, 1, 1)])

    # LINE redelivers an event: nothing changes, nothing is sent.
    event = text_event(ADMIN, f"/role {number.group(1)} partner", fake=fake)
    await line.send(event)
    await line.wait_requests(PARENT, mark, count=2)  # the second role-change push
    before, requests = line.db_fingerprint(), len(fake.requests)
    assert await line.post([event_redelivered(event)]) == 200
    await asyncio.sleep(0.5)
    assert line.db_fingerprint() == before and len(fake.requests) == requests
    assert line.db_rows(f"SELECT role FROM members WHERE platform_user_id = '{PARENT}'") == [("partner",)]
    assert fake.violations == []


def _walk(messages: list[dict]) -> list[dict]:
    from tests.line.harness import walk

    return list(walk(messages))


async def test_forged_malformed_and_oversized_webhooks_touch_nothing(line: LineBot) -> None:
    fake = line.fake
    before, requests = line.db_fingerprint(), len(fake.requests)
    event = text_event(ADMIN, "/newnetwork Evil", fake=fake)
    from tests.fakes.line_api import webhook_body

    body = webhook_body([event])
    assert await line.post(body=body, signature=None) == 401
    assert await line.post(body=body, signature="bm90IHRoZSBzaWduYXR1cmU=") == 401
    assert await line.post(body=body, signature=sign(body, "another-secret")) == 401
    assert await line.post(body=body + b" ", signature=sign(body, SECRET)) == 401  # body changed after signing
    assert await line.post(body=b"{not json", signature=sign(b"{not json", SECRET)) == 400
    assert await line.post(body=b'{"events": "nope"}', signature=sign(b'{"events": "nope"}', SECRET)) == 400
    huge = b'{"events": [], "pad": "' + b"x" * (1024 * 1024 + 10) + b'"}'
    assert await line.post(body=huge, signature=sign(huge, SECRET)) == 413
    await asyncio.sleep(0.3)
    assert line.db_fingerprint() == before
    assert len(fake.requests) == requests
    # LINE's "verify" button posts an empty, signed event list: 200.
    assert await line.post([]) == 200


async def test_stale_or_rejected_reply_tokens_fall_back_to_a_push_and_429_is_honoured(line: LineBot) -> None:
    fake = line.fake
    # A token older than LINE's window is not even tried: the answer is pushed (with a retry key).
    stale = text_event(ADMIN, "/help", fake=fake, timestamp=int((time.time() - 120) * 1000))
    messages = await line.send(stale)
    assert "/help" in all_text(messages) or "/join" in all_text(messages)
    assert not [r for r in fake.requests if r.path.endswith("/reply")]
    assert fake.pushes[-1]["to"] == ADMIN

    # A reply token LINE rejects: the reply fails, the answer is pushed instead.
    mark = len(fake.requests)
    await line.send(text_event(ADMIN, "/help", reply_token="f" * 32))
    assert [r.status for r in fake.requests[mark:] if r.path.startswith("/v2/bot/message/")] == [400, 200]

    # A redelivery of an event we never saw (our first answer was lost) is handled, but its
    # reply token is not used: the answer is pushed.
    mark = len(fake.requests)
    await line.send(event_redelivered(text_event(ADMIN, "/help", fake=fake)))
    assert [r.path for r in fake.requests[mark:] if "/message/" in r.path] == ["/v2/bot/message/push"]

    # A 429 on the push: the outbox retries later with the same retry key, and it is delivered once.
    fake.inject_error("/v2/bot/message/push", 429, times=1)
    mark = len(fake.requests)
    late = text_event(ADMIN, "/start", fake=fake, timestamp=int((time.time() - 120) * 1000))
    assert await line.post([late]) == 200
    await line.wait_requests(ADMIN, mark, count=1, timeout=20)
    pushes = [r for r in fake.requests[mark:] if r.path == "/v2/bot/message/push"]
    assert [r.status for r in pushes] == [429, 200]
    assert pushes[0].header("X-Line-Retry-Key") == pushes[1].header("X-Line-Retry-Key")
    assert fake.violations == []


async def test_serve_refuses_an_http_public_url_without_the_development_flag(
        fake: FakeLineAPI, sqlite_url: str, tmp_path: Path) -> None:
    bot = LineBot(fake, sqlite_url, tmp_path, EDUNET_ALLOW_HTTP_PUBLIC_URL="0")
    with pytest.raises(AssertionError, match="exited"):
        await bot.start(timeout=20)
    await bot.stop()
    assert "https" in bot.log and "EDUNET_ALLOW_HTTP_PUBLIC_URL" in bot.log


# ------------------------------------------------------------------ feature steps (other branches)


def require_command(feature: str, *names: str) -> str:
    """The first of ``names`` the router knows; skip (naming the feature) when none is."""
    commands = build_router().commands
    for name in names:
        if name in commands:
            return name
    pytest.skip(f"the {feature} feature is not on this branch yet (no /{' or /'.join(names)} command)")


@pytest.fixture
async def community(line: LineBot) -> AsyncIterator[tuple[LineBot, str]]:
    """The opening of the scenario, ready for the feature steps: Bob is a teacher."""
    group = new_group_id()
    await opening(line, group)
    await line.send(follow_event(PARENT, fake=line.fake))
    mark = len(line.fake.requests)
    await line.send(text_event(ADMIN, "/role 2 teacher", fake=line.fake))
    await line.wait_requests(PARENT, mark)
    yield line, group


@pytest.mark.skip(reason="written before the features merged; being replaced by the full LINE scenario")
async def test_scenario_log_an_activity(request: pytest.FixtureRequest) -> None:
    """Bob (teacher) starts /log in private and gets the first question."""
    command = require_command("activities", "log", "activity")
    line, _group = request.getfixturevalue("community")
    said = await line.send(text_event(PARENT, f"/{command}", fake=line.fake))
    assert all_text(said)
    assert line.fake.violations == []


@pytest.mark.skip(reason="written before the features merged; being replaced by the full LINE scenario")
async def test_scenario_pledge_toward_a_need(request: pytest.FixtureRequest) -> None:
    """Alice posts a need; its card offers a Pledge button (a Flex card with a progress bar)."""
    command = require_command("needs and pledges", "need", "needs")
    line, _group = request.getfixturevalue("community")
    said = await line.send(text_event(ADMIN, f"/{command}", fake=line.fake))
    assert all_text(said)
    assert line.fake.violations == []


@pytest.mark.skip(reason="written before the features merged; being replaced by the full LINE scenario")
async def test_scenario_answer_a_survey_by_buttons(request: pytest.FixtureRequest) -> None:
    """Alice starts a survey; its buttons are postbacks (quick replies or a Flex card)."""
    command = require_command("surveys", "survey", "poll")
    line, group = request.getfixturevalue("community")
    chat_is_group = build_router().commands[command].rule.where.value == "group"
    said = await line.send(text_event(ADMIN, f"/{command}", group if chat_is_group else None, fake=line.fake))
    assert all_text(said)
    assert line.fake.violations == []


@pytest.mark.skip(reason="written before the features merged; being replaced by the full LINE scenario")
async def test_scenario_rsvp_to_a_meeting_and_get_its_reminder(request: pytest.FixtureRequest) -> None:
    """Alice schedules a meeting; the invitation carries RSVP buttons."""
    command = require_command("meetings", "meeting", "meet")
    line, group = request.getfixturevalue("community")
    said = await line.send(text_event(ADMIN, f"/{command}", fake=line.fake))
    assert all_text(said)
    assert line.fake.violations == []


@pytest.mark.skip(reason="written before the features merged; being replaced by the full LINE scenario")
async def test_scenario_weekly_summary_with_its_chart_photo(request: pytest.FixtureRequest) -> None:
    """Alice asks for the summary in the group: a text and an image message whose URLs our
    server serves as PNG."""
    import aiohttp

    command = require_command("weekly summaries", "summary", "weekly")
    line, group = request.getfixturevalue("community")
    mark = len(line.fake.requests)
    await line.post([text_event(ADMIN, f"/{command}", group, fake=line.fake)])
    images = await line.fake.wait_for(
        lambda: [m for r in line.delivered(group, mark) for m in r.json["messages"] if m["type"] == "image"],
        timeout=15)
    async with aiohttp.ClientSession() as session:
        async with session.get(images[0]["originalContentUrl"]) as response:
            assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")
    assert line.fake.violations == []
