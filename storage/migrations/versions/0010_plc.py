"""plc: the PLC logbook (groups, their members, sessions and attendance)

Revision ID: 0010_plc
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_plc"
down_revision = "0001_core"
branch_labels = ("plc",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plc_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("facilitator_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_plc_groups_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["facilitator_id"], ["members.id"], name=op.f("fk_plc_groups_facilitator_id_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plc_groups")),
        sa.UniqueConstraint("network_id", "number", name="uq_plc_groups_network_number"),
    )
    op.create_index("ix_plc_groups_network_facilitator", "plc_groups", ["network_id", "facilitator_id"])
    op.create_table(
        "plc_members",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["group_id"], ["plc_groups.id"], name=op.f("fk_plc_members_group_id_plc_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_plc_members_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_plc_members_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["invited_by"], ["members.id"], name=op.f("fk_plc_members_invited_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("group_id", "member_id", name=op.f("pk_plc_members")),
    )
    op.create_index("ix_plc_members_network_member", "plc_members", ["network_id", "member_id"])
    op.create_table(
        "plc_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("logged_by", sa.Integer(), nullable=True),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=300), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("reflection", sa.Text(), nullable=True),
        sa.Column("has_photo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_plc_sessions_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["group_id"], ["plc_groups.id"], name=op.f("fk_plc_sessions_group_id_plc_groups"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["logged_by"], ["members.id"], name=op.f("fk_plc_sessions_logged_by_members"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plc_sessions")),
        sa.UniqueConstraint("network_id", "number", name="uq_plc_sessions_network_number"),
    )
    op.create_index("ix_plc_sessions_network_group_date", "plc_sessions", ["network_id", "group_id", "session_date"])
    op.create_table(
        "plc_attendance",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("how", sa.String(length=12), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["plc_sessions.id"],
                                name=op.f("fk_plc_attendance_session_id_plc_sessions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_plc_attendance_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_plc_attendance_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "member_id", name=op.f("pk_plc_attendance")),
    )
    op.create_index("ix_plc_attendance_network_member", "plc_attendance", ["network_id", "member_id", "session_id"])


def downgrade() -> None:
    op.drop_table("plc_attendance")
    op.drop_table("plc_sessions")
    op.drop_table("plc_members")
    op.drop_table("plc_groups")
