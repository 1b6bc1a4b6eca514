"""The academic year's meetings as an XLSX workbook: ``/export meetings [2569]`` (coordinators, private chat;
on LINE a download link), the web view and ``edunet export meetings``. A summary sheet (meetings and
attendances by kind, with a chart), the meetings with RSVP counts and attendance, and the decisions of
their minutes."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.academic import AcademicCalendar
from bot.context import BaseContext, MemberContext
from bot.i18n import Translator
from bot.model import Document
from bot.router import Router
from handlers._common.xlsx import HOURS, WHOLE, XLSX_MIME, add_sheet, add_summary, save
from handlers.activities import csv_date
from handlers.meetings.cards import KIND_LABELS
from storage.meetings import MEETING_KINDS, MeetingRepo
from storage.membership import Network

router = Router()


async def meeting_rows(ctx: BaseContext, network: Network, year: int) -> list[dict[str, Any]]:
    """Every scheduled meeting of academic year ``year`` (Buddhist Era), oldest first, with its figures."""
    tz = ZoneInfo(network.timezone)
    span = AcademicCalendar.from_settings(network.settings).year(year)
    repo = ctx.repo(MeetingRepo)
    found = await repo.recent(network.id, datetime.combine(span.start, time(), tz),
                              datetime.combine(span.end, time(), tz), limit=5000)
    rows = []
    for m in reversed(found):
        counts = await repo.counts(network.id, m.id)
        minutes = await repo.minutes(network.id, m.id)
        rows.append({"meeting": m, "local": m.starts_at.astimezone(tz), "yes": counts["yes"],
                     "maybe": counts["maybe"], "no": counts["no"],
                     "attended": await repo.attendance_count(network.id, m.id),
                     "decisions": minutes.decisions if minutes else []})
    return rows


def kind_name(t: Translator, kind: str) -> str:
    return t(KIND_LABELS.get(kind, KIND_LABELS["members"]))


def meetings_xlsx(t: Translator, rows: list[dict[str, Any]], *, network: str, year: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    summary = [[kind_name(t, kind), sum(1 for r in rows if r["meeting"].kind == kind),
                sum(r["attended"] for r in rows if r["meeting"].kind == kind)] for kind in MEETING_KINDS]
    add_summary(book, t, t("Meetings of {network}", network=network), t("Academic year {year}", year=year),
                [t("Kind"), t("Meetings"), t("Attendances")], summary, t("Meetings by kind"))
    header = [t("No."), t("Date"), t("Time"), t("Kind"), t("Title"), t("Place"), t("Hours"), t("Going"), t("Maybe"),
              t("Not going"), t("Attended"), t("Decisions")]
    body = [[r["meeting"].number, csv_date(t, r["local"].date()), r["local"].strftime("%H:%M"),
             kind_name(t, r["meeting"].kind), r["meeting"].title, r["meeting"].place,
             round(r["meeting"].duration_minutes / 60, 2), r["yes"], r["maybe"], r["no"], r["attended"],
             len(r["decisions"])] for r in rows]
    add_sheet(book, t("Meetings"), header, body, {7: HOURS, 8: WHOLE, 9: WHOLE, 10: WHOLE, 11: WHOLE, 12: WHOLE})
    decisions = [[r["meeting"].number, csv_date(t, r["local"].date()), r["meeting"].title, i, text]
                 for r in rows for i, text in enumerate(r["decisions"], start=1)]
    add_sheet(book, t("Decisions"), [t("Meeting no."), t("Date"), t("Meeting"), t("No."), t("Decision")],
              decisions, {})
    return save(book)


async def year_meetings_xlsx(ctx: BaseContext, network: Network, year: int) -> tuple[bytes, int]:
    rows = await meeting_rows(ctx, network, year)
    return meetings_xlsx(ctx.t, rows, network=network.name, year=year), len(rows)


@router.exporter("meetings", "การประชุม")
async def export_meetings(ctx: MemberContext, args: str) -> None:
    """``/export meetings [2569] [xlsx]``: the academic year's meetings (this year by default)."""
    found = re.search(r"\b(2[45]\d\d)\b", args)
    year = int(found.group(1)) if found else AcademicCalendar.from_settings(ctx.network.settings).year_of(ctx.today)
    content, count = await year_meetings_xlsx(ctx, ctx.network, year)
    await ctx.audit("export", "meetings", None, year=year, rows=count, format="xlsx")
    await ctx.reply(Document(filename=f"meetings-{year}.xlsx", content=content, mime_type=XLSX_MIME,
                             caption=ctx.t("{count} meetings of academic year {year} (Excel workbook).", count=count,
                                           year=year)))
