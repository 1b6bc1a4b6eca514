"""one activity rollup: drop goal_activity_days (and its triggers), which activity_totals duplicates
(activity_totals holds the same per-day figures by organisation, and per month); activity_totals gains
rows for every organisation together (organisation_id -1), filled here and kept by its triggers, so the
goals, the term review and the summary read a year in some hundred rows (storage/activity_rollups.py)

Revision ID: 0012_one_activity_rollup
Revises: 0010_goal_reviews (which made goal_activity_days), 0011_queries (which made activity_totals)
"""
from alembic import op


revision = "0012_one_activity_rollup"
down_revision = ("0010_goal_reviews", "0011_queries")
branch_labels = ("rollups",)
depends_on = None


def upgrade() -> None:
    from storage import activity_rollups as totals
    from storage.migrations import legacy_goal_activity_days as legacy

    dialect = op.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    for statement in legacy.DROP_SQLITE if sqlite else legacy.DROP_POSTGRES:
        op.execute(statement)
    op.drop_table("goal_activity_days")
    for statement in ((totals.DROP_SQLITE if sqlite else totals.DROP_POSTGRES) + totals.backfill(dialect, own=False)
                      + (totals.sqlite_triggers() if sqlite else totals.postgres_triggers())):
        op.execute(statement)


def downgrade() -> None:
    from storage import activity_rollups as totals
    from storage.migrations import legacy_goal_activity_days as legacy

    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in totals.DROP_SQLITE if sqlite else totals.DROP_POSTGRES:
        op.execute(statement)
    op.execute(f"DELETE FROM activity_totals WHERE organisation_id = {totals.ALL_ORGANISATIONS}")
    for statement in totals.sqlite_triggers(with_all=False) if sqlite else totals.postgres_triggers(with_all=False):
        op.execute(statement)

    legacy.create_table()
    for statement in legacy.BACKFILL + (legacy.SQLITE_TRIGGERS if sqlite else legacy.POSTGRES_TRIGGERS):
        op.execute(statement)
