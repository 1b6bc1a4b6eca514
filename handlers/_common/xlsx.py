"""Workbooks for Excel, the house way (openpyxl): one sheet per table with a bold coloured header row,
frozen and filtered, numbers as numbers with a thousands format, column widths from the content, and a
summary sheet first with a bar chart. Buddhist-Era dates are written as text the way the CSV exports
write them (20/11/2569), which every spreadsheet program shows as written.

Used by the activities and pledges exports, surveys, meetings, the term review and the SAR evidence pack.
"""

from __future__ import annotations

import io
from typing import Any

from bot.i18n import Translator

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WHOLE = "#,##0"
DECIMAL = "#,##0.00"
HOURS = "#,##0.0"
PERCENT = "0%"


def add_sheet(book: Any, title: str, header: list[str], rows: list[list[Any]], formats: dict[int, str]) -> Any:
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


def add_summary(book: Any, t: Translator, title: str, subtitle: str, header: list[str], rows: list[list[Any]],
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


def save(book: Any) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
