"""LINE's settings: the ``LINE_*`` environment variables (and ``.env``)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class LineSettings(BaseSettings):
    """A LINE Official Account's Messaging API channel."""

    model_config = SettingsConfigDict(env_prefix="LINE_", env_file=".env", extra="ignore")

    channel_secret: str = ""
    channel_access_token: str = ""
    api_base_url: str = "https://api.line.me"
    # Empty: api-data.line.me for the real API, else the same host as api_base_url (fakes).
    data_api_base_url: str = ""
    # LINE bills every push per recipient: notifications that can wait ride on free replies
    # (bot/catchup.py). Off: every LINE notification is pushed when due (a paid plan that prefers it).
    free_delivery: bool = True
