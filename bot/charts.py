"""Chart images (PNG) with a Thai-capable font that ships with the package (Sarabun,
from the fontpkg-sarabun wheel), so no system font is needed."""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

_lock = threading.Lock()  # matplotlib's font cache is not thread-safe


@lru_cache(maxsize=1)
def _matplotlib() -> tuple[Any, Any]:
    """matplotlib's font manager and Figure, imported on the first chart: the import costs over a
    second, which every start-up (`edunet --help`, a console script) would otherwise pay."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    return font_manager, Figure


@lru_cache(maxsize=1)
def thai_font_family() -> str:
    """Register Sarabun with matplotlib and return its family name."""
    import fontpkg_sarabun

    font_manager, _ = _matplotlib()

    folder = Path(fontpkg_sarabun.__file__).resolve().parent / "files"
    for name in ("Sarabun-Regular.ttf", "Sarabun-Bold.ttf"):
        font_manager.fontManager.addfont(str(folder / name))
    return font_manager.FontProperties(fname=str(folder / "Sarabun-Regular.ttf")).get_name()


def bar_chart(title: str, categories: list[str], series: dict[str, list[float]], *,
              value_label: str = "", horizontal: bool = False, width: float = 8.0, height: float = 4.5) -> bytes:
    """A grouped bar chart as PNG bytes. ``series`` maps a legend label to one value per category."""
    family = thai_font_family()
    _, Figure = _matplotlib()
    with _lock:
        figure = Figure(figsize=(width, height), dpi=110)
        axes = figure.add_subplot()
        count = max(1, len(series))
        bar = 0.8 / count
        positions = list(range(len(categories)))
        for index, (label, values) in enumerate(series.items()):
            offsets = [p - 0.4 + bar * (index + 0.5) for p in positions]
            if horizontal:
                axes.barh(offsets, values, height=bar, label=label)
            else:
                axes.bar(offsets, values, width=bar, label=label)
        font = {"family": family}
        if horizontal:
            axes.set_yticks(positions, categories, fontdict=font)
            axes.invert_yaxis()
            axes.set_xlabel(value_label, fontdict=font)
        else:
            axes.set_xticks(positions, categories, fontdict=font, rotation=0)
            axes.set_ylabel(value_label, fontdict=font)
        axes.set_title(title, fontdict={"family": family, "size": 14})
        if len(series) > 1:
            axes.legend(prop={"family": family})
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()
