"""Resource mobilisation: /need (post a need), /needs, /pledge, /pledges, confirming
delivery (with a note or photo) and cancelling, and its part of the progress summary.

Inside: ``vocabulary`` (resource types, sectors) <- ``cards`` <- ``needs`` <- ``pledges``
<- ``delivery``; ``summary`` stands alone. Other features use the vocabulary through
this package (the pledge export).
"""

from __future__ import annotations

from bot.router import Router
from handlers.resources import delivery, needs, pledges, summary
from handlers.resources.vocabulary import RESOURCE_TYPES, parse_resource_type, parse_sector, sector_label, type_label

__all__ = ["ORDER", "RESOURCE_TYPES", "parse_resource_type", "parse_sector", "router", "sector_label", "type_label"]

ORDER = 20
router = Router()
for _part in (needs, pledges, delivery, summary):
    router.include(_part.router)
