"""The PLC logbook (issue 15): groups of teachers with a facilitator, sessions logged step by
step or in one line with check-in by tap, hours per teacher per academic year against the
network's target, and the memo-ready export (XLSX/CSV).

Inside: ``vocabulary`` (the PLC steps) <- ``common`` (target, year, cards) <- ``groups``,
``sessions`` <- ``attendance``, ``hours``, ``export`` <- ``routes`` (the /plc command).
"""

from __future__ import annotations

from bot.router import Router
from handlers.plc import attendance, groups, routes, sessions

__all__ = ["ORDER", "router"]

ORDER = 25
router = Router()
for _part in (routes, groups, sessions, attendance):
    router.include(_part.router)
