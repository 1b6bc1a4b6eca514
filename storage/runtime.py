"""Flow state, processed events, the audit log, the outbox and scheduled tasks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

import storage.deliveries  # noqa: F401  (the outbox's lease and delivery-policy columns)
from storage.repo import Repo
from storage.tables import audit_log, flow_states, outbox, processed_events, scheduled_tasks


@dataclass
class FlowState:
    flow: str
    step: str
    data: dict[str, Any]
    expires_at: datetime


class FlowRepo(Repo):
    async def get(self, key: tuple[str, str, str], now: datetime) -> FlowState | None:
        """The live flow for (platform, chat, user); an expired one is removed and None returned."""
        row = (await self.conn.execute(_FLOW, _flow_key(key))).first()
        stored = FlowState(flow=row.flow, step=row.step, data=dict(row.data), expires_at=row.expires_at) if row else None
        return await self.live(key, stored, now)

    async def live(self, key: tuple[str, str, str], stored: FlowState | None, now: datetime) -> FlowState | None:
        """A stored flow read already (by :meth:`get`, or beside its chat: ``ChatRepo.upsert_with_flow``),
        if it is still live; an expired one is removed and None returned."""
        if stored is None:
            return None
        if stored.expires_at <= now:
            await self.clear(key)
            return None
        return stored

    async def save(self, key: tuple[str, str, str], state: FlowState, now: datetime) -> None:
        platform, chat_id, user_id = key
        await self.clear(key)
        await self.conn.execute(
            flow_states.insert().values(platform=platform, chat_id=chat_id, user_id=user_id, flow=state.flow,
                                        step=state.step, data=state.data, expires_at=state.expires_at,
                                        updated_at=now)
        )

    async def clear(self, key: tuple[str, str, str]) -> bool:
        result = await self.conn.execute(_FLOW_CLEAR, _flow_key(key))
        return bool(result.rowcount)


# Built once (every event reads its flow): see storage.membership for why.
_FLOW_WHERE = (flow_states.c.platform == sa.bindparam("platform"), flow_states.c.chat_id == sa.bindparam("chat_id"),
               flow_states.c.user_id == sa.bindparam("user_id"))
_FLOW = sa.select(flow_states).where(*_FLOW_WHERE)
_FLOW_CLEAR = flow_states.delete().where(*_FLOW_WHERE)


def _flow_key(key: tuple[str, str, str]) -> dict[str, str]:
    platform, chat_id, user_id = key
    return {"platform": platform, "chat_id": chat_id, "user_id": user_id}


class EventLogRepo(Repo):
    async def claim(self, platform: str, event_id: str, now: datetime, status: str = "done", *,
                    answer: dict[str, Any] | None = None) -> bool:
        """Record an event as processed, with what it answered (``answer``, JSON-safe) when given; False if
        it already was (a redelivery)."""
        values: dict[str, Any] = {"platform": platform, "event_id": event_id, "status": status, "processed_at": now}
        if answer is not None:
            values["answer"] = answer
        return await self.insert_ignore(processed_events, values, ["platform", "event_id"])

    async def answer_of(self, platform: str, event_id: str) -> dict[str, Any] | None:
        """What the event's run answered, when it was kept (:meth:`claim`) and not yet forgotten."""
        found = (await self.conn.execute(
            sa.select(processed_events.c.answer).where(processed_events.c.platform == platform,
                                                       processed_events.c.event_id == event_id))).first()
        return found.answer if found is not None else None

    async def forget_answers(self, older_than: datetime) -> int:
        """Clear the answers kept with events processed before ``older_than`` (no run again needs them)."""
        result = await self.conn.execute(
            processed_events.update().where(processed_events.c.processed_at < older_than,
                                            processed_events.c.answer.is_not(None)).values(answer=sa.null()))
        return result.rowcount or 0

    async def seen(self, platform: str, event_id: str) -> bool:
        row = await self.conn.execute(
            sa.select(processed_events.c.event_id).where(processed_events.c.platform == platform,
                                                         processed_events.c.event_id == event_id)
        )
        return row.first() is not None

    async def prune(self, older_than: datetime) -> int:
        result = await self.conn.execute(processed_events.delete().where(processed_events.c.processed_at < older_than))
        return result.rowcount or 0


class AuditRepo(Repo):
    async def record(self, *, network_id: int | None, member_id: int | None, action: str, entity: str,
                     entity_id: object = None, details: dict[str, Any] | None = None, now: datetime) -> None:
        await self.conn.execute(
            audit_log.insert().values(network_id=network_id, member_id=member_id, action=action, entity=entity,
                                      entity_id=None if entity_id is None else str(entity_id),
                                      details=details or {}, at=now)
        )

    async def for_entity(self, network_id: int, entity: str, entity_id: object) -> list[dict[str, Any]]:
        rows = (
            await self.conn.execute(
                sa.select(audit_log)
                .where(audit_log.c.network_id == network_id, audit_log.c.entity == entity,
                       audit_log.c.entity_id == str(entity_id))
                .order_by(audit_log.c.id)
            )
        ).all()
        return [dict(r._mapping) for r in rows]


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    network_id: int | None
    chat_id: int
    messages: list[dict[str, Any]]
    status: str
    attempts: int
    not_before: datetime
    retry_key: str
    last_error: str | None


def _outbox(row: Any) -> OutboxRow:
    return OutboxRow(id=row.id, key=row.key, network_id=row.network_id, chat_id=row.chat_id,
                     messages=list(row.messages), status=row.status, attempts=row.attempts,
                     not_before=row.not_before, retry_key=row.retry_key, last_error=row.last_error)


