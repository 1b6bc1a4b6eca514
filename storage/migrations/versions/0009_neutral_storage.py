"""Neutral platform storage: line_inbox → inbox, telegram_messages → sent_messages,
line_chat_stats → delivery_stats, line_group_sizes → group_sizes (each with a platform
column where the rows are per platform); existing rows move along.

Merges the LINE and Telegram branches: the tables they created now belong to every
platform. New tables are created and filled from the old ones (rather than renamed) so
that constraint names follow the naming convention on both SQLite and PostgreSQL.

Revision ID: 0009_neutral_storage
Revises: 0005_telegram, 0006_line
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_neutral_storage"
down_revision = ("0005_telegram", "0006_line")
branch_labels = ("platform_storage",)
depends_on = None

_INBOX_COLUMNS = "id, event_id, chat_id, body, status, attempts, lease_until, received_at, processed_at, error"
_STATS_COLUMNS = "platform_chat_id, month, network_id, pushes, push_messages, recipients, replies, updated_at"


def _inbox(name: str, *, platform: bool) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        *([sa.Column("platform", sa.String(length=16), nullable=False)] if platform else []),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        (sa.UniqueConstraint("platform", "event_id", name="uq_inbox_platform_event_id") if platform
         else sa.UniqueConstraint("event_id", name=op.f(f"uq_{name}_event_id"))),
    )


def _sent_messages(name: str) -> None:
    op.create_table(
        name,
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("update_key", sa.String(length=255), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["chat_id"], ["chats.id"], name=op.f(f"fk_{name}_chat_id_chats"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "update_key", name=op.f(f"pk_{name}")),
    )


def _stats(name: str, *, platform: bool) -> None:
    op.create_table(
        name,
        *([sa.Column("platform", sa.String(length=16), nullable=False)] if platform else []),
        sa.Column("platform_chat_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("pushes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("push_messages", sa.Integer(), server_default="0", nullable=False),
        sa.Column("recipients", sa.Integer(), server_default="0", nullable=False),
        sa.Column("replies", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f(f"fk_{name}_network_id_networks"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint(*(["platform"] if platform else []), "platform_chat_id", "month",
                                name=op.f(f"pk_{name}")),
    )


def _group_sizes(name: str, *, platform: bool) -> None:
    op.create_table(
        name,
        *([sa.Column("platform", sa.String(length=16), nullable=False)] if platform else []),
        sa.Column("platform_chat_id", sa.String(length=64), nullable=False),
        sa.Column("member_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*(["platform"] if platform else []), "platform_chat_id", name=op.f(f"pk_{name}")),
    )


def _restart_id_sequence(table: str) -> None:
    """Rows were copied with their ids: PostgreSQL's sequence must continue after them."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                   f"COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)")


def upgrade() -> None:
    _inbox("inbox", platform=True)
    op.create_index("ix_inbox_platform_status_id", "inbox", ["platform", "status", "id"], unique=False)
    op.execute(f"INSERT INTO inbox (platform, {_INBOX_COLUMNS}) SELECT 'line', {_INBOX_COLUMNS} FROM line_inbox")
    _restart_id_sequence("inbox")
    op.drop_index("ix_line_inbox_status_id", table_name="line_inbox")
    op.drop_table("line_inbox")

    _sent_messages("sent_messages")
    op.execute("INSERT INTO sent_messages (chat_id, update_key, message_id, updated_at) "
               "SELECT chat_id, update_key, message_id, updated_at FROM telegram_messages")
    op.drop_table("telegram_messages")

    _stats("delivery_stats", platform=True)
    op.create_index("ix_delivery_stats_network_month", "delivery_stats", ["network_id", "month"], unique=False)
    op.execute(f"INSERT INTO delivery_stats (platform, {_STATS_COLUMNS}) "
               f"SELECT 'line', {_STATS_COLUMNS} FROM line_chat_stats")
    op.drop_index("ix_line_chat_stats_network_month", table_name="line_chat_stats")
    op.drop_table("line_chat_stats")

    _group_sizes("group_sizes", platform=True)
    op.execute("INSERT INTO group_sizes (platform, platform_chat_id, member_count, updated_at) "
               "SELECT 'line', platform_chat_id, member_count, updated_at FROM line_group_sizes")
    op.drop_table("line_group_sizes")


def downgrade() -> None:
    """Back to the platform tables; rows of other platforms than the table's own are dropped."""
    _group_sizes("line_group_sizes", platform=False)
    op.execute("INSERT INTO line_group_sizes (platform_chat_id, member_count, updated_at) "
               "SELECT platform_chat_id, member_count, updated_at FROM group_sizes WHERE platform = 'line'")
    op.drop_table("group_sizes")

    _stats("line_chat_stats", platform=False)
    op.create_index("ix_line_chat_stats_network_month", "line_chat_stats", ["network_id", "month"], unique=False)
    op.execute(f"INSERT INTO line_chat_stats ({_STATS_COLUMNS}) "
               f"SELECT {_STATS_COLUMNS} FROM delivery_stats WHERE platform = 'line'")
    op.drop_index("ix_delivery_stats_network_month", table_name="delivery_stats")
    op.drop_table("delivery_stats")

    _sent_messages("telegram_messages")
    op.execute("INSERT INTO telegram_messages (chat_id, update_key, message_id, updated_at) "
               "SELECT chat_id, update_key, message_id, updated_at FROM sent_messages")
    op.drop_table("sent_messages")

    _inbox("line_inbox", platform=False)
    op.create_index("ix_line_inbox_status_id", "line_inbox", ["status", "id"], unique=False)
    op.execute(f"INSERT INTO line_inbox ({_INBOX_COLUMNS}) SELECT {_INBOX_COLUMNS} FROM inbox WHERE platform = 'line'")
    _restart_id_sequence("line_inbox")
    op.drop_index("ix_inbox_platform_status_id", table_name="inbox")
    op.drop_table("inbox")
