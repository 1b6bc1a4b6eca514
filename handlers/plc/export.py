"""/plc export: a teacher's or a school's PLC logbook for an academic year, as XLSX (default)
or CSV, with Thai headers and Buddhist-Era dates, in the order a school's PLC memo lists
sessions: number, date, time, hours, PLC step, topic, members present, reflection (then
the group and its facilitator). Sent privately as a file, like every export.

CSV is UTF-8 with a byte-order mark and CRLF line ends, so Excel shows Thai text as it is.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.academic import BE_OFFSET, AcademicInputError, parse_year
from bot.args import parse_whole
from bot.context import MemberContext
from bot.i18n import Translator
from bot.model import Document
from bot.roles import Role
from handlers.plc.common import PLC_ROLES, academic_year, calendar, hours_value, target_hours
from handlers.plc.vocabulary import step_text
from storage.membership import Member, MemberRepo, OrganisationRepo
from storage.plc import PlcSessionRepo

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"
FORMAT_WORDS = {"csv": "csv", "xlsx": "xlsx", "excel": "xlsx", "เอ็กเซล": "xlsx"}
SCHOOL_WORDS = {"school", "org", "organisation", "โรงเรียน", "หน่วยงาน"}
ME_WORDS = {"me", "mine", "ฉัน", "ของฉัน"}


def be_date(day: date) -> str:
    """``25/11/2569``: the date as a Thai memo writes it (Buddhist Era)."""
    return f"{day.day}/{day.month}/{day.year + BE_OFFSET}"


def hours_cell(minutes: int) -> float | int:
    value = hours_value(minutes)
    return int(value) if value == value.to_integral_value() else float(value)


def session_header(t: Translator) -> list[str]:
    return [t("Session no."), t("Date"), t("Start time"), t("Number of hours"), t("PLC step"), t("Topic"),
            t("Members present"), t("Reflection"), t("PLC group"), t("Facilitator")]


def session_rows(t: Translator, rows: list[dict[str, Any]], tz: Any) -> list[list[Any]]:
    return [[index, be_date(r["session_date"]), r["starts_at"].astimezone(tz).strftime("%H:%M"),
             hours_cell(r["minutes"]), step_text(t, r["step"]), r["topic"],
             t.join(a.display_name for a in r["attendees"]), r["reflection"] or "", r["group_name"],
             r["facilitator_name"] or ""] for index, r in enumerate(rows, start=1)]


def total_row(t: Translator, rows: list[dict[str, Any]]) -> list[Any]:
    return [t("Total"), t("{n} sessions", n=len(rows)), "", hours_cell(sum(r["minutes"] for r in rows))]


@dataclass
class Summary:
    """A school's teachers with their sessions and hours (teachers without any are listed too)."""

    header: list[str]
    rows: list[list[Any]]


def school_summary(t: Translator, teachers: list[Member], found: dict[int, tuple[int, int]], target: int) -> Summary:
    ordered = sorted(teachers, key=lambda m: m.number)
    rows = []
    for index, teacher in enumerate(ordered, start=1):
        sessions, minutes = found.get(teacher.id, (0, 0))
        percent = round(hours_value(minutes) / Decimal(target) * 100) if target else 0
        rows.append([index, teacher.display_name, sessions, hours_cell(minutes), target, percent])
    return Summary([t("No."), t("Teacher"), t("Sessions attended"), t("Number of hours"), t("Yearly target"),
                    t("Percent of target")], rows)


def to_csv(tables: list[list[list[Any]]]) -> bytes:
    """Tables one after another, a blank line between them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerows(table)
    return (BOM + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[tuple[str, list[str], list[list[Any]], list[list[Any]]]]) -> bytes:
    """One sheet per (title, heading lines, header + rows, total rows): headings in bold on top, the
    table's header bold and frozen, long text wrapped."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.worksheets[0])  # sheets of our own only
    for title, headings, table, totals in sheets:
        sheet = book.create_sheet(title[:31])
        for line in headings:
            sheet.append([line])
            sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
        if headings:
            sheet.append([])
        header_row = sheet.max_row + 1
        for row in table:
            sheet.append(row)
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
        for row in totals:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for column in sheet.iter_cols(min_row=header_row):
            width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
            sheet.column_dimensions[column[0].column_letter].width = min(max(width + 2, 8), 50)
            for cell in column:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class Request:
    fmt: str = "xlsx"
    scope: str = "me"  # "me", "school" or "member"
    member_number: int | None = None
    year: int | None = None


def parse_request(ctx: MemberContext, args: str) -> tuple[Request | None, str | None]:
    request = Request()
    for word in args.lower().split():
        if word in FORMAT_WORDS:
            request.fmt = FORMAT_WORDS[word]
        elif word in SCHOOL_WORDS:
            request.scope = "school"
        elif word in ME_WORDS:
            request.scope = "me"
        elif len(word) == 4 and word.isdigit() or word.startswith("ปี"):
            try:
                request.year = parse_year(word)
            except AcademicInputError:
                return None, ctx.t("Please name an academic year in the Buddhist Era, e.g. /plc export 2569.")
        elif (number := parse_whole(word)) is not None:
            request.scope, request.member_number = "member", number
        else:
            return None, ctx.t("Usage: /plc export [xlsx|csv] [me|school|member number] [academic year], "
                               "e.g. /plc export school csv 2569.")
    return request, None


