"""The contract between the progress summary and the features it reports on.

A feature contributes to ``/summary`` and the weekly summary by declaring a section on
its router (``order`` places it on the card, lower first)::

    @router.summary_section(order=30)
    async def surveys_section(ctx: BaseContext, period: Period) -> SummarySection | None

It must only read (never write), scope every query to ``ctx.network``, and return None
when it has nothing to say about the period.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal


@dataclass(frozen=True)
class Period:
    """A reporting period, [start, end) in UTC, and the one before it for comparison."""

    start: datetime
    end: datetime
    previous_start: datetime
    previous_end: datetime


@dataclass(frozen=True)
class SummaryChart:
    """The figures of one measure's chart; the summary draws it, titled with the network and period.

    ``kind`` says what the two values of a row are: ``"periods"`` this period and the previous one
    (activities by aim), ``"pledged"`` pledged and delivered (resources by channel), ``"goals"`` done
    so far and expected by now at an even pace, against ``targets`` (label -> (target, unit)) ."""

    measure: str
    rows: dict[str, tuple[float, float]]
    unit: str
    kind: Literal["periods", "pledged", "goals"] = "periods"
    targets: dict[str, tuple[float, str]] = field(default_factory=dict)


@dataclass
class SummarySection:
    """One part of the summary card, already in the reader's language."""

    title: str
    lines: list[str] = field(default_factory=list)
    # One chart per measure, in the order they are sent.
    charts: list[SummaryChart] = field(default_factory=list)
    # Progress bars for the card: (label, value, total).
    progress: list[tuple[str, float, float]] = field(default_factory=list)
