"""Steps shared by features' flows (see bot/flows.py): the confirm-or-cancel last step, and
optional steps."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.context import MemberContext
from bot.flows import Data, Retry, Step
from handlers._common.parsing import is_confirm, is_skip


def confirm(ask: Callable[[Any], Awaitable[None]], save: Callable[[Any, Data], Awaitable[None]], *,
            retry: str) -> Step:
    """The last step: ``ask`` shows the draft with its save and "cancel" buttons. Cancel ends
    the flow saving nothing; a confirm word (Save, ตกลง, …) ends it and calls ``save`` with
    the flow's data; anything else gets ``retry`` (a msgid marked with N_)."""

    async def read(ctx: MemberContext, value: str) -> Retry | None:
        assert ctx.flow is not None
        if value == "cancel":
            await ctx.end_flow()
            await ctx.reply(ctx.t("Cancelled. Nothing was saved."))
            return None
        if not is_confirm(value):
            return Retry(ctx.t(retry))
        data = dict(ctx.flow.data)
        await ctx.end_flow()
        await save(ctx, data)
        return None

    return Step(ask=ask, read=read)


def skippable(read: Callable[[Any, str], Awaitable[Data | Retry | None]]
              ) -> Callable[[Any, str], Awaitable[Data | Retry | None]]:
    """``read`` for an optional step: a skip word (skip, ข้าม, -, …) leaves the field out."""

    async def read_or_skip(ctx: MemberContext, value: str) -> Data | Retry | None:
        return {} if is_skip(value) else await read(ctx, value)

    return read_or_skip
