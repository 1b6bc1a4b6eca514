"""queries: per-day and per-month totals of activities by organisation, category and aim, kept by
triggers (storage/activity_rollups.py) and filled here from the activities already logged; an index for
the surveys' answer counts

Revision ID: 0011_queries
Revises: 0008_numbers (the last migration to rebuild the activities table, which would drop the triggers)
"""
from alembic import op
import sqlalchemy as sa


revision = "0011_queries"
down_revision = "0008_numbers"
branch_labels = ("queries",)
depends_on = None


def upgrade() -> None:
    from storage.activity_rollups import backfill, postgres_triggers, sqlite_triggers

    op.create_table(
        "activity_totals",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("grain", sa.String(length=1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("aim", sa.String(length=24), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("participants", sa.BigInteger(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("network_id", "grain", "day", "organisation_id", "category", "aim",
                                name=op.f("pk_activity_totals")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_survey_responses_network_survey_voter", "survey_responses",
                    ["network_id", "survey_id", "voter_key"])
    dialect = op.get_bind().dialect.name
    # As they were then: each organisation's rows only (0012_one_activity_rollup adds the network's own).
    triggers = sqlite_triggers(with_all=False) if dialect == "sqlite" else postgres_triggers(with_all=False)
    for statement in backfill(dialect, every=False) + triggers:
        op.execute(statement)


def downgrade() -> None:
    from storage.activity_rollups import DROP_POSTGRES, DROP_SQLITE

    for statement in DROP_SQLITE if op.get_bind().dialect.name == "sqlite" else DROP_POSTGRES:
        op.execute(statement)
    op.drop_index("ix_survey_responses_network_survey_voter", table_name="survey_responses")
    op.drop_table("activity_totals")
