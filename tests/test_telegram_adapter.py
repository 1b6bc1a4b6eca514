"""The Telegram adapter in this process against the fake Bot API: events, answers to
button presses, edits of live messages, migration, blocking, and the sender's error
handling and pacing."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.adapters.telegram.adapter import TelegramAdapter, api_urls, webhook_url
from bot.adapters.telegram.rate import RATE_PROFILE
from bot.adapters.telegram.settings import TelegramSettings
from bot.config import Settings
from bot.model import Card, Image, ProgressBar, Text
from bot.outbox import DeliveryError
from bot.ratelimit import Pacer, RateProfile, Window
from bot.model import reply_to_dict
from storage.membership import ChatRepo, MemberRepo
from storage.runtime import OutboxRepo
from storage.tables import outbox
from tests.fakes.telegram_api import RateLimits
from tests.support.telegram import (ALICE, BOB, CAROL, GROUP, TOKEN, InProcess, button, codes, in_process, said,
                                    settled)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


async def chat_row(bot: InProcess, chat_id: int):  # type: ignore[no-untyped-def]
    async with bot.app.db.transaction() as conn:
        return await ChatRepo(conn).by_platform_id("telegram", str(chat_id))


async def network_with_group(bot: InProcess) -> None:
    """Alice creates a network, joins as coordinator, adds the bot to a group and links it."""
    fake = bot.fake
    fake.user_sends_text(ALICE, ALICE, "/newnetwork เครือข่ายทดสอบ")
    await said(fake, ALICE, "เครือข่ายทดสอบ")
    message_id, data = button(fake, ALICE, "ผู้ประสานงาน")
    fake.user_presses_button(ALICE, ALICE, message_id, data)
    await said(fake, ALICE, "ยินดีต้อนรับสู่")
    fake.bot_added_to_group(GROUP, ALICE)
    await said(fake, GROUP, "/linkgroup")
    fake.user_sends_text(ALICE, GROUP, f"/linkgroup@{fake.bot_username}")
    await said(fake, GROUP, "ประกาศและสรุปผล")


def test_api_urls_and_webhook_url() -> None:
    assert api_urls("https://api.telegram.org") == ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot")
    assert api_urls("http://127.0.0.1:8081/") == ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot")
    assert api_urls("http://h/bot") == ("http://h/bot", "http://h/file/bot")
    base = dict(bot_token=TOKEN)
    assert webhook_url(TelegramSettings(**base)) is None
    assert webhook_url(TelegramSettings(**base, webhook_url="https://bot.example.org")) == \
        "https://bot.example.org/webhooks/telegram"
    assert webhook_url(TelegramSettings(**base, webhook_url="https://x.org/tg/hook")) == "https://x.org/tg/hook"


async def test_core_journey_buttons_are_answered_and_redelivery_changes_nothing(sqlite_url: str) -> None:
    async with in_process(sqlite_url) as bot:
        fake = bot.fake
        await network_with_group(bot)
        # Commands were registered for private chats and groups, in Thai and English.
        private_en = {c["command"]: c["description"] for c in fake.commands_for("all_private_chats", "en")}
        assert private_en["join"].startswith("Join the network")
        group_th = {c["command"] for c in fake.commands_for("all_group_chats", "th")}
        assert "linkgroup" in group_th and "join" not in group_th
        assert "linkgroup" not in {c["command"] for c in fake.commands_for("all_private_chats", "")}

        # Bob registers as a parent with the group's Register button; the press is answered with a toast.
        message_id, data = button(fake, GROUP, "ลงทะเบียน")
        press = fake.user_presses_button(BOB, GROUP, message_id, data)
        await said(fake, GROUP, "Bob")
        await fake.wait_for(lambda: any(a["data"] == data and a["user_id"] == BOB for a in fake.callback_answers))
        answer = [a for a in fake.callback_answers if a["user_id"] == BOB][-1]
        assert answer["text"] and "ผู้ปกครอง" in answer["text"]

        # The same update again: nothing new is stored or said.
        before = len(fake.texts_to(GROUP))
        fake.redeliver(press)
        await settled(fake, press)
        assert len(fake.texts_to(GROUP)) == before
        async with bot.app.db.transaction() as conn:
            assert len(await MemberRepo(conn).list(1)) == 2

        # An expired/unknown button gets a polite toast, not an error.
        fake.user_presses_button(BOB, GROUP, message_id, "1|nosuchaction|9")
        await fake.wait_for(lambda: any(a["data"] == "1|nosuchaction|9" for a in fake.callback_answers))
        expired = [a for a in fake.callback_answers if a["data"] == "1|nosuchaction|9"][0]
        assert expired["text"] and "หมดอายุ" in expired["text"]
        assert fake.texts_to(GROUP)[-1] == fake.texts_to(GROUP)[before - 1]


async def test_commands_for_another_bot_are_ignored_and_english_users_get_english(sqlite_url: str) -> None:
    async with in_process(sqlite_url) as bot:
        fake = bot.fake
        await network_with_group(bot)
        before = len(fake.texts_to(GROUP))
        other = fake.user_sends_text(ALICE, GROUP, "/linkgroup@OtherBot")
        await settled(fake, other)
        assert len(fake.texts_to(GROUP)) == before
        fake.user_sends_text(CAROL, CAROL, "/start")
        assert "Welcome to EduNet" in await said(fake, CAROL, "Welcome")


async def test_group_migration_keeps_the_link_under_the_new_id(sqlite_url: str) -> None:
    async with in_process(sqlite_url) as bot:
        fake = bot.fake
        await network_with_group(bot)
        old = await chat_row(bot, GROUP)
        new_id = -1001234567890
        first = fake.group_migrated(GROUP, new_id)
        await settled(fake, first)
        moved = await chat_row(bot, new_id)
        assert moved is not None and moved.id == old.id and moved.network_id == old.network_id
        assert await chat_row(bot, GROUP) is None
        fake.user_sends_text(BOB, new_id, "/register")  # PDPA: the notice and its Register button first
        await said(fake, new_id, "ประกาศเรื่องข้อมูลส่วนบุคคล", "Personal data notice")
        message_id, data = next((m["message_id"], key["callback_data"]) for m in reversed(fake.messages_to(new_id))
                                for row in (m.get("reply_markup") or {}).get("inline_keyboard", [])
                                for key in row if key.get("callback_data", "").endswith("|reg|n1"))
        fake.user_presses_button(BOB, new_id, message_id, data)
        await said(fake, new_id, "Bob")


async def test_a_push_to_the_old_group_id_follows_the_migration(sqlite_url: str) -> None:
    async with in_process(sqlite_url) as bot:
        fake = bot.fake
        await network_with_group(bot)
        chat = await chat_row(bot, GROUP)
        fake.world.chats[GROUP].type = "group"
        # Migrate only in the fake (the bot has not seen the service message yet).
        fake.world.chats[-1009] = type(fake.world.chats[GROUP])(-1009, "supergroup", title="x", bot_status="member")
        fake.world.chats[GROUP].migrated_to = -1009
        await bot.adapter.sender.send(chat, [Text("ประกาศ")], retry_key="k1")
        assert fake.texts_to(-1009) == ["ประกาศ"]
        assert (await chat_row(bot, -1009)).id == chat.id


async def test_blocked_user_makes_the_chat_inactive(sqlite_url: str) -> None:
    async with in_process(sqlite_url) as bot:
        fake = bot.fake
        fake.user_sends_text(BOB, BOB, "/start")
        await said(fake, BOB, "EduNet")
        update = fake.block_bot(BOB)
        await settled(fake, update)
        chat = await chat_row(bot, BOB)
        assert chat is not None and not chat.active
        # Also when Telegram tells us only by refusing a send (403).
        fake.user_sends_text(CAROL, CAROL, "/start")
        await said(fake, CAROL, "EduNet")
        fake.world.chats[CAROL].bot_status = "kicked"
        carol = await chat_row(bot, CAROL)
        with pytest.raises(DeliveryError) as caught:
            await bot.adapter.sender.send(carol, [Text("hello")], retry_key="k2")
        assert caught.value.chat_gone and not caught.value.retryable


async def test_sender_error_mapping(sqlite_url: str) -> None:
    async with in_process(sqlite_url, rate_limits=RateLimits.disabled()) as bot:
        fake = bot.fake
        fake.user_sends_text(BOB, BOB, "/start")
        await said(fake, BOB, "EduNet")
        chat = await chat_row(bot, BOB)
        sender = bot.adapter.sender
        cases = [
            (dict(status=429, retry_after=7), dict(retryable=True, chat_gone=False, retry_after=7.0)),
            (dict(status=400, description="Bad Request: chat not found"), dict(retryable=False, chat_gone=True)),
            (dict(status=403, description="Forbidden: bot was kicked from the group chat"),
             dict(retryable=False, chat_gone=True)),
            (dict(status=502), dict(retryable=True, chat_gone=False)),
            (dict(status=500), dict(retryable=True, chat_gone=False)),
            (dict(status=400, description="Bad Request: can't parse entities"), dict(retryable=False, chat_gone=False)),
        ]
        for injected, expected in cases:
            fake.inject_error("sendMessage", **injected)
            with pytest.raises(DeliveryError) as caught:
                await sender.send(chat, [Text("x")], retry_key=f"k-{injected}")
            for name, value in expected.items():
                assert getattr(caught.value, name) == value, (injected, name)


async def push(bot: InProcess, chat, key: str, replies: list[Text]) -> None:  # type: ignore[no-untyped-def]
    async with bot.app.db.transaction() as conn:
        await OutboxRepo(conn).enqueue(key=key, network_id=chat.network_id, chat_id=chat.id,
                                       messages=[reply_to_dict(r) for r in replies], now=bot.app.clock.now())


async def test_retry_after_holds_only_that_chat(sqlite_url: str) -> None:
    """The dispatcher paces Telegram: a 429 holds that chat for retry_after, not the others."""
    async with in_process(sqlite_url, rate_limits=RateLimits.disabled()) as bot:
        fake = bot.fake
        for user in (BOB, CAROL):
            fake.user_sends_text(user, user, "/start")
            await said(fake, user, "EduNet")
        bob, carol = await chat_row(bot, BOB), await chat_row(bot, CAROL)
        fake.inject_error("sendMessage", 429, retry_after=3)
        await push(bot, bob, "bob-row", [Text("one"), Text("two")])
        await fake.wait_for(lambda: [c for c in fake.calls if c.status == 429], timeout=5)
        held_at = time.monotonic()
        for _ in range(50):  # until the dispatcher has recorded the failed attempt
            async with bot.app.db.transaction() as conn:
                row = (await conn.execute(sa.select(outbox).where(outbox.c.key == "bob-row"))).one()
            if row.attempts:
                break
            await asyncio.sleep(0.02)
        assert row.attempts == 1 and row.status == "pending"
        assert 2 <= (row.not_before - bot.app.clock.now()).total_seconds() <= 3  # retry_after honoured
        # Carol is not held up.
        await push(bot, carol, "carol-row", [Text("hi carol")])
        await said(fake, CAROL, "hi carol", timeout=1)
        # Bob is on hold: no API call at all until it is over; then each part goes out once.
        assert "one" not in fake.texts_to(BOB)
        await said(fake, BOB, "two", timeout=8)
        assert time.monotonic() - held_at >= 2
        assert fake.texts_to(BOB)[-2:] == ["one", "two"] and fake.texts_to(BOB).count("one") == 1


async def test_a_direct_reply_waits_out_retry_after(sqlite_url: str) -> None:
    async with in_process(sqlite_url, rate_limits=RateLimits.disabled()) as bot:
        fake = bot.fake
        fake.inject_error("sendMessage", 429, retry_after=1)
        started = time.monotonic()
        fake.user_sends_text(BOB, BOB, "/start")
        await said(fake, BOB, "EduNet")
        assert time.monotonic() - started >= 1
        assert [c.status for c in fake.calls if c.method == "sendMessage"][:2] == [429, 200]


async def test_live_updates_edit_the_original_message(sqlite_url: str) -> None:
    async with in_process(sqlite_url, rate_limits=RateLimits.disabled()) as bot:
        fake = bot.fake
        await network_with_group(bot)
        chat = await chat_row(bot, GROUP)
        sender = bot.adapter.sender

        def poll(yes: int) -> Card:
            return Card(title="โหวต <ด่วน>", fields=[("ใช่", str(yes))], progress=[ProgressBar("ใช่", yes, 10)],
                        update_key="poll:1")

        before = len(fake.messages_to(GROUP))
        await sender.send(chat, [poll(1)], retry_key="p1")
        await sender.send(chat, [poll(2)], retry_key="p2")
        await sender.send(chat, [poll(2)], retry_key="p3")  # not modified: fine
        messages = fake.messages_to(GROUP)
        assert len(messages) == before + 1
        assert "ใช่: 2" in messages[-1]["text"] and "โหวต <ด่วน>" in messages[-1]["text"]
        assert any(e["type"] == "bold" for e in messages[-1]["entities"])
        # The message was deleted: a fresh one is sent and remembered.
        fake.world.get_message(GROUP, messages[-1]["message_id"]).deleted = True
        await sender.send(chat, [poll(3)], retry_key="p4")
        assert "ใช่: 3" in fake.messages_to(GROUP)[-1]["text"]


async def test_images_are_uploaded_with_a_caption(sqlite_url: str) -> None:
    async with in_process(sqlite_url, rate_limits=RateLimits.disabled()) as bot:
        fake = bot.fake
        await network_with_group(bot)
        from bot.charts import choice_counts

        png = choice_counts("สรุป", "ชั่วโมง", {"ก": 3, "ข": 5}, respondents=8, unit="คน")
        await bot.adapter.sender.send(await chat_row(bot, GROUP), [Image(png, "กราฟ", caption="สรุป " * 300)],
                                      retry_key="img")
        photo = [r for r in fake.sent if r.method == "sendPhoto"][-1]
        assert photo.file_bytes == png
        assert len(photo.result["caption"]) <= 1024
        assert fake.messages_to(GROUP)[-1].get("text")  # the rest of the caption follows as text


async def test_webhook_checks_the_secret_and_processes_updates(sqlite_url: str) -> None:
    async with in_process(sqlite_url, webhook=True) as bot:
        fake = bot.fake
        assert fake.webhook.config is not None and fake.webhook.config.secret_token == "s3cret-token"
        url = f"http://127.0.0.1:{bot.web.port}/webhooks/telegram"
        update = {"update_id": 5, "message": {"message_id": 1, "date": 0, "chat": {"id": BOB, "type": "private",
                                                                                   "first_name": "Bob"},
                                              "from": {"id": BOB, "is_bot": False, "first_name": "Bob"},
                                              "text": "/start"}}
        async with aiohttp.ClientSession() as session:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with session.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
        await asyncio.sleep(0.3)
        assert fake.texts_to(BOB) == []
        async with bot.app.db.transaction() as conn:
            assert await ChatRepo(conn).by_platform_id("telegram", str(BOB)) is None
        fake.user_sends_text(BOB, BOB, "/start")
        await said(fake, BOB, "EduNet")


async def test_telegrams_profile_spaces_messages_per_chat_and_per_group() -> None:
    now = [0.0]
    profile = RateProfile("telegram-test", overall=(Window(30, 1.0),), per_chat=(Window(2, 1.0),),
                          per_group=(Window(3, 60.0),), margin=0, slack=0, smooth=0)
    pacer = Pacer(profile, clock=lambda: now[0])

    async def send(chat: str, *, is_group: bool) -> None:  # granted, sent and answered at once
        await pacer.acquire(chat, is_group=is_group)
        pacer.done(chat)

    await send("1", is_group=False)
    await send("1", is_group=False)
    assert pacer.delay("1", is_group=False) == pytest.approx(1.0)
    assert pacer.delay("2", is_group=False) == 0
    for _ in range(2):
        await send("-5", is_group=True)
    now[0] = 10.0
    await send("-5", is_group=True)
    now[0] = 30.0
    assert pacer.delay("-5", is_group=True) == pytest.approx(30.0)  # 3 in the last minute
    pacer.pause(5, "2")
    assert pacer.delay("2", is_group=False) == pytest.approx(5)
    assert RATE_PROFILE.chat_windows(True) == (Window(1, 1.0, "per chat"), Window(20, 60.0, "per group"))
    assert RATE_PROFILE.shared_windows() == (Window(30, 1.0, "overall"),)


async def test_a_grant_not_yet_answered_holds_its_window_until_it_is() -> None:
    """A request granted at 0 may reach the platform only at 0.8 s (it waited for a connection): its
    slot in the window frees a period after the answer, not after the grant."""
    now = [0.0]
    profile = RateProfile("t", overall=(Window(2, 1.0),), margin=0, slack=0, smooth=0)
    pacer = Pacer(profile, clock=lambda: now[0])
    await pacer.acquire("a", is_group=False)
    await pacer.acquire("b", is_group=False)
    pacer.done("a")
    now[0] = 0.8
    pacer.done("b")  # answered at 0.8
    now[0] = 1.2
    assert pacer.delay("c", is_group=False) == 0  # a's slot is free again
    await pacer.acquire("c", is_group=False)
    pacer.done("c")
    assert pacer.delay("d", is_group=False) == pytest.approx(0.6)  # b counts from 0.8
    now[0] = 5.0
    await pacer.acquire("e", is_group=False)
    await pacer.acquire("f", is_group=False)
    now[0] = 9.0  # e and f never answered yet: they still fill the window
    assert pacer.delay("g", is_group=False) == pytest.approx(1.0)


def test_adapter_registers_its_webhook_route_only_in_webhook_mode() -> None:
    from bot.app import App
    from edunet import build_app
    from bot.web import WebServer

    core = Settings(database_url="sqlite+aiosqlite:///:memory:")
    web = WebServer(core)
    TelegramAdapter(build_app(core), TelegramSettings(bot_token=TOKEN), web)
    assert not any(r.resource and r.resource.canonical == "/webhooks/telegram" for r in web.app.router.routes())
    web = WebServer(core)
    TelegramAdapter(build_app(core), TelegramSettings(bot_token=TOKEN, webhook_url="https://x.org"), web)
    assert any(r.resource and r.resource.canonical == "/webhooks/telegram" for r in web.app.router.routes())


_ = Path


async def test_pacer_forgets_idle_chats() -> None:
    now = [0.0]
    pacer = Pacer(RATE_PROFILE.scaled(10**5), clock=lambda: now[0])
    for i in range(999):  # the pacer looks for idle chats at every 1000th grant: the next one
        await pacer.acquire(str(i), is_group=i % 2 == 0)
        pacer.done(str(i))  # answered (a grant still open keeps its chat)
    now[0] = 120.0
    await pacer.acquire("new", is_group=False)
    assert set(pacer._chats) == {"new"}


async def test_a_chat_waiting_for_its_grant_is_not_forgotten_and_its_answer_frees_the_window() -> None:
    """A broadcast to a new group waits for the overall window when the pacer looks for idle chats
    (every 1000th grant). The group is new, so it looks idle; forgetting it then left its grant open
    (its answer found no chat to close it in) and that grant filled the overall window for a minute:
    a 2,000-group broadcast stalled for about a minute after its first 1,000 messages."""
    now = [0.0]

    async def sleep(seconds: float) -> None:  # simulated time: a wait moves the clock
        now[0] += seconds
        await asyncio.sleep(0)

    profile = RateProfile("t", overall=(Window(2, 1.0),), per_chat=(Window(1, 1.0),), margin=0, slack=0, smooth=0)
    pacer = Pacer(profile, clock=lambda: now[0], sleep=sleep)

    async def send(chat: str) -> float:  # granted, then answered at once
        granted = await pacer.acquire(chat, is_group=False)
        pacer.done(chat)
        return granted

    for i in range(997):
        await send(f"group {i}")
    # Grants 998, 999 and 1000 (which looks for idle chats) while a fourth new group waits its turn.
    await asyncio.gather(*(send(f"new group {i}") for i in range(4)))
    now[0] += 5.0  # every answer is more than a window old
    first, second = await send("later 1"), await send("later 2")
    assert second == first  # the window is empty: two sends fit at once


async def test_webhook_answers_500_when_an_update_could_not_be_stored(sqlite_url: str) -> None:
    async with in_process(sqlite_url, webhook=True) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/webhooks/telegram"
        update = start_update(7)

        async def broken(events):  # type: ignore[no-untyped-def]
            raise ConnectionError("database unreachable")

        real = bot.adapter.inbox.store
        bot.adapter.inbox.store = broken  # type: ignore[method-assign]
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 500
            bot.adapter.inbox.store = real  # type: ignore[method-assign]
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        await said(bot.fake, BOB, "EduNet")


def start_update(update_id: int) -> dict:  # type: ignore[type-arg]
    return {"update_id": update_id, "message": {"message_id": 1, "date": 0, "text": "/start",
                                                "chat": {"id": BOB, "type": "private", "first_name": "Bob"},
                                                "from": {"id": BOB, "is_bot": False, "first_name": "Bob"}}}


async def inbox_rows(bot: InProcess) -> list:  # type: ignore[type-arg]
    import sqlalchemy as sa

    from storage.inbox import inbox

    async with bot.app.db.transaction() as conn:
        return list((await conn.execute(sa.select(inbox).order_by(inbox.c.id))).all())


async def test_webhook_stores_the_update_and_answers_before_handling_it(sqlite_url: str) -> None:
    async with in_process(sqlite_url, webhook=True) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/webhooks/telegram"
        release = asyncio.Event()
        real = bot.app.handle

        async def slow(event, **options):  # type: ignore[no-untyped-def]
            await release.wait()
            return await real(event, **options)

        bot.app.handle = slow  # type: ignore[method-assign]
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=start_update(11), headers=headers) as response:
                assert response.status == 200  # acknowledged while the handler still waits
            [row] = await inbox_rows(bot)
            assert (row.platform, row.event_id, row.chat_id) == ("telegram", "11", str(BOB))
            release.set()
            await said(bot.fake, BOB, "EduNet")
            async with session.post(url, json=start_update(11), headers=headers) as response:
                assert response.status == 200  # a redelivery: stored once, answered once
        await asyncio.sleep(0.3)
        assert [r.status for r in await inbox_rows(bot)] == ["done"]
        assert sum("EduNet" in t for t in bot.fake.texts_to(BOB)) == 1


async def test_webhook_dead_letters_a_malformed_update_with_a_200(sqlite_url: str) -> None:
    async with in_process(sqlite_url, webhook=True) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/webhooks/telegram"
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        async with aiohttp.ClientSession() as session:
            for body in (b'{"not": "an update"}', b"not json at all", b"[1, 2]",
                         b'{"update_id": 9, "message": {"message_id": "x"}}'):
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 200
        rows = await inbox_rows(bot)
        assert [r.status for r in rows] == ["failed"] * 4
        assert [r.error.split(":")[0] for r in rows] == ["no update_id", "not JSON", "not a JSON object",
                                                         "not an Update"]
        assert rows[3].event_id == "9" and rows[3].attempts == 0
        assert bot.fake.texts_to(BOB) == []


async def test_an_update_that_fails_is_retried_then_kept_as_failed(sqlite_url: str) -> None:
    from bot.inbox import MAX_ATTEMPTS

    async with in_process(sqlite_url, webhook=True) as bot:
        url = f"http://127.0.0.1:{bot.web.port}/webhooks/telegram"
        calls = 0

        async def broken(event, **_options):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            raise ConnectionError("database unreachable")

        bot.app.handle = broken  # type: ignore[method-assign]
        headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=start_update(12), headers=headers) as response:
                assert response.status == 200
        for _ in range(100):
            [row] = await inbox_rows(bot)
            if row.status == "failed":
                break
            await asyncio.sleep(0.05)
        assert row.status == "failed" and row.attempts == MAX_ATTEMPTS == calls
        assert "not handled" in row.error


async def test_polling_confirms_an_update_only_after_the_inbox_has_it(sqlite_url: str) -> None:
    async with in_process(sqlite_url) as bot:
        real = bot.adapter.inbox.store
        failures = 0

        async def flaky(events):  # type: ignore[no-untyped-def]
            nonlocal failures
            if not failures:
                failures += 1
                raise ConnectionError("database unreachable")
            return await real(events)

        bot.adapter.inbox.store = flaky  # type: ignore[method-assign]
        update_id = bot.fake.user_sends_text(BOB, BOB, "/start")
        await said(bot.fake, BOB, "EduNet")  # not lost: the batch that could not be stored came again
        assert failures == 1
        for _ in range(100):  # marked done right after the answer went out
            [row] = [r for r in await inbox_rows(bot) if r.event_id == str(update_id)]
            if row.status != "processing":
                break
            await asyncio.sleep(0.05)
        assert row.status == "done" and row.attempts == 1
        offsets = [c.params.get("offset") for c in bot.fake.calls if c.method.lower() == "getupdates"]
        # The call after the failed store asked from the same offset: nothing was confirmed in between.
        assert len(offsets) >= 2 and offsets[1] == offsets[0], offsets


async def test_an_update_a_receiver_stored_that_is_not_an_update_is_kept_as_failed_at_once(sqlite_url: str) -> None:
    # A receiving process (EDUNET_PROCESSES=2) checks a webhook body's shape, not python-telegram-bot's
    # models: the worker finds out, and keeps it as failed without retrying it.
    async with in_process(sqlite_url, webhook=True) as bot:
        calls = 0
        real = bot.app.handle

        async def counted(event, **options):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            return await real(event, **options)

        bot.app.handle = counted  # type: ignore[method-assign]
        await bot.adapter.inbox.store([("21", str(BOB), {"update_id": 21, "message": {"message_id": "x"}})])
        bot.adapter.inbox.wake()
        for _ in range(100):
            [row] = await inbox_rows(bot)
            if row.status == "failed":
                break
            await asyncio.sleep(0.05)
        assert row.status == "failed" and row.attempts == 1 and row.error.startswith("not an Update")
        assert calls == 0 and bot.fake.texts_to(BOB) == []
