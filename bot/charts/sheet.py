"""A chart laid out in pixels, then drawn with matplotlib in one go.

Every chart is 1040 px wide (a phone shows it full width) and as tall as its rows need. Layout is
done here, not by matplotlib's axes: text is measured with the Agg renderer that will draw it, so
a label is wrapped to the room it really has and the next row starts below its last line. The font
is Sarabun from the fontpkg-sarabun wheel, so no system font is needed; matplotlib is imported
on the first chart, not at start-up (the import costs over a second).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from bot.charts.wrap import wrap_phrases

WIDTH = 1040
DPI = 160  # 1040 px = 6.5 in: 14 pt is 31 px, about 12 px once a phone scales the image to its width
MARGIN = 28
LINE = 1.6  # line pitch in ems: Thai stacks marks up to 1.25 em above the baseline, vowels 0.35 em below
ASCENT = 1.25
MIDDLE = 0.33  # the middle of digits and Thai letters, in ems above the baseline

TITLE, SUBTITLE, LABEL, VALUE, TICK, NOTE = 17.0, 14.0, 14.0, 13.0, 12.0, 12.0  # points, all ≥ 11

INK, GREY, RULE, GRID = "#1f2328", "#5b6470", "#8a929c", "#e3e6ea"

_lock = threading.RLock()  # matplotlib's font cache is not thread-safe

Align = Literal["left", "center", "right"]


@lru_cache(maxsize=1)
def _matplotlib() -> dict[str, Any]:
    """The matplotlib pieces the charts use, imported on the first chart."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle

    canvas: Any = FigureCanvasAgg(Figure(dpi=DPI))  # its renderer measures text as it will be drawn
    return {"Canvas": FigureCanvasAgg, "Figure": Figure, "FontProperties": FontProperties, "Line2D": Line2D,
            "Rectangle": Rectangle, "renderer": canvas.get_renderer()}


@lru_cache(maxsize=None)  # a handful of sizes
def _font(size: float, bold: bool) -> Any:
    import fontpkg_sarabun

    folder = Path(fontpkg_sarabun.__file__).resolve().parent / "files"
    name = "Sarabun-Bold.ttf" if bold else "Sarabun-Regular.ttf"
    return _matplotlib()["FontProperties"](fname=str(folder / name), size=size)


def px(points: float) -> float:
    return points * DPI / 72


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels, y growing downwards."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (self.x < other.x + other.w and other.x < self.x + self.w
                and self.y < other.y + other.h and other.y < self.y + self.h)


def flow(widths: Sequence[float], room: float, gap: float) -> list[tuple[int, float]]:
    """Place items of the given widths left to right in lines of ``room``: (line, x) of each."""
    placed: list[tuple[int, float]] = []
    line, x = 0, 0.0
    for width in widths:
        if x > 0 and x + width > room:
            line, x = line + 1, 0.0
        placed.append((line, x))
        x += width + gap
    return placed


