"""outbox leases and dead letters; meetings, RSVPs, announcements

Revision ID: 0004_outbox
Revises: 0001_core
Create Date: 2026-11-21 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_outbox"
down_revision = "0001_core"
branch_labels = ("meetings",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_count", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("dead_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_network_status", ["network_id", "status"], unique=False)
        batch_op.create_index("ix_outbox_chat_status", ["chat_id", "status"], unique=False)

    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=500), server_default="", nullable=False),
        sa.Column("agenda", sa.Text(), server_default="", nullable=False),
        sa.Column("target_chat_ids", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="scheduled", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_meetings_created_by_members"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_meetings_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index("ix_meetings_network_status_starts", ["network_id", "status", "starts_at"], unique=False)

    op.create_table(
        "meeting_rsvps",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_rsvps_meeting_id_meetings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_meeting_rsvps_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_meeting_rsvps_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_meeting_rsvps")),
    )
    with op.batch_alter_table("meeting_rsvps", schema=None) as batch_op:
        batch_op.create_index("ix_meeting_rsvps_network_meeting", ["network_id", "meeting_id"], unique=False)

    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("recipients", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["members.id"], name=op.f("fk_announcements_created_by_members"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_announcements_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index("ix_announcements_network_created", ["network_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index("ix_announcements_network_created")
    op.drop_table("announcements")
    with op.batch_alter_table("meeting_rsvps", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_rsvps_network_meeting")
    op.drop_table("meeting_rsvps")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index("ix_meetings_network_status_starts")
    op.drop_table("meetings")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_chat_status")
        batch_op.drop_index("ix_outbox_network_status")
        batch_op.drop_column("dead_at")
        batch_op.drop_column("sent_count")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claimed_by")
