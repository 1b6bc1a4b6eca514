"""Instances and their heartbeats (failover in seconds): the ``instances`` table, the instance
that claimed an inbox event (``inbox.claimed_by``), and an index on the outbox's lease owner
(a survivor frees a dead instance's rows by it).

Revision ID: 0010_ops
Revises: 0009_neutral_storage (and 0004_outbox, whose lease columns it indexes)
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_ops"
down_revision = "0009_neutral_storage"
branch_labels = ("ops",)
depends_on = ("0004_outbox",)


def upgrade() -> None:
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False, server_default=""),
        sa.Column("pid", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instances")),
    )
    op.create_index(op.f("ix_instances_heartbeat_at"), "instances", ["heartbeat_at"])
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
    op.create_index(op.f("ix_inbox_claimed_by"), "inbox", ["claimed_by"])
    op.create_index(op.f("ix_outbox_claimed_by"), "outbox", ["claimed_by"])


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_claimed_by"), table_name="outbox")
    op.drop_index(op.f("ix_inbox_claimed_by"), table_name="inbox")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("claimed_by")
    op.drop_index(op.f("ix_instances_heartbeat_at"), table_name="instances")
    op.drop_table("instances")
