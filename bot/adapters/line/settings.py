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
    # LIFF (the web view inside LINE): the LINE Login channel that owns the LIFF app, and the app's id.
    # Both set: /dashboard pages sign in with the LIFF ID token and offer the share picker.
    login_channel_id: str = ""
    liff_id: str = ""
    # Where ID tokens are verified (POST /oauth2/v2.1/verify); tests point it at a fake.
    login_api_base_url: str = "https://api.line.me"
    # The LIFF SDK the pages load (LINE's CDN, "edge" = the latest 2.x); an ES module if it ends in .mjs.
    liff_sdk_url: str = "https://static.line-scdn.net/liff/edge/2/sdk.js"
