"""XLSX exports of activities and pledges (issue 16): the web view, ``edunet export --format xlsx`` and
``/export activities|pledges [period] xlsx``.

One sheet per table with Thai headers, a frozen header row and an auto-filter, Buddhist-Era dates written
as the CSV writes them (20/11/2569: what a Thai reader types and reads, in any spreadsheet program),
numbers as numbers with a thousands format, and a summary sheet first (totals, with a bar chart).
"""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import Translator
from bot.numbers import unit_name
from handlers.activities.formats import _local, csv_date, status_name
from handlers.activities.vocabulary import AIMS, aim_label, category_label
from handlers.resources import sector_label, type_label

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WHOLE = "#,##0"
DECIMAL = "#,##0.00"
HOURS = "#,##0.0"


def _sheet(book: Any, title: str, header: list[str], rows: list[list[Any]], formats: dict[int, str]) -> Any:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title[:31])
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for row in rows:
        sheet.append(row)
    for column, number_format in formats.items():
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cell.number_format = number_format
    sheet.freeze_panes = "A2"
    if rows:
        sheet.auto_filter.ref = sheet.dimensions
    for index, title_text in enumerate(header, start=1):
        widest = max([len(str(title_text))] + [len(str(r[index - 1])) for r in rows[:500] if r[index - 1] is not None])
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(8, widest + 2))
    return sheet


def _summary(book: Any, t: Translator, title: str, subtitle: str, header: list[str], rows: list[list[Any]],
             chart_title: str) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    sheet = book.active
    sheet.title = t("Summary")[:31]
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([subtitle])
    sheet.append([])
    sheet.append(header)
    for cell in sheet[4]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    for (cell,) in sheet.iter_rows(min_row=5, min_col=2, max_col=2):
        cell.number_format = WHOLE
    sheet.column_dimensions["A"].width = 36
    for letter in "BCD":
        sheet.column_dimensions[letter].width = 16
    sheet.freeze_panes = "A5"
    if rows:
        chart = BarChart()
        chart.type = "bar"
        chart.title = chart_title
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=2, min_row=4, max_row=4 + len(rows)), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=5, max_row=4 + len(rows)))
        chart.height, chart.width = 7.5, 16
        sheet.add_chart(chart, "F4")


def _save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


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
