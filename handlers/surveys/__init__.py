"""Stakeholder surveys and quick polls.

``create`` is the guided /survey builder, ``routes`` everything after publishing
(answering, live counts, reminders, closing, /results, the CSV export), ``service`` the
work both share (publishing among it), ``logic`` answers and statistics, ``views`` the
cards. Imports run views/logic <- service <- create, routes; never back.
"""

from __future__ import annotations

from bot.router import Router
from handlers.surveys import create, routes
from handlers.surveys.logic import MIN_CELL, audience_count, export_comments_csv, survey_stats, surveys_stats
from handlers.surveys.results_view import ResultsData, describe, results_charts, results_page_data
from handlers.surveys.xlsx import exportable, survey_xlsx

__all__ = ["MIN_CELL", "ORDER", "ResultsData", "audience_count", "describe", "export_comments_csv",
           "results_charts", "exportable", "results_page_data", "router", "survey_stats", "survey_xlsx",
           "surveys_stats"]

ORDER = routes.ORDER
router = Router()
router.include(create.router)
router.include(routes.router)
