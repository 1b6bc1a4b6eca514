"""The tables of the network's plan: goals, targets, manual indicator reports, projects, tasks and
what was done for them; the vocabulary the repositories check against.

Goals, projects and tasks are numbered per network and never deleted (a goal is marked
``removed``), so a number is never given out twice. Values are integer hundredths (``*_x100``),
like money elsewhere, so sums are exact on both engines.
"""

from __future__ import annotations

from typing import Any, Final

import sqlalchemy as sa

from storage.tables import metadata, networks
from storage.types import UTCDateTime

goals = sa.Table(
    "goals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("academic_year", sa.Integer, nullable=False),  # Buddhist Era: 2569
    sa.Column("aim", sa.String(24), nullable=False),  # one of the four collaboration aims of activities
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="active"),  # active | removed
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_goals_network_number"),
    sa.Index("ix_goals_network_year_status", "network_id", "academic_year", "status"),
)

goal_targets = sa.Table(
    "goal_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("goal_id", sa.ForeignKey("goals.id", ondelete="CASCADE"), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),  # 1, 2, 3… within the goal
    sa.Column("kind", sa.String(24), nullable=False),  # see TARGET_KINDS
    sa.Column("params", sa.JSON, nullable=False),
    sa.Column("target_x100", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False, server_default=""),
    sa.Column("owner_id", sa.ForeignKey("members.id", ondelete="SET NULL")),  # reports a manual indicator
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("goal_id", "position", name="uq_goal_targets_goal_position"),
    sa.Index("ix_goal_targets_network_goal", "network_id", "goal_id"),
)

indicator_reports = sa.Table(
    "indicator_reports",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("target_id", sa.ForeignKey("goal_targets.id", ondelete="CASCADE"), nullable=False),
    sa.Column("value_x100", sa.BigInteger, nullable=False),
    sa.Column("reported_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("reported_at", UTCDateTime, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Index("ix_indicator_reports_target_at", "target_id", "reported_at"),
)

plan_projects = sa.Table(
    "plan_projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("goal_id", sa.ForeignKey("goals.id", ondelete="SET NULL")),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("lead_organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("starts_on", sa.Date),
    sa.Column("ends_on", sa.Date),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_plan_projects_network_number"),
    sa.Index("ix_plan_projects_network_goal", "network_id", "goal_id"),
)

plan_tasks = sa.Table(
    "plan_tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("project_id", sa.ForeignKey("plan_projects.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("title", sa.String(300), nullable=False),
    sa.Column("owner_member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("owner_organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="todo"),  # see TASK_STATUSES
    sa.Column("blocked_reason", sa.String(500)),
    sa.Column("done_at", UTCDateTime),
    # The network's local date of done_at: "on time" is done_on <= due_on, with no time-zone arithmetic in SQL.
    sa.Column("done_on", sa.Date),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_plan_tasks_network_number"),
    sa.Index("ix_plan_tasks_network_status_due", "network_id", "status", "due_on"),
    sa.Index("ix_plan_tasks_network_done", "network_id", "done_on", "due_on"),
    sa.Index("ix_plan_tasks_network_owner_member", "network_id", "owner_member_id", "status"),
    sa.Index("ix_plan_tasks_network_owner_org", "network_id", "owner_organisation_id", "status"),
    sa.Index("ix_plan_tasks_project", "project_id", "status"),
)

plan_task_links = sa.Table(
    "plan_task_links",
    metadata,
    sa.Column("task_id", sa.ForeignKey("plan_tasks.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("entity", sa.String(16), primary_key=True),  # activity | pledge
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Index("ix_plan_task_links_network_entity", "network_id", "entity", "entity_id"),
)

AIMS: Final = ("efficiency", "equity", "innovation", "personnel")
# Kinds whose actual value accumulates over the year (compared with the share of it elapsed);
# the others are levels (a mean, a rate), compared with the target as they stand.
CUMULATIVE_KINDS: Final = frozenset({"activities", "participants", "hours", "resources", "needs_fulfilled",
                                     "meetings", "attendance", "tasks_on_time", "manual"})
LEVEL_KINDS: Final = frozenset({"survey_mean", "survey_response_rate"})
TARGET_KINDS: Final = CUMULATIVE_KINDS | LEVEL_KINDS
TASK_STATUSES: Final = ("todo", "started", "done", "blocked")
LINK_ENTITIES: Final = ("activity", "pledge")


async def next_number(conn: Any, table: sa.Table, network_id: int) -> int:
    """max + 1 under the network row's lock; rows are never deleted, so a number is never reused."""
    await conn.execute(sa.select(networks.c.id).where(networks.c.id == network_id).with_for_update())
    return int((await conn.execute(
        sa.select(sa.func.coalesce(sa.func.max(table.c.number), 0) + 1)
        .where(table.c.network_id == network_id))).scalar_one())
