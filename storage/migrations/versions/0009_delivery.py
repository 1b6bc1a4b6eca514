"""delivery policy: urgency, latest delivery time, supersede topic, why a row waits, how it went, billing

Revision ID: 0009_delivery
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_delivery"
down_revision = "0001_core"
branch_labels = ("delivery",)
# Independent of 0004_outbox (which also adds outbox columns): either may run first.
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        # Rows queued before this migration were all pushed at once: urgent.
        batch_op.add_column(sa.Column("urgency", sa.String(length=8), server_default="urgent", nullable=False))
        batch_op.add_column(sa.Column("deliver_by", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("wait_reason", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("via", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("billed", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_outbox_chat_topic", ["chat_id", "topic"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_topic")
        batch_op.drop_column("billed")
        batch_op.drop_column("via")
        batch_op.drop_column("wait_reason")
        batch_op.drop_column("topic")
        batch_op.drop_column("deliver_by")
        batch_op.drop_column("urgency")
