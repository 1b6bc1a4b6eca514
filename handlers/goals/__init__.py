"""The network's goals with live targets and the term review (PDCA): /goals, /setgoal, /review, the
goals' part of the progress summary (one line per goal and a goals panel) and the review's CSV export.

Inside: ``vocabulary`` (target kinds, reading a target written on one line) <- ``progress`` (measuring,
pace, cards, the summary section) <- ``routes`` (/goals, /setgoal, manual reports) and ``review``.
Storage: ``storage.goals`` (goals, targets, measures) and ``storage.goals.reviews``.
"""

from __future__ import annotations

from bot.router import Router
from handlers.goals import progress, review, routes
from handlers.goals.progress import target_line, year_progress
from handlers.goals.review import build_check, review_rows
from handlers.goals.review_xlsx import term_review_xlsx

__all__ = ["ORDER", "build_check", "review_rows", "term_review_xlsx", "router", "target_line", "year_progress"]

ORDER = 35
router = Router()
for _part in (routes, review, progress):
    router.include(_part.router)
