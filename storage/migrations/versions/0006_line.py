"""LINE adapter: webhook inbox, served media, delivery statistics

Revision ID: 0006_line
Revises: 0001_core
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_line"
down_revision = "0001_core"
branch_labels = ("webhook_inbox",)  # platform-neutral since 0009_neutral_storage
depends_on = None


def upgrade() -> None:
    op.create_table(
        "line_inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_inbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_line_inbox_event_id")),
    )
    op.create_index("ix_line_inbox_status_id", "line_inbox", ["status", "id"], unique=False)
    op.create_table(
        "media_files",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_media_files_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_media_files")),
    )
    op.create_index(op.f("ix_media_files_expires_at"), "media_files", ["expires_at"], unique=False)
    op.create_table(
        "line_chat_stats",
        sa.Column("platform_chat_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("pushes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("push_messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("recipients", sa.Integer(), server_default="0", nullable=False),
        sa.Column("replies", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_line_chat_stats_network_id_networks"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("platform_chat_id", "month", name=op.f("pk_line_chat_stats")),
    )
    op.create_index("ix_line_chat_stats_network_month", "line_chat_stats", ["network_id", "month"], unique=False)
    op.create_table(
        "line_group_sizes",
        sa.Column("platform_chat_id", sa.String(length=64), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform_chat_id", name=op.f("pk_line_group_sizes")),
    )


def downgrade() -> None:
    op.drop_table("line_group_sizes")
    op.drop_index("ix_line_chat_stats_network_month", table_name="line_chat_stats")
    op.drop_table("line_chat_stats")
    op.drop_index(op.f("ix_media_files_expires_at"), table_name="media_files")
    op.drop_table("media_files")
    op.drop_index("ix_line_inbox_status_id", table_name="line_inbox")
    op.drop_table("line_inbox")
