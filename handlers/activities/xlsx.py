"""XLSX exports of activities and pledges (issue 16): the web view, ``edunet export --format xlsx`` and
``/export activities|pledges [period] xlsx``.

One sheet per table with Thai headers, a frozen header row and an auto-filter, Buddhist-Era dates written
as the CSV writes them (20/11/2569: what a Thai reader types and reads, in any spreadsheet program),
numbers as numbers with a thousands format, and a summary sheet first (totals, with a bar chart).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.numbers import unit_name
from handlers._common.xlsx import DECIMAL, HOURS, WHOLE, XLSX_MIME
from handlers._common.xlsx import add_sheet as _sheet
from handlers._common.xlsx import add_summary as _summary
from handlers._common.xlsx import save as _save
from handlers.activities.formats import _local, csv_date, status_name
from handlers.activities.vocabulary import AIMS, aim_label, category_label
from handlers.resources import sector_label, type_label

__all__ = ["DECIMAL", "HOURS", "WHOLE", "XLSX_MIME", "activities_xlsx", "pledges_xlsx"]


def _amount(value: Decimal | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def activities_xlsx(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo, *, network: str, span: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    counts: Counter[str] = Counter(r["aim"] for r in rows)
    people: defaultdict[str, int] = defaultdict(int)
    hours: defaultdict[str, float] = defaultdict(float)
    for r in rows:
        people[r["aim"]] += r["participants"] or 0
        hours[r["aim"]] += (r["minutes"] or 0) / 60
    _summary(book, t, t("Activities of {network}", network=network), span,
             [t("Aim"), t("Activities"), t("Participants"), t("Hours")],
             [[aim_label(t, code), counts[code], people[code], round(hours[code], 1)] for code in AIMS],
             t("Activities by aim"))
    header = [t("No."), t("Date"), t("Title"), t("Kind"), t("Aim"), t("Organisation"), t("Participants"),
              t("Hours"), t("Notes"), t("Logged by"), t("Logged at")]
    body = [[r["number"], csv_date(t, r["activity_date"]), r["title"], category_label(t, r["category"]),
             aim_label(t, r["aim"]), r["organisation_name"] or "", r["participants"],
             round(r["minutes"] / 60, 2) if r["minutes"] else None, r["notes"] or "", r["author_name"] or "",
             _local(t, r["created_at"], tz)] for r in rows]
    _sheet(book, t("Activities"), header, body, {7: WHOLE, 8: HOURS})
    return _save(book)


def pledges_xlsx(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo, *, network: str, span: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    by_type: Counter[str] = Counter(r["resource_type"] for r in rows if r["status"] != "cancelled")
    delivered: Counter[str] = Counter(r["resource_type"] for r in rows if r["status"] == "delivered")
    _summary(book, t, t("Pledges of {network}", network=network), span,
             [t("Type"), t("Number of pledges"), t("Delivered")],
             [[type_label(t, code), n, delivered[code]] for code, n in sorted(by_type.items())],
             t("Pledges by resource type"))
    header = [t("No."), t("Pledged at"), t("By"), t("Type"), t("Source"), t("Amount"), t("Unit"), t("Expected"),
              t("Status"), t("Delivered at"), t("Need no."), t("Need"), t("Need's organisation"), t("Note"),
              t("Delivery note")]
    body = [[r["number"], _local(t, r["created_at"], tz), r["pledger_name"] or "", type_label(t, r["resource_type"]),
             sector_label(t, r["source_sector"]), _amount(r["amount"]), unit_name(r["unit"], t.lang),
             csv_date(t, r["expected_date"]), status_name(t, r["status"]), _local(t, r["delivered_at"], tz),
             r["need_number"], r["need_description"] or "", r["need_organisation"] or "", r["note"] or "",
             r["delivery_note"] or ""] for r in rows]
    money = any(r["amount"] is not None and r["amount"] % 1 for r in rows)
    _sheet(book, t("Pledge list"), header, body, {6: DECIMAL if money else WHOLE})
    return _save(book)