class Sheet:
    """A white page 1040 px wide with a cursor ``y`` that moves down as blocks are added."""

    def __init__(self) -> None:
        self.y = float(MARGIN)
        self.texts: list[tuple[str, Box]] = []  # what was written where, and every filled box: for tests
        self.boxes: list[Box] = []
        self._draw: list[Callable[[Any, float], None]] = []

    @property
    def room(self) -> float:
        """The width inside the margins."""
        return WIDTH - 2 * MARGIN

    def measure(self, text: str, size: float, bold: bool = False) -> float:
        return self._metrics(text, size, bold)[0]

    def _metrics(self, text: str, size: float, bold: bool) -> tuple[float, float, float]:
        """Width, height and descent in pixels, as matplotlib lays the text out (at least those of "lp")."""
        with _lock:
            measure = _matplotlib()["renderer"].get_text_width_height_descent
            width, height, descent = measure(text, _font(size, bold), False)
            _, lp_height, lp_descent = measure("lp", _font(size, bold), False)
        return float(width), float(max(height, lp_height)), float(max(descent, lp_descent))

    def wrap(self, text: str, size: float, width: float, bold: bool = False) -> list[str]:
        return wrap_phrases(text, width, lambda line: self.measure(line, size, bold))

    def text(self, x: float, top: float, text: str, size: float, *, bold: bool = False, colour: str = INK,
             align: Align = "left") -> Box:
        """One line of text whose line box starts at ``top``; ``x`` is its left, centre or right."""
        width, tall, descent = self._metrics(text, size, bold)
        left = {"left": x, "center": x - width / 2, "right": x - width}[align]
        baseline = top + px(size) * ASCENT
        self.texts.append((text, Box(left, baseline + descent - tall, width, tall)))

        def draw(figure: Any, height: float) -> None:
            figure.text(left / WIDTH, 1 - baseline / height, text, fontproperties=_font(size, bold), color=colour,
                        ha="left", va="baseline", zorder=3)

        self._draw.append(draw)
        return self.texts[-1][1]

    def text_beside(self, x: float, middle: float, text: str, size: float, *, colour: str = INK,
                    align: Align = "left") -> Box:
        """One line of text centred on the height ``middle`` (of a bar), by the middle of its letters."""
        return self.text(x, middle - px(size) * (ASCENT - MIDDLE), text, size, colour=colour, align=align)

    def paragraph(self, text: str, size: float, *, bold: bool = False, colour: str = INK, x: float = MARGIN,
                  width: float | None = None) -> int:
        """Wrapped text at the cursor, which moves below it; returns the number of lines."""
        lines = self.wrap(text, size, width or self.room, bold)
        for line in lines:
            self.text(x, self.y, line, size, bold=bold, colour=colour)
            self.y += px(size) * LINE
        return len(lines)

    def rect(self, x: float, y: float, w: float, h: float, colour: str, zorder: float = 2) -> None:
        self.boxes.append(Box(x, y, w, h))

        def draw(figure: Any, height: float) -> None:
            figure.add_artist(_matplotlib()["Rectangle"](
                (x / WIDTH, 1 - (y + h) / height), w / WIDTH, h / height, transform=figure.transFigure,
                facecolor=colour, edgecolor="none", zorder=zorder))

        self._draw.append(draw)

    def line(self, x0: float, y0: float, x1: float, y1: float, colour: str, width: float = 1.0,
             zorder: float = 1) -> None:
        """A line ``width`` points thick."""
        def draw(figure: Any, height: float) -> None:
            figure.add_artist(_matplotlib()["Line2D"](
                [x0 / WIDTH, x1 / WIDTH], [1 - y0 / height, 1 - y1 / height], transform=figure.transFigure,
                color=colour, linewidth=width, solid_capstyle="butt", zorder=zorder))

        self._draw.append(draw)

    def header(self, title: str, subtitle: str) -> None:
        """The bold title (network and period) and the measure's name under it."""
        self.paragraph(title, TITLE, bold=True)
        if subtitle:
            self.y += 2
            self.paragraph(subtitle, SUBTITLE, colour=GREY)
        self.y += 14

    def legend(self, entries: Sequence[tuple[str, str, Literal["box", "tick"]]]) -> None:
        """Swatch-and-name entries (name, colour, shape) flowing across the width, at the cursor."""
        swatch, inner, gap = px(LABEL) * 0.8, 10.0, 28.0
        widths = [swatch + inner + self.measure(name, NOTE) for name, _, _ in entries]
        line_height = px(NOTE) * LINE
        placed = flow(widths, self.room, gap)
        for (name, colour, shape), (line, x) in zip(entries, placed):
            top = self.y + line * line_height
            left = MARGIN + x
            middle = top + line_height / 2
            if shape == "box":
                self.rect(left, middle - swatch / 2, swatch, swatch, colour)
            else:
                self.rect(left + swatch / 2 - 2, middle - swatch / 2 - 3, 4, swatch + 6, colour)
            self.text_beside(left + swatch + inner, middle, name, NOTE)
        self.y += (placed[-1][0] + 1) * line_height + 16 if placed else 0

    def figure(self) -> Any:
        """The finished chart as a matplotlib Figure, MARGIN below the cursor."""
        height = math.ceil(self.y + MARGIN)
        with _lock:
            figure = _matplotlib()["Figure"](figsize=(WIDTH / DPI, height / DPI), dpi=DPI, facecolor="white")
            _matplotlib()["Canvas"](figure)
            for draw in self._draw:
                draw(figure, height)
        return figure

    def png(self) -> bytes:
        figure = self.figure()
        with _lock:
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
        return buffer.getvalue()
