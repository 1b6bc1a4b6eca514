"""The activities log: /log (guided or one line), /activities (paginated, editable),
photos, the activities part of the progress summary, and the CSV exports (/export).

Inside: ``vocabulary`` (aims, kinds) <- ``cards`` <- ``log`` <- ``listing``; ``summary``
and ``export`` stand alone.
"""

from __future__ import annotations

from bot.router import Router
from handlers.activities import export, listing, log, summary
from handlers.activities.export import build_export, to_csv, run_cli_export
from handlers.activities.formats import csv_date
from handlers.activities.xlsx import XLSX_MIME
from handlers.activities.vocabulary import AIMS, aim_label, category_label, parse_category

__all__ = ["AIMS", "ORDER", "XLSX_MIME", "aim_label", "build_export", "category_label", "csv_date", "parse_category", "router", "run_cli_export",
           "to_csv"]

ORDER = 20
router = Router()
for _part in (log, listing, export, summary):
    router.include(_part.router)
