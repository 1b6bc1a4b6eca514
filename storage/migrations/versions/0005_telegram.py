"""telegram: live message mapping

Revision ID: 0005_telegram
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_telegram"
down_revision = "0001_core"
branch_labels = ("sent_message_ids",)  # platform-neutral since 0009_neutral_storage
depends_on = None


def upgrade() -> None:
    op.create_table(
        "telegram_messages",
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("update_key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f("fk_telegram_messages_chat_id_chats"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "update_key", name=op.f("pk_telegram_messages")),
    )


def downgrade() -> None:
    op.drop_table("telegram_messages")
