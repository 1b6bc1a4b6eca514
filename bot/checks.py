"""Installation checks (`edunet doctor`): one line each, saying what is wrong and what to do.

The composition root runs the core's checks (settings, database, key, public URL) and each platform's
own (its spec's ``checks``); this module holds what they share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp


@dataclass(frozen=True)
class Check:
    """The outcome of one check: what was looked at, whether it is fine, and what to do if not."""

    name: str
    ok: bool
    message: str

    def line(self, *, ascii_only: bool = False) -> str:
        mark = ("ok" if self.ok else "FAIL") if ascii_only else ("✓" if self.ok else "✗")
        return f"{mark} {self.name}: {self.message}"


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def unreachable(exc: BaseException) -> str:
    """Why a host did not answer, in a few words."""
    import aiohttp

    if isinstance(exc, TimeoutError):
        return "no answer in time"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return first_line(exc.os_error) if exc.os_error else "connection failed"
    return type(exc).__name__


async def get_json(session: aiohttp.ClientSession, url: str, headers: dict[str, str] | None = None
                   ) -> tuple[int, Any]:
    """The status and the JSON body (None when the body is not JSON)."""
    async with session.get(url, headers=headers) as response:
        try:
            body = await response.json(content_type=None)
        except ValueError:
            body = None
        return response.status, body