class OutboxRepo(Repo):
    async def enqueue(self, *, key: str, network_id: int | None, chat_id: int, messages: list[dict[str, Any]],
                      now: datetime, not_before: datetime | None = None, urgency: str = "urgent",
                      deliver_by: datetime | None = None, topic: str | None = None,
                      wait_reason: str | None = None) -> bool:
        """Queue a push; enqueuing the same key twice is a no-op (returns False).

        A row with a ``topic`` supersedes the chat's older pending rows of that topic that no
        dispatcher holds (they are not sent; /deliveries says why).
        """
        queued = await self.insert_ignore(
            outbox,
            {"key": key, "network_id": network_id, "chat_id": chat_id, "messages": messages,
             "status": "pending", "attempts": 0, "not_before": not_before or now,
             "retry_key": str(uuid.uuid4()), "created_at": now, "urgency": urgency,
             "deliver_by": deliver_by or not_before or now, "topic": topic, "wait_reason": wait_reason},
            ["key"],
        )
        if queued and topic is not None:
            await self.conn.execute(
                outbox.update()
                .where(outbox.c.chat_id == chat_id, outbox.c.topic == topic, outbox.c.status == "pending",
                       outbox.c.key != key, outbox.c.sent_count == 0, outbox.c.claimed_by.is_(None))
                .values(status="superseded", wait_reason="superseded", last_error=f"superseded by {key}"[:2000]))
        return queued

    async def due(self, now: datetime, limit: int = 100) -> list[OutboxRow]:
        rows = (
            await self.conn.execute(
                sa.select(outbox)
                .where(outbox.c.status == "pending", outbox.c.not_before <= now)
                .order_by(outbox.c.not_before, outbox.c.id)
                .limit(limit)
            )
        ).all()
        return [_outbox(r) for r in rows]

    async def by_key(self, key: str) -> OutboxRow | None:
        row = (await self.conn.execute(sa.select(outbox).where(outbox.c.key == key))).first()
        return _outbox(row) if row else None

    async def mark_sent(self, row_id: int, now: datetime) -> None:
        await self.conn.execute(
            outbox.update().where(outbox.c.id == row_id).values(status="sent", sent_at=now,
                                                                attempts=outbox.c.attempts + 1)
        )

    async def mark_failed(self, row_id: int, *, error: str, retry_at: datetime | None) -> None:
        """One failed attempt: retry at ``retry_at``, or dead-letter when None."""
        values: dict[str, Any] = {"attempts": outbox.c.attempts + 1, "last_error": error[:2000]}
        if retry_at is None:
            values["status"] = "dead"
        else:
            values["not_before"] = retry_at
        await self.conn.execute(outbox.update().where(outbox.c.id == row_id).values(**values))


@dataclass(frozen=True)
class ScheduledTask:
    id: int
    key: str
    kind: str
    network_id: int | None
    run_at: datetime
    payload: dict[str, Any]
    status: str
    done_at: datetime | None = None


def _task(row: Any) -> ScheduledTask:
    return ScheduledTask(id=row.id, key=row.key, kind=row.kind, network_id=row.network_id, run_at=row.run_at,
                         payload=dict(row.payload), status=row.status, done_at=row.done_at)


class TaskRepo(Repo):
    async def schedule(self, *, key: str, kind: str, run_at: datetime, payload: dict[str, Any],
                       network_id: int | None, now: datetime) -> None:
        """Schedule (or move) the task with this key; a done task is scheduled anew."""
        existing = (await self.conn.execute(sa.select(scheduled_tasks.c.id).where(scheduled_tasks.c.key == key))).first()
        if existing:
            await self.conn.execute(
                scheduled_tasks.update().where(scheduled_tasks.c.id == existing.id).values(
                    kind=kind, run_at=run_at, payload=payload, status="pending", note=None, done_at=None)
            )
        else:
            await self.conn.execute(
                scheduled_tasks.insert().values(key=key, kind=kind, run_at=run_at, payload=payload,
                                                network_id=network_id, status="pending", created_at=now)
            )

    async def cancel(self, key: str, now: datetime, note: str = "cancelled") -> None:
        await self.conn.execute(
            scheduled_tasks.update()
            .where(scheduled_tasks.c.key == key, scheduled_tasks.c.status == "pending")
            .values(status="cancelled", note=note, done_at=now)
        )

    async def cancel_prefix(self, prefix: str, now: datetime, note: str = "cancelled") -> None:
        await self.conn.execute(
            scheduled_tasks.update()
            .where(scheduled_tasks.c.key.startswith(prefix, autoescape=True), scheduled_tasks.c.status == "pending")
            .values(status="cancelled", note=note, done_at=now)
        )

    async def pending(self, *, due_before: datetime | None = None) -> list[ScheduledTask]:
        query = sa.select(scheduled_tasks).where(scheduled_tasks.c.status == "pending")
        if due_before is not None:
            query = query.where(scheduled_tasks.c.run_at <= due_before)
        rows = (await self.conn.execute(query.order_by(scheduled_tasks.c.run_at, scheduled_tasks.c.id))).all()
        return [_task(r) for r in rows]

    async def get(self, key: str) -> ScheduledTask | None:
        row = (await self.conn.execute(sa.select(scheduled_tasks).where(scheduled_tasks.c.key == key))).first()
        return _task(row) if row else None

    async def claim(self, task_id: int, now: datetime, status: str = "done", note: str | None = None) -> bool:
        """Mark a pending task finished; False if another process got there first."""
        result = await self.conn.execute(
            scheduled_tasks.update()
            .where(scheduled_tasks.c.id == task_id, scheduled_tasks.c.status == "pending")
            .values(status=status, note=note, done_at=now)
        )
        return bool(result.rowcount)
