"""Flows of chats whose row is gone are removed; from here on a chat's row and its flows go together.

A half-finished flow is kept per (platform, chat, user). Two paths deleted a chat's row and left its
flows: forgetting a private chat (/forget: its flows should go with it) and a Telegram group whose
old id's row was dropped at its migration to a supergroup. Since a chat has no flows until it has a
row, a chat seen for the first time reads none (one statement fewer on a new user's first event).

Revision ID: 0016_orphan_flows
Revises: 0001_core (the flows and chats tables)
"""
from alembic import op

revision = "0016_orphan_flows"
down_revision = "0001_core"
branch_labels = ("orphan_flows",)
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM flow_states WHERE NOT EXISTS (SELECT 1 FROM chats WHERE chats.platform = "
               "flow_states.platform AND chats.platform_chat_id = flow_states.chat_id)")


def downgrade() -> None:
    pass  # what was removed was unreachable: nothing to restore
