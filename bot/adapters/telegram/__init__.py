"""Telegram: long polling or a secret-checked webhook, HTML rendering with inline keyboards,
edits in place, supergroup migration; pushes through the outbox, paced by
:data:`bot.adapters.telegram.rate.RATE_PROFILE`. Configured by ``TELEGRAM_*``
(:mod:`bot.adapters.telegram.settings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters import AdapterSpec, Doctor
from bot.adapters.telegram.rate import RATE_PROFILE
from bot.adapters.telegram import doctor
from bot.adapters.telegram.settings import TelegramSettings

if TYPE_CHECKING:
    from bot.adapters import Adapter, Receiver
    from bot.app import App
    from bot.web import WebServer


def enabled(settings: TelegramSettings) -> bool:
    return bool(settings.bot_token)


def build(app: App, web: WebServer, settings: TelegramSettings) -> Adapter:
    from bot.adapters.telegram.adapter import TelegramAdapter

    return TelegramAdapter(app, settings, web)


def build_receiver(app: App, web: WebServer, settings: TelegramSettings) -> Receiver:
    """Polling or the webhook only, without python-telegram-bot (issue 18: a small receiving process)."""
    from bot.adapters.telegram.receiver import TelegramReceiver

    return TelegramReceiver(app, settings, web)


SPEC = AdapterSpec(
    name="telegram",
    display_name="Telegram",
    settings_model=TelegramSettings,
    enabled=enabled,
    build=build,
    build_receiver=build_receiver,
    required="TELEGRAM_BOT_TOKEN",
    rate_profile=RATE_PROFILE,
    doctor=Doctor(doctor.settings_problems, doctor.url_problems, doctor.checks, needs_public_url=False),
)
