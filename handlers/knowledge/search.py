"""/kb คำค้น: the practice library searched by Thai and English words (segmented as the
library indexes them, storage/thai_text.py), answered as one compact list; /kb alone shows
the newest practices, /kb #3 opens one."""

from __future__ import annotations

from bot.context import MemberContext
from bot.i18n import N_
from bot.model import Text
from bot.router import Router
from handlers._common.buttons import grid
from handlers.knowledge.practices import open_by_number
from storage.knowledge import Practice, PracticeRepo
from storage.thai_text import query_terms

router = Router()

SHOWN = 5
MAX_QUERY = 200


def practice_line(practice: Practice, useful: int) -> str:
    parts = [f"#{practice.number} {practice.title}"]
    if practice.organisation_name:
        parts.append(practice.organisation_name)
    if practice.subjects or practice.grades:
        parts.append(" ".join([*practice.subjects, *practice.grades]))
    if useful:
        parts.append(f"👍 {useful}")
    return " · ".join(parts)


@router.command("kb", "คลังความรู้", help=N_("Find practices in the library: /kb words (Thai or English); "
                                             "/kb alone shows the newest"))
async def kb_command(ctx: MemberContext) -> None:
    t, repo = ctx.t, ctx.repo(PracticeRepo)
    query = " ".join(ctx.args.split())
    if await open_by_number(ctx, query):
        return
    if len(query) > MAX_QUERY:
        await ctx.reply(t("Please search with fewer words (at most {max} characters).", max=MAX_QUERY))
        return
    if not query:
        found = await repo.recent(ctx.network.id, limit=SHOWN)
        if not found:
            await ctx.reply(t("The library is empty so far. Share the first practice with /share."))
            return
        heading = t("The newest practices:")
    else:
        if not query_terms(query):
            await ctx.reply(t("“{query}” has no words to search for. Please try a subject, a topic or a grade, "
                              "e.g. /kb สื่อการสอน", query=query))
            return
        found = [hit.practice for hit in await repo.search(ctx.network.id, query, limit=SHOWN)]
        if not found:
            await ctx.reply(t("No practice matches “{query}”. Try a shorter or more general word (e.g. สื่อ "
                              "instead of สื่อการสอนออนไลน์), a subject or a grade, or see the newest with /kb.",
                              query=query))
            return
        heading = t("Practices for “{query}”:", query=query)
    useful = await repo.reactions(ctx.network.id, [p.id for p in found])
    lines = [heading] + [practice_line(p, useful[p.id][0]) for p in found]
    lines.append(t("Tap a number to open it."))
    buttons = [ctx.button(f"#{p.number}", "kbo", p.id) for p in found]
    await ctx.reply(Text("\n".join(lines), buttons=grid(buttons, 5)))
