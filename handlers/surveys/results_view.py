"""A survey's results as data for a page or a workbook (the web view, the XLSX export): the figures
/results shows, with the same anonymity rules (``logic.survey_stats``: nothing under five answers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.context import BaseContext
from bot.i18n import Translator
from bot.model import Image
from handlers.surveys.logic import MIN_CELL, RATING_LABELS, SurveyStats, rating_level, survey_stats
from handlers.surveys.views import chart_images, kind_label, option_labels
from storage.surveys import Survey


@dataclass
class ResultsData:
    stats: SurveyStats
    questions: list[dict[str, Any]] = field(default_factory=list)
    breakdowns: list[dict[str, Any]] = field(default_factory=list)
    min_cell: int = MIN_CELL

    @property
    def chart_count(self) -> int:
        shown = [q for q in self.stats.questions if q.answered and not q.suppressed]
        if self.stats.suppressed:
            return 0
        ratings = any(q.question.kind == "rating" and q.mean is not None for q in shown)
        choices = sum(1 for q in shown if q.question.kind in ("single", "multi"))
        from handlers.surveys.views import MOST_CHARTS

        return int(ratings) + min(choices, MOST_CHARTS - int(ratings))


def describe(t: Translator, stats: SurveyStats) -> ResultsData:
    data = ResultsData(stats)
    for q in stats.questions:
        row: dict[str, Any] = {"position": q.question.position, "text": q.question.text,
                               "kind": kind_label(t, q.question.kind), "answered": q.answered,
                               "suppressed": stats.suppressed or q.suppressed, "options": [], "texts": [],
                               "mean": None, "sd": None, "level": ""}
        if not row["suppressed"]:
            if q.question.kind == "text":
                row["texts"] = list(q.texts)  # sorted by survey_stats: never in the order of answering
            else:
                row["options"] = [(label, q.counts[i], round(q.percent(i)))
                                  for i, label in enumerate(option_labels(t, q.question))]
            if q.mean is not None and q.sd is not None:
                row["mean"], row["sd"] = f"{q.mean:.2f}", f"{q.sd:.2f}"
                row["level"] = t(RATING_LABELS[rating_level(q.mean)])
        data.questions.append(row)
    for b in stats.breakdowns:
        label = t(b.label) if b.kind == "role" else (b.label or t("no organisation"))
        data.breakdowns.append({"label": label, "kind": b.kind, "answered": b.answered, "total": b.total,
                                "suppressed": b.suppressed,
                                "rate": round(100 * b.answered / b.total) if b.total else 0})
    return data


async def results_page_data(ctx: BaseContext, survey: Survey) -> ResultsData:
    return describe(ctx.t, await survey_stats(ctx, survey))


def results_charts(t: Translator, stats: SurveyStats) -> list[Image]:
    """The chart images /results sends (none while the results are hidden)."""
    return [] if stats.suppressed else chart_images(t, stats, stats.survey.title)
