"""goal reviews: the term review (PDCA) with its Act per goal; per-day totals of activities and pledges
kept by triggers, for the goals' and the review's reads (storage/goals/rollups.py)

Revision ID: 0010_goal_reviews
Revises: 0007_goals, 0008_numbers (the last to rebuild activities and pledges, which would drop the triggers)
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_goal_reviews"
down_revision = ("0007_goals", "0008_numbers")
branch_labels = ("goal_reviews",)
depends_on = None


def upgrade() -> None:
    from storage.goals.rollups import backfill, postgres_triggers, sqlite_triggers
    from storage.migrations import legacy_goal_activity_days as legacy  # dropped again by 0012_one_activity_rollup

    legacy.create_table()
    op.create_table(
        "goal_pledge_days",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("source_sector", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("amount_x100", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("network_id", "stage", "day", "resource_type", "source_sector", "unit",
                                name=op.f("pk_goal_pledge_days")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_needs_network_status_fulfilled", "needs", ["network_id", "status", "fulfilled_at"])
    dialect = op.get_bind().dialect.name
    # The stages as they were then (0017_pledges_delivered_by_made adds the third).
    for statement in (legacy.BACKFILL + backfill(dialect, ("pledged", "delivered"))
                      + (legacy.SQLITE_TRIGGERS + sqlite_triggers(made_delivered=False) if dialect == "sqlite"
                         else legacy.POSTGRES_TRIGGERS + postgres_triggers(made_delivered=False))):
        op.execute(statement)
    op.create_table(
        "goal_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("academic_year", sa.Integer(), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="open", nullable=False),
        sa.Column("check_data", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_goal_reviews_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_goal_reviews_created_by_members"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["closed_by"], ["members.id"], name=op.f("fk_goal_reviews_closed_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_reviews")),
        sa.UniqueConstraint("network_id", "academic_year", "term", name="uq_goal_reviews_network_term"),
    )
    op.create_table(
        "goal_review_acts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=12), nullable=False),
        sa.Column("note", sa.String(length=500), server_default="", nullable=False),
        sa.Column("adjustments", sa.JSON(), nullable=False),
        sa.Column("new_tasks", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_goal_review_acts_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["review_id"], ["goal_reviews.id"],
                                name=op.f("fk_goal_review_acts_review_id_goal_reviews"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["goal_id"], ["goals.id"], name=op.f("fk_goal_review_acts_goal_id_goals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["decided_by"], ["members.id"],
                                name=op.f("fk_goal_review_acts_decided_by_members"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_goal_review_acts")),
        sa.UniqueConstraint("review_id", "goal_id", name="uq_goal_review_acts_review_goal"),
    )


def downgrade() -> None:
    from storage.goals.rollups import DROP_POSTGRES, DROP_SQLITE
    from storage.migrations import legacy_goal_activity_days as legacy

    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in (legacy.DROP_SQLITE + DROP_SQLITE) if sqlite else (legacy.DROP_POSTGRES + DROP_POSTGRES):
        op.execute(statement)
    op.drop_index("ix_needs_network_status_fulfilled", table_name="needs")
    op.drop_table("goal_pledge_days")
    op.drop_table("goal_activity_days")
    op.drop_table("goal_review_acts")
    op.drop_table("goal_reviews")
