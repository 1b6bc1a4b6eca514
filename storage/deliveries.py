"""The dispatcher's side of the outbox: leases, progress, retries, dead letters, reports.

The core ``outbox`` table (storage/tables.py) is extended by migration 0004_outbox with:

* ``claimed_by`` / ``claimed_until``: a lease. A dispatcher claims a row before sending it;
  another process skips the row until the lease ends, so two dispatchers never send the
  same row at once. A crashed dispatcher's lease simply runs out and the row is picked up
  again (nothing is lost).
* ``sent_count``: how many of the row's messages were already delivered (a row may be
  sent in several requests; a retry resumes after the delivered ones).
* ``dead_at``: when the row was moved to the dead-letter state.

Migration 0009_delivery adds what the delivery policy (bot/delivery_policy.py) needs:

* ``urgency`` (urgent | timely | digest) and ``deliver_by``, the latest acceptable delivery time;
* ``topic``: a supersede key: a newer row of the same chat and topic drops the older pending one
  (status ``superseded``), e.g. last week's summary when this week's is queued;
* ``wait_reason``: why a pending row is not pushed yet (free_chance | budget | monthly_limit |
  quiet_hours), or ``superseded``;
* ``via`` (push | reply | share): how it was delivered, and ``billed``: the units the platform charged.

Lease times use a real (wall) clock, ``not_before`` uses the application's clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.repo import Repo, serialise_on
from storage.tables import chats, members, outbox, scheduled_tasks
from storage.types import UTCDateTime


def _extend_outbox() -> None:
    """Declare the columns migrations 0004_outbox and 0009_delivery add to the core table (idempotent)."""
    extra: list[sa.Column[Any]] = [
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("claimed_until", UTCDateTime),
        sa.Column("sent_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("dead_at", UTCDateTime),
        sa.Column("urgency", sa.String(8), nullable=False, server_default="urgent"),
        sa.Column("deliver_by", UTCDateTime),
        sa.Column("topic", sa.String(255)),
        sa.Column("wait_reason", sa.String(16)),
        sa.Column("via", sa.String(8)),
        sa.Column("billed", sa.Integer, nullable=False, server_default="0"),
    ]
    for column in extra:
        if column.name not in outbox.c:
            outbox.append_column(column)
    if not any(ix.name == "ix_outbox_network_status" for ix in outbox.indexes):
        sa.Index("ix_outbox_network_status", outbox.c.network_id, outbox.c.status)
    if not any(ix.name == "ix_outbox_chat_status" for ix in outbox.indexes):
        sa.Index("ix_outbox_chat_status", outbox.c.chat_id, outbox.c.status)
    if not any(ix.name == "ix_outbox_chat_topic" for ix in outbox.indexes):
        sa.Index("ix_outbox_chat_topic", outbox.c.chat_id, outbox.c.topic)


_extend_outbox()


@dataclass(frozen=True)
class ClaimedRow:
    """An outbox row this dispatcher holds the lease on, with what it needs to send it."""

    id: int
    key: str
    network_id: int | None
    chat_id: int
    messages: list[dict[str, Any]]
    attempts: int
    retry_key: str
    sent_count: int
    not_before: datetime
    platform: str
    platform_chat_id: str
    chat_kind: str
    chat_title: str | None
    chat_network_id: int | None
    chat_active: bool
    urgency: str = "urgent"


@dataclass(frozen=True)
class ChatDeliveries:
    """Delivery counts for one chat (a /deliveries or announcement report line)."""

    chat_id: int
    title: str | None
    platform: str
    kind: str
    active: bool
    sent: int = 0
    pending: int = 0
    dead: int = 0
    last_error: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    key: str
    chat_id: int
    title: str | None
    kind: str
    error: str | None
    dead_at: datetime | None


_CLAIM_COLUMNS = (outbox.c.id, outbox.c.key, outbox.c.network_id, outbox.c.chat_id, outbox.c.messages,
                  outbox.c.attempts, outbox.c.retry_key, outbox.c.sent_count, outbox.c.not_before, outbox.c.urgency)


def _lease_free(lease_now: Any) -> sa.ColumnElement[bool]:
    return sa.or_(outbox.c.claimed_until.is_(None), outbox.c.claimed_until <= lease_now)


def carried_by_reply(chat_id: Any, lease_now: Any) -> sa.ColumnElement[bool]:
    """The outbox rows a free reply to a chat may carry: pending, nothing sent yet, no lease held."""
    return sa.and_(outbox.c.chat_id == chat_id, outbox.c.status == "pending", outbox.c.sent_count == 0,
                   _lease_free(lease_now))


def _claimed_select() -> sa.Select[Any]:
    """An outbox row with its chat, as a dispatcher works it."""
    return (sa.select(*_CLAIM_COLUMNS, chats.c.platform, chats.c.platform_chat_id, chats.c.kind.label("chat_kind"),
                      chats.c.title, chats.c.network_id.label("chat_network_id"), chats.c.active)
            .join(chats, chats.c.id == outbox.c.chat_id))


def _claimed_row(r: Any) -> ClaimedRow:
    return ClaimedRow(id=r.id, key=r.key, network_id=r.network_id, chat_id=r.chat_id, messages=list(r.messages),
                      attempts=r.attempts, retry_key=r.retry_key, sent_count=r.sent_count,
                      not_before=r.not_before, platform=r.platform, platform_chat_id=r.platform_chat_id,
                      chat_kind=r.chat_kind, chat_title=r.title, chat_network_id=r.chat_network_id,
                      chat_active=r.active, urgency=r.urgency)


class DeliveryRepo(Repo):
    """Claims and settles outbox rows; reports for coordinators."""

    async def claim(self, *, owner: str, now: datetime, lease_now: datetime, lease_until: datetime,
                    platforms: list[str], limit: int, per_chat: int | None = None,
                    per_group: int | None = None) -> list[ClaimedRow]:
        """Take the lease on up to ``limit`` due, unleased rows for chats on ``platforms``.

        A chat's rows go in order: a row is taken only when no earlier row of its chat waits for a
        retry (or is held by another dispatcher), and rows of one chat are taken oldest first, so
        a claim cut off by ``limit`` never takes a later row without the earlier ones. ``per_chat``
        / ``per_group``: how many rows of one private chat / group this owner may hold at once
        (counting those it already holds), what their windows let it send before the rows' time runs
        out. Pick candidates, then a conditional UPDATE that re-checks status and lease per
        row, so a row is only ever claimed by one owner at a time.
        """
        if not platforms or limit <= 0:
            return []
        # Claims are serialised across processes (SQLite: the write lock; PostgreSQL: an
        # advisory lock), so the chat-affinity check below cannot race.
        await serialise_on(self.conn, "outbox-claim")
        other = outbox.alias("other")
        free = _lease_free(lease_now)
        # (IS NOT NULL first: a NULL would make the whole test NULL, and NOT NULL is no "true")
        mine = sa.and_(outbox.c.claimed_by.is_not(None), outbox.c.claimed_until.is_not(None),
                       outbox.c.claimed_by == owner, outbox.c.claimed_until > lease_now)
        eligible = sa.and_(outbox.c.not_before <= now, free)
        # An earlier row waiting for its retry keeps the chat's later rows back (rows parked by the
        # delivery policy, with a wait_reason, do not: they wait on purpose, the others may pass).
        retry_wait = sa.and_(~eligible, ~mine, outbox.c.wait_reason.is_(None), outbox.c.attempts > 0)

        def in_chat(flag: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
            """How many rows of the chat up to this one (in order) have ``flag``."""
            return sa.func.sum(sa.case((flag, 1), else_=0)).over(partition_by=outbox.c.chat_id,
                                                                  order_by=outbox.c.id, rows=(None, 0))

        ranked = (
            sa.select(outbox.c.id, outbox.c.chat_id, outbox.c.not_before, chats.c.kind,
                      sa.case((eligible, 1), else_=0).label("eligible"),
                      in_chat(retry_wait).label("held_back"), in_chat(sa.or_(eligible, mine)).label("rank"),
                      sa.func.sum(sa.case((eligible, 1), else_=0)).over(partition_by=outbox.c.chat_id)
                      .label("waiting"))
            .join(chats, chats.c.id == outbox.c.chat_id)
            .where(outbox.c.status == "pending", chats.c.platform.in_(platforms))
            .subquery("ranked")
        )
        # A chat whose rows another live dispatcher holds stays with it: pushes keep their order.
        held_elsewhere = sa.exists().where(other.c.chat_id == ranked.c.chat_id, other.c.status == "pending",
                                           other.c.claimed_by != owner, other.c.claimed_until > lease_now)
        conditions = [ranked.c.eligible == 1, ranked.c.held_back == 0, ~held_elsewhere]
        if per_chat is not None or per_group is not None:
            big = 1 << 30
            cap = sa.case((ranked.c.kind == "group", per_group if per_group is not None else big),
                          else_=per_chat if per_chat is not None else big)
            conditions.append(ranked.c.rank <= cap)
        candidates = (
            sa.select(ranked.c.id).where(*conditions)
            # Round robin over chats (each chat's next row first); among those, the chats with the most
            # rows due first (their rows go one after another at the chat's own pace, so they set
            # when a broadcast ends: a chat of four rows started last would finish seconds after the
            # rest), then oldest first.
            .order_by(ranked.c.rank, ranked.c.waiting.desc(), ranked.c.not_before, ranked.c.id)
            .limit(limit)
        )
        ids = list((await self.conn.execute(candidates)).scalars())
        if not ids:
            return []
        claimed = set(
            (await self.conn.execute(
                outbox.update()
                .where(outbox.c.id.in_(ids), outbox.c.status == "pending", _lease_free(lease_now))
                .values(claimed_by=owner, claimed_until=lease_until)
                .returning(outbox.c.id)
            )).scalars()
        )
        if not claimed:
            return []
        rows = (
            await self.conn.execute(
                _claimed_select()
                .where(outbox.c.id.in_(claimed))
                .order_by(outbox.c.not_before, outbox.c.id)
            )
        ).all()
        return [_claimed_row(r) for r in rows]

    async def riders(self, chat_id: int, *, exclude: list[int], lease_now: datetime,
                     limit: int = 20) -> list[ClaimedRow]:
        """The chat's other pending rows no one holds (due or not, nothing half-sent), oldest first:
        what may ride free on a push the chat pays for anyway. Read only; :meth:`claim_riders` leases."""
        rows = (
            await self.conn.execute(
                _claimed_select()
                .where(outbox.c.chat_id == chat_id, outbox.c.status == "pending", outbox.c.sent_count == 0,
                       outbox.c.id.not_in(exclude), _lease_free(lease_now))
                .order_by(outbox.c.id).limit(limit)
            )
        ).all()
        return [_claimed_row(r) for r in rows]

    async def claim_riders(self, row_ids: list[int], *, owner: str, lease_now: datetime,
                           lease_until: datetime) -> set[int]:
        """Lease the rows :meth:`riders` offered (those still pending and free: a free reply or another
        dispatcher may have been faster); returns the ids taken."""
        if not row_ids:
            return set()
        await serialise_on(self.conn, "outbox-claim")
        result = await self.conn.execute(
            outbox.update().where(outbox.c.id.in_(row_ids), outbox.c.status == "pending", outbox.c.sent_count == 0,
                                  _lease_free(lease_now))
            .values(claimed_by=owner, claimed_until=lease_until).returning(outbox.c.id))
        return set(result.scalars())

    async def renew(self, owner: str, lease_until: datetime) -> int:
        """Extend every lease ``owner`` still holds (a heartbeat while rows wait for pacing)."""
        result = await self.conn.execute(
            outbox.update().where(outbox.c.claimed_by == owner, outbox.c.status == "pending")
            .values(claimed_until=lease_until))
        return result.rowcount or 0

    async def release_rows(self, owner: str, row_ids: list[int]) -> int:
        """Give back the leases of these rows (a chat's later rows, when an earlier one must be retried)."""
        if not row_ids:
            return 0
        result = await self.conn.execute(
            outbox.update().where(outbox.c.id.in_(row_ids), outbox.c.claimed_by == owner, outbox.c.status == "pending")
            .values(claimed_by=None, claimed_until=None))
        return result.rowcount or 0

    async def holds(self, row_id: int, owner: str) -> bool:
        """Whether ``owner`` still holds the lease on a pending row (it may have been taken over)."""
        held = (await self.conn.execute(
            sa.select(outbox.c.id).where(outbox.c.id == row_id, outbox.c.status == "pending",
                                         outbox.c.claimed_by == owner))).first()
        return held is not None

    async def release(self, owner: str) -> int:
        """Give back every lease ``owner`` holds (clean shutdown)."""
        result = await self.conn.execute(
            outbox.update().where(outbox.c.claimed_by == owner, outbox.c.status == "pending")
            .values(claimed_by=None, claimed_until=None))
        return result.rowcount or 0

    async def progress(self, row_id: int, sent_count: int) -> None:
        await self.conn.execute(outbox.update().where(outbox.c.id == row_id).values(sent_count=sent_count))

    async def sent(self, row_id: int, now: datetime) -> bool:
        result = await self.conn.execute(
            outbox.update().where(outbox.c.id == row_id, outbox.c.status == "pending")
            .values(status="sent", sent_at=now, attempts=outbox.c.attempts + 1, claimed_by=None,
                    claimed_until=None, via="push", wait_reason=None))
        return bool(result.rowcount)

    async def sent_many(self, row_ids: list[int], now: datetime) -> int:
        """:meth:`sent` for several rows in one statement (a group commit of marks)."""
        if not row_ids:
            return 0
        result = await self.conn.execute(
            outbox.update().where(outbox.c.id.in_(row_ids), outbox.c.status == "pending")
            .values(status="sent", sent_at=now, attempts=outbox.c.attempts + 1, claimed_by=None,
                    claimed_until=None, via="push", wait_reason=None))
        return result.rowcount or 0

    async def retry(self, row_id: int, *, error: str, retry_at: datetime, sent_count: int) -> None:
        await self.conn.execute(
            outbox.update().where(outbox.c.id == row_id, outbox.c.status == "pending")
            .values(attempts=outbox.c.attempts + 1, last_error=error[:2000], not_before=retry_at,
                    sent_count=sent_count, claimed_by=None, claimed_until=None))

    async def park(self, row_id: int, *, reason: str, error: str, until: datetime) -> None:
        """The row waits (e.g. the month's quota is used up): no attempt counted; a free reply or
        the dispatcher at ``until`` takes it."""
        await self.conn.execute(
            outbox.update().where(outbox.c.id == row_id, outbox.c.status == "pending")
            .values(wait_reason=reason, last_error=error[:2000], not_before=until, claimed_by=None,
                    claimed_until=None))

    async def withdraw(self, network_id: int, key_prefix: str, *, reason: str) -> int:
        """Pending rows of a network under ``key_prefix`` that nothing is sending are not sent any more (a
        reminder of a meeting that was cancelled); /deliveries counts them with the superseded ones."""
        result = await self.conn.execute(
            outbox.update()
            .where(outbox.c.network_id == network_id, outbox.c.key.startswith(key_prefix, autoescape=True),
                   outbox.c.status == "pending", outbox.c.sent_count == 0, outbox.c.claimed_by.is_(None))
            .values(status="superseded", wait_reason="superseded", last_error=reason[:2000]))
        return result.rowcount or 0

    async def urgent_billed_since(self, platform: str, since: datetime) -> int:
        """Roughly what urgent pushes on ``platform`` cost since ``since``: one push per chat and sending
        time (rows sent together share it), billed per recipient (a group's known size, else 1)."""
        from storage.delivery_stats import group_sizes

        rows = (await self.conn.execute(
            sa.select(outbox.c.chat_id, outbox.c.sent_at, sa.func.max(group_sizes.c.member_count).label("size"))
            .join(chats, chats.c.id == outbox.c.chat_id)
            .outerjoin(group_sizes, sa.and_(group_sizes.c.platform == chats.c.platform,
                                            group_sizes.c.platform_chat_id == chats.c.platform_chat_id))
            .where(chats.c.platform == platform, outbox.c.urgency == "urgent", outbox.c.status == "sent",
                   outbox.c.via == "push", outbox.c.sent_at >= since)
            .group_by(outbox.c.chat_id, outbox.c.sent_at))).all()
        return sum(max(1, r.size or 1) for r in rows)

    async def people_waiting_for_push(self, platform: str, until: datetime) -> int:
        """How many private chats on ``platform`` have a timely or digest row that will ask for its own
        push by ``until`` (one message each: the cheaper rows a group's digest lets go first)."""
        return int((await self.conn.execute(
            sa.select(sa.func.count(sa.distinct(outbox.c.chat_id))).join(chats, chats.c.id == outbox.c.chat_id)
            .where(chats.c.platform == platform, chats.c.kind == "private", outbox.c.status == "pending",
                   outbox.c.urgency.in_(("timely", "digest")), outbox.c.not_before <= until))).scalar_one())

    async def waiting(self, network_id: int) -> dict[str, int]:
        """Pending rows of a network by why they wait (``due``: nothing holds them)."""
        rows = (await self.conn.execute(
            sa.select(outbox.c.wait_reason, sa.func.count().label("n"))
            .where(outbox.c.network_id == network_id, outbox.c.status == "pending")
            .group_by(outbox.c.wait_reason))).all()
        return {(r.wait_reason or "due"): r.n for r in rows}

    async def dead(self, row_id: int, *, error: str, now: datetime, count_attempt: bool = True) -> None:
        values: dict[str, Any] = {"status": "dead", "dead_at": now, "last_error": error[:2000], "claimed_by": None,
                                  "claimed_until": None}
        if count_attempt:
            values["attempts"] = outbox.c.attempts + 1
        await self.conn.execute(
            outbox.update().where(outbox.c.id == row_id, outbox.c.status == "pending").values(**values))

    async def dead_for_chat(self, chat_id: int, *, error: str, now: datetime) -> list[int]:
        """Dead-letter every pending row of a chat that is gone (blocked or removed the bot)."""
        result = await self.conn.execute(
            outbox.update().where(outbox.c.chat_id == chat_id, outbox.c.status == "pending")
            .values(status="dead", dead_at=now, last_error=error[:2000], claimed_by=None, claimed_until=None)
            .returning(outbox.c.id))
        return list(result.scalars())

    async def requeue_dead(self, network_id: int, now: datetime) -> int:
        """Give a network's dead letters (to chats still active) a fresh set of attempts."""
        active_chats = sa.select(chats.c.id).where(chats.c.active == sa.true())
        result = await self.conn.execute(
            outbox.update()
            .where(outbox.c.network_id == network_id, outbox.c.status == "dead", outbox.c.chat_id.in_(active_chats))
            .values(status="pending", attempts=0, not_before=now, dead_at=None, claimed_by=None, claimed_until=None))
        return result.rowcount or 0

    async def next_due(self, platforms: list[str], lease_now: datetime | None = None,
                       after: datetime | None = None) -> datetime | None:
        """The earliest ``not_before`` among pending rows (to know how long to sleep); with
        ``lease_now``, among those no dispatcher holds (rows held in memory are not "due"); with
        ``after``, among those due later than that (a row due now that a claim left waits for a
        change, not for the clock)."""
        query = (sa.select(sa.func.min(outbox.c.not_before))
                 .join(chats, chats.c.id == outbox.c.chat_id)
                 .where(outbox.c.status == "pending", chats.c.platform.in_(platforms)))
        if lease_now is not None:
            query = query.where(_lease_free(lease_now))
        if after is not None:
            query = query.where(outbox.c.not_before > after)
        due: datetime | None = (await self.conn.execute(query)).scalar_one_or_none()
        return due

    # ------------------------------------------------------------ reports

    async def by_chat(self, network_id: int, *, since: datetime | None = None,
                      key_prefix: str | None = None) -> list[ChatDeliveries]:
        """Sent / pending / dead counts per chat of a network (optionally one broadcast's keys)."""
        query = (
            sa.select(outbox.c.chat_id, outbox.c.status, sa.func.count().label("n"))
            .where(outbox.c.network_id == network_id)
            .group_by(outbox.c.chat_id, outbox.c.status)
        )
        if since is not None:
            query = query.where(outbox.c.created_at >= since)
        if key_prefix is not None:
            query = query.where(outbox.c.key.startswith(key_prefix, autoescape=True))
        counts: dict[int, dict[str, int]] = {}
        for row in (await self.conn.execute(query)).all():
            counts.setdefault(row.chat_id, {})[row.status] = row.n
        if not counts:
            return []
        chat_rows = (await self.conn.execute(sa.select(chats).where(chats.c.id.in_(counts)))).all()
        errors = await self._last_errors(network_id, list(counts), key_prefix)
        result = []
        for chat in sorted(chat_rows, key=lambda c: (c.kind != "group", c.title or "", c.id)):
            c = counts[chat.id]
            result.append(ChatDeliveries(chat_id=chat.id, title=chat.title, platform=chat.platform, kind=chat.kind,
                                         active=chat.active, sent=c.get("sent", 0), pending=c.get("pending", 0),
                                         dead=c.get("dead", 0), last_error=errors.get(chat.id)))
        return result

    async def _last_errors(self, network_id: int, chat_ids: list[int], key_prefix: str | None) -> dict[int, str]:
        query = (
            sa.select(outbox.c.chat_id, outbox.c.last_error)
            .where(outbox.c.network_id == network_id, outbox.c.chat_id.in_(chat_ids), outbox.c.status == "dead")
            .order_by(outbox.c.dead_at)
        )
        if key_prefix is not None:
            query = query.where(outbox.c.key.startswith(key_prefix, autoescape=True))
        return {r.chat_id: r.last_error for r in (await self.conn.execute(query)).all() if r.last_error}

    async def dead_letters(self, network_id: int, limit: int = 10) -> list[DeadLetter]:
        rows = (
            await self.conn.execute(
                sa.select(outbox.c.key, outbox.c.chat_id, outbox.c.last_error, outbox.c.dead_at, chats.c.title,
                          chats.c.kind)
                .join(chats, chats.c.id == outbox.c.chat_id)
                .where(outbox.c.network_id == network_id, outbox.c.status == "dead")
                .order_by(outbox.c.dead_at.desc(), outbox.c.id.desc())
                .limit(limit))
        ).all()
        return [DeadLetter(key=r.key, chat_id=r.chat_id, title=r.title, kind=r.kind, error=r.last_error,
                           dead_at=r.dead_at) for r in rows]

    async def status_counts(self, network_id: int) -> dict[str, int]:
        rows = (
            await self.conn.execute(
                sa.select(outbox.c.status, sa.func.count().label("n")).where(outbox.c.network_id == network_id)
                .group_by(outbox.c.status))
        ).all()
        return {r.status: r.n for r in rows}


class ChatGoneRepo(Repo):
    """What follows when a platform says a chat blocked or removed the bot."""

    async def mark_gone(self, chat_id: int, platform: str, platform_chat_id: str, kind: str, reason: str) -> None:
        from storage.membership import ChatRepo

        await ChatRepo(self.conn).set_active(chat_id, False, reason=reason[:255])
        if kind == "private":  # on both platforms a private chat's id is the user's id
            await self.conn.execute(
                members.update().where(members.c.platform == platform, members.c.platform_user_id == platform_chat_id)
                .values(reachable=False))


class TaskOutcomeRepo(Repo):
    """Lets a task handler record that it decided not to act (dropped), and why."""

    async def record(self, task_id: int, status: str, note: str) -> None:
        await self.conn.execute(
            scheduled_tasks.update().where(scheduled_tasks.c.id == task_id).values(status=status, note=note[:2000]))


@dataclass(frozen=True)
class PendingRow:
    """A pending row a free reply may carry."""

    id: int
    key: str
    messages: list[dict[str, Any]]
    urgency: str


def reply_owner(instance: str | None, reply_id: str) -> str:
    """Who leases the rows carried by one free reply: ``<instance>:reply:<id>`` under ``edunet serve``
    (a heartbeat take-over of that instance hands them back, storage/ops.py), else ``reply:<id>``."""
    return f"{instance}:reply:{reply_id}" if instance else f"reply:{reply_id}"


def leased_by_instance(instance: str) -> sa.ColumnElement[bool]:
    """Rows an instance holds: leased by its dispatcher (its id) or by one of its free replies."""
    return sa.or_(outbox.c.claimed_by == instance,
                  outbox.c.claimed_by.startswith(f"{instance}:reply:", autoescape=True))


# Built once, with bound parameters (see storage.membership).
_PENDING = (sa.select(outbox.c.id, outbox.c.key, outbox.c.messages, outbox.c.urgency)
            .where(carried_by_reply(sa.bindparam("chat_id"), sa.bindparam("lease_now", type_=UTCDateTime)))
            .order_by(outbox.c.created_at, outbox.c.id).limit(sa.bindparam("limit")))


class CatchUpRepo(Repo):
    """The outbox side of free delivery: a chat's pending rows ride on a reply to its next event."""

    async def last_catch_up(self, chat_id: int) -> datetime | None:
        """When rows last went to this chat in a reply."""
        last: datetime | None = (await self.conn.execute(
            sa.select(sa.func.max(outbox.c.sent_at)).where(outbox.c.chat_id == chat_id, outbox.c.via == "reply")
        )).scalar_one_or_none()
        return last

    async def pending(self, chat_id: int, *, lease_now: datetime, limit: int = 20) -> list[PendingRow]:
        """The chat's pending rows no dispatcher holds, due or not, oldest first (nothing half-sent)."""
        rows = (await self.conn.execute(_PENDING, {"chat_id": chat_id, "lease_now": lease_now, "limit": limit})).all()
        return [PendingRow(id=r.id, key=r.key, messages=list(r.messages), urgency=r.urgency) for r in rows]

    async def claim(self, row_ids: list[int], *, owner: str, lease_now: datetime, lease_until: datetime) -> list[int]:
        """Lease rows for one reply; returns the ids actually taken (a dispatcher may have been faster)."""
        if not row_ids:
            return []
        result = await self.conn.execute(
            outbox.update().where(outbox.c.id.in_(row_ids), outbox.c.status == "pending", _lease_free(lease_now))
            .values(claimed_by=owner, claimed_until=lease_until).returning(outbox.c.id))
        return list(result.scalars())

    async def delivered(self, owner: str, now: datetime) -> int:
        """The reply went out: the rows it carried are sent, free."""
        result = await self.conn.execute(
            outbox.update().where(outbox.c.claimed_by == owner, outbox.c.status == "pending")
            .values(status="sent", sent_at=now, via="reply", billed=0, wait_reason=None,
                    attempts=outbox.c.attempts + 1, claimed_by=None, claimed_until=None))
        return result.rowcount or 0

    async def pending_count(self, chat_id: int) -> int:
        """How many notifications wait for this chat."""
        return int((await self.conn.execute(
            sa.select(sa.func.count()).where(outbox.c.chat_id == chat_id, outbox.c.status == "pending")
        )).scalar_one())
