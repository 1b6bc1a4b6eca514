"""Tests of the fake Telegram Bot API, driven by a real python-telegram-bot ``Bot``."""

from __future__ import annotations

import asyncio
import datetime as dtm
import socket
import struct
import time
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity, Update
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter

from tests.fakes.telegram_api import FakeTelegramAPI, MessageLimits, RateLimits, parse_formatted_text

# PTB 22.2+ warns when reading RetryAfter.retry_after as int; that is what these tests check.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")

TOKEN = "123456:ABC-fake"
USER = 1001
GROUP = -4001


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else float(value)


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    """A valid PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN, rate_limits=RateLimits.disabled()) as api:
        api.add_private_chat(USER, "Somchai", username="somchai_t")
        api.add_group(GROUP, "ครูวิทย์ ม.1", members={USER: "creator"})
        yield api
        assert not api.internal_errors, api.internal_errors[0]


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=fake.base_url, base_file_url=fake.base_file_url) as ptb_bot:
        yield ptb_bot


# -- basics ---------------------------------------------------------------------


async def test_get_me_parses(bot: Bot, fake: FakeTelegramAPI) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot and me.username == "EduNetTestBot"
    assert me.can_join_groups is True
    assert fake.url.startswith("http://127.0.0.1:")


async def test_wrong_token_is_unauthorized(fake: FakeTelegramAPI) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.url}/bot999:WRONG/getMe") as resp:
            assert resp.status == 401
            assert await resp.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=fake.base_url):
            pass


async def test_method_names_are_case_insensitive_and_json_bodies_work(fake: FakeTelegramAPI) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake.url}/bot{TOKEN}/SENDMESSAGE"
        body = {"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}}
        async with session.post(url, json=body) as resp:
            data = await resp.json()
    assert data["ok"] is True
    assert data["result"]["reply_markup"] == body["reply_markup"]
    assert fake.sent[-1].params["chat_id"] == USER


# -- sending ----------------------------------------------------------------------


async def test_send_message_with_inline_keyboard_round_trips(bot: Bot, fake: FakeTelegramAPI) -> None:
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("เข้าร่วม", callback_data="join:42"), InlineKeyboardButton("เว็บ", url="https://example.org")]]
    )
    first = await bot.send_message(GROUP, "<b>ประชุม</b> พรุ่งนี้", parse_mode="HTML", reply_markup=keyboard)
    second = await bot.send_message(GROUP, "อีกข้อความ")

    assert first.reply_markup == keyboard
    assert first.text == "ประชุม พรุ่งนี้"
    assert first.entities == (MessageEntity(MessageEntity.BOLD, 0, 6),)
    assert first.chat.title == "ครูวิทย์ ม.1" and first.chat.type == "group"
    assert first.from_user is not None and first.from_user.is_bot
    assert second.message_id == first.message_id + 1

    record = fake.sent[0]
    assert record.method == "sendMessage" and record.chat_id == GROUP
    assert record.reply_markup == {
        "inline_keyboard": [[{"text": "เข้าร่วม", "callback_data": "join:42"}, {"text": "เว็บ", "url": "https://example.org"}]]
    }
    assert fake.texts_to(GROUP) == ["ประชุม พรุ่งนี้", "อีกข้อความ"]
    assert fake.last_message(GROUP)["message_id"] == second.message_id


async def test_text_length_limit(bot: Bot, fake: FakeTelegramAPI) -> None:
    await bot.send_message(USER, "ก" * 4096)
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "   ")
    with pytest.raises(BadRequest, match="Can't parse entities: can't find end tag"):
        await bot.send_message(USER, "<b>oops", parse_mode="HTML")
    assert len(fake.texts_to(USER)) == 2


async def test_caption_limit(bot: Bot) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(USER, tiny_png(), caption="x" * 1025)


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="a" * 64)]])
    await bot.send_message(USER, "fits", reply_markup=ok)
    thai = "ก" * 22  # 66 bytes in UTF-8, only 22 characters
    for data in ("a" * 65, thai):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("too long", callback_data=data)]])
        with pytest.raises(BadRequest, match="Button_data_invalid"):
            await bot.send_message(USER, "nope", reply_markup=markup)


async def test_keyboard_size_limits(bot: Bot) -> None:
    wide = InlineKeyboardMarkup([[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(9)]])
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(USER, "wide", reply_markup=wide)
    rows = [[InlineKeyboardButton(str(r * 8 + c), callback_data=str(r * 8 + c)) for c in range(8)] for r in range(13)]
    with pytest.raises(BadRequest, match="Reply markup is too long"):
        await bot.send_message(USER, "tall", reply_markup=InlineKeyboardMarkup(rows))  # 104 buttons


async def test_limits_can_be_disabled() -> None:
    async with FakeTelegramAPI(token=TOKEN, limits=MessageLimits.unlimited(), rate_limits=None) as fake:
        fake.add_private_chat(USER, "Somchai")
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            for _ in range(3):
                await bot.send_message(USER, "x" * 5000)
        assert len(fake.messages_to(USER)) == 3


async def test_send_photo_multipart_is_recorded_with_bytes(bot: Bot, fake: FakeTelegramAPI) -> None:
    png = tiny_png(1000, 500)
    message = await bot.send_photo(USER, png, caption="กราฟ <i>สัปดาห์</i>", parse_mode="HTML", filename="chart.png")
    assert [(p.width, p.height) for p in message.photo] == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert message.caption == "กราฟ สัปดาห์"
    assert message.caption_entities[0].type == MessageEntity.ITALIC

    record = fake.sent[-1]
    assert record.method == "sendPhoto" and record.chat_id == USER
    assert record.file_bytes == png
    assert record.files["photo"].filename == "chart.png"

    file = await bot.get_file(message.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == png
    again = await bot.send_photo(USER, message.photo[-1].file_id)  # re-send by file_id
    assert again.photo[-1].file_id == message.photo[-1].file_id


async def test_send_document(bot: Bot, fake: FakeTelegramAPI) -> None:
    message = await bot.send_document(GROUP, b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", filename="meeting.ics")
    assert message.document.file_name == "meeting.ics"
    assert message.document.mime_type == "text/calendar"
    assert fake.sent[-1].file_bytes.startswith(b"BEGIN:VCALENDAR")


# -- errors -------------------------------------------------------------------------


async def test_rate_limit_surfaces_as_retry_after() -> None:
    clock = [1000.0]
    limits = RateLimits(per_chat_per_second=0.5, per_chat_burst=1)
    async with FakeTelegramAPI(token=TOKEN, rate_limits=limits, clock=lambda: clock[0]) as fake:
        fake.add_private_chat(USER, "Somchai")
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            await bot.send_message(USER, "one")
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(USER, "two")
            assert seconds(info.value.retry_after) == 2
            clock[0] += 2
            await bot.send_message(USER, "two")
    assert fake.texts_to(USER) == ["one", "two"]
    assert [c.status for c in fake.calls if c.method == "sendMessage"] == [200, 429, 200]


async def test_group_rate_limit_20_per_minute() -> None:
    clock = [0.0]
    async with FakeTelegramAPI(token=TOKEN, rate_limits=RateLimits(per_chat_burst=100), clock=lambda: clock[0]) as fake:
        fake.add_group(GROUP, "g")
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            for i in range(20):
                clock[0] += 0.5
                await bot.send_message(GROUP, f"m{i}")
            with pytest.raises(RetryAfter) as info:
                await bot.send_message(GROUP, "m20")
            assert seconds(info.value.retry_after) == 51  # first message (t=0.5) leaves the window at t=60.5
            clock[0] = 60.5
            await bot.send_message(GROUP, "m20")


async def test_injected_errors(bot: Bot, fake: FakeTelegramAPI) -> None:
    fake.inject_error("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(USER, "x")
    assert seconds(info.value.retry_after) == 7
    fake.inject_error("sendmessage", 400, "Bad Request: something odd", times=2)
    for _ in range(2):
        with pytest.raises(BadRequest, match="Something odd"):
            await bot.send_message(USER, "x")
    await bot.send_message(USER, "finally")
    assert fake.texts_to(USER) == ["finally"]


async def test_identical_edit_is_not_modified(bot: Bot, fake: FakeTelegramAPI) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("✓", callback_data="done")]])
    message = await bot.send_message(USER, "สถานะ: รอ", reply_markup=markup)
    edited = await bot.edit_message_text("สถานะ: เสร็จ", USER, message.message_id, reply_markup=markup)
    assert edited.text == "สถานะ: เสร็จ" and edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("สถานะ: เสร็จ", USER, message.message_id, reply_markup=markup)
    # same text without reply_markup removes the keyboard, so it *is* a modification
    plain = await bot.edit_message_text("สถานะ: เสร็จ", USER, message.message_id)
    assert plain.reply_markup is None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, message.message_id)
    assert fake.last_message(USER)["text"] == "สถานะ: เสร็จ"


async def test_blocked_kicked_unknown_and_migrated_chats(bot: Bot, fake: FakeTelegramAPI) -> None:
    fake.block_bot(USER)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    fake.kick_bot(GROUP)
    with pytest.raises(Forbidden, match="bot was kicked from the group chat"):
        await bot.send_message(GROUP, "hello?")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(-999, "hello?")

    fake.add_group(-4002, "old group", members={USER: "creator"})
    fake.group_migrated(-4002, -1004002)
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-4002, "hi")
    assert info.value.new_chat_id == -1004002
    assert (await bot.send_message(-1004002, "hi")).chat.type == "supergroup"


async def test_get_chat_and_chat_member(bot: Bot, fake: FakeTelegramAPI) -> None:
    chat = await bot.get_chat(GROUP)
    assert chat.title == "ครูวิทย์ ม.1"
    member = await bot.get_chat_member(GROUP, USER)
    assert member.status == "creator"
    assert (await bot.get_chat_member(GROUP, fake.bot_id)).status == "member"
    assert (await bot.get_chat(USER)).first_name == "Somchai"
    assert await bot.leave_chat(GROUP)
    with pytest.raises(Forbidden, match="not a member"):
        await bot.send_message(GROUP, "still here?")


# -- updates ------------------------------------------------------------------------


async def test_get_updates_long_polling(bot: Bot, fake: FakeTelegramAPI) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.3)
    assert not poll.done()
    started = time.monotonic()
    update_id = fake.user_sends_text(USER, GROUP, "/start@EduNetTestBot now")
    updates = await asyncio.wait_for(poll, 3)
    assert time.monotonic() - started < 2

    (update,) = updates
    assert isinstance(update, Update) and update.update_id == update_id
    message = update.message
    assert message.text == "/start@EduNetTestBot now"
    assert message.entities == (MessageEntity(MessageEntity.BOT_COMMAND, 0, 20),)
    assert message.parse_entities([MessageEntity.BOT_COMMAND]) == {message.entities[0]: "/start@EduNetTestBot"}
    assert message.from_user.id == USER and message.chat.id == GROUP

    # not confirmed yet → returned again; confirmed by offset → gone
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [update_id]
    assert await bot.get_updates(offset=update_id + 1, timeout=0) == ()
    # a re-delivered update comes back with the same id
    fake.redeliver(update_id)
    assert [u.update_id for u in await bot.get_updates(offset=update_id + 1, timeout=0)] == [update_id]


async def test_get_updates_timeout_and_allowed_updates(bot: Bot, fake: FakeTelegramAPI) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3

    await bot.get_updates(timeout=0, allowed_updates=["callback_query"])
    fake.user_sends_text(USER, USER, "ignored")
    sent = await bot.send_message(USER, "pick", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]]))
    fake.user_presses_button(USER, USER, sent.message_id, "a")
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query.data == "a" and query.message.message_id == sent.message_id
    assert query.message.reply_markup == sent.reply_markup

    assert await bot.answer_callback_query(query.id, text="ได้แล้ว")
    assert fake.callback_answers[-1]["text"] == "ได้แล้ว"
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query.id)


async def test_group_membership_updates(bot: Bot, fake: FakeTelegramAPI) -> None:
    fake.bot_added_to_group(-4100, by_user_id=USER, title="ห้องพักครู")
    fake.member_joined(-4100, 2002)
    updates = await bot.get_updates(timeout=0)
    assert updates[0].my_chat_member.new_chat_member.status == "member"
    assert updates[0].my_chat_member.old_chat_member.status == "left"
    assert updates[1].message.new_chat_members[0].id == 2002


async def test_webhook_delivery_with_secret() -> None:
    received: list[tuple[dict, str | None]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    hook_url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    try:
        async with FakeTelegramAPI(token=TOKEN) as fake:
            fake.add_private_chat(USER, "Somchai")
            async with Bot(TOKEN, base_url=fake.base_url) as bot:
                assert await bot.set_webhook(hook_url, secret_token="s3cr3t_token")
                info = await bot.get_webhook_info()
                assert info.url == hook_url
                update_id = fake.user_sends_text(USER, USER, "/help")
                await fake.wait_for(lambda: received)
                body, secret = received[0]
                assert secret == "s3cr3t_token"
                assert body["update_id"] == update_id and body["message"]["text"] == "/help"
                assert Update.de_json(body, bot).message.entities[0].type == MessageEntity.BOT_COMMAND
                with pytest.raises(Conflict):
                    await bot.get_updates()
                assert (await bot.get_webhook_info()).pending_update_count == 0
                assert await bot.delete_webhook()
                assert (await bot.get_webhook_info()).url == ""
    finally:
        await runner.cleanup()


async def test_webhook_retries_after_failure(fake: FakeTelegramAPI) -> None:
    fake.webhook._retry_delay = 0.05
    calls: list[int] = []

    async def flaky(request: web.Request) -> web.Response:
        calls.append((await request.json())["update_id"])
        return web.Response(status=500 if len(calls) == 1 else 200)

    app = web.Application()
    app.router.add_post("/", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    try:
        async with Bot(TOKEN, base_url=fake.base_url) as bot:
            await bot.set_webhook(f"http://127.0.0.1:{sock.getsockname()[1]}/")
            update_id = fake.user_sends_text(USER, USER, "hi")
            await fake.wait_for(lambda: len(calls) >= 2)
            assert calls[:2] == [update_id, update_id]
            info = await bot.get_webhook_info()
            assert "500" in (info.last_error_message or "")
    finally:
        await runner.cleanup()


async def test_set_my_commands_per_scope_and_language(bot: Bot, fake: FakeTelegramAPI) -> None:
    from telegram import BotCommand, BotCommandScopeAllGroupChats

    await bot.set_my_commands([BotCommand("start", "เริ่มต้น"), BotCommand("help", "ช่วยเหลือ")], language_code="th")
    await bot.set_my_commands([BotCommand("report", "Weekly report")], scope=BotCommandScopeAllGroupChats())
    assert [c.command for c in await bot.get_my_commands(language_code="th")] == ["start", "help"]
    assert await bot.get_my_commands() == ()
    assert fake.commands_for("all_group_chats") == [{"command": "report", "description": "Weekly report"}]
    assert ("default", "th") in fake.commands
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await bot.delete_my_commands(language_code="th")
    assert await bot.get_my_commands(language_code="th") == ()


async def test_delete_message(bot: Bot, fake: FakeTelegramAPI) -> None:
    message = await bot.send_message(USER, "temporary")
    assert await bot.delete_message(USER, message.message_id)
    assert fake.messages_to(USER) == []
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(USER, message.message_id)


async def test_wait_for(fake: FakeTelegramAPI, bot: Bot) -> None:
    async def later() -> None:
        await asyncio.sleep(0.1)
        await bot.send_message(USER, "ready")

    task = asyncio.create_task(later())
    assert await fake.wait_for(lambda: fake.texts_to(USER)) == ["ready"]
    await task
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: fake.texts_to(GROUP), timeout=0.1)


def test_markdown_v2_parsing() -> None:
    ft = parse_formatted_text(r"*ตัวหนา* _เอียง_ \. [ลิงก์](https://x.org)", "MarkdownV2")
    assert ft.text == "ตัวหนา เอียง . ลิงก์"
    assert [e["type"] for e in ft.entities] == ["bold", "italic", "text_link"]
    with pytest.raises(Exception, match="Character '!' is reserved"):
        parse_formatted_text("สวัสดี!", "MarkdownV2")
