"""An index on the needs' organisation: the SAR pack's resources received read the pledges toward one
school's needs, and without it both engines scanned every need of the network to find the school's
(15,000 needs: a scan of them all per pack, where the index finds the school's few hundred).

Revision ID: 0015_needs_organisation
Revises: 0014_survey_tallies (the latest head); the needs table is 0002_activities'
"""
from alembic import op

revision = "0015_needs_organisation"
down_revision = "0014_survey_tallies"
branch_labels = None
depends_on = ("0002_activities",)


def upgrade() -> None:
    op.create_index("ix_needs_network_organisation", "needs", ["network_id", "organisation_id"])


def downgrade() -> None:
    op.drop_index("ix_needs_network_organisation", table_name="needs")
