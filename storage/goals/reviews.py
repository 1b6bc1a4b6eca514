"""The term review (PDCA): one review per network and term, the Act recorded per goal, and the Check
frozen when the coordinator closes the review, so a past review reads the same years later.

A review is ``open`` while the coordinator records the Act (its Check is computed live from the
data); closing it stores the Check as shown (``check``, plain JSON: numbers as strings) and marks it
``closed``, once. The Act is one row per goal: continue / adjust / stop, a note, the adjusted target
values and the new tasks that seed the next term's plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import sqlalchemy as sa

from storage.goals.tables import goals
from storage.repo import Repo
from storage.tables import metadata
from storage.types import UTCDateTime

DECISIONS: Final = ("continue", "adjust", "stop")

goal_reviews = sa.Table(
    "goal_reviews",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("academic_year", sa.Integer, nullable=False),  # Buddhist Era
    sa.Column("term", sa.Integer, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="open"),  # open | closed
    sa.Column("check_data", sa.JSON),  # the Check as shown when closed
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("closed_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("closed_at", UTCDateTime),
    sa.UniqueConstraint("network_id", "academic_year", "term", name="uq_goal_reviews_network_term"),
)

goal_review_acts = sa.Table(
    "goal_review_acts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("review_id", sa.ForeignKey("goal_reviews.id", ondelete="CASCADE"), nullable=False),
    sa.Column("goal_id", sa.ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("decision", sa.String(12), nullable=False),  # see DECISIONS
    sa.Column("note", sa.String(500), nullable=False, server_default=""),
    # [{"position": 1, "value": "30"}]: the goal's targets with their value for the next term
    sa.Column("adjustments", sa.JSON, nullable=False),
    sa.Column("new_tasks", sa.JSON, nullable=False),  # ["title", …]
    sa.Column("decided_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("decided_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("review_id", "goal_id", name="uq_goal_review_acts_review_goal"),
)


@dataclass(frozen=True)
class Act:
    goal_id: int
    decision: str
    note: str
    adjustments: tuple[tuple[int, str], ...]  # (target position, new value as text)
    new_tasks: tuple[str, ...]
    decided_at: datetime


@dataclass(frozen=True)
class Review:
    id: int
    network_id: int
    academic_year: int
    term: int
    status: str
    check: dict[str, Any] | None
    closed_at: datetime | None
    acts: tuple[Act, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.academic_year}/{self.term}"

    def act_for(self, goal_id: int) -> Act | None:
        return next((a for a in self.acts if a.goal_id == goal_id), None)


def _act(row: Any) -> Act:
    return Act(goal_id=row.goal_id, decision=row.decision, note=row.note,
               adjustments=tuple((int(a["position"]), str(a["value"])) for a in row.adjustments or ()),
               new_tasks=tuple(str(x) for x in row.new_tasks or ()), decided_at=row.decided_at)


class ReviewRepo(Repo):
    async def get(self, network_id: int, academic_year: int, term: int) -> Review | None:
        row = (await self.conn.execute(sa.select(goal_reviews).where(
            goal_reviews.c.network_id == network_id, goal_reviews.c.academic_year == academic_year,
            goal_reviews.c.term == term))).first()
        if row is None:
            return None
        acts = (await self.conn.execute(sa.select(goal_review_acts).where(
            goal_review_acts.c.network_id == network_id, goal_review_acts.c.review_id == row.id)
            .order_by(goal_review_acts.c.id))).all()
        return Review(id=row.id, network_id=row.network_id, academic_year=row.academic_year, term=row.term,
                      status=row.status, check=row.check_data, closed_at=row.closed_at,
                      acts=tuple(_act(a) for a in acts))

    async def ensure(self, network_id: int, academic_year: int, term: int, *, by: int | None,
                     now: datetime) -> Review:
        """The term's review, opened now if there is none yet."""
        await self.insert_ignore(goal_reviews, {"network_id": network_id, "academic_year": academic_year,
                                                "term": term, "status": "open", "created_by": by,
                                                "created_at": now},
                                 ["network_id", "academic_year", "term"])
        found = await self.get(network_id, academic_year, term)
        assert found is not None
        return found

    async def record_act(self, review: Review, goal_id: int, *, decision: str, note: str,
                         adjustments: list[tuple[int, str]], new_tasks: list[str], by: int | None,
                         now: datetime) -> bool:
        """The Act for one goal (a second one replaces the first); False once the review is closed."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}")
        still_open = (await self.conn.execute(sa.select(goal_reviews.c.id).where(
            goal_reviews.c.id == review.id, goal_reviews.c.status == "open").with_for_update())).first()
        if still_open is None:
            return False
        await self.conn.execute(goal_review_acts.delete().where(goal_review_acts.c.review_id == review.id,
                                                                goal_review_acts.c.goal_id == goal_id))
        await self.conn.execute(goal_review_acts.insert().values(
            network_id=review.network_id, review_id=review.id, goal_id=goal_id, decision=decision, note=note,
            adjustments=[{"position": p, "value": v} for p, v in adjustments], new_tasks=list(new_tasks),
            decided_by=by, decided_at=now))
        return True

    async def close(self, review: Review, check: dict[str, Any], *, by: int | None, now: datetime) -> bool:
        """Freeze the Check and close the review; False if it was already closed."""
        result = await self.conn.execute(goal_reviews.update().where(
            goal_reviews.c.id == review.id, goal_reviews.c.status == "open")
            .values(status="closed", check_data=check, closed_by=by, closed_at=now))
        return bool(result.rowcount)

    async def closed(self, network_id: int) -> list[Review]:
        """The network's closed reviews, latest term first (without their acts)."""
        rows = (await self.conn.execute(sa.select(goal_reviews).where(
            goal_reviews.c.network_id == network_id, goal_reviews.c.status == "closed")
            .order_by(goal_reviews.c.academic_year.desc(), goal_reviews.c.term.desc()))).all()
        return [Review(id=r.id, network_id=r.network_id, academic_year=r.academic_year, term=r.term,
                       status=r.status, check=r.check_data, closed_at=r.closed_at) for r in rows]

    async def stop_goal(self, network_id: int, goal_id: int, now: datetime) -> None:
        """A goal the review stopped: kept and shown, no longer pursued."""
        await self.conn.execute(goals.update().where(goals.c.network_id == network_id, goals.c.id == goal_id,
                                                     goals.c.status == "active")
                                .values(status="stopped", updated_at=now))
