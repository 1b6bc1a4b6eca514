"""The web view's survey pages: the list with response rates, and one survey's results with its charts.

The figures are the ones /results shows, computed by the same code (``handlers.surveys``): an anonymous
survey with fewer than five answers shows no answer figures, a question with fewer than five answers
stays hidden, free text is listed sorted (never in the order of answering) and no page shows a
respondent's row. Coordinators only, as /results in the chat.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from handlers.dashboard.web import MANAGE, PageRequest, Route
from handlers.dashboard.webctx import web_context, year_bounds
from handlers.surveys import results_charts, results_page_data, survey_stats
from storage.surveys import Survey, SurveyRepo


async def surveys_of_year(page: PageRequest) -> tuple[int, list[Survey]]:
    year, start, end = year_bounds(page)
    return year, await SurveyRepo(page.conn).active_between(page.network.id, start, end)


async def surveys_page(page: PageRequest) -> web.StreamResponse:
    t = page.t
    year, found = await surveys_of_year(page)
    ctx = web_context(page)
    tz = ZoneInfo(page.network.timezone)
    rows: list[dict[str, Any]] = []
    for survey in reversed(found):
        data = await results_page_data(ctx, survey)
        stats = data.stats
        rate = (round(100 * stats.responses / stats.audience) if stats.audience else None)
        rows.append({"number": survey.number, "title": survey.title,
                     "kind": t("poll") if survey.is_poll else t("survey"),
                     "anonymous": survey.anonymous, "open": survey.is_open,
                     "opened": t.date(survey.opened_at.astimezone(tz).date()),
                     "closes": t.date(survey.closes_at.astimezone(tz).date()) if survey.closes_at else "",
                     "responses": stats.responses, "audience": stats.audience, "rate": rate})
    return page.render("surveys.html", page_name="surveys", rows=rows, year=year)


async def _survey(page: PageRequest) -> Survey | None:
    raw = page.request.match_info.get("number", "")
    return await SurveyRepo(page.conn).by_number(page.network.id, int(raw)) if raw.isdigit() else None


async def survey_page(page: PageRequest) -> web.StreamResponse:
    t = page.t
    survey = await _survey(page)
    if survey is None:
        return page.render("message.html", title=t("Not found"),
                           text=t("There is no survey or poll number {n}.", n=page.request.match_info["number"]))
    data = await results_page_data(web_context(page), survey)
    return page.render("survey.html", page_name="surveys", survey=survey, data=data, stats=data.stats)


async def survey_chart(page: PageRequest) -> web.StreamResponse:
    """The survey's charts as PNGs (bot/charts, the images /results sends), numbered from 1."""
    survey = await _survey(page)
    raw = page.request.match_info.get("id", "")
    if survey is None or not raw.isdigit():
        raise web.HTTPNotFound()
    charts = results_charts(page.t, await survey_stats(web_context(page), survey))
    index = int(raw) - 1
    if not 0 <= index < len(charts):
        raise web.HTTPNotFound()
    return web.Response(body=charts[index].png, content_type="image/png",
                        headers={"Cache-Control": "private, max-age=300"})


ROUTES: tuple[Route, ...] = (
    Route("GET", "/surveys", surveys_page, MANAGE),
    Route("GET", "/surveys/{number}", survey_page, MANAGE),
    Route("GET", "/surveys/{number}/charts/{id}.png", survey_chart, MANAGE),
)

