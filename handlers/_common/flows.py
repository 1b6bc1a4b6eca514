"""Steps shared by features' flows (see bot/flows.py): the confirm-or-cancel last step,
optional steps, and a photo sent in the middle of a flow."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.context import Context, MemberContext
from bot.flows import Data, Retry, Step
from handlers._common.parsing import PHOTO_MAX_BYTES, is_confirm, is_skip


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


async def take_photo(ctx: Context, flow: str, steps: Mapping[str, Step], *, moves_on_at: str) -> None:
    """A photo sent while ``flow`` runs becomes its draft's photo (base64 in the flow's data) and the
    current step is asked again; at step ``moves_on_at`` it moves on to "confirm" instead."""
    if ctx.flow is None or ctx.flow.flow != flow or ctx.member is None or not ctx.event.photo:
        return
    if len(ctx.event.photo) > PHOTO_MAX_BYTES:
        await ctx.reply(ctx.t("That photo is too large (at most 10 MB). Please send a smaller one."))
        return
    step = "confirm" if ctx.flow.step == moves_on_at else ctx.flow.step
    await ctx.goto(step, photo=base64.b64encode(ctx.event.photo).decode("ascii"))
    await ctx.reply(ctx.t("Photo received."))
    await steps[step].ask(ctx)
