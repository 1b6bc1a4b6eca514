"""PostgreSQL connections are kept, not opened per transaction; what an inbox claim takes."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa

from storage.db import Database


@pytest.mark.postgres
async def test_a_worker_with_eight_chats_in_hand_reuses_its_connections(postgres_server_url: str) -> None:
    """Eight chats' transactions at once beside the dispatcher's, round after round (issue 17's
    three-instance minute opened 16,097 PostgreSQL sessions for 30,000 events with 5 pooled)."""
    db = Database(postgres_server_url)
    opened = 0

    def count(*_args: object) -> None:
        nonlocal opened
        opened += 1

    sa.event.listen(db.engine.sync_engine, "connect", count)
    try:
        async def one_transaction() -> None:
            async with db.transaction() as conn:
                await conn.execute(sa.text("SELECT pg_sleep(0.02)"))

        for _round in range(5):
            await asyncio.gather(*(one_transaction() for _ in range(9)))
        assert opened == 9  # the first round's, kept for the next four
    finally:
        await db.dispose()


async def test_a_claim_takes_members_first_then_the_oldest_and_keeps_each_chats_order(db: Database) -> None:
    """The inbox's candidates: a member's event first, a chat whose earlier event is in another
    worker's hand gives none, an event whose lease ran out comes back before its chat's next one, and
    an event given back for a retry waits while its chat's next one runs (one event of a chat at a time)."""
    from datetime import datetime, timedelta, timezone

    from storage.inbox import InboxRepo, inbox
    from storage.membership import MemberRepo, NetworkRepo

    now = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("Net", timezone="Asia/Bangkok", language="th", now=now)
        await MemberRepo(conn).add(network.id, platform="line", platform_user_id="Umember", display_name="M",
                                   role="teacher", language="th", now=now)
        repo = InboxRepo(conn, "line")
        for n, chat in enumerate(["Us1", "Ulate", "Ubusy", "Us2", "Ubusy", "Umember", "Ulate", "Us3",
                                  "Uretry", "Uretry"]):
            await repo.add(f"e{n}", chat, {"n": n}, now)
        ids = {r.event_id: r.id for r in await conn.execute(sa.select(inbox.c.id, inbox.c.event_id))}
        await conn.execute(inbox.update().where(inbox.c.event_id == "e1")  # Ulate's lease ran out
                           .values(status="processing", lease_until=now - timedelta(minutes=1)))
        await conn.execute(inbox.update().where(inbox.c.event_id == "e2")  # Ubusy's is in another's hand
                           .values(status="processing", lease_until=now + timedelta(minutes=4)))
        # Uretry's first failed and was given back (pending) while its second runs
        await conn.execute(inbox.update().where(inbox.c.event_id == "e9")
                           .values(status="processing", lease_until=now + timedelta(minutes=4)))
    async with db.transaction() as conn:
        repo = InboxRepo(conn, "line")
        got = await repo.candidates(now, 10, members_first=True)
        assert got == [ids[e] for e in ("e5", "e0", "e1", "e3", "e6", "e7")]
        assert await repo.candidates(now, 3, members_first=True) == [ids[e] for e in ("e5", "e0", "e1")]
        assert await repo.candidates(now, 10) == [ids[e] for e in ("e0", "e1", "e3", "e5", "e6", "e7")]


async def test_a_member_writing_fast_does_not_fill_the_batch_alone(db: Database) -> None:
    """A member's chat with a long backlog gives the batch its first few events, then strangers' events
    come; its later ones still fill what is left. A chat's events run one after another, so a batch of one
    chat would run serially while every other chat waited (issue 18: on PostgreSQL, under load, 21 events/s)."""
    from datetime import datetime, timezone

    from storage.inbox import InboxRepo, inbox
    from storage.membership import MemberRepo, NetworkRepo

    now = datetime(2026, 12, 3, 3, 0, tzinfo=timezone.utc)
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("Net", timezone="Asia/Bangkok", language="th", now=now)
        await MemberRepo(conn).add(network.id, platform="line", platform_user_id="Umember", display_name="M",
                                   role="teacher", language="th", now=now)
        repo = InboxRepo(conn, "line")
        for n in range(12):
            await repo.add(f"m{n}", "Umember", {"n": n}, now)
        for n in range(3):
            await repo.add(f"s{n}", f"Ustranger{n}", {"n": n}, now)
        ids = {r.event_id: r.id for r in await conn.execute(sa.select(inbox.c.id, inbox.c.event_id))}
    async with db.transaction() as conn:
        repo = InboxRepo(conn, "line")
        got = await repo.candidates(now, 8, members_first=True, per_chat=4)
        assert got == [ids[e] for e in ("m0", "m1", "m2", "m3", "s0", "s1", "s2", "m4")]
        everything = await repo.candidates(now, 20, members_first=True, per_chat=4)
        assert [i for i in everything if i in {ids[f"m{n}"] for n in range(12)}] == [ids[f"m{n}"] for n in range(12)]
        assert len(everything) == 15
        # without the share the member's backlog takes the whole batch
        assert await repo.candidates(now, 8, members_first=True) == [ids[f"m{n}"] for n in range(8)]
