"""The core tables. Feature modules define theirs on the same ``metadata``.

Every row that belongs to a network carries ``network_id`` so that queries can be
scoped, and networks never see each other's data.
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.types import UTCDateTime

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

networks = sa.Table(
    "networks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="Asia/Bangkok"),
    sa.Column("language", sa.String(8), nullable=False, server_default="th"),
    sa.Column("settings", sa.JSON, nullable=False, default=dict),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

organisations = sa.Table(
    "organisations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(32), nullable=False, server_default="other"),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "name", name="uq_organisations_network_name"),
)

members = sa.Table(
    "members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("platform_user_id", sa.String(128), nullable=False),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("organisation_id", sa.ForeignKey("organisations.id", ondelete="SET NULL")),
    sa.Column("language", sa.String(8), nullable=False, server_default="th"),
    sa.Column("status", sa.String(16), nullable=False, server_default="active"),
    # False once the platform told us this user blocked the bot or never added it.
    sa.Column("reachable", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("joined_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("network_id", "number", name="uq_members_network_number"),
    # One active membership per identity and network (0010_multinet); a person may be in several networks.
    sa.Index(
        "uq_members_network_active_identity",
        "network_id",
        "platform",
        "platform_user_id",
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    ),
    sa.Index("ix_members_network_role", "network_id", "role"),
    sa.Index("ix_members_identity", "platform", "platform_user_id"),
)

# The network a person's private chat acts on, among their active memberships (/network switches it).
current_networks = sa.Table(
    "current_networks",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("platform_user_id", sa.String(128), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("chosen_at", UTCDateTime, nullable=False),
)

chats = sa.Table(
    "chats",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("platform", sa.String(16), nullable=False),
    sa.Column("platform_chat_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(255)),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="SET NULL")),
    sa.Column("linked_at", UTCDateTime),
    sa.Column("linked_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("inactive_reason", sa.String(255)),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("platform", "platform_chat_id", name="uq_chats_platform_chat"),
    sa.Index("ix_chats_network", "network_id"),
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE"), nullable=False),
    sa.Column("code", sa.String(32), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("max_uses", sa.Integer, nullable=False),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("created_by", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

flow_states = sa.Table(
    "flow_states",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("chat_id", sa.String(128), primary_key=True),
    sa.Column("user_id", sa.String(128), primary_key=True),
    sa.Column("flow", sa.String(64), nullable=False),
    sa.Column("step", sa.String(64), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

processed_events = sa.Table(
    "processed_events",
    metadata,
    sa.Column("platform", sa.String(16), primary_key=True),
    sa.Column("event_id", sa.String(128), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False, server_default="done"),
    sa.Column("processed_at", UTCDateTime, nullable=False, index=True),
    # What an inbox event's run answered, committed with the claim, for a run again after a crash before
    # the answer went out (bot.app.App.handle); cleared after ANSWER_KEPT (bot.inbox). 0018_event_answers.
    sa.Column("answer", sa.JSON(none_as_null=True)),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE")),
    sa.Column("member_id", sa.ForeignKey("members.id", ondelete="SET NULL")),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("entity", sa.String(64), nullable=False),
    sa.Column("entity_id", sa.String(64)),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_audit_network_at", "network_id", "at"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE")),
    sa.Column("chat_id", sa.ForeignKey("chats.id", ondelete="CASCADE"), nullable=False),
    sa.Column("messages", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("not_before", UTCDateTime, nullable=False),
    sa.Column("retry_key", sa.String(36), nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime),
    sa.Index("ix_outbox_status_not_before", "status", "not_before"),
)

scheduled_tasks = sa.Table(
    "scheduled_tasks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE")),
    sa.Column("run_at", UTCDateTime, nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("note", sa.Text),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("done_at", UTCDateTime),
    sa.Index("ix_scheduled_tasks_status_run_at", "status", "run_at"),
)
