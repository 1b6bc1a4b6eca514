"""Bar charts whose rows are categories: the label on its own line(s) across the full width, its
bars under it. A phone has no room for a label column beside the bars, and Thai labels are long."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.charts.scale import count_ticks, format_baht, format_number, value_ticks
from bot.charts.sheet import GREY, GRID, LABEL, LINE, MARGIN, RULE, TICK, VALUE, Sheet, px

BAR, BAR_GAP, LABEL_GAP, ROW_GAP = 34.0, 8.0, 4.0, 22.0
STUB = 3.0  # a zero is drawn as a stub this wide, with its "0", so it reads as zero rather than missing
VALUE_GAP = 8.0

THIS_PERIOD, PREVIOUS_PERIOD = "#1b5e9e", "#a3c1e0"
PLEDGED, DELIVERED = "#f0a04b", "#2a7f62"


@dataclass(frozen=True)
class Series:
    """One value per category, drawn in one colour and named in the legend."""

    name: str
    values: Sequence[float]
    colour: str


def draw_bars(title: str, labels: Sequence[str], series: Sequence[Series], *, unit: str, whole: bool,
              subtitle: str = "", note: str = "", text: Callable[[float], str] = format_number) -> Sheet:
    """Rows of horizontal bars, a value printed at the end of each bar, ticks and ``unit`` at the foot.
    ``whole`` says the measure is a count, so its ticks are whole numbers."""
    sheet = Sheet()
    sheet.header(title, subtitle)
    if note:
        sheet.paragraph(note, VALUE, colour=GREY)
        sheet.y += 8
    if len(series) > 1:
        sheet.legend([(s.name, s.colour, "box") for s in series])
    rows = [[s.values[i] for s in series] for i in range(len(labels))]
    top = max((value for row in rows for value in row), default=0.0)
    ticks: Sequence[float] = count_ticks(top) if whole else value_ticks(top)
    widest = max((sheet.measure(text(value), VALUE) for row in rows for value in row), default=0.0)
    span = sheet.room - widest - VALUE_GAP
    scale = span / ticks[-1]
    for label, row in zip(labels, rows):
        sheet.paragraph(label, LABEL)
        sheet.y += LABEL_GAP
        block = sheet.y
        for one, value in zip(series, row):
            width = max(value * scale, STUB)
            sheet.rect(MARGIN, sheet.y, width, BAR, one.colour)
            sheet.text_beside(MARGIN + width + VALUE_GAP, sheet.y + BAR / 2, text(value), VALUE)
            sheet.y += BAR + BAR_GAP
        bottom = sheet.y - BAR_GAP
        for tick in ticks[1:]:
            sheet.line(MARGIN + tick * scale, block - 4, MARGIN + tick * scale, bottom + 4, GRID)
        sheet.line(MARGIN, block - 4, MARGIN, bottom + 4, RULE, 1.2)
        sheet.y += ROW_GAP - BAR_GAP
    sheet.line(MARGIN, sheet.y, MARGIN + span, sheet.y, RULE, 0.8)
    sheet.y += 4
    for tick in ticks:
        sheet.text(MARGIN + tick * scale, sheet.y, format_number(tick), TICK, colour=GREY, align="center")
    sheet.y += px(TICK) * LINE
    if unit:
        sheet.y += 2
        sheet.paragraph(unit, TICK, colour=GREY, x=MARGIN, width=span)
    return sheet


def activities_by_aim(title: str, aims: Mapping[str, tuple[int, int]], *, this_period: str,
                      previous_period: str, unit: str, subtitle: str = "") -> bytes:
    """Activities per aim, this period against the previous one: ``aims`` maps an aim's name to
    (this period's count, the previous period's)."""
    return draw_bars(title, list(aims), [
        Series(this_period, [now for now, _ in aims.values()], THIS_PERIOD),
        Series(previous_period, [before for _, before in aims.values()], PREVIOUS_PERIOD),
    ], unit=unit, whole=True, subtitle=subtitle).png()


def resources_by_channel(title: str, channels: Mapping[str, tuple[float, float]], *, pledged: str,
                         delivered: str, unit: str, money: bool, subtitle: str = "") -> bytes:
    """Resources pledged and delivered per channel: ``channels`` maps a channel's name to (pledged,
    delivered), in baht when ``money`` (thousands separators, satang only if any) or else a count."""
    return draw_bars(title, list(channels), [
        Series(pledged, [promised for promised, _ in channels.values()], PLEDGED),
        Series(delivered, [received for _, received in channels.values()], DELIVERED),
    ], unit=unit, whole=True, subtitle=subtitle, text=format_baht if money else format_number).png()


def choice_counts(title: str, question: str, counts: Mapping[str, int], *, respondents: int, unit: str) -> bytes:
    """Answers to a single- or multiple-choice question: a count per option, with its share of the
    ``respondents`` (shares of a multiple-choice question may add up to more than 100 %)."""
    def text(value: float) -> str:
        share = f" ({value / respondents:.0%})" if respondents else ""
        return format_number(value) + share

    return draw_bars(title, list(counts), [Series("", list(counts.values()), THIS_PERIOD)], unit=unit, whole=True,
                     subtitle=question, note=f"n = {respondents:,}", text=text).png()
