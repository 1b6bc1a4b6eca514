"""Operations built in: ``/metrics`` in Prometheus' format (state read from the shared database,
events counted per process), JSON logs on request, and no secret in any log line."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import logs, metrics
from bot.app import App
from bot.clock import ManualClock
from bot.config import Settings
from bot.model import Text, reply_to_dict
from bot.outbox import DeliveryError, OutboxDispatcher
from bot.web import WebServer
from edunet import build_app
from storage.delivery_stats import DeliveryStatsRepo
from storage.inbox import InboxRepo
from storage.membership import ChatRepo, NetworkRepo
from storage.runtime import OutboxRepo, TaskRepo
from tests.fakes.line_api import FakeLineAPI, postback_event, text_event
from tests.line.harness import ADMIN, SECRET, TOKEN, LineBot, all_text
from tests.support import telegram
from tests.support.conversation import START
from tests.support.fake_sender import FakeSender


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page: (name, sorted labels) -> value."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return found


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    application = build_app(Settings(database_url=db_url), clock=ManualClock(START))
    yield application
    await application.close()


async def test_metrics_read_the_shared_state_and_count_this_process_deliveries(app: App) -> None:
    clock = app.clock
    assert isinstance(clock, ManualClock)
    async with app.db.transaction() as conn:
        now = clock.now()
        network = await NetworkRepo(conn).create("n", timezone="Asia/Bangkok", language="th", now=now)
        group = await ChatRepo(conn).upsert("line", "C1", "group", "ครู", now=now)
        private = await ChatRepo(conn).upsert("telegram", "42", "private", None, now=now)
        for key, chat, urgency, later in (("a", group.id, "urgent", 0), ("b", group.id, "digest", 0),
                                          ("c", private.id, "timely", 0), ("d", private.id, "timely", 3600)):
            await OutboxRepo(conn).enqueue(key=key, network_id=network.id, chat_id=chat, urgency=urgency,
                                           messages=[reply_to_dict(Text("x"))], now=now,
                                           not_before=now + timedelta(seconds=later))
        await InboxRepo(conn, "line").add("ev1", "C1", {}, now)
        await TaskRepo(conn).schedule(key="t1", kind="k", run_at=now, payload={}, network_id=None, now=now)
        await DeliveryStatsRepo(conn, "line").count("C1", now=now, network_id=network.id, pushes=1,
                                                    push_messages=1, recipients=40)
    clock.advance(timedelta(seconds=90))
    sender = FakeSender()
    sender.fail_next("42", DeliveryError("429 Too Many Requests", retry_after=1, rate_limited=True))
    dispatcher = OutboxDispatcher(app, {"line": sender, "telegram": sender})
    assert await dispatcher.deliver_due() == 2  # a and b went to the group; c was told to wait (429)

    web = WebServer(Settings(database_url="sqlite://", host="127.0.0.1", port=0))
    web.add_route("GET", "/metrics", metrics.handler(app, dispatcher))
    await web.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{web.port}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                page = samples(await response.text())
    finally:
        await web.stop()

    def value(name: str, **labels: str) -> float:
        return page[name, tuple(sorted(labels.items()))]

    assert value("edunet_inbox_waiting", platform="line") == 1
    assert value("edunet_inbox_lag_seconds", platform="line") == 90
    assert value("edunet_inbox_waiting", platform="telegram") == 0
    assert value("edunet_scheduler_due_tasks") == 1
    assert value("edunet_scheduler_lag_seconds") == 90
    # c is waiting for its retry, d is not due for an hour; both timely on Telegram
    assert value("edunet_outbox_rows", platform="telegram", state="waiting", urgency="timely") == 2
    assert value("edunet_outbox_rows", platform="line", state="due", urgency="urgent") == 0
    assert value("edunet_outbox_oldest_due_seconds") == 0
    assert value("edunet_billed_messages_month", platform="line") == 40
    assert value("edunet_outbox_deliveries_total", platform="line", result="sent") == 2
    assert value("edunet_outbox_deliveries_total", platform="telegram", result="rate_limited") == 1
    assert value("edunet_outbox_deliveries_total", platform="telegram", result="retried") == 1
    assert value("edunet_outbox_deliveries_total", platform="telegram", result="sent") == 0


def test_json_log_lines_are_one_object_each_and_redacted() -> None:
    stream = io.StringIO()
    handler = logs.configure("DEBUG", "json", logs.secrets_from({"LINE_CHANNEL_SECRET": "abcdef123456"}),
                             stream=stream)
    try:
        log = logging.getLogger("edunet.test")
        log.info("webhook for %s signed with %s", "ไลน์", "abcdef123456")
        try:
            raise RuntimeError("GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe")
        except RuntimeError:
            log.exception("code K7M3-QX9P failed")
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["level"] for line in lines] == ["INFO", "ERROR"]
    assert lines[0]["message"] == "webhook for ไลน์ signed with [redacted]"
    assert lines[1]["message"] == "code [redacted] failed"
    assert "bot[redacted]/getMe" in lines[1]["exc_info"]
    assert "abcdef123456" not in stream.getvalue() and "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw" not in stream.getvalue()


def test_an_unknown_log_format_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="expected text or json"):
        Settings(log_format="yaml")


@pytest.mark.slow
async def test_no_secret_reaches_the_log_of_a_conversation_over_webhooks(sqlite_url: str, tmp_path: Path) -> None:
    """A real ``edunet serve`` at DEBUG with JSON logs: a network is created, its invite code
    typed, a forged webhook refused; the log names no token, secret or invite code."""
    async with FakeLineAPI(access_token=TOKEN) as fake, telegram.new_fake() as tg:
        fake.add_profile(ADMIN, "Alice", language="th")
        teacher = "U" + "7e" * 16
        fake.add_profile(teacher, "Tom", language="th")
        telegram.people(tg)
        bot = LineBot(fake, sqlite_url, tmp_path, EDUNET_LOG_LEVEL="DEBUG", EDUNET_LOG_FORMAT="json",
                      EDUNET_SECRET_KEY="anonymous-survey-key-0123456789", TELEGRAM_BOT_TOKEN=telegram.TOKEN,
                      TELEGRAM_API_BASE_URL=tg.url, EDUNET_ADMINS=f"line:{ADMIN},telegram:{telegram.ALICE}")
        try:
            await bot.start()
            said = all_text(await bot.send(text_event(ADMIN, "/newnetwork เครือข่ายทดสอบ", fake=fake)))
            code = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said)[0]
            created = fake.replies[-1]["messages"]
            join = next(d for d in re.findall(r"'data': '([^']*)'", str(created)) if "joincode" in d)
            await bot.send(postback_event(ADMIN, join, fake=fake))
            said = all_text(await bot.send(text_event(ADMIN, "/invite teacher", fake=fake)))
            teacher_code = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said)[0]
            said = all_text(await bot.send(text_event(teacher, f"/join {teacher_code.replace('-', '').lower()}",
                                                      fake=fake)))
            assert "ก่อนเข้าร่วม" in said, said  # PDPA: the notice first; its button consents and registers
            notice = fake.replies[-1]["messages"]
            consent = next(d for d in re.findall(r"'data': '([^']*)'", str(notice)) if "joincode" in d)
            said = all_text(await bot.send(postback_event(teacher, consent, fake=fake)))
            assert "Tom" in said or "ยินดีต้อนรับ" in said, said
            assert await bot.post([text_event(ADMIN, "/help")], signature="forged") in (400, 401, 403)
            # Telegram (long polling) in the same process: its client calls URLs that hold the bot token.
            tg.user_sends_text(telegram.ALICE, telegram.ALICE, "/newnetwork เครือข่ายสอง")
            said = await telegram.said(tg, telegram.ALICE, "เครือข่ายสอง")
            tg_code = re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said)[0]
            tg.user_sends_text(telegram.BOB, telegram.BOB, f"/join {tg_code}")
            await telegram.said(tg, telegram.BOB, "ก่อนเข้าร่วม", "Before you join")
            message_id, data = telegram.button(tg, telegram.BOB, "ยินยอมและลงทะเบียน")
            tg.user_presses_button(telegram.BOB, telegram.BOB, message_id, data)
            await telegram.said(tg, telegram.BOB, "ยินดีต้อนรับ", "Welcome")
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{bot.url}/metrics") as response:
                    page = samples(await response.text())
            assert page["edunet_outbox_deliveries_total", (("platform", "line"), ("result", "sent"))] >= 0
        finally:
            await bot.stop()
        log = bot.log
    lines = [line for line in log.splitlines() if line.strip()]
    assert len(lines) > 10
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= set(record)
    assert "getUpdates" in log or "getupdates" in log.lower()  # the Telegram client's requests are logged…
    for secret in (SECRET, TOKEN, telegram.TOKEN, "anonymous-survey-key-0123456789", tg_code, code, code.replace("-", ""),
                   teacher_code, teacher_code.replace("-", ""), teacher_code.replace("-", "").lower()):
        assert secret not in log, f"{secret!r} is in the log"
