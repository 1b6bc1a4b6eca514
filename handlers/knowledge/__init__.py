"""Knowledge exchange: the practice library (/share, /kb, [มีประโยชน์], [ถามผู้เขียน], the
week's new practices in the summary) and offers matched to needs (/offer, /offers, the
proposals when a need is posted, one-tap pledges).

Inside: ``practices`` <- ``questions``, ``search``; ``offers`` (uses handlers.resources through its
package: the vocabulary, the question widgets and ``record_pledge``); ``summary`` stands
alone. Storage, Thai search and the fit rules are in storage/knowledge.py and
storage/thai_text.py.
"""

from __future__ import annotations

from bot.router import Router
from handlers.knowledge import offers, practices, questions, search, summary

__all__ = ["ORDER", "router"]

ORDER = 25
router = Router()
for _part in (practices, questions, search, offers, summary):
    router.include(_part.router)
