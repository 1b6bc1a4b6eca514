"""Rating questions as a diverging bar: the answers above the middle of the scale to the right of
zero, those below it to the left, the middle level split across zero, one row per question."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.charts.bars import BAR, LABEL_GAP, ROW_GAP
from bot.charts.sheet import GREY, GRID, INK, LABEL, LINE, MARGIN, NOTE, RULE, TICK, VALUE, Sheet, px

if TYPE_CHECKING:
    from bot.i18n import Translator

LEVELS = 5
# Very high … very low: blues for agreement, oranges for disagreement, grey for the middle.
COLOURS = ("#1d5b94", "#6fa3d6", "#c4c8cc", "#f2a66b", "#c4561c")
ON_DARK = (True, False, False, False, True)
AXIS_STEPS = (25, 50, 75, 100)


@dataclass(frozen=True)
class LikertRow:
    """One question: its label, the number of answers at each level (the highest level first) and
    the name of the level its mean falls in (shown beside the mean)."""

    label: str
    counts: Sequence[int]
    level: str = ""

    @property
    def n(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        """The mean on the 5 (highest) … 1 (lowest) scale."""
        return sum((LEVELS - i) * c for i, c in enumerate(self.counts)) / self.n if self.n else None

    def shares(self) -> list[float]:
        """Per cent of the answers at each level."""
        return [100 * c / self.n if self.n else 0.0 for c in self.counts]


def draw_likert(title: str, rows: Sequence[LikertRow], *, levels: Sequence[str], t: Translator,
                subtitle: str = "") -> Sheet:
    if len(levels) != LEVELS or any(len(row.counts) != LEVELS for row in rows):
        raise ValueError(f"a Likert chart has {LEVELS} levels")
    sheet = Sheet()
    sheet.header(title, subtitle)
    # in the bars' order, lowest level on the left, so each swatch sits above its colour
    sheet.legend([(levels[level], COLOURS[level], "box") for level in reversed(range(LEVELS))])
    reach = max((max(sum(s[:2]) + s[2] / 2, sum(s[3:]) + s[2] / 2) for s in (r.shares() for r in rows)),
                default=0.0)
    axis = next(step for step in AXIS_STEPS if step >= reach - 1e-9)
    centre = MARGIN + sheet.room / 2
    scale = sheet.room / 2 / axis
    ticks = range(-axis, axis + 1, 25)
    for row in rows:
        sheet.paragraph(row.label, LABEL)
        mean = row.mean
        note = f"n = {row.n:,}" if mean is None else t("n = {n} · mean {mean}", n=f"{row.n:,}", mean=f"{mean:.2f}")
        if mean is not None and row.level:
            note += f" ({row.level})"
        sheet.paragraph(note, NOTE, colour=GREY)
        sheet.y += LABEL_GAP
        top = sheet.y
        for tick in ticks:
            sheet.line(centre + tick * scale, top - 4, centre + tick * scale, top + BAR + 4, GRID)
        shares = row.shares()
        x = centre - (shares[2] / 2 + shares[3] + shares[4]) * scale
        for level in (4, 3, 2, 1, 0):
            width = shares[level] * scale
            if width <= 0:
                continue
            sheet.rect(x, top, width, BAR, COLOURS[level])
            label = f"{shares[level]:.0f}%"
            if sheet.measure(label, VALUE) + 8 <= width:
                sheet.text_beside(x + width / 2, top + BAR / 2, label, VALUE,
                                  colour="white" if ON_DARK[level] else INK, align="center")
            x += width
        sheet.line(centre, top - 4, centre, top + BAR + 4, RULE, 1.2)
        sheet.y = top + BAR + ROW_GAP
    sheet.line(MARGIN, sheet.y, MARGIN + sheet.room, sheet.y, RULE, 0.8)
    sheet.y += 4
    for tick in ticks:
        sheet.text(centre + tick * scale, sheet.y, f"{abs(tick)}%", TICK, colour=GREY,
                   align="left" if tick == -axis else "right" if tick == axis else "center")
    sheet.y += px(TICK) * LINE
    return sheet


def likert_chart(title: str, rows: Sequence[LikertRow], *, levels: Sequence[str], t: Translator,
                 subtitle: str = "") -> bytes:
    """A diverging bar per rating question with its n and mean; ``levels`` names the five levels,
    the highest first (มากที่สุด … น้อยที่สุด)."""
    return draw_likert(title, rows, levels=levels, t=t, subtitle=subtitle).png()