async def export_command(ctx: MemberContext, args: str) -> None:
    t = ctx.t
    request, error = parse_request(ctx, args)
    if error or request is None:
        await ctx.reply(error or "")
        return
    year = request.year or academic_year(ctx)[0]
    span = calendar(ctx).year(year)
    target = target_hours(ctx.network)
    repo = ctx.repo(PlcSessionRepo)
    coordinator = ctx.member.role == Role.COORDINATOR.value
    if request.scope == "school":
        if not coordinator:
            await ctx.reply(t("Only these roles can do this: {roles}. Your role: {role}.", roles=t("coordinator"),
                              role=t(ctx.member.role)))
            return
        if ctx.member.organisation_id is None:
            await ctx.reply(t("To export your school's PLC logbook, first set your organisation with /org NAME."))
            return
        organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, ctx.member.organisation_id)
        org_name = organisation.name if organisation else "-"
        rows = await repo.export_rows(ctx.network.id, span.start, span.end, organisation_id=ctx.member.organisation_id)
        teachers = await ctx.repo(MemberRepo).list(ctx.network.id, roles=[r.value for r in PLC_ROLES],
                                                   organisation_ids=[ctx.member.organisation_id])
        hours = await repo.hours(ctx.network.id, span.start, span.end, organisation_id=ctx.member.organisation_id)
        summary = school_summary(t, teachers, {h.member_id: (h.sessions, h.minutes) for h in hours}, target)
        headings = [t("PLC logbook of {organisation}, academic year {year}", organisation=org_name, year=year),
                    t("Sessions with the school's teachers: {n}. Yearly target per teacher: {hours}.", n=len(rows),
                      hours=t("{hours} hours", hours=target))]
        table = [session_header(t), *session_rows(t, rows, ctx.tz)]
        if request.fmt == "csv":
            content = to_csv([table, [summary.header, *summary.rows]])
        else:
            content = to_xlsx([(t("PLC sessions"), headings, table, []),
                               (t("Hours per teacher"), headings[:1], [summary.header, *summary.rows], [])])
        filename = f"plc-{year}-school-{ctx.member.organisation_id}.{request.fmt}"
        caption = t("PLC logbook of {organisation}, academic year {year}: {n} sessions and {teachers} teachers.",
                    organisation=org_name, year=year, n=len(rows), teachers=len(teachers))
        await ctx.audit("export", "plc", None, scope="school", organisation=ctx.member.organisation_id, year=year)
    else:
        teacher: Member | None = ctx.member
        if request.scope == "member":
            teacher = (await ctx.repo(MemberRepo).by_number(ctx.network.id, request.member_number)
                       if request.member_number is not None else None)
            if teacher is None:
                await ctx.reply(t("No member has the number {numbers}.", numbers=request.member_number))
                return
            if teacher.id != ctx.member.id and not coordinator:
                await ctx.reply(t("Only these roles can do this: {roles}. Your role: {role}.", roles=t("coordinator"),
                                  role=t(ctx.member.role)))
                return
        assert teacher is not None
        rows = await repo.export_rows(ctx.network.id, span.start, span.end, member_id=teacher.id)
        organisation = (await ctx.repo(OrganisationRepo).get(ctx.network.id, teacher.organisation_id)
                        if teacher.organisation_id else None)
        minutes = sum(r["minutes"] for r in rows)
        headings = [t("PLC logbook of {name}, academic year {year}", name=teacher.display_name, year=year),
                    t("Organisation: {organisation}", organisation=organisation.name if organisation else "-"),
                    t("Total: {hours} of the yearly target of {target}.",
                      hours=t("{hours} hours", hours=f"{hours_value(minutes):f}"),
                      target=t("{hours} hours", hours=target))]
        table = [session_header(t), *session_rows(t, rows, ctx.tz)]
        totals = [total_row(t, rows)]
        content = (to_csv([table + totals]) if request.fmt == "csv"
                   else to_xlsx([(t("PLC sessions"), headings, table, totals)]))
        filename = f"plc-{year}-teacher-{teacher.number}.{request.fmt}"
        caption = t("PLC logbook of {name}, academic year {year}: {n} sessions, {hours}.", name=teacher.display_name,
                    year=year, n=len(rows), hours=t("{hours} hours", hours=f"{hours_value(minutes):f}"))
        await ctx.audit("export", "plc", None, scope="member", member=teacher.id, year=year)
    note = t("Thai text and Buddhist-Era dates open as they are in Excel.")
    await ctx.reply(Document(filename=filename, content=content, mime_type=XLSX if request.fmt == "xlsx" else "text/csv",
                             caption=f"{caption} {note}"))
