"""knowledge: the practice library (practices, search terms, reactions) and offers

Revision ID: 0008_knowledge
Revises: 0001_core
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_knowledge"
down_revision = "0001_core"
branch_labels = ("knowledge",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("aim", sa.String(length=500), server_default="", nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=1000), nullable=True),
        sa.Column("photo_ref", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_practices_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], name=op.f("fk_practices_author_id_members"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_practices_organisation_id_organisations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practices")),
        sa.UniqueConstraint("network_id", "number", name="uq_practices_network_number"),
    )
    op.create_index("ix_practices_network_created", "practices", ["network_id", "created_at"], unique=False)
    op.create_index("ix_practices_network_author", "practices", ["network_id", "author_id"], unique=False)

    op.create_table(
        "practice_terms",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=64), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practices.id"],
                                name=op.f("fk_practice_terms_practice_id_practices"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_practice_terms_network_id_networks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("practice_id", "term", name=op.f("pk_practice_terms")),
    )
    op.create_index("ix_practice_terms_network_term", "practice_terms", ["network_id", "term", "practice_id"],
                    unique=False)

    op.create_table(
        "practice_reactions",
        sa.Column("practice_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practices.id"],
                                name=op.f("fk_practice_reactions_practice_id_practices"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_practice_reactions_member_id_members"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"],
                                name=op.f("fk_practice_reactions_network_id_networks"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("practice_id", "member_id", name=op.f("pk_practice_reactions")),
    )

    op.create_table(
        "offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("resource_type", sa.String(length=16), nullable=False),
        sa.Column("source_sector", sa.String(length=16), nullable=False),
        sa.Column("description", sa.String(length=500), server_default="", nullable=False),
        sa.Column("quantity_x100", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("skill", sa.String(length=200), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("available_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="open", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_offers_network_id_networks"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_offers_member_id_members"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_offers_organisation_id_organisations"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offers")),
        sa.UniqueConstraint("network_id", "number", name="uq_offers_network_number"),
    )
    op.create_index("ix_offers_network_status_type", "offers",
                    ["network_id", "status", "resource_type", "available_until"], unique=False)


def downgrade() -> None:
    op.drop_table("offers")
    op.drop_table("practice_reactions")
    op.drop_table("practice_terms")
    op.drop_table("practices")
