"""Button helpers shared by features: laying buttons out in rows, and the answer to a
button whose record is gone."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from bot.context import Context
from bot.model import Button

T = TypeVar("T")


def grid(buttons: list[Button], width: int = 2) -> list[list[Button]]:
    """``buttons`` in rows of ``width``."""
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


async def load_or_expire(ctx: Context, load: Awaitable[T | None]) -> T | None:
    """What ``load`` finds, or None after telling the presser (a toast) that the button has expired."""
    found = await load
    if found is None:
        ctx.toast = ctx.t("This button has expired. Please start again.")
    return found
