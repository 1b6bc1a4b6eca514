"""Telegram's settings: the ``TELEGRAM_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class TelegramSettings(BaseSettings):
    """A Telegram bot. Without ``webhook_url`` it long-polls."""

    model_config = SettingsConfigDict(env_prefix="TELEGRAM_", env_file=".env", extra="ignore")

    bot_token: str = ""
    webhook_url: str = ""
    webhook_secret: str = ""
    api_base_url: str = "https://api.telegram.org"
