"""How the exports write dates, times and statuses (shared by the CSV and the XLSX files)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.academic import BE_OFFSET
from bot.i18n import N_, Translator

_STATUS_NAMES = {"pledged": N_("pledged"), "delivered": N_("delivered"), "cancelled": N_("cancelled")}


def csv_date(t: Translator, day: date) -> str:
    """A date as a Thai spreadsheet reads it (20/11/2569, Buddhist Era); ISO in English."""
    return f"{day.day}/{day.month}/{day.year + BE_OFFSET}" if t.lang == "th" else day.isoformat()


def _local(t: Translator, value: datetime | None, tz: ZoneInfo) -> str:
    if value is None:
        return ""
    local = value.astimezone(tz)
    return f"{csv_date(t, local.date())} {local:%H:%M}"


def status_name(t: Translator, status: str) -> str:
    return t(_STATUS_NAMES[status]) if status in _STATUS_NAMES else status
