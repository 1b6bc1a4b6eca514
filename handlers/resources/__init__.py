"""Resource mobilisation: /need (post a need), /needs, /pledge, /pledges, confirming
delivery (with a note or photo) and cancelling, and its part of the progress summary.

Inside: ``vocabulary`` (resource types, sectors) <- ``cards`` <- ``needs`` <- ``pledges``
<- ``delivery``; ``summary`` stands alone. Other features use the vocabulary through
this package (the pledge export; offers in handlers/knowledge reuse the vocabulary, the
question widgets and :func:`record_pledge`). Posting a need announces ``need_posted``.
"""

from __future__ import annotations

from bot.router import Router
from handlers.resources import delivery, needs, pledges, summary
from handlers.resources.cards import need_card, need_progress
from handlers.resources.needs import amount_question, read_type, type_buttons
from handlers.resources.pledges import ask_sector, read_sector, record_pledge, sector_buttons
from handlers.resources.vocabulary import (
    RESOURCE_TYPES,
    parse_resource_amount,
    parse_resource_type,
    parse_sector,
    sector_label,
    type_label,
)

__all__ = ["ORDER", "RESOURCE_TYPES", "amount_question", "ask_sector", "need_card", "need_progress",
           "parse_resource_amount", "parse_resource_type", "parse_sector", "read_sector", "read_type", "record_pledge",
           "router", "sector_buttons", "sector_label", "type_buttons", "type_label"]

ORDER = 20
router = Router()
for _part in (needs, pledges, delivery, summary):
    router.include(_part.router)
