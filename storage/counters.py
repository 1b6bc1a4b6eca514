"""Per-network numbers that are never reused: practice 1, 2, 3… within a network.

``max(number) + 1`` hands a deleted item's number to the next one, so a member who
remembers "#12" would find something else; a counter row only ever grows. The upsert is
atomic on both engines (PostgreSQL locks the counter row until commit; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so two concurrent writers never share
a number.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.tables import metadata

network_counters = sa.Table(
    "network_counters",
    metadata,
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True),
    # What is numbered, e.g. "practice" or "offer".
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("last", sa.Integer, nullable=False),
)


async def next_number(conn: AsyncConnection, network_id: int, kind: str) -> int:
    """The next number of ``kind`` in the network (1 for the first), inside the caller's transaction."""
    insert: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    stmt = insert(network_counters).values(network_id=network_id, kind=kind, last=1)
    stmt = stmt.on_conflict_do_update(index_elements=["network_id", "kind"],
                                      set_={"last": network_counters.c.last + 1})
    return int((await conn.execute(stmt.returning(network_counters.c.last))).scalar_one())
