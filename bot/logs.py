"""Logging set-up: plain lines (the default) or JSON, one object per line (``EDUNET_LOG_FORMAT=json``,
python-json-logger), and never a secret.

Every formatted line, traceback included, passes :func:`redact`: the values of the settings that
are secrets (tokens, the channel and webhook secrets, the anonymous-survey key, a database
password) are replaced by ``[redacted]``, and so are invite codes (``K7M3-QX9P``, whoever holds
one can join a network), Telegram bot tokens in API URLs and ``Bearer`` credentials. A library
that logs a request URL or header at DEBUG therefore leaks nothing either.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from pythonjsonlogger.json import JsonFormatter

REDACTED = "[redacted]"
LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Names of settings whose values are secrets (environment variables, any prefix).
_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|(^|_)KEY$|API_KEY|CREDENTIAL)", re.IGNORECASE)
_MIN_SECRET = 6  # shorter values ("1", "off") are not secrets worth hiding and would garble lines
_PATTERNS = (
    # Invite codes as shown to people (bot/… show_code): four and four of the code alphabet.
    re.compile(r"(?<![A-Za-z0-9])[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}(?![A-Za-z0-9])"),
    # A Telegram bot token, e.g. in https://api.telegram.org/bot123456:AAE…/sendMessage
    re.compile(r"(?<![0-9])\d{5,}:[A-Za-z0-9_-]{8,}"),
    # Authorization headers
    re.compile(r"(?i)(?<=bearer )[A-Za-z0-9._~+/=-]{8,}"),
    # A password in a database URL: scheme://user:PASSWORD@host
    re.compile(r"(?<=://)(?:[^:/@\s]+):[^@/\s]+(?=@)"),
    # What follows /join (an invite code as typed, with or without its dash)
    re.compile(r"(?i)(?<=/join )\s*[A-Za-z0-9-]{6,}|(?<=เข้าร่วม )\s*[A-Za-z0-9-]{6,}"),
)


def secrets_from(environ: Mapping[str, str], extra: Iterable[str] = ()) -> list[str]:
    """The secret values among ``environ`` (by the variable's name), plus ``extra``."""
    found = {value for name, value in environ.items() if _SECRET_NAME.search(name) and value}
    found.update(v for v in extra if v)
    return sorted((v for v in found if len(v) >= _MIN_SECRET), key=len, reverse=True)


def secret_settings(*models: Any) -> list[str]:
    """The values of secret-named fields of pydantic settings objects (read from the environment
    or a ``.env`` file)."""
    values: list[str] = []
    for model in models:
        for name, value in model.model_dump().items():
            if isinstance(value, str) and value and _SECRET_NAME.search(name):
                values.append(value)
    return values


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secret values and without anything shaped like a credential."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


class _Redacting(logging.Formatter):
    """Formats with ``inner``, then redacts the whole line (message, arguments and traceback)."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def formatter(fmt: str, secrets: Iterable[str] = ()) -> logging.Formatter:
    """The redacting formatter for ``fmt`` (``text`` or ``json``)."""
    if fmt not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r} (expected text or json)")
    inner: logging.Formatter
    if fmt == "json":
        inner = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                              rename_fields={"levelname": "level", "name": "logger", "asctime": "time"},
                              json_ensure_ascii=False)
    else:
        inner = logging.Formatter(TEXT_FORMAT)
    return _Redacting(inner, secrets)


def configure(level: str = "INFO", fmt: str = "text", secrets: Iterable[str] = (), *,
              stream: Any = None) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in ``fmt``, redacted; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt, secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return handler
