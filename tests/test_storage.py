"""Storage on both engines: migrations, constraints, idempotent inserts, isolation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.membership import ChatRepo, InviteRepo, MemberRepo, NetworkRepo
from storage.runtime import EventLogRepo, FlowRepo, FlowState, OutboxRepo, TaskRepo
from storage.tables import outbox

NOW = datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)


async def test_upgrade_is_idempotent_and_reaches_every_head(db: Database) -> None:
    from storage.migrations.runner import current_heads

    await db.upgrade()  # already at head: a no-op
    async with db.transaction() as conn:
        versions = {r[0] for r in await conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
    assert versions == current_heads(db.url)


async def test_times_come_back_as_aware_utc(db: Database) -> None:
    bangkok_time = datetime(2026, 11, 21, 9, 0, tzinfo=timezone(timedelta(hours=7)))
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=bangkok_time)
        invite = await InviteRepo(conn).create(network.id, code="ABCDEFGH", role="teacher", max_uses=1,
                                               expires_at=bangkok_time, created_by=None, now=NOW)
    async with db.transaction() as conn:
        again = await InviteRepo(conn).by_code("ABCDEFGH")
    assert again is not None and invite.id == again.id
    assert again.expires_at == datetime(2026, 11, 21, 2, 0, tzinfo=timezone.utc)
    assert again.expires_at.tzinfo is not None


async def test_an_event_is_claimed_once(db: Database) -> None:
    async with db.transaction() as conn:
        assert await EventLogRepo(conn).claim("line", "ev-1", NOW)
        assert not await EventLogRepo(conn).claim("line", "ev-1", NOW)
        assert await EventLogRepo(conn).claim("telegram", "ev-1", NOW)  # ids are per platform


async def test_a_duplicate_outbox_key_is_a_no_op_and_keeps_the_transaction_usable(db: Database) -> None:
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=NOW)
        chat = await ChatRepo(conn).upsert("line", "C1", "group", "teachers", now=NOW)
        repo = OutboxRepo(conn)
        assert await repo.enqueue(key="meeting:1:remind:-60m:chat:1", network_id=network.id, chat_id=chat.id,
                                  messages=[{"type": "text", "text": "hi"}], now=NOW)
        assert not await repo.enqueue(key="meeting:1:remind:-60m:chat:1", network_id=network.id, chat_id=chat.id,
                                      messages=[{"type": "text", "text": "again"}], now=NOW)
        # PostgreSQL would have aborted the transaction on a plain INSERT conflict.
        assert len(await repo.due(NOW)) == 1
    async with db.transaction() as conn:
        (row,) = await OutboxRepo(conn).due(NOW)
        assert row.messages == [{"type": "text", "text": "hi"}]
        assert len(row.retry_key) == 36


async def test_one_active_membership_per_identity_and_network_and_rejoining_after_removal(db: Database) -> None:
    async with db.transaction() as conn:
        a = await NetworkRepo(conn).create("A", timezone="Asia/Bangkok", language="th", now=NOW)
        b = await NetworkRepo(conn).create("B", timezone="Asia/Bangkok", language="th", now=NOW)
        members = MemberRepo(conn)
        first = await members.add(a.id, platform="line", platform_user_id="U1", display_name="Pim", role="parent",
                                  language="th", now=NOW)
        await members.update(first.id, status="removed")
        second = await members.add(b.id, platform="line", platform_user_id="U1", display_name="Pim",
                                   role="teacher", language="th", now=NOW)
        assert second.number == 1 and first.number == 1  # numbered within each network
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError):  # active in B already (several networks, one membership in each)
        async with db.transaction() as conn:
            await MemberRepo(conn).add(b.id, platform="line", platform_user_id="U1", display_name="Pim",
                                       role="parent", language="th", now=NOW)
    async with db.transaction() as conn:  # back in A beside B
        await MemberRepo(conn).add(a.id, platform="line", platform_user_id="U1", display_name="Pim",
                                   role="parent", language="th", now=NOW)
        assert [n.name for _m, n in await MemberRepo(conn).memberships("line", "U1")] == ["B", "A"]


async def test_invite_uses_cannot_exceed_the_limit(db: Database) -> None:
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("N", timezone="Asia/Bangkok", language="th", now=NOW)
        invite = await InviteRepo(conn).create(network.id, code="K7M3QX9P", role="teacher", max_uses=2,
                                               expires_at=NOW + timedelta(days=1), created_by=None, now=NOW)
        repo = InviteRepo(conn)
        assert [await repo.consume(invite.id) for _ in range(3)] == [True, True, False]


async def test_flow_state_survives_a_new_connection_and_expires(db: Database) -> None:
    key = ("line", "U1", "U1")
    async with db.transaction() as conn:
        await FlowRepo(conn).save(key, FlowState("join", "code", {"n": 1}, NOW + timedelta(minutes=30)), NOW)
    other = Database(db.url)  # as after a restart
    try:
        async with other.transaction() as conn:
            state = await FlowRepo(conn).get(key, NOW + timedelta(minutes=5))
            assert state is not None and state.step == "code" and state.data == {"n": 1}
            assert await FlowRepo(conn).get(key, NOW + timedelta(minutes=31)) is None
    finally:
        await other.dispose()


async def test_a_chat_is_read_with_its_senders_flow_and_a_new_chat_has_none(db: Database) -> None:
    """Every event's chat and flow in one statement: the sender's own flow (not another's), expired
    ones as they are (FlowRepo.live removes them); a chat seen for the first time has none."""
    key = ("line", "Cgroup", "Ualice")
    async with db.transaction() as conn:
        chats = ChatRepo(conn)
        chat, flow = await chats.upsert_with_flow("line", "Cgroup", "group", "ครู", user_id="Ualice", now=NOW)
        assert (chat.title, flow) == ("ครู", None)
        await FlowRepo(conn).save(key, FlowState("survey", "q1", {"n": 1}, NOW + timedelta(minutes=30)), NOW)
        await FlowRepo(conn).save(("line", "Cgroup", "Ubob"),
                                  FlowState("plan", "title", {}, NOW - timedelta(minutes=1)), NOW)
    async with db.transaction() as conn:
        chats = ChatRepo(conn)
        chat, flow = await chats.upsert_with_flow("line", "Cgroup", "group", "ครูประถม", user_id="Ualice", now=NOW)
        assert chat.title == "ครูประถม" and flow is not None
        assert (flow.flow, flow.step, flow.data) == ("survey", "q1", {"n": 1})
        assert (await FlowRepo(conn).live(key, flow, NOW)).step == "q1"  # type: ignore[union-attr]
        _chat, expired = await chats.upsert_with_flow("line", "Cgroup", "group", None, user_id="Ubob", now=NOW)
        assert expired is not None and await FlowRepo(conn).live(("line", "Cgroup", "Ubob"), expired, NOW) is None
        assert await FlowRepo(conn).get(("line", "Cgroup", "Ubob"), NOW - timedelta(hours=1)) is None  # removed
        _chat, none = await chats.upsert_with_flow("line", "Cgroup", "group", None, user_id="Ucarol", now=NOW)
        assert none is None


async def test_a_forgotten_private_chat_takes_its_flows_with_it(db: Database) -> None:
    """A chat's row and its flows go together, so a chat seen again after /forget starts afresh."""
    from storage.privacy import MemberDataRepo

    key = ("line", "Uparent", "Uparent")
    async with db.transaction() as conn:
        chat, _flow = await ChatRepo(conn).upsert_with_flow("line", "Uparent", "private", None, user_id="Uparent",
                                                            now=NOW)
        await FlowRepo(conn).save(key, FlowState("join", "consent", {}, NOW + timedelta(days=1)), NOW)
        await MemberDataRepo(conn).forget_private_chat(chat.id)
    async with db.transaction() as conn:
        assert await FlowRepo(conn).get(key, NOW) is None
        _chat, flow = await ChatRepo(conn).upsert_with_flow("line", "Uparent", "private", None, user_id="Uparent",
                                                            now=NOW)
        assert flow is None


async def test_a_task_is_claimed_by_one_process_only(db: Database) -> None:
    async with db.transaction() as conn:
        await TaskRepo(conn).schedule(key="meeting:1:remind:-60m", kind="x", run_at=NOW, payload={}, network_id=None,
                                      now=NOW)
    async with db.transaction() as conn:
        task = await TaskRepo(conn).get("meeting:1:remind:-60m")
    assert task is not None

    other = Database(db.url)

    async def claim(database: Database) -> bool:
        async with database.transaction() as conn:
            return await TaskRepo(conn).claim(task.id, NOW)

    try:
        results = await asyncio.gather(claim(db), claim(other))
    finally:
        await other.dispose()
    assert sorted(results) == [False, True]


async def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction() as conn:
            await NetworkRepo(conn).create("Half", timezone="Asia/Bangkok", language="th", now=NOW)
            raise RuntimeError("boom")
    async with db.transaction() as conn:
        assert await NetworkRepo(conn).all() == []


async def test_a_private_chat_answers_in_the_language_of_the_network_its_member_switched_to(db: Database) -> None:
    async with db.transaction() as conn:
        thai = await NetworkRepo(conn).create("Thai", timezone="Asia/Bangkok", language="th", now=NOW)
        english = await NetworkRepo(conn).create("English", timezone="Asia/Bangkok", language="en", now=NOW)
        members = MemberRepo(conn)
        for user, network, language in (("U1", thai, "th"), ("U1", english, "en"), ("U2", thai, "th")):
            await members.add(network.id, platform="line", platform_user_id=user, display_name=user, role="teacher",
                              language=language, now=NOW)
        chats = ChatRepo(conn)
        private = await chats.upsert("line", "U1", "private", None, now=NOW)
        await chats.upsert("line", "U2", "private", None, now=NOW)  # other chats must not leak in
        group = await chats.upsert("line", "C1", "group", "Teachers", now=NOW)
        await chats.link(group.id, english.id, by_member_id=None, now=NOW)
        languages = await chats.after_event(private.id, lease_now=NOW)
        assert languages is not None and (languages.member_language, languages.network_language) == ("th", None)
        await members.set_current("line", "U1", english.id, now=NOW)
        languages = await chats.after_event(private.id, lease_now=NOW)
        assert languages is not None and (languages.member_language, languages.network_language) == ("en", None)
        languages = await chats.after_event(group.id, lease_now=NOW)
        assert languages is not None and (languages.member_language, languages.network_language) == (None, "en")
        current = await members.current("line", "U1")
        assert current is not None and current.network_id == english.id
        found = await members.current_with_network("line", "U1")
        assert found is not None and (found[0].id, found[1]) == (current.id, english)


async def test_a_chat_read_after_an_event_says_whether_a_free_reply_could_carry_something(db: Database) -> None:
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("Net", timezone="Asia/Bangkok", language="th", now=NOW)
        chats = ChatRepo(conn)
        chat = await chats.upsert("line", "U1", "private", None, now=NOW)
        other = await chats.upsert("line", "U2", "private", None, now=NOW)
        after = await chats.after_event(chat.id, lease_now=NOW)
        assert after is not None and after.chat == chat and not after.waiting
        await OutboxRepo(conn).enqueue(key="k1", network_id=network.id, chat_id=other.id,
                                       messages=[{"type": "text", "text": "hi"}], now=NOW)
        assert not (await chats.after_event(chat.id, lease_now=NOW)).waiting  # type: ignore[union-attr]
        await OutboxRepo(conn).enqueue(key="k2", network_id=network.id, chat_id=chat.id,
                                       messages=[{"type": "text", "text": "hi"}], now=NOW)
        assert (await chats.after_event(chat.id, lease_now=NOW)).waiting  # type: ignore[union-attr]
        # A dispatcher's lease on the row: not for the reply until it runs out.
        await conn.execute(outbox.update().where(outbox.c.key == "k2")
                           .values(claimed_by="d", claimed_until=NOW + timedelta(minutes=1)))
        assert not (await chats.after_event(chat.id, lease_now=NOW)).waiting  # type: ignore[union-attr]
        assert (await chats.after_event(chat.id, lease_now=NOW + timedelta(minutes=2))).waiting  # type: ignore[union-attr]
        assert await chats.after_event(other.id + 100, lease_now=NOW) is None


async def test_a_network_with_a_member_is_read_in_one_go(db: Database) -> None:
    async with db.transaction() as conn:
        network = await NetworkRepo(conn).create("Net", timezone="Asia/Bangkok", language="en", now=NOW)
        other = await NetworkRepo(conn).create("Other", timezone="Asia/Bangkok", language="th", now=NOW)
        members = MemberRepo(conn)
        dao = await members.add(network.id, platform="line", platform_user_id="U1", display_name="Dao",
                                role="teacher", language="th", now=NOW)
        await members.add(other.id, platform="line", platform_user_id="U2", display_name="Ploy",
                          role="teacher", language="th", now=NOW)
        assert await NetworkRepo(conn).with_member(network.id, "line", "U1") == (network, dao)
        assert await NetworkRepo(conn).with_member(network.id, "line", "U2") == (network, None)  # another network's
        assert await NetworkRepo(conn).with_member(network.id, "telegram", "U1") == (network, None)
        await members.update(dao.id, status="removed")
        assert await NetworkRepo(conn).with_member(network.id, "line", "U1") == (network, None)
        assert await NetworkRepo(conn).with_member(other.id + 100, "line", "U1") == (None, None)
