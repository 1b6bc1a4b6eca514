"""The neutral core: payloads, command parsing, flows across restarts, failures,
serialised concurrent events, and the console's script grammar."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bot import payload
from bot.app import App
from edunet import build_app
from bot.config import Settings
from bot.adapters.console.simulator import ScriptError
from bot.model import ChatKind, ChatRef, Event, EventKind, Sender
from bot.router import Router
from tests.support.conversation import Conversation, make_conversation

REPO = Path(__file__).resolve().parents[1]


def test_payloads_round_trip_and_never_exceed_64_bytes() -> None:
    data = payload.encode("pledge", 12345, "need")
    assert data == "1|pledge|12345|need"
    decoded = payload.decode(data)
    assert decoded is not None and decoded.action == "pledge" and decoded.int_arg(0) == 12345
    with pytest.raises(payload.PayloadError):
        payload.encode("x", "ก" * 30)  # Thai is 3 bytes a character in UTF-8
    with pytest.raises(payload.PayloadError):
        payload.encode("x", "a|b")
    assert payload.decode("2|future|1") is None
    assert payload.decode("garbage") is None
    assert payload.decode(None) is None


def test_command_parsing_slash_alias_and_addressee() -> None:
    from handlers import build_router

    router = build_router()
    parsed = router.parse_command("/join@EduNetBot K7M3-QX9P", allow_bare=False, bot_username="EduNetBot")
    assert parsed is not None and parsed[0].name == "join" and parsed[1] == "K7M3-QX9P"
    assert router.parse_command("/join@OtherBot X", allow_bare=False, bot_username="EduNetBot") is None
    assert router.parse_command("เข้าร่วม K7M3", allow_bare=True)[0].name == "join"  # type: ignore[index]
    assert router.parse_command("เข้าร่วม K7M3", allow_bare=False) is None  # bare words only in private
    assert router.parse_command("/เข้าร่วม K7M3", allow_bare=False)[0].name == "join"  # type: ignore[index]
    assert router.parse_command("join the club", allow_bare=False) is None


def test_a_command_word_cannot_be_registered_twice() -> None:
    router = Router()

    @router.command("a", "ก")
    async def first(ctx):  # type: ignore[no-untyped-def]
        pass

    with pytest.raises(ValueError):
        @router.command("b", "ก")
        async def second(ctx):  # type: ignore[no-untyped-def]
            pass


async def test_a_flow_resumes_after_a_restart(sqlite_url: str) -> None:
    first, app = await make_conversation(sqlite_url)
    assert "เครือข่ายชื่ออะไร" in await first("alice@dm: /newnetwork")
    await app.close()

    second, app = await make_conversation(sqlite_url)  # a new process on the same database
    assert "สร้างเครือข่าย “เครือข่ายหลังรีสตาร์ต” แล้ว" in await second("alice@dm: เครือข่ายหลังรีสตาร์ต")
    await app.close()


async def test_a_failing_handler_apologises_rolls_back_and_the_bot_keeps_going(
        bot: Conversation, caplog: pytest.LogCaptureFixture) -> None:
    from storage.membership import OrganisationRepo

    await bot.setup_network()
    route = bot.app.router.commands["org"]
    original = route.handler

    async def half_then_crash(ctx):  # type: ignore[no-untyped-def]
        await ctx.repo(OrganisationRepo).get_or_create(ctx.network.id, "โรงเรียนครึ่งทาง", now=ctx.now)
        raise RuntimeError("disk on fire")

    route.handler = half_then_crash
    with bot.expect_errors():
        out = await bot("alice@dm: /org โรงเรียนครึ่งทาง")
    route.handler = original
    assert "ขออภัย ระบบขัดข้องชั่วคราว" in out
    assert "disk on fire" in caplog.text and "handler failed" in caplog.text
    assert "โรงเรียนครึ่งทาง" not in await bot("alice@dm: /org")  # rolled back
    assert "หน่วยงานของคุณคือ โรงเรียนจริง" in await bot("alice@dm: /org โรงเรียนจริง")


async def test_concurrent_events_for_one_user_are_processed_one_at_a_time(sqlite_url: str) -> None:
    conversation, app = await make_conversation(sqlite_url)
    await conversation.setup_network()
    await conversation("alice@dm: /invite teacher 10")
    code = conversation.last_code()
    chat = ChatRef("line", "bob", ChatKind.PRIVATE)
    # Five presses of the Join button shown with the privacy notice (the consent), all at once.
    events = [Event("line", f"e{i}", chat, Sender("bob", "Bob"), EventKind.BUTTON, payload=f"1|joincode|{code}|n1")
              for i in range(5)]
    outcomes = await asyncio.gather(*(app.handle(e) for e in events))
    texts = [r.text for o in outcomes for r in o.replies]  # type: ignore[union-attr]
    assert sum("ลงทะเบียนเป็นครูแล้ว" in t for t in texts) == 1
    assert sum("ลงทะเบียนใน" in t for t in texts) == 4  # "already registered"
    await app.close()


async def test_admins_from_settings_may_create_networks_others_may_not(sqlite_url: str) -> None:
    app = build_app(Settings(database_url=sqlite_url, admins="telegram:42, line:Uadmin"))
    chat = ChatRef("telegram", "7", ChatKind.PRIVATE)
    outsider = await app.handle(Event("telegram", "1", chat, Sender("7", "Somchai"), EventKind.TEXT,
                                      text="/newnetwork เครือข่ายของฉัน"))
    assert "เฉพาะผู้ดูแลระบบ" in outsider.replies[0].text  # type: ignore[union-attr]
    admin_chat = ChatRef("telegram", "42", ChatKind.PRIVATE)
    admin = await app.handle(Event("telegram", "2", admin_chat, Sender("42", "Admin", "en"), EventKind.TEXT,
                                   text="/newnetwork My network"))
    assert "Network “My network” created" in admin.replies[0].text  # type: ignore[union-attr]
    await app.close()


async def test_missing_user_id_never_crashes(sqlite_url: str) -> None:
    conversation, app = await make_conversation(sqlite_url)
    await conversation.setup_network()
    group = ChatRef("line", "group-teachers", ChatKind.GROUP, "teachers")
    outcome = await app.handle(Event("line", "x1", group, Sender(None), EventKind.BUTTON, payload="1|reg"))
    assert not outcome.failed and "เพิ่มบอตเป็นเพื่อน" in (outcome.toast or "")
    await app.close()


async def test_malformed_script_lines_stop_with_their_line_number(bot: Conversation) -> None:
    with pytest.raises(ScriptError) as info:
        await bot.console.run_script("# ok\nalice@dm: /start\nthis is not a line\n")
    assert info.value.line_no == 3
    for bad in (":clock yesterday", ":platform whatsapp", ":teleport", "alice@dm: [Nope]"):
        with pytest.raises(ScriptError):
            await bot.console.run_line(bad, 1)


def test_the_readme_script_runs_from_the_command_line(tmp_path: Path) -> None:
    script = tmp_path / "demo.txt"
    script.write_text("alice@dm: /newnetwork เครือข่ายทดสอบ\nalice@dm: [Join as coordinator]\n"
                      "alice@teachers: /linkgroup\npim@teachers: [Register]\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "edunet", "console", "--script", str(script)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "bot@teachers → Pim ลงทะเบียนเป็นผู้ปกครองของเครือข่าย “เครือข่ายทดสอบ” แล้ว" in done.stdout
    script.write_text("alice@dm: /start\nnonsense\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "edunet", "console", "--script", str(script)], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "demo.txt:2:" in done.stderr


def test_cli_creates_a_network_and_prints_a_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    done = subprocess.run([sys.executable, "-m", "edunet", "--database", url, "network", "create", "เครือข่าย CLI"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "coordinator invite code:" in done.stdout


def test_every_user_visible_string_has_a_thai_translation() -> None:
    from tools.i18n_check import problems

    assert problems("th") == []


async def test_the_driver_fails_a_test_when_a_handler_crashes(bot: Conversation) -> None:
    """A crash the app only logs (the user sees an apology) must not pass as "text not found"."""
    await bot.setup_network()
    route = bot.app.router.commands["me"]
    original = route.handler

    async def crash(ctx):  # type: ignore[no-untyped-def]
        raise RuntimeError("chart font missing")

    route.handler = crash
    try:
        with pytest.raises(AssertionError, match="chart font missing"):
            await bot("alice@dm: /me")
    finally:
        route.handler = original
