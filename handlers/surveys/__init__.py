"""Stakeholder surveys and quick polls.

``create`` is the guided /survey builder, ``routes`` everything after publishing
(answering, live counts, reminders, closing, /results, the CSV export), ``service`` the
work both share (publishing among it), ``logic`` answers and statistics, ``views`` the
cards. Imports run views/logic <- service <- create, routes; never back.
"""

from __future__ import annotations

from bot.router import Router
from handlers.surveys import create, routes

ORDER = routes.ORDER
router = Router()
router.include(create.router)
router.include(routes.router)
