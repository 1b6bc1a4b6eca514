"""A survey as an XLSX workbook (``/export survey N xlsx``, the web view): a summary sheet with a chart of
answers per question, the results per question, the response rates by role and organisation, every
response as a row, and (anonymous surveys) the free-text answers in a sheet of their own, shuffled.

The anonymity rules are the CSV export's, applied by the same functions: an anonymous survey with fewer
than five answers is not exported at all (the caller checks :func:`exportable`), a question with fewer than
five answers keeps its column without values, anonymous rows carry no member and come in keyed-hash
order, free text never sits in a respondent's row.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.context import BaseContext
from handlers._common.xlsx import PERCENT, WHOLE, add_sheet, add_summary, save
from handlers.surveys.logic import MIN_CELL, comment_rows, response_table, survey_stats
from handlers.surveys.results_view import describe
from storage.surveys import Survey, SurveyRepo


async def exportable(ctx: BaseContext, survey: Survey) -> bool:
    return not survey.anonymous or await ctx.repo(SurveyRepo).response_count(survey) >= MIN_CELL


async def survey_xlsx(ctx: BaseContext, survey: Survey, tz: ZoneInfo) -> bytes:
    from openpyxl import Workbook

    t = ctx.t
    stats = await survey_stats(ctx, survey)
    data = describe(t, stats)
    book = Workbook()
    opened = t.date(survey.opened_at.astimezone(tz).date())
    closed = t.date(survey.closed_at.astimezone(tz).date()) if survey.closed_at else t("open")
    rate = (t("{answered}/{audience} people ({rate}%)", answered=stats.responses, audience=stats.audience,
              rate=round(100 * stats.responses / stats.audience)) if stats.audience else
            t("{n} people", n=stats.responses))
    subtitle = f"#{survey.number} · {opened} – {closed} · {t('Responses')}: {rate}" + (
        " · " + t("anonymous") if survey.anonymous else "")
    summary_rows = [[f"{q['position']}. {q['text']}"[:120], q["answered"],
                     q["mean"] if q["mean"] and not q["suppressed"] else ""] for q in data.questions]
    add_summary(book, t, survey.title, subtitle, [t("Question"), t("Answered"), t("Mean")], summary_rows,
                t("Answers per question"))
    results: list[list[object]] = []
    for q in data.questions:
        head = f"{q['position']}. {q['text']}"
        if q["suppressed"]:
            results.append([head, t("hidden (fewer than {n} answers)", n=MIN_CELL), None, None])
            continue
        for label, count, pct in q["options"]:
            results.append([head, label, count, pct / 100])
        if q["mean"]:
            results.append([head, t("Mean {mean}, S.D. {sd} ({level})", mean=q["mean"], sd=q["sd"],
                                    level=q["level"]), None, None])
        if q["texts"] and not survey.anonymous:
            results.append([head, t("{n} written answers (see the responses)", n=len(q["texts"])), None, None])
    add_sheet(book, t("Results"), [t("Question"), t("Answer"), t("People"), t("Percent")], results,
              {3: WHOLE, 4: PERCENT})
    if data.breakdowns:
        rows = [[b["label"], t("hidden (fewer than {n} answers)", n=MIN_CELL) if b["suppressed"] else b["answered"],
                 b["total"], None if b["suppressed"] else b["rate"] / 100] for b in data.breakdowns]
        add_sheet(book, t("Response rates"), [t("Group"), t("Answered"), t("Audience"), t("Response rate")], rows,
                  {3: WHOLE, 4: PERCENT})
    header, rows = await response_table(ctx, survey)
    add_sheet(book, t("Responses"), header, rows, {})
    comments = await comment_rows(ctx, survey)
    if comments:
        add_sheet(book, t("Free-text answers"), [t("Question"), t("Answer given")], [list(c) for c in comments], {})
    return save(book)
