"""liff: announcements a coordinator shared into chats themselves (LINE's share picker)

Revision ID: 0011_liff
Revises: 0001_core (depends on 0004_outbox: the announcements table)
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_liff"
down_revision = "0001_core"
branch_labels = ("liff",)
depends_on = "0004_outbox"  # the announcements table


def upgrade() -> None:
    op.create_table(
        "announcement_shares",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("via", sa.String(length=16), server_default="share", nullable=False),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_announcement_shares_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["announcement_id"], ["announcements.id"],
                                name=op.f("fk_announcement_shares_announcement_id_announcements"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_announcement_shares_member_id_members"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcement_shares")),
    )
    op.create_index("ix_announcement_shares_announcement", "announcement_shares", ["announcement_id"])


def downgrade() -> None:
    op.drop_index("ix_announcement_shares_announcement", table_name="announcement_shares")
    op.drop_table("announcement_shares")
