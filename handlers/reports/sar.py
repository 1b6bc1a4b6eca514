"""The SAR evidence pack: one XLSX per school and academic year (``/export sar [school] [2569]``, the web
view, ``edunet export sar``).

What the network recorded for the school: its activities, the resources it received (deliveries toward
its needs) and gave (pledges of its members), the stakeholder surveys it took part in (the figures
/results shows, with the school's response rate; nothing under five answers of an anonymous survey),
the meetings its members attended, its teachers' PLC sessions and the practices they shared. Each item
carries the SAR standard and PDCA step it evidences (:mod:`handlers.reports.mapping`), and the evidence
sheet lists them in the order of the report: standard 1, 2, 3 and within each Plan, Do, Check, Act.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache, partial
from typing import Any
from zoneinfo import ZoneInfo

from bot.academic import AcademicCalendar
from bot.context import BaseContext
from bot.i18n import Translator
from bot.numbers import unit_name
from handlers._common.xlsx import DECIMAL, HOURS, PERCENT, WHOLE, add_sheet, add_summary, save
from handlers.activities import aim_label, category_label, csv_date
from handlers.reports.mapping import PDCA, STANDARDS, current_mapping, order_key, standard_label, step_label
from handlers.resources import sector_label, type_label
from handlers.surveys import MIN_CELL, describe, surveys_stats
from storage.activity_repo import ActivityRepo
from storage.knowledge import PracticeRepo
from storage.meetings import MeetingRepo
from storage.membership import MemberRepo, Network, Organisation
from storage.plc import PlcSessionRepo
from storage.resource_repo import PledgeRepo
from storage.surveys import SurveyRepo


@dataclass(slots=True)  # thousands per pack
class Evidence:
    kind: str  # a mapping kind
    source: str  # the sheet it comes from
    day: date | None
    title: str
    detail: str
    standard: int = 0
    step: str = ""


@dataclass
class Pack:
    school: Organisation
    year: int
    evidence: list[Evidence]
    sheets: list[tuple[str, list[str], list[list[Any]], dict[int, str]]]


# What the pack shows of the school's thousands of activities and pledges (the rest is not read).
_ACTIVITY_COLUMNS = ("number", "activity_date", "title", "category", "aim", "participants", "minutes", "notes")
_PLEDGE_COLUMNS = ("number", "resource_type", "source_sector", "amount_x100", "unit", "created_at", "delivered_at")


def _amount(value: Any) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


async def collect(ctx: BaseContext, network: Network, school: Organisation, year: int) -> Pack:
    t = ctx.t
    tz = ZoneInfo(network.timezone)
    span = AcademicCalendar.from_settings(network.settings).year(year)
    start, end = datetime.combine(span.start, time(), tz), datetime.combine(span.end, time(), tz)
    mapped = current_mapping(network.settings)
    evidence: list[Evidence] = []
    sheets: list[tuple[str, list[str], list[list[Any]], dict[int, str]]] = []

    # A school's year is thousands of rows of a few kinds, days and codes: each label is made once.
    @cache
    def place(kind: str) -> tuple[str, str]:
        standard, step = mapped[kind]
        return standard_label(t, standard), step_label(t, step)

    day_text = cache(partial(csv_date, t))
    unit_text = cache(partial(unit_name, lang=t.lang))

    @cache
    def label(of: Callable[[Translator, str], str], code: str) -> str:
        return of(t, code)

    # Activities of the school
    rows = await ActivityRepo(ctx.conn).export_rows(network.id, span.start, span.end, organisation_id=school.id,
                                                    columns=_ACTIVITY_COLUMNS)
    body = []
    source, participants = t("Activities"), t("{kind} · {n} participants")  # formatted per row below

    @cache
    def activity_kind(aim: str) -> str:
        return f"activity:{aim}" if f"activity:{aim}" in mapped else "activity:efficiency"

    for r in rows:
        kind = activity_kind(r["aim"])
        category = label(category_label, r["category"])
        evidence.append(Evidence(kind, source, r["activity_date"], r["title"],
                                 participants.format(kind=category, n=r["participants"] or 0)))
        body.append([r["number"], day_text(r["activity_date"]), r["title"], category, label(aim_label, r["aim"]),
                     r["participants"], round(r["minutes"] / 60, 2) if r["minutes"] else None, r["notes"] or "",
                     *place(kind)])
    sheets.append((t("Activities"), [t("No."), t("Date"), t("Title"), t("Kind"), t("Aim"), t("Participants"),
                                     t("Hours"), t("Notes"), t("SAR standard"), t("PDCA step")], body,
                   {6: WHOLE, 7: HOURS}))

    # Resources received (delivered toward the school's needs) and given (pledged by its members)
    members = await MemberRepo(ctx.conn).list(network.id)  # read once: the surveys' audiences come from them too
    pledges = PledgeRepo(ctx.conn)
    received = await pledges.export_rows(network.id, start, end, toward_organisation=school.id, statuses=("delivered",),
                                         columns=_PLEDGE_COLUMNS)
    given = await pledges.export_rows(network.id, start, end, pledger_organisation=school.id,
                                      statuses=("pledged", "delivered"), columns=_PLEDGE_COLUMNS)
    for kind, found, title in (("received", received, t("Resources received")),
                               ("given", given, t("Resources given"))):
        body = []
        for r in found:
            day = (r["delivered_at"] or r["created_at"]).astimezone(tz).date()
            value, unit = _amount(r["amount"]), unit_text(r["unit"])
            resource, sector = label(type_label, r["resource_type"]), label(sector_label, r["source_sector"])
            evidence.append(Evidence(kind, title, day, resource, f"{value} {unit} · {sector}"
                                     + (f" · {r['need_description']}" if r["need_description"] else "")))
            body.append([r["number"], day_text(day), resource, sector, value, unit, r["pledger_name"] or "",
                         r["need_description"] or "", r["need_organisation"] or "", *place(kind)])
        money = any(r["amount"] is not None and r["amount"] % 1 for r in found)
        sheets.append((title, [t("No."), t("Date"), t("Type"), t("Source sector"), t("Amount"), t("Unit"), t("By"),
                               t("Need"), t("Need's organisation"), t("SAR standard"), t("PDCA step")], body,
                       {5: DECIMAL if money else WHOLE}))

    # Stakeholder surveys the school took part in
    body = []
    taken = [survey for survey in await SurveyRepo(ctx.conn).active_between(network.id, start, end)
             if not survey.is_poll and (not survey.organisations or school.id in survey.organisations)]
    # The year's surveys' figures at once; the free-text answers counted, their texts not read.
    # The school's response rate is the one breakdown shown: only its members' voter keys are computed.
    for survey, stats in zip(taken, await surveys_stats(ctx, taken, texts=False, members=members,
                                                        organisation=school.id)):
        data = describe(t, stats)
        own = next((b for b in data.breakdowns if b["kind"] == "organisation" and b["label"] == school.name), None)
        rate = None if own is None or own["suppressed"] else own["rate"] / 100
        day = survey.opened_at.astimezone(tz).date()
        evidence.append(Evidence("survey", t("Stakeholder surveys"), day, survey.title,
                                 t("{n} responses", n=data.stats.responses)))
        for q in data.questions:
            if q["suppressed"]:
                result = t("hidden (fewer than {n} answers)", n=MIN_CELL)
            elif q["mean"]:
                result = t("Mean {mean}, S.D. {sd} ({level})", mean=q["mean"], sd=q["sd"], level=q["level"])
            elif q["options"]:
                result = "; ".join(f"{label} {count} ({pct}%)" for label, count, pct in q["options"])
            else:
                result = t("{n} written answers", n=q["answered"])  # a response's text is one answer
            body.append([survey.number, day_text(day), survey.title, f"{q['position']}. {q['text']}", q["answered"],
                         result, rate, *place("survey")])
    sheets.append((t("Stakeholder surveys"), [t("Survey no."), t("Opened"), t("Survey"), t("Question"), t("Answered"),
                                              t("Result"), t("School's response rate"), t("SAR standard"),
                                              t("PDCA step")], body, {5: WHOLE, 7: PERCENT}))

    # Meetings the school's members attended
    ours = {m.id for m in members if m.organisation_id == school.id}
    meetings = MeetingRepo(ctx.conn)
    body = []
    attended = await meetings.attended_between(network.id, start, end, ours)  # oldest first
    decided = await meetings.minutes_of(network.id, [m.id for m in attended])
    for m in attended:
        came = m.attendees
        minutes = decided.get(m.id)
        day = m.starts_at.astimezone(tz).date()
        evidence.append(Evidence("meeting", t("Meetings"), day, m.title,
                                 t("{n} of the school attended", n=len(came))))
        body.append([m.number, day_text(day), m.title, len(came), "; ".join(minutes.decisions) if minutes else "",
                     *place("meeting")])
    sheets.append((t("Meetings"), [t("No."), t("Date"), t("Meeting"), t("Attended from the school"), t("Decisions"),
                                   t("SAR standard"), t("PDCA step")], body, {4: WHOLE}))

    # PLC sessions of the school's teachers, and the practices they shared
    body = []
    for r in await PlcSessionRepo(ctx.conn).export_rows(network.id, span.start, span.end, organisation_id=school.id):
        kind = f"plc:{r['step']}" if f"plc:{r['step']}" in mapped else "plc:plan"
        present = t("{n} present", n=len(r["attendees"]))
        evidence.append(Evidence(kind, t("PLC sessions"), r["session_date"], r["topic"],
                                 f"{r['group_name']} · {present}"))
        body.append([r["number"], day_text(r["session_date"]), r["group_name"], r["topic"],
                     round(r["minutes"] / 60, 2), len(r["attendees"]), r["reflection"] or "", *place(kind)])
    sheets.append((t("PLC sessions"), [t("No."), t("Date"), t("PLC group"), t("Topic"), t("Hours"), t("Present"),
                                       t("Reflection"), t("SAR standard"), t("PDCA step")], body,
                   {5: HOURS, 6: WHOLE}))
    body = []
    for p in await PracticeRepo(ctx.conn).created_between(network.id, start, end, limit=5000):
        if p.organisation_id != school.id:
            continue
        day = p.created_at.astimezone(tz).date()
        evidence.append(Evidence("knowledge", t("Shared practices"), day, p.title, p.author_name))
        body.append([p.number, day_text(day), p.title, label(aim_label, p.aim), p.author_name, p.link or "",
                     *place("knowledge")])
    sheets.append((t("Shared practices"), [t("No."), t("Date"), t("Title"), t("Aim"), t("Shared by"), t("Link"),
                                           t("SAR standard"), t("PDCA step")], body, {}))

    for item in evidence:
        item.standard, item.step = mapped[item.kind]
    rank = {kind: order_key(*mapped[kind]) for kind in {e.kind for e in evidence}}  # per kind, not per item
    evidence.sort(key=lambda e: (rank[e.kind], e.day or span.start))
    return Pack(school, year, evidence, sheets)


def sar_xlsx(t: Translator, pack: Pack, *, network: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    counts = {(s, p): 0 for s in STANDARDS for p in PDCA}
    for item in pack.evidence:
        counts[(item.standard, item.step)] += 1
    rows = [[f"{standard_label(t, s)} · {step_label(t, p)}", counts[(s, p)]] for s in STANDARDS for p in PDCA]
    add_summary(book, t, t("SAR evidence of {school}, academic year {year}", school=pack.school.name, year=pack.year),
                t("From the records of {network}", network=network), [t("Standard and PDCA step"), t("Evidence")],
                rows, t("Evidence by SAR standard and PDCA step"))
    add_sheet(book, t("Evidence in report order"),
              [t("SAR standard"), t("PDCA step"), t("Date"), t("Evidence"), t("Details"), t("Source")],
              [[standard_label(t, e.standard), step_label(t, e.step), csv_date(t, e.day) if e.day else "", e.title,
                e.detail, e.source] for e in pack.evidence], {})
    for title, header, body, formats in pack.sheets:
        add_sheet(book, title, header, body, formats)
    return save(book)
