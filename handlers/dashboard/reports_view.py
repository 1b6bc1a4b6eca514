"""The web view's reports: XLSX downloads of meetings, a survey and the term review (coordinators), and
the SAR evidence page: each school's evidence pack for an academic year (coordinators for every school;
teachers and partners for their own organisation only) and the standard/PDCA mapping form
(coordinators; stored in the network's settings, see ``handlers.reports.mapping``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.academic import AcademicCalendar, AcademicInputError, parse_term
from handlers._common.xlsx import XLSX_MIME
from handlers.dashboard.web import MANAGE, STAFF_VIEW, PageRequest, Route, redirect
from handlers.dashboard.webctx import web_context, year_of
from handlers.goals import build_check, review_rows, term_review_xlsx
from handlers.meetings import year_meetings_xlsx
from handlers.reports import (KINDS, PDCA, STANDARDS, changed, current_mapping, school_pack, standard_label,
                              step_label)
from handlers.surveys import exportable, survey_xlsx
from storage.goals.reviews import ReviewRepo
from storage.membership import NetworkRepo, OrganisationRepo
from storage.runtime import AuditRepo
from storage.surveys import SurveyRepo


def xlsx_response(content: bytes, filename: str) -> web.Response:
    return web.Response(body=content, content_type=XLSX_MIME, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


async def _audit(page: PageRequest, entity: str, entity_id: object, **details: object) -> None:
    await AuditRepo(page.conn).record(network_id=page.network.id, member_id=page.member.id, action="export",
                                      entity=entity, entity_id=entity_id,
                                      details={**details, "format": "xlsx", "via": "web"}, now=page.app.clock.now())


async def report_xlsx(page: PageRequest) -> web.StreamResponse:
    t, network = page.t, page.network
    kind = page.request.match_info.get("kind", "")
    ctx = web_context(page)
    if kind == "meetings":
        year = year_of(page, page.request.query.get("year"))
        content, count = await year_meetings_xlsx(ctx, network, year)
        await _audit(page, "meetings", None, year=year, rows=count)
        return xlsx_response(content, f"meetings-{year}.xlsx")
    if kind == "review":
        calendar = AcademicCalendar.from_settings(network.settings)
        raw = page.request.query.get("term", "")
        try:
            term = parse_term(raw, calendar) if raw else calendar.term_on(ctx.today)
        except AcademicInputError:
            return page.render("message.html", title=t("Not found"),
                               text=t("I could not read that term. Write it like /export review 2569/1."))
        review = await ReviewRepo(page.conn).get(network.id, term.year, term.number)
        check = review.check if review is not None and review.check is not None else await build_check(ctx, term)
        await _audit(page, "review", None, term=term.label)
        return xlsx_response(term_review_xlsx(t, check, review_rows(t, check, review), network=network.name),
                             f"review-{term.year}-{term.number}.xlsx")
    number = kind.removeprefix("survey-")
    survey = (await SurveyRepo(page.conn).by_number(network.id, int(number))
              if kind.startswith("survey-") and number.isdigit() else None)
    if survey is None:
        return page.render("message.html", title=t("Not found"), text=t("There is no such export."))
    if not await exportable(ctx, survey):
        return page.render("message.html", title=t("Not exported"), text=t(
            "This anonymous survey has fewer than {n} answers; its answers cannot be exported without risking that "
            "someone is recognised.", n=5))
    await _audit(page, "survey", survey.id)
    return xlsx_response(await survey_xlsx(ctx, survey, ZoneInfo(network.timezone)), f"survey-{survey.number}.xlsx")


async def sar_page(page: PageRequest) -> web.StreamResponse:
    year = year_of(page, page.request.query.get("year"))
    schools = await OrganisationRepo(page.conn).list(page.network.id)
    if not page.manages:
        schools = [o for o in schools if o.id == page.member.organisation_id]
    t = page.t
    current = current_mapping(page.network.settings)
    rows = [{"kind": kind, "label": t(label), "standard": current[kind][0], "step": current[kind][1],
             "default": (standard, step) == current[kind]} for kind, (label, standard, step) in KINDS.items()]
    return page.render("sar.html", page_name="sar", year=year, years=[year, year - 1], schools=schools, rows=rows,
                       standards=[(n, standard_label(t, n)) for n in STANDARDS],
                       steps=[(code, step_label(t, code)) for code in PDCA], saved=page.request.query.get("saved"))


async def sar_xlsx_download(page: PageRequest) -> web.StreamResponse:
    raw = page.request.match_info.get("id", "")
    school = next((o for o in await OrganisationRepo(page.conn).list(page.network.id) if str(o.id) == raw), None)
    if school is None or (not page.manages and school.id != page.member.organisation_id):
        return page.render("message.html", title=page.t("Not found"), text=page.t(
            "You can download the SAR evidence of your own organisation only."))
    year = year_of(page, page.request.query.get("year"))
    content = await school_pack(web_context(page), page.network, school, year)
    await _audit(page, "sar", school.id, year=year)
    return xlsx_response(content, f"sar-{school.id}-{year}.xlsx")


async def sar_mapping(page: PageRequest) -> web.StreamResponse:
    settings = dict(page.network.settings)
    for kind in KINDS:
        standard, _, step = page.form.get(kind, "").partition(":")
        if standard.isdigit() and int(standard) in STANDARDS and step in PDCA:
            settings = changed(settings, kind, int(standard), step)
    await NetworkRepo(page.conn).update_settings(page.network.id, settings)
    await AuditRepo(page.conn).record(network_id=page.network.id, member_id=page.member.id, action="update",
                                      entity="sar_mapping", details={"via": "web"}, now=page.app.clock.now())
    return redirect(f"{page.base}/sar?saved=1")


ROUTES: tuple[Route, ...] = (
    Route("GET", "/reports/{kind}.xlsx", report_xlsx, MANAGE),
    Route("GET", "/sar", sar_page, STAFF_VIEW),
    Route("GET", "/sar/{id}.xlsx", sar_xlsx_download, STAFF_VIEW),
    Route("POST", "/sar/mapping", sar_mapping, MANAGE),
)
