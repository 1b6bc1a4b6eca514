"""counters: per-network numbers that are never reused

Revision ID: 0007_counters
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_counters"
down_revision = "0001_core"
branch_labels = ("counters",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "network_counters",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_network_counters_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("network_id", "kind", name=op.f("pk_network_counters")),
    )


def downgrade() -> None:
    op.drop_table("network_counters")
