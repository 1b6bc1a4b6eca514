"""an event's answer kept with its claim: processed_events gains ``answer``, the replies an inbox event's
run committed with it, so a run again after a crash between the commit and the answer (a restart, a
survivor taking the event over) sends the answer instead of nothing. Cleared once it can no longer be
needed (bot.inbox's housekeeping).

Revision ID: 0018_event_answers
Revises: 0016_orphan_flows (the core's processed_events, 0001_core)
"""
import sqlalchemy as sa
from alembic import op

revision = "0018_event_answers"
down_revision = "0016_orphan_flows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("processed_events", sa.Column("answer", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("processed_events") as batch:
        batch.drop_column("answer")
