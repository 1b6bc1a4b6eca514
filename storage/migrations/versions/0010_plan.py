"""the work plan meets meetings: a meeting's kind, attendance, minutes whose action items are tasks, and
what was done for a project as a whole

Revision ID: 0010_plan
Revises: 0004_outbox
Create Date: 2026-12-01 18:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = "0010_plan"
# It changes the meetings table, so it continues the branch that created it (0004_outbox, label
# "meetings"); the minutes' project_id names a plan project (branch "goals") without a foreign key,
# so the two branches need no order between them.
down_revision = "0004_outbox"
branch_labels = ("plan",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="members", nullable=False))
    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("marked_by", sa.Integer(), nullable=True),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_attendance_meeting_id_meetings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_meeting_attendance_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_meeting_attendance_network_id_networks"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["marked_by"], ["members.id"], name=op.f("fk_meeting_attendance_marked_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_meeting_attendance")),
    )
    op.create_index("ix_meeting_attendance_network_meeting", "meeting_attendance", ["network_id", "meeting_id"],
                    unique=False)
    op.create_table(
        "meeting_minutes",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], name=op.f("fk_meeting_minutes_meeting_id_meetings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_meeting_minutes_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by"], ["members.id"], name=op.f("fk_meeting_minutes_recorded_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_meeting_minutes")),
    )
    op.create_index("ix_meeting_minutes_network", "meeting_minutes", ["network_id", "recorded_at"], unique=False)
    op.create_table(
        "plan_project_links",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_plan_project_links_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("project_id", "entity", "entity_id", name=op.f("pk_plan_project_links")),
    )
    op.create_index("ix_plan_project_links_network_entity", "plan_project_links", ["network_id", "entity", "entity_id"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_plan_project_links_network_entity", table_name="plan_project_links")
    op.drop_table("plan_project_links")
    op.drop_index("ix_meeting_minutes_network", table_name="meeting_minutes")
    op.drop_table("meeting_minutes")
    op.drop_index("ix_meeting_attendance_network_meeting", table_name="meeting_attendance")
    op.drop_table("meeting_attendance")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_column("kind")
