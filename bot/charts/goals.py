"""Progress towards goals: per goal a track up to its target, the part done, and a marker where
the goal should be by now at an even pace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.charts.bars import BAR, LABEL_GAP, ROW_GAP, STUB
from bot.charts.scale import count_ticks, format_number
from bot.charts.sheet import GREY, GRID, INK, LABEL, LINE, MARGIN, NOTE, RULE, TICK, Sheet, px

if TYPE_CHECKING:
    from bot.i18n import Translator

TRACK, DONE, EXPECTED = "#e6e9ee", "#2a7f62", INK


@dataclass(frozen=True)
class GoalRow:
    """One goal: what is done, its target, where an even pace would be today, and its unit (คน, ชั่วโมง…)."""

    label: str
    actual: float
    target: float
    expected: float
    unit: str = ""

    def percent(self, value: float) -> float:
        return 100 * value / self.target if self.target > 0 else 0.0


def draw_goals(title: str, goals: Sequence[GoalRow], *, t: Translator, subtitle: str = "") -> Sheet:
    sheet = Sheet()
    sheet.header(title, subtitle)
    sheet.legend([(t("Done so far"), DONE, "box"), (t("Expected by now"), EXPECTED, "tick")])
    ticks = count_ticks(max([100.0] + [g.percent(g.actual) for g in goals] + [g.percent(g.expected) for g in goals]))
    scale = sheet.room / ticks[-1]
    for goal in goals:
        sheet.paragraph(goal.label, LABEL)
        done = t("{actual} of {target}", actual=format_number(goal.actual), target=format_number(goal.target))
        unit = f" {goal.unit}" if goal.unit else ""
        sheet.paragraph(f"{done}{unit} · {goal.percent(goal.actual):.0f}%", NOTE, colour=GREY)
        sheet.y += LABEL_GAP
        top = sheet.y
        for tick in ticks[1:]:
            sheet.line(MARGIN + tick * scale, top - 4, MARGIN + tick * scale, top + BAR + 4, GRID)
        sheet.rect(MARGIN, top, 100 * scale, BAR, TRACK, zorder=1.5)
        sheet.rect(MARGIN, top, max(goal.percent(goal.actual) * scale, STUB), BAR, DONE)
        marker = MARGIN + goal.percent(goal.expected) * scale
        sheet.rect(marker - 4, top - 9, 8, BAR + 18, "white", zorder=2.4)  # a halo: the marker shows on the fill too
        sheet.rect(marker - 2, top - 7, 4, BAR + 14, EXPECTED, zorder=2.5)
        sheet.line(MARGIN, top - 4, MARGIN, top + BAR + 4, RULE, 1.2)
        sheet.y = top + BAR + ROW_GAP
    sheet.line(MARGIN, sheet.y, MARGIN + sheet.room, sheet.y, RULE, 0.8)
    sheet.y += 4
    for tick in ticks:
        sheet.text(MARGIN + tick * scale, sheet.y, f"{tick}%", TICK, colour=GREY,
                   align="right" if tick == ticks[-1] else "center")
    sheet.y += px(TICK) * LINE
    return sheet


def goal_progress(title: str, goals: Sequence[GoalRow], *, t: Translator, subtitle: str = "") -> bytes:
    """A progress bar per goal (done against target, with the expected-pace marker)."""
    return draw_goals(title, goals, t=t, subtitle=subtitle).png()
