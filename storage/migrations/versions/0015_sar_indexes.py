"""Indexes for a school's pledges (the SAR pack's resources received, /pledges of one organisation): the
needs by organisation, and the pledges by need with their creation time.

Without the first, both engines scanned every need of the network to find one school's (15,000 needs
per pack, where the index finds its few hundred). The pledges' need index gains ``created_at`` before
the amount: the pack reads a school's needs' delivered pledges made in the academic year, and each
need's older pledges were read from the table only to be left out (3,500 rows read for 600 kept); the
needs' progress sums still read the index alone.

Revision ID: 0015_sar_indexes
Revises: 0014_survey_tallies (the latest head); the needs and pledges tables are 0002_activities'
"""
from alembic import op

revision = "0015_sar_indexes"
down_revision = "0014_survey_tallies"
branch_labels = None
depends_on = ("0002_activities",)


def upgrade() -> None:
    op.create_index("ix_needs_network_organisation", "needs", ["network_id", "organisation_id"])
    op.drop_index("ix_pledges_need_status", table_name="pledges")
    op.create_index("ix_pledges_need_status", "pledges", ["need_id", "status", "created_at", "amount_x100"])


def downgrade() -> None:
    op.drop_index("ix_pledges_need_status", table_name="pledges")
    op.create_index("ix_pledges_need_status", "pledges", ["need_id", "status", "amount_x100"])
    op.drop_index("ix_needs_network_organisation", table_name="needs")
