"""``/export sar [school] [2569]`` in a private chat (coordinators; on LINE a download link) and
``edunet export sar|meetings|survey|review`` on the command line."""

from __future__ import annotations

import re
from typing import Any

from bot.academic import AcademicCalendar
from bot.context import BaseContext, MemberContext
from bot.model import Document
from bot.router import Router
from handlers._common.cli_output import write_export
from handlers._common.xlsx import XLSX_MIME
from handlers.reports.sar import collect, sar_xlsx
from storage.membership import Network, Organisation, OrganisationRepo

router = Router()
YEAR = re.compile(r"\b(2[45]\d\d)\b")


def find_school(schools: list[Organisation], text: str) -> list[Organisation]:
    """The organisations whose name is ``text`` exactly, else those that contain it."""
    wanted = " ".join(text.split()).casefold()
    exact = [o for o in schools if o.name.casefold() == wanted]
    return exact or [o for o in schools if wanted and wanted in o.name.casefold()]


async def school_pack(ctx: BaseContext, network: Network, school: Organisation, year: int) -> bytes:
    return sar_xlsx(ctx.t, await collect(ctx, network, school, year), network=network.name)


@router.exporter("sar", "เอสเออาร์", "รายงานประเมินตนเอง")
async def export_sar(ctx: MemberContext, args: str) -> None:
    found = YEAR.search(args)
    year = int(found.group(1)) if found else AcademicCalendar.from_settings(ctx.network.settings).year_of(ctx.today)
    name = re.sub(r"\b(xlsx|excel)\b", "", YEAR.sub("", args), flags=re.IGNORECASE).strip()
    schools = await ctx.repo(OrganisationRepo).list(ctx.network.id)
    if name:
        chosen = find_school(schools, name)
    else:
        chosen = [o for o in schools if o.id == ctx.member.organisation_id] or (schools if len(schools) == 1 else [])
    if len(chosen) != 1:
        shown = chosen or schools
        await ctx.reply(ctx.t("Which school? Write /export sar SCHOOL [year], e.g. /export sar {example} {year}. "
                              "Organisations: {names}", example=shown[0].name if shown else "โรงเรียนบ้านหนองบัว",
                              year=year, names=ctx.t.join(o.name for o in shown) or "-"))
        return
    school = chosen[0]
    content = await school_pack(ctx, ctx.network, school, year)
    await ctx.audit("export", "sar", school.id, year=year, format="xlsx")
    await ctx.reply(Document(filename=f"sar-{school.id}-{year}.xlsx", content=content, mime_type=XLSX_MIME,
                             caption=ctx.t("SAR evidence of {school}, academic year {year} (Excel workbook).",
                                           school=school.name, year=year)))


async def run_cli_report(settings: Any, kind: str, *, network_id: int | None, out: str | None, lang: str | None,
                         year: int | None, term: str | None, number: int | None, school: str | None) -> int:
    """``edunet export sar|meetings|survey|review``: write the XLSX to ``out`` (or stdout); the exit code."""
    import sys

    from bot.academic import AcademicInputError, parse_term
    from bot.app import App
    from bot.router import Router as BareRouter
    from handlers.goals import build_check, review_rows, term_review_xlsx
    from handlers.meetings import year_meetings_xlsx
    from handlers.surveys import exportable, survey_xlsx
    from storage.goals.reviews import ReviewRepo
    from storage.membership import NetworkRepo
    from storage.surveys import SurveyRepo

    app = App(settings, router=BareRouter())
    try:
        await app.db.upgrade()
        async with app.db.transaction() as conn:
            networks = [n for n in await NetworkRepo(conn).all() if network_id is None or n.id == network_id]
            if len(networks) != 1:
                known = ", ".join(f"{n.id} ({n.name})" for n in await NetworkRepo(conn).all()) or "none"
                print(f"choose a network with --network ID; networks: {known}", file=sys.stderr)
                return 2
            network = networks[0]
            ctx = BaseContext(app, conn, network, lang or network.language)
            calendar = AcademicCalendar.from_settings(network.settings)
            the_year = year or calendar.year_of(ctx.today)
            if kind == "sar":
                schools = await OrganisationRepo(conn).list(network.id)
                chosen = find_school(schools, school or "")
                if len(chosen) != 1:
                    print("choose the school with --school NAME; organisations: "
                          + (", ".join(o.name for o in schools) or "none"), file=sys.stderr)
                    return 2
                content = await school_pack(ctx, network, chosen[0], the_year)
            elif kind == "meetings":
                content, _count = await year_meetings_xlsx(ctx, network, the_year)
            elif kind == "survey":
                survey = await SurveyRepo(conn).by_number(network.id, number) if number else None
                if survey is None:
                    print("choose the survey with --number N (the number on its card)", file=sys.stderr)
                    return 2
                if not await exportable(ctx, survey):
                    print("this anonymous survey has fewer than 5 answers: not exported", file=sys.stderr)
                    return 2
                content = await survey_xlsx(ctx, survey, ctx.tz)
            else:
                try:
                    the_term = parse_term(term, calendar) if term else calendar.term_on(ctx.today)
                except AcademicInputError:
                    print(f"cannot read the term {term!r}; write it like 2569/1", file=sys.stderr)
                    return 2
                review = await ReviewRepo(conn).get(network.id, the_term.year, the_term.number)
                check = (review.check if review is not None and review.check is not None
                         else await build_check(ctx, the_term))
                content = term_review_xlsx(ctx.t, check, review_rows(ctx.t, check, review), network=network.name)
    finally:
        await app.db.dispose()
    write_export(content, out, kind)
    return 0
