"""goal reviews: the term review (PDCA) with its Act per goal

Revision ID: 0010_goal_reviews
Revises: 0001_core
Depends on: 0007_goals
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_goal_reviews"
down_revision = "0001_core"
branch_labels = ("goal_reviews",)
depends_on = "0007_goals"


def upgrade() -> None:
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
    op.drop_table("goal_review_acts")
    op.drop_table("goal_reviews")
