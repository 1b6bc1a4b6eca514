"""Configuration from the environment (and a ``.env`` file), via pydantic-settings."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The core's settings (``EDUNET_*``). Each platform reads its own (``bot.adapters.<name>.settings``)."""

    model_config = SettingsConfigDict(env_prefix="EDUNET_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///edunet.db"
    timezone: str = "Asia/Bangkok"
    language: str = "th"
    # Platform user ids allowed to create networks in chat, comma-separated,
    # optionally prefixed with the platform: "telegram:12345,line:U4af…".
    admins: str = ""
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    allow_http_public_url: bool = False
    flow_ttl_minutes: int = 60
    # Quiet hours of networks that have not set their own (/settings quiet): "21:00-07:00" or "off".
    quiet_hours: str = "21:00-07:00"
    log_level: str = "INFO"
    # "text" (one line per record) or "json" (one JSON object per line, for a log collector)
    log_format: str = "text"
    # Server secret for keyed hashes (anonymous surveys). Keep it OUT of the database and its backups;
    # every instance must share it. Empty: a generated key file (secret_key_file, or ~/.config/edunet/secret.key).
    secret_key: str = ""
    secret_key_file: str = ""
    # Who answers for the members' personal data (PDPA: the data controller), shown in the privacy
    # notice: e.g. "สำนักงานเขตพื้นที่การศึกษา … โทร 02 123 4567, privacy@example.org".
    privacy_contact: str = ""
    # ``edunet serve`` as 1 process (everything on one event loop) or 2: this process receives the
    # webhooks (verify, store, acknowledge) and a worker process it starts and watches processes
    # them, runs the outbox and the scheduler, so an ack never waits for an event's processing.
    processes: int = 1

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (expected e.g. Asia/Bangkok)") from exc
        return value

    @field_validator("processes")
    @classmethod
    def _processes(cls, value: int) -> int:
        if value not in (1, 2):
            raise ValueError(f"EDUNET_PROCESSES must be 1 or 2, not {value}")
        return value

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in ("text", "json"):
            raise ValueError(f"unknown log format {value!r} (expected text or json)")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        from bot.delivery_policy import QuietHours

        return QuietHours.parse(value).text()

    def is_admin(self, platform: str, user_id: str | None) -> bool:
        if not user_id:
            return False
        for entry in filter(None, (e.strip() for e in self.admins.split(","))):
            if ":" in entry:
                entry_platform, entry_id = entry.split(":", 1)
                if entry_platform == platform and entry_id == user_id:
                    return True
            elif entry == user_id:
                return True
        return False
