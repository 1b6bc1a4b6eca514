"""The term review as an XLSX workbook (``/export review 2569/1 xlsx``, the web view, the CLI): a summary
sheet (activities by aim this term against the previous one, with a chart), the review's table (the
CSV's rows, numbers as numbers) and the goals' targets on a sheet of their own."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.i18n import Translator
from handlers._common.xlsx import DECIMAL, XLSX_MIME, add_sheet, add_summary, save
from handlers.activities import AIMS, aim_label, csv_date
from handlers.goals.progress import PACE_NAMES
from handlers.goals.vocabulary import target_title

__all__ = ["XLSX_MIME", "term_review_xlsx"]


def _value(text: Any) -> Any:
    """"12.5" → 12.5, "30" → 30 (the check keeps numbers as text); anything else as it is."""
    if not isinstance(text, str) or not text:
        return text if text != "" else None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    return int(number) if number == number.to_integral_value() else float(number)


def term_review_xlsx(t: Translator, check: dict[str, Any], table: tuple[list[str], list[list[Any]]], *,
                network: str) -> bytes:
    """``table``: the review's rows (``review.review_rows``)."""
    from openpyxl import Workbook

    book = Workbook()
    start, end = date.fromisoformat(check["start"]), date.fromisoformat(check["end"])
    span = f"{csv_date(t, start)}–{csv_date(t, end - timedelta(days=1))}"
    now, before = check["now"], check["before"]
    add_summary(book, t, t("Term review {term} of {network}", term=check["term"], network=network),
                f"{span} · {t('Previous term')}: {check['previous']}",
                [t("Aim"), t("This term"), t("Previous term")],
                [[aim_label(t, aim), now["activities"][aim][0], before["activities"][aim][0]] for aim in AIMS],
                t("Activities by aim"))
    header, rows = table
    add_sheet(book, t("Term review"), header, [[_value(v) if i in (2, 3, 4, 5) else v for i, v in enumerate(r)]
                                               for r in rows], {3: DECIMAL, 4: DECIMAL, 5: DECIMAL, 6: DECIMAL})
    targets = []
    for goal in check["goals"]:
        for row in goal["targets"]:
            targets.append([f"{goal['number']}.{row['position']}", goal["title"], aim_label(t, goal["aim"]),
                            target_title(t, row["kind"], row["params"]), _value(row["target"]), _value(row["year"]),
                            _value(row["term"]), _value(row["previous"]),
                            t("hidden (fewer than 5 answers)") if row["suppressed"] else t(PACE_NAMES[row["pace"]])])
    add_sheet(book, t("Targets"), [t("No."), t("Goal"), t("Aim"), t("Target"), t("Target for the year"),
                                   t("So far this year"), t("This term"), t("Previous term"), t("Status")],
              targets, {5: DECIMAL, 6: DECIMAL, 7: DECIMAL, 8: DECIMAL})
    return save(book)

