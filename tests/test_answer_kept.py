"""The process dies between an event's commit and its answer (a crash, an OOM kill, a deploy that does not
wait): the inbox runs the event again after the restart, finds it done, and the teacher still gets the
answer, once, with what was stored once. Before, the run again was a duplicate that answered nothing, so
a teacher who had created a network or logged an activity saw no confirmation and typed it again.
On LINE (the reply token is still fresh: a free reply) and on Telegram."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.adapters.line.adapter import LineAdapter
from bot.adapters.line.settings import LineSettings
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.inbox import ANSWER_KEPT, LEASE
from edunet import build_app
from storage.inbox import inbox
from storage.runtime import EventLogRepo
from storage.tables import networks, outbox, processed_events
from tests.fakes.line_api import FakeLineAPI
from tests.support.conversation import START

TOKEN = "line-token"
TEACHER = "U" + "a1" * 16
CREATED = "สร้างเครือข่าย “เครือข่ายโรงเรียนอำเภอเมือง” แล้ว"


class Died(BaseException):
    """The process stops where it stands (nothing catches it, as nothing runs after a SIGKILL)."""


class _NoWeb:
    def add_route(self, *_args: Any) -> None:
        pass


async def line_process(url: str, clock: ManualClock, fake: FakeLineAPI) -> tuple[App, LineAdapter]:
    """One `edunet serve` process's app and LINE adapter on the database at ``url``."""
    app = build_app(Settings(database_url=url), clock=clock, billed_platforms=frozenset({"line"}),
                    operators_are_admins=True)  # the teacher may create a network
    await app.start()
    adapter = LineAdapter(app, LineSettings(channel_secret="secret", channel_access_token=TOKEN,
                                            api_base_url=fake.url, data_api_base_url=fake.url),
                          _NoWeb())  # type: ignore[arg-type]
    return app, adapter


def text_event(text: str, reply_token: str) -> dict[str, Any]:
    """A LINE message event from the teacher's private chat, as the webhook stores it."""
    return {"type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
            "webhookEventId": uuid.uuid4().hex.upper()[:26], "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": TEACHER}, "replyToken": reply_token,
            "message": {"type": "text", "id": "1", "quoteToken": "q", "text": text}}


@pytest.fixture
async def fake() -> AsyncIterator[FakeLineAPI]:
    fake = await FakeLineAPI(TOKEN, spec=None, quota=300).start()
    fake.add_profile(TEACHER, "ครูสมศรี", language="th")
    try:
        yield fake
    finally:
        await fake.close()


def said(fake: FakeLineAPI) -> str:
    """Every message the teacher received (a card's alternative text holds its words)."""
    return "\n".join(message.get("text") or message.get("altText", "") for message in fake.messages_to(TEACHER))


async def count(app: App, table: sa.Table, *where: Any) -> int:
    async with app.db.transaction() as conn:
        return int(await conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where)) or 0)


async def test_a_line_answer_lost_with_its_process_is_sent_after_the_restart(sqlite_url: str,
                                                                           fake: FakeLineAPI) -> None:
    clock = ManualClock(START)
    app, adapter = await line_process(sqlite_url, clock, fake)
    body = text_event("/newnetwork เครือข่ายโรงเรียนอำเภอเมือง", fake.issue_reply_token(TEACHER, ttl=600))
    assert await adapter.inbox.store([(body["webhookEventId"], TEACHER, body)]) == 1

    async def die(*_args: Any, **_kwargs: Any) -> None:
        raise Died  # committed, not answered

    adapter.respond = die  # type: ignore[method-assign]
    with pytest.raises(Died):
        await adapter.inbox.drain()
    await adapter.api.close()
    await app.close()
    assert await count(app, networks) == 1 and said(fake) == ""
    assert await count(app, inbox, inbox.c.status == "processing") == 1  # claimed by the dead process

    # The restart takes the event over once its lease is out, runs it again and answers with what was kept.
    clock.advance(LEASE + timedelta(seconds=1))
    app, adapter = await line_process(sqlite_url, clock, fake)
    try:
        assert await adapter.inbox.drain() == 1
        assert said(fake).count(CREATED) == 1, said(fake)
        assert [r.path for r in fake.requests if r.ok and r.method == "POST"] == ["/v2/bot/message/reply"]  # free
        assert await count(app, networks) == 1  # stored once
        assert await count(app, inbox, inbox.c.status == "done") == 1

        # A third run (another crash, before the done mark) would answer again: the answer is kept until
        # it can no longer be needed, then forgotten (it holds what the bot said).
        async with app.db.transaction() as conn:
            assert await EventLogRepo(conn).answer_of("line", body["webhookEventId"]) is not None
        clock.advance(ANSWER_KEPT)
        await adapter.inbox._housekeeping()
        async with app.db.transaction() as conn:
            assert await EventLogRepo(conn).answer_of("line", body["webhookEventId"]) is None
        assert await count(app, processed_events) == 1  # the claim itself stays: it still de-duplicates
    finally:
        await adapter.api.close()
        await app.close()


