"""pledges delivered by the day they were made: goal_pledge_days gains the stage made_deliv (per UTC day
and month), filled here from the pledges already delivered and kept by its triggers from then on, so the
web view's resources panel ("of the year's pledges, how many were delivered") reads a year in some
hundred rows instead of every pledge (storage/goals/rollups.py)

Revision ID: 0017_pledges_delivered_by_made
Revises: 0012_one_activity_rollup (the head of the rollups; goal_pledge_days is 0010_goal_reviews')
"""
from alembic import op

revision = "0017_pledges_delivered_by_made"
down_revision = "0012_one_activity_rollup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from storage.goals import rollups

    dialect = op.get_bind().dialect.name
    sqlite = dialect == "sqlite"
    stage = rollups.MADE_DELIVERED
    for statement in ((rollups.DROP_SQLITE if sqlite else rollups.DROP_POSTGRES)
                      + [f"DELETE FROM goal_pledge_days WHERE stage IN ('{stage}', '{stage}{rollups.MONTH}')"]
                      + rollups.backfill(dialect, (stage,))
                      + (rollups.sqlite_triggers() if sqlite else rollups.postgres_triggers())):
        op.execute(statement)


def downgrade() -> None:
    from storage.goals import rollups

    sqlite = op.get_bind().dialect.name == "sqlite"
    stage = rollups.MADE_DELIVERED
    for statement in ((rollups.DROP_SQLITE if sqlite else rollups.DROP_POSTGRES)
                      + [f"DELETE FROM goal_pledge_days WHERE stage IN ('{stage}', '{stage}{rollups.MONTH}')"]
                      + (rollups.sqlite_triggers(made_delivered=False) if sqlite
                         else rollups.postgres_triggers(made_delivered=False))):
        op.execute(statement)
