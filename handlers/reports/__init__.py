"""Reports that draw on several features: the SAR evidence pack per school and academic year
(``/export sar``, the web view, ``edunet export sar``) and its standard/PDCA mapping.

Inside: ``mapping`` (the default mapping and the coordinator's changes) <- ``sar`` (collecting the
evidence, the workbook) <- ``export`` (the /export word and the CLI).
"""

from __future__ import annotations

from bot.router import Router
from handlers.reports import export
from handlers.reports.export import find_school, run_cli_report, school_pack
from handlers.reports.mapping import KINDS, PDCA, STANDARDS, changed, current_mapping, standard_label, step_label

__all__ = ["KINDS", "ORDER", "find_school", "PDCA", "STANDARDS", "changed", "current_mapping", "router", "run_cli_report", "school_pack",
           "standard_label", "step_label"]

ORDER = 47
router = Router()
router.include(export.router)
