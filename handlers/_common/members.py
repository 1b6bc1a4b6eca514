"""Questions about the member behind a context."""

from __future__ import annotations

from bot.context import Context
from bot.roles import Role


def is_coordinator(ctx: Context) -> bool:
    return ctx.member is not None and ctx.member.role == Role.COORDINATOR.value
