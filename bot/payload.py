"""Compact, versioned button payloads.

A payload looks like ``1|act|arg|arg``: a format version, an action name and string
arguments. It must fit Telegram's callback_data (64 bytes); LINE allows 300, so the
tighter limit rules everywhere. Arguments are ids and short codes, never user text.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.args import DB_INT_MAX

VERSION = "1"
SEPARATOR = "|"
MAX_BYTES = 64


class PayloadError(ValueError):
    """A payload that cannot be built or read."""


@dataclass(frozen=True)
class Payload:
    action: str
    args: tuple[str, ...] = ()

    def arg(self, index: int, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default

    def int_arg(self, index: int) -> int:
        try:
            value = int(self.args[index])
        except (IndexError, ValueError) as exc:
            raise PayloadError(f"argument {index} of {self.action!r} is not a number") from exc
        if abs(value) > DB_INT_MAX:  # a forged payload must not reach SQL as an overflowing integer
            raise PayloadError(f"argument {index} of {self.action!r} is out of range")
        return value


def encode(action: str, *args: object) -> str:
    """Build a payload string; raises PayloadError if it would not fit 64 bytes."""
    parts = [VERSION, action, *(str(a) for a in args)]
    for part in parts[1:]:
        if SEPARATOR in part:
            raise PayloadError(f"payload part {part!r} contains {SEPARATOR!r}")
    data = SEPARATOR.join(parts)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise PayloadError(f"payload {data!r} is longer than {MAX_BYTES} bytes")
    return data


def decode(data: str | None) -> Payload | None:
    """Read a payload; None for anything that is not ours or is of another version."""
    if not data or len(data.encode("utf-8")) > 300:
        return None
    parts = data.split(SEPARATOR)
    if len(parts) < 2 or parts[0] != VERSION or not parts[1]:
        return None
    return Payload(action=parts[1], args=tuple(parts[2:]))
