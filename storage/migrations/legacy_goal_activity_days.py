"""The per-day totals of activities the goals kept from migration 0010_goal_reviews until 0012_one_activity_rollup
(``goal_activity_days``: per network, local activity date, category and aim). ``activity_totals``
(:mod:`storage.activity_rollups`) holds the same figures by organisation too, per day and per month, so
0012 dropped this table and its triggers. Kept here, as they were, for those two migrations only (0010
creates them on the way up, 0012's downgrade creates them again); nothing else reads or writes them."""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from alembic import op

_ACT_KEY = "network_id, activity_date, category, aim"


def create_table() -> None:
    """The table, as 0010 made it (inside a migration: alembic's ``op``)."""
    op.create_table(
        "goal_activity_days",
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("activity_date", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=24), nullable=False),
        sa.Column("aim", sa.String(length=24), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("participants", sa.BigInteger(), nullable=False),
        sa.Column("minutes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("network_id", "activity_date", "category", "aim", name=op.f("pk_goal_activity_days")),
        sqlite_with_rowid=False,
    )


def _sqlite_activity(row: str, sign: int) -> str:
    if sign > 0:
        return (f"INSERT INTO goal_activity_days ({_ACT_KEY}, n, participants, minutes) VALUES "
                f"({row}.network_id, {row}.activity_date, {row}.category, {row}.aim, 1, "
                f"COALESCE({row}.participants, 0), COALESCE({row}.minutes, 0)) "
                f"ON CONFLICT ({_ACT_KEY}) DO UPDATE SET n = n + 1, participants = participants + "
                f"excluded.participants, minutes = minutes + excluded.minutes;")
    return (f"UPDATE goal_activity_days SET n = n - 1, participants = participants - COALESCE({row}.participants, 0), "
            f"minutes = minutes - COALESCE({row}.minutes, 0) WHERE network_id = {row}.network_id AND "
            f"activity_date = {row}.activity_date AND category = {row}.category AND aim = {row}.aim;")


SQLITE_TRIGGERS: Final = [
    f"CREATE TRIGGER trg_goal_activity_days_ins AFTER INSERT ON activities BEGIN {_sqlite_activity('NEW', 1)} END",
    f"CREATE TRIGGER trg_goal_activity_days_del AFTER DELETE ON activities BEGIN {_sqlite_activity('OLD', -1)} END",
    "CREATE TRIGGER trg_goal_activity_days_upd AFTER UPDATE OF network_id, activity_date, category, aim, "
    f"participants, minutes ON activities BEGIN {_sqlite_activity('OLD', -1)} {_sqlite_activity('NEW', 1)} END",
]

POSTGRES_TRIGGERS: Final = [
    """CREATE FUNCTION goal_activity_days_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE goal_activity_days SET n = n - 1, participants = participants - COALESCE(OLD.participants, 0),
           minutes = minutes - COALESCE(OLD.minutes, 0)
     WHERE network_id = OLD.network_id AND activity_date = OLD.activity_date AND category = OLD.category
       AND aim = OLD.aim;
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO goal_activity_days AS d (network_id, activity_date, category, aim, n, participants, minutes)
    VALUES (NEW.network_id, NEW.activity_date, NEW.category, NEW.aim, 1, COALESCE(NEW.participants, 0),
            COALESCE(NEW.minutes, 0))
    ON CONFLICT (network_id, activity_date, category, aim) DO UPDATE
       SET n = d.n + 1, participants = d.participants + EXCLUDED.participants, minutes = d.minutes + EXCLUDED.minutes;
  END IF;
  RETURN NULL;
END $$""",
    "CREATE TRIGGER trg_goal_activity_days AFTER INSERT OR DELETE OR UPDATE OF network_id, activity_date, category, "
    "aim, participants, minutes ON activities FOR EACH ROW EXECUTE FUNCTION goal_activity_days_keep()",
]

BACKFILL: Final = [
    f"INSERT INTO goal_activity_days ({_ACT_KEY}, n, participants, minutes) SELECT {_ACT_KEY}, count(*), "
    f"COALESCE(sum(participants), 0), COALESCE(sum(minutes), 0) FROM activities GROUP BY {_ACT_KEY}"]

DROP_SQLITE: Final = ["DROP TRIGGER IF EXISTS " + name for name in (
    "trg_goal_activity_days_ins", "trg_goal_activity_days_del", "trg_goal_activity_days_upd")]
DROP_POSTGRES: Final = [
    "DROP TRIGGER IF EXISTS trg_goal_activity_days ON activities",
    "DROP FUNCTION IF EXISTS goal_activity_days_keep()",
]
