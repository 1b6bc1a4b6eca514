"""Multi-step flows declared as steps instead of ``if step == …`` chains.

A flow is a table of named :class:`Step`: each one asks its question, reads the answer
and names the step that follows. Reading returns the data to merge into the flow state,
or a :class:`Retry` (say why, stay on the step), or None when the step finished the
flow itself (a last step saves, or cancels). Register the table with
:meth:`bot.router.Router.steps`; :func:`begin` starts it. The state lives in the
database exactly as for any flow (``flow_states``: same transaction, TTL, survives a
restart); only the dispatch on its ``step`` is declared here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.model import Reply, Text

if TYPE_CHECKING:
    from bot.context import Context

Data = dict[str, Any]


@dataclass(frozen=True)
class Retry:
    """The answer could not be used: send ``message`` and wait for another on the same step."""

    message: Reply | str


@dataclass(frozen=True)
class Step:
    """One question of a flow. ``next`` is the following step's name, or a function of the
    flow's data (after merging this answer) that chooses it; None for a last step, whose
    ``read`` ends the flow itself."""

    ask: Callable[[Any], Awaitable[None]]
    read: Callable[[Any, str], Awaitable[Data | Retry | None]]
    next: str | Callable[[Data], str] | None = None


Steps = Mapping[str, Step]


async def run_steps(steps: Steps, ctx: Context) -> None:
    """Feed the input to the flow's current step, then move on and ask the next question."""
    assert ctx.flow is not None, "a flow handler runs only while its flow is active"
    step = steps.get(ctx.flow.step)
    if step is None:  # a step from an older version of the bot
        await ctx.end_flow()
        await ctx.reply(ctx.t("That conversation has expired. Please start again."))
        return
    await advance(steps, ctx, step, ctx.input.strip())


async def advance(steps: Steps, ctx: Context, step: Step, answer: str) -> None:
    """Read ``answer`` for ``step``; on success go to the following step and ask it."""
    result = await step.read(ctx, answer)
    if isinstance(result, Retry):
        await ctx.reply(result.message)
        return
    if result is None or step.next is None or ctx.flow is None:
        return  # the step ended the flow (or it was its last)
    following = step.next if isinstance(step.next, str) else step.next({**ctx.flow.data, **result})
    await ctx.goto(following, **result)
    await steps[following].ask(ctx)


async def begin(ctx: Context, name: str, step: str, data: Data | None = None, *, answer: str = "") -> None:
    """Start flow ``name`` at ``step``: ``answer`` (what followed the command, ``/need
    tablets``) is read as that step's answer; without one the step's question is asked."""
    steps = ctx.app.router.flows[name].steps
    assert steps is not None, f"flow {name!r} is not declared as steps"
    await ctx.start_flow(name, step, data)
    if answer.strip():
        await advance(steps, ctx, steps[step], answer.strip())
    else:
        await steps[step].ask(ctx)


# The values of the two buttons offered when a command interrupts a flow (never a step's answer).
RESUME, DISCARD = "~resume", "~discard"


async def offer_resume(ctx: Context) -> None:
    """After a command answered in the middle of a flow: the draft is kept until it expires;
    offer to go on with it or to drop it."""
    assert ctx.flow is not None
    until = ctx.t.datetime(ctx.local(ctx.flow.expires_at))
    await ctx.reply(Text(ctx.t("Your unfinished draft is kept until {time}. Continue it?", time=until),
                         buttons=[[ctx.flow_button(ctx.t("Continue"), RESUME),
                                   ctx.flow_button(ctx.t("Cancel"), DISCARD)]]))


async def resume(ctx: Context) -> None:
    """Ask the flow's current question again (a flow without steps waits for its answer)."""
    assert ctx.flow is not None
    steps = ctx.app.router.flows[ctx.flow.flow].steps
    step = steps.get(ctx.flow.step) if steps is not None else None
    if step is None:
        await ctx.reply(ctx.t("Let's go on: please send your answer to my last question."))
        return
    await step.ask(ctx)
