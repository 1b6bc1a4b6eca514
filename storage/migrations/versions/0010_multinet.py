"""multinet: one person, several networks

A platform identity may now hold one active membership per network (it was one in all), and
``current_networks`` remembers which of them a private chat acts on. Every existing active
membership becomes its identity's current one.

Revision ID: 0010_multinet
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_multinet"
down_revision = "0001_core"
branch_labels = ("multinet",)
depends_on = None

ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.drop_index("uq_members_active_identity", table_name="members", sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_index("uq_members_network_active_identity", "members", ["network_id", "platform", "platform_user_id"],
                    unique=True, sqlite_where=ACTIVE, postgresql_where=ACTIVE)
    op.create_index("ix_members_identity", "members", ["platform", "platform_user_id"])
    op.create_table(
        "current_networks",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("platform_user_id", sa.String(length=128), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_current_networks_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform", "platform_user_id", name=op.f("pk_current_networks")),
    )
    op.execute(
        "INSERT INTO current_networks (platform, platform_user_id, network_id, chosen_at) "
        "SELECT platform, platform_user_id, network_id, joined_at FROM members WHERE status = 'active'"
    )


def downgrade() -> None:
    # Fails if someone holds active memberships in two networks: which one to keep is a person's choice.
    op.drop_table("current_networks")
    op.drop_index("ix_members_identity", table_name="members")
    op.drop_index("uq_members_network_active_identity", table_name="members", sqlite_where=ACTIVE,
                  postgresql_where=ACTIVE)
    op.create_index("uq_members_active_identity", "members", ["platform", "platform_user_id"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)
