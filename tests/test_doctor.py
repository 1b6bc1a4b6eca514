"""``edunet doctor`` against the project's LINE and Telegram fakes: one line per check, exit 0/1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from edunet.cli import main
from edunet.doctor import run_doctor
from storage.maintenance import sqlite_path
from tests.fakes.line_api import FakeLineAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support.telegram import BOT_USERNAME, TOKEN, free_port

LINE_TOKEN = "line-access-token-0123456789"
LINE_SECRET = "line-channel-secret-abcdef"
PUBLIC_URL = "https://bot.example.org"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI(token=TOKEN, bot_username=BOT_USERNAME) as fake:
        yield fake


@pytest.fixture
async def line() -> AsyncIterator[FakeLineAPI]:
    async with FakeLineAPI(access_token=LINE_TOKEN, spec=None) as fake:
        fake.webhook_endpoint = {"endpoint": f"{PUBLIC_URL}/webhooks/line", "active": True}
        yield fake


@pytest.fixture
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("etc") / "secret.key"  # not beside the database
    path.write_text("k" * 64)
    path.chmod(0o600)
    return path


@pytest.fixture
def healthy(sqlite_url: str, key_file: Path, telegram: FakeTelegramAPI, line: FakeLineAPI,
            monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Settings of an installation where every check passes."""
    monkeypatch.delenv("EDUNET_BACKUP_DIR", raising=False)
    return {"database_url": sqlite_url, "secret_key_file": str(key_file), "public_url": PUBLIC_URL,
            "telegram_bot_token": TOKEN, "telegram_api_base_url": telegram.url,
            "line_channel_secret": LINE_SECRET, "line_channel_access_token": LINE_TOKEN,
            "line_api_base_url": line.url}


async def doctor(capsys: pytest.CaptureFixture[str], settings: dict[str, Any]) -> tuple[int, dict[str, str]]:
    """The exit code and the printed lines by check name (asserting one line per check)."""
    code = await run_doctor(settings)
    out = capsys.readouterr().out
    for secret in (TOKEN, LINE_TOKEN, LINE_SECRET, "k" * 64):
        assert secret not in out
    lines: dict[str, str] = {}
    for line in out.splitlines():
        name = line[2:].split(":", 1)[0]
        assert name not in lines, out
        lines[name] = line
    return code, lines


async def test_a_healthy_installation_passes_every_check(capsys: pytest.CaptureFixture[str],
                                                         healthy: dict[str, Any]) -> None:
    code, lines = await doctor(capsys, healthy)
    assert code == 0, lines
    # The platforms' checks follow the core's, one platform after another in discovery order.
    assert list(lines) == ["settings", "database", "migrations", "secret key", "public URL", "LINE", "LINE webhook",
                           "Telegram"]
    assert all(line.startswith("✓ ") for line in lines.values())
    assert lines["Telegram"] == f"✓ Telegram: @{BOT_USERNAME} answers getMe"
    assert lines["LINE"] == "✓ LINE: bot “EduNet” (@edunet) accepts the access token"
    assert lines["LINE webhook"] == f"✓ LINE webhook: {PUBLIC_URL}/webhooks/line (active)"
    assert "up to date" in lines["migrations"]


async def test_bad_credentials_give_one_clear_line_each(capsys: pytest.CaptureFixture[str],
                                                        healthy: dict[str, Any]) -> None:
    code, lines = await doctor(capsys, {**healthy, "telegram_bot_token": "123456789:WRONG",
                                        "line_channel_access_token": "expired"})
    assert code == 1
    assert lines["Telegram"].startswith("✗ Telegram: Telegram rejected TELEGRAM_BOT_TOKEN (HTTP 401)")
    assert "@BotFather" in lines["Telegram"]
    assert lines["LINE"].startswith("✗ LINE: LINE rejected LINE_CHANNEL_ACCESS_TOKEN (HTTP 401)")
    assert "LINE webhook" not in lines  # nothing more to say about LINE until the token works
    assert all(lines[name].startswith("✓") for name in ("settings", "database", "migrations", "secret key"))