async def test_an_answer_line_took_before_the_crash_is_not_pushed_again(sqlite_url: str,
                                                                              fake: FakeLineAPI) -> None:
    """The crash came after the reply, before the worker marked the event done. The run again has the kept
    answer, but LINE calls the still fresh reply token spent: the first run sent this very answer with it,
    so nothing is pushed (a billed repeat). The network is still created once."""
    clock = ManualClock(START)
    app, adapter = await line_process(sqlite_url, clock, fake)
    body = text_event("/newnetwork เครือข่ายโรงเรียนอำเภอเมือง", fake.issue_reply_token(TEACHER, ttl=600))
    await adapter.inbox.store([(body["webhookEventId"], TEACHER, body)])
    real = adapter.respond

    async def answer_then_die(*args: Any, **kwargs: Any) -> None:
        await real(*args, **kwargs)
        raise Died

    adapter.respond = answer_then_die  # type: ignore[method-assign]
    with pytest.raises(Died):
        await adapter.inbox.drain()
    await adapter.api.close()
    await app.close()
    clock.advance(LEASE + timedelta(seconds=1))
    app, adapter = await line_process(sqlite_url, clock, fake)
    try:
        assert await adapter.inbox.drain() == 1
        assert said(fake).count(CREATED) == 1
        assert await count(app, outbox) == 0  # nothing pushed: LINE said the token was spent
        assert await count(app, networks) == 1
    finally:
        await adapter.api.close()
        await app.close()


async def test_a_telegram_answer_lost_with_its_process_is_sent_after_the_restart(sqlite_url: str) -> None:
    from tests.support.telegram import ALICE, in_process, said

    async with in_process(sqlite_url) as bot:
        real = bot.adapter.process

        async def process_then_die(update: Any) -> Any:
            finish = await real(update)  # handled and committed

            async def die() -> None:
                raise Died  # before the answer

            die.handled = finish.handled  # type: ignore[attr-defined]
            return die

        bot.adapter.process = process_then_die  # type: ignore[method-assign]
        bot.fake.user_sends_text(ALICE, ALICE, "/newnetwork เครือข่ายโรงเรียนอำเภอเมือง")
        await bot.fake.wait_for(lambda: count(bot.app, inbox, inbox.c.status == "processing"), timeout=8)
        assert await count(bot.app, networks) == 1 and bot.fake.texts_to(ALICE) == []
    async with in_process(sqlite_url) as bot:
        async with bot.app.db.transaction() as conn:  # the dead process's lease runs out
            await conn.execute(inbox.update().values(lease_until=bot.app.clock.now() - timedelta(seconds=1)))
        bot.app.notify_inbox()
        await said(bot.fake, ALICE, CREATED)
        assert sum(CREATED in text for text in bot.fake.texts_to(ALICE)) == 1
        assert await count(bot.app, networks) == 1


def test_an_answer_that_is_not_plain_json_is_not_kept_and_a_plain_one_comes_back_the_same() -> None:
    """PostgreSQL refuses a NaN in JSON: such an answer is not kept (the event still commits, without it);
    a plain answer comes back as it went in."""
    from bot.app import Outcome, kept_answer
    from bot.model import Button, Card, ProgressBar, Text, reply_from_dict

    plain = Outcome(replies=[Text("บันทึกแล้ว", buttons=[[Button("ดูกิจกรรม", payload="a|1")]]),
                             Card("เป้าหมาย 1", fields=[("ครู", "12")], progress=[ProgressBar("อบรม", 3, 24)])],
                    toast="บันทึกแล้ว", chat_language="th")
    kept = kept_answer(plain)
    assert kept is not None and [reply_from_dict(r) for r in kept["replies"]] == plain.replies
    assert (kept["toast"], kept["language"]) == ("บันทึกแล้ว", "th")
    assert kept_answer(Outcome(replies=[Card("x", progress=[ProgressBar("y", float("nan"), 1)])])) is None
