"""Import every module that defines tables, so ``metadata`` knows them all.

A feature adds its table module here (one line) and a migration branch of its own.
"""

import storage.tables  # noqa: F401
import storage.meetings  # noqa: F401
import storage.surveys  # noqa: F401
import storage.activities  # noqa: F401
import storage.inbox  # noqa: F401
import storage.media  # noqa: F401
import storage.sent_messages  # noqa: F401
import storage.delivery_stats  # noqa: F401
import storage.blocks  # noqa: F401
import storage.goals.tables  # noqa: F401
import storage.goals.reviews  # noqa: F401
import storage.goals.rollups  # noqa: F401
import storage.counters  # noqa: F401
import storage.knowledge  # noqa: F401
import storage.plc  # noqa: F401
import storage.privacy  # noqa: F401
import storage.ops  # noqa: F401
import storage.webview  # noqa: F401
import storage.announcement_shares  # noqa: F401
import storage.activity_rollups  # noqa: F401
