"""Tables of the activities log and resource mobilisation (needs, pledges, photos).

Money and quantities are stored as integer hundredths (``*_x100``) so sums are exact on
both engines. Indexes are shaped for the summary queries in :mod:`storage.activity_repo`
and :mod:`storage.resource_repo`: the period totals are answered from covering indexes.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.tables import metadata
from storage.types import UTCDateTime

activities = sa.Table(
    "activities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # What members see and type (#3): per network, never reused (storage.counters).
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("author_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("category", sa.String(24), nullable=False),
    sa.Column("aim", sa.String(24), nullable=False),
    sa.Column("activity_date", sa.Date, nullable=False),
    sa.Column("participants", sa.Integer),
    sa.Column("minutes", sa.Integer),
    sa.Column("notes", sa.Text),
    sa.Column("has_photo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime),
    # Period totals by aim / category / organisation: an index-only scan.
    sa.Index("ix_activities_network_date_totals", "network_id", "activity_date", "category", "aim",
             "organisation_id", "participants", "minutes"),
    sa.Index("ix_activities_network_org_date", "network_id", "organisation_id", "activity_date"),
    sa.Index("ix_activities_network_author_date", "network_id", "author_id", "activity_date"),
    sa.Index("uq_activities_network_number", "network_id", "number", unique=True),
    # Activities are deleted: AUTOINCREMENT keeps SQLite from handing a deleted id (still on old
    # cards' buttons) to the next activity.
    sqlite_autoincrement=True,
)

needs = sa.Table(
    "needs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # What members see and type (#3): per network, never reused (storage.counters).
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    sa.Column("posted_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("target_x100", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False),
    sa.Column("needed_by", sa.Date, nullable=False),
    sa.Column("status", sa.String(12), nullable=False, server_default="open"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("fulfilled_at", UTCDateTime),
    sa.Index("ix_needs_network_status_needed_by", "network_id", "status", "needed_by"),
    sa.Index("ix_needs_network_created", "network_id", "created_at"),
    # A school's needs (the SAR pack's resources received), migration 0015_sar_indexes.
    sa.Index("ix_needs_network_organisation", "network_id", "organisation_id"),
    sa.Index("uq_needs_network_number", "network_id", "number", unique=True),
)

pledges = sa.Table(
    "pledges",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # What members see and type (#3): per network, never reused (storage.counters).
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("need_id", sa.ForeignKey("needs.id", ondelete="SET NULL")),
    sa.Column("pledger_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("resource_type", sa.String(16), nullable=False),
    sa.Column("source_sector", sa.String(16), nullable=False),
    sa.Column("amount_x100", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(32), nullable=False),
    sa.Column("expected_date", sa.Date, nullable=False),
    sa.Column("note", sa.String(500)),
    sa.Column("status", sa.String(12), nullable=False, server_default="pledged"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("delivered_at", UTCDateTime),
    sa.Column("delivered_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("delivery_note", sa.String(500)),
    sa.Column("has_photo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("cancelled_at", UTCDateTime),
    sa.Column("cancelled_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    # Pledged-in-period and delivered-in-period totals: index-only scans.
    sa.Index("ix_pledges_network_created_totals", "network_id", "created_at", "resource_type", "source_sector",
             "unit", "status", "amount_x100"),
    sa.Index("ix_pledges_network_delivered_totals", "network_id", "delivered_at", "resource_type",
             "source_sector", "unit", "amount_x100"),
    # A need's progress (index-only) and its pledges of a period (created_at since 0015_sar_indexes).
    sa.Index("ix_pledges_need_status", "need_id", "status", "created_at", "amount_x100"),
    sa.Index("ix_pledges_network_pledger", "network_id", "pledger_id", "created_at"),
    sa.Index("ix_pledges_network_status_expected", "network_id", "status", "expected_date"),
    sa.Index("uq_pledges_network_number", "network_id", "number", unique=True),
)

activity_photos = sa.Table(
    "activity_photos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    # "activity" or "delivery" (a pledge's delivery confirmation).
    sa.Column("entity", sa.String(16), nullable=False),
    sa.Column("entity_id", sa.Integer, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Index("ix_activity_photos_entity", "network_id", "entity", "entity_id"),
)

# The indexes the benchmark drops to measure a baseline (everything but primary keys).
FEATURE_INDEXES: tuple[sa.Index, ...] = tuple(
    index for table in (activities, needs, pledges) for index in table.indexes
)