async def test_unreachable_platforms_give_one_clear_line_each(capsys: pytest.CaptureFixture[str],
                                                              healthy: dict[str, Any]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    code, lines = await doctor(capsys, {**healthy, "telegram_api_base_url": closed, "line_api_base_url": closed})
    assert code == 1
    assert lines["Telegram"].startswith(f"✗ Telegram: cannot reach {closed} (")
    assert "TELEGRAM_API_BASE_URL" in lines["Telegram"]
    assert lines["LINE"].startswith(f"✗ LINE: cannot reach {closed} (")
    assert "LINE webhook" not in lines


async def test_the_line_webhook_must_point_here_and_be_on(capsys: pytest.CaptureFixture[str], line: FakeLineAPI,
                                                          healthy: dict[str, Any]) -> None:
    line.webhook_endpoint = {"endpoint": "https://old.example.org/callback", "active": True}
    _, lines = await doctor(capsys, healthy)
    assert lines["LINE webhook"] == (f"✗ LINE webhook: LINE posts to https://old.example.org/callback, but this "
                                     f"server is {PUBLIC_URL}/webhooks/line: set the Webhook URL in the LINE "
                                     "Developers console (your channel, Messaging API tab)")
    line.webhook_endpoint = {"endpoint": f"{PUBLIC_URL}/webhooks/line", "active": False}
    code, lines = await doctor(capsys, healthy)
    assert code == 1
    assert lines["LINE webhook"].startswith("✗ LINE webhook: “Use webhook” is off")


async def test_the_secret_key_must_be_private_and_apart_from_the_data(
        capsys: pytest.CaptureFixture[str], healthy: dict[str, Any], key_file: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    key_file.chmod(0o644)
    code, lines = await doctor(capsys, healthy)
    assert code == 1
    assert lines["secret key"] == (f"✗ secret key: {key_file} has permissions 644, others may read it: "
                                   f"chmod 600 {key_file}")

    db_dir = sqlite_path(healthy["database_url"]).parent  # type: ignore[union-attr]
    beside_db = db_dir / "secret.key"
    beside_db.write_text("x" * 64)
    beside_db.chmod(0o600)
    _, lines = await doctor(capsys, {**healthy, "secret_key_file": str(beside_db)})
    assert lines["secret key"].startswith(f"✗ secret key: {beside_db} is inside the database folder")

    monkeypatch.setenv("EDUNET_BACKUP_DIR", str(key_file.parent))
    key_file.chmod(0o600)
    _, lines = await doctor(capsys, healthy)
    assert lines["secret key"].startswith(f"✗ secret key: {key_file} is inside the backup folder")
    monkeypatch.delenv("EDUNET_BACKUP_DIR")

    missing = tmp_path / "nowhere" / "secret.key"
    _, lines = await doctor(capsys, {**healthy, "secret_key_file": str(missing)})
    assert lines["secret key"].startswith(f"✗ secret key: {missing} does not exist yet")
    assert not missing.exists()  # the doctor only looks

    code, lines = await doctor(capsys, {**healthy, "secret_key_file": "", "secret_key": "k" * 64})
    assert code == 0 and lines["secret key"].startswith("✓ secret key: EDUNET_SECRET_KEY is set")


async def test_database_and_migrations(capsys: pytest.CaptureFixture[str], healthy: dict[str, Any],
                                       tmp_path: Path) -> None:
    missing = tmp_path / "none" / "edunet.db"
    code, lines = await doctor(capsys, {**healthy, "database_url": f"sqlite:///{missing}"})
    assert code == 1
    assert lines["database"] == f"✗ database: no database file at {missing}: run `edunet db upgrade` " \
                                "(or check EDUNET_DATABASE_URL)"
    assert "migrations" not in lines and not missing.parent.exists()

    blank = tmp_path / "blank.db"
    blank.write_bytes(b"")
    _, lines = await doctor(capsys, {**healthy, "database_url": f"sqlite:///{blank}"})
    assert lines["database"].startswith("✓ database: reachable")
    assert lines["migrations"].startswith("✗ migrations: ") and "run `edunet db upgrade`" in lines["migrations"]

    unreachable = f"postgresql://edunet:pw-123@127.0.0.1:{free_port()}/x"
    _, lines = await doctor(capsys, {**healthy, "database_url": unreachable})
    assert lines["database"].startswith("✗ database: cannot reach postgresql+asyncpg://edunet:***@127.0.0.1:")
    assert "pw-123" not in lines["database"]


async def test_settings_and_the_public_url(capsys: pytest.CaptureFixture[str], healthy: dict[str, Any]) -> None:
    code, lines = await doctor(capsys, {**healthy, "public_url": "http://bot.example.org", "language": "de"})
    assert code == 1
    assert lines["settings"] == "✗ settings: EDUNET_LANGUAGE must be th or en, not 'de'"
    assert lines["public URL"].startswith("✗ public URL: EDUNET_PUBLIC_URL must start with https://")

    _, lines = await doctor(capsys, {**healthy, "telegram_bot_token": "", "line_channel_access_token": "",
                                     "public_url": ""})
    assert lines["settings"].startswith("✗ settings: LINE needs both LINE_CHANNEL_SECRET and "
                                        "LINE_CHANNEL_ACCESS_TOKEN: set LINE_CHANNEL_ACCESS_TOKEN")
    assert lines["Telegram"].startswith("✓ Telegram: not configured")
    assert lines["public URL"] == "✓ public URL: not set (only LINE needs it)"

    _, lines = await doctor(capsys, {**healthy, "telegram_webhook_url": PUBLIC_URL, "database_url":
                                     f"postgresql://edunet@127.0.0.1:{free_port()}/edunet"})
    assert lines["settings"].startswith("✗ settings: TELEGRAM_WEBHOOK_SECRET is not set: on PostgreSQL several")
    _, lines = await doctor(capsys, {**healthy, "telegram_webhook_url": PUBLIC_URL})
    assert lines["settings"].startswith("✓ settings")  # SQLite: one instance, a secret per start is fine

    _, lines = await doctor(capsys, {**healthy, "telegram_bot_token": "", "public_url": ""})
    assert lines["public URL"].startswith("✗ public URL: EDUNET_PUBLIC_URL is not set: LINE users get charts as text")


def test_the_command_reports_invalid_settings_in_one_line(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDUNET_TIMEZONE", "Mars/Olympus")
    assert main(["doctor"]) == 1
    assert capsys.readouterr().out == ("✗ settings: EDUNET_TIMEZONE: unknown time zone 'Mars/Olympus' "
                                       "(expected e.g. Asia/Bangkok)\n")


async def test_half_of_the_liff_settings_is_reported(capsys: pytest.CaptureFixture[str], healthy: dict[str, Any]) -> None:
    _, lines = await doctor(capsys, {**healthy, "line_liff_id": "1650000001-AbCdEfGh"})
    assert lines["settings"] == ("✗ settings: the web view inside LINE needs both LINE_LOGIN_CHANNEL_ID and "
                                 "LINE_LIFF_ID: set LINE_LOGIN_CHANNEL_ID")
    _, lines = await doctor(capsys, {**healthy, "line_liff_id": "1650000001-AbCdEfGh",
                                     "line_login_channel_id": "1650000001"})
    assert lines["settings"].startswith("✓ settings")
