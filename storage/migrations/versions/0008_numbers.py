"""numbers: activities, needs, pledges, meetings and announcements get per-network numbers

Existing rows keep the number members saw (their id); each network's counter starts after
its highest number, surveys' included, so no number is handed out twice. Activities (the
only rows that are deleted) become AUTOINCREMENT on SQLite, so a deleted activity's id,
still on old cards' buttons, never points at a new one.

It joins the branches whose tables it changes (a merge point), so the version table
lists exactly the heads.

Revision ID: 0008_numbers
Revises: 0007_counters, 0002_activities, 0003_surveys, 0004_outbox
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_numbers"
down_revision = ("0007_counters", "0002_activities", "0003_surveys", "0004_outbox")
branch_labels = ("numbers",)
depends_on = None

# table → counter kind
NUMBERED = {"activities": "activity", "needs": "need", "pledges": "pledge", "meetings": "meeting",
            "announcements": "announcement"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, kind in NUMBERED.items():
        # Only SQLite reuses ids (PostgreSQL's sequences never do), and only by rebuilding the table.
        kwargs = {"sqlite_autoincrement": True} if table == "activities" and sqlite else {}
        with op.batch_alter_table(table, recreate="always" if kwargs else "auto", table_kwargs=kwargs) as batch:
            batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        op.execute(f"UPDATE {table} SET number = id")
        with op.batch_alter_table(table, table_kwargs=kwargs) as batch:
            batch.alter_column("number", existing_type=sa.Integer(), nullable=False)
        op.create_index(f"uq_{table}_network_number", table, ["network_id", "number"], unique=True)
        op.execute(f"INSERT INTO network_counters (network_id, kind, last) "
                   f"SELECT network_id, '{kind}', MAX(number) FROM {table} GROUP BY network_id")
    op.execute("INSERT INTO network_counters (network_id, kind, last) "
               "SELECT network_id, 'survey', MAX(number) FROM surveys GROUP BY network_id")


def downgrade() -> None:
    op.execute("DELETE FROM network_counters WHERE kind IN ('survey', %s)"
               % ", ".join(f"'{kind}'" for kind in NUMBERED.values()))
    for table in NUMBERED:
        op.drop_index(f"uq_{table}_network_number", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("number")
