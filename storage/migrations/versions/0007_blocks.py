"""blocks: removed members may not re-register from a group until re-invited or unblocked

Revision ID: 0007_blocks
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_blocks"
down_revision = "0001_core"
branch_labels = ("blocks",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "member_blocks",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=128), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("blocked_by", sa.Integer(), nullable=True),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_member_blocks_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_member_blocks_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["blocked_by"], ["members.id"], name=op.f("fk_member_blocks_blocked_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("network_id", "platform", "platform_user_id", name=op.f("pk_member_blocks")),
    )


def downgrade() -> None:
    op.drop_table("member_blocks")
