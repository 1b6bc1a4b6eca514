"""Per-network totals of activities by organisation, category and aim, per day and per month, kept by
the database on every write, so a year's totals (/summary this year, the web view's overview and chart,
"activities per organisation") read a few thousand rows instead of every activity of the year.

``activity_totals``: per ``grain`` (``d``: a day, ``m``: a month, ``day`` its first day), local activity
date, organisation (0: none), category and aim, the count, participants and minutes. A period reads its
whole months from the month rows and the days at its edges from the day rows
(:meth:`storage.activity_repo.ActivityRepo.totals`); both are exact for any period of whole days.

Triggers (created by the migration ``0011_queries``, which also fills the table from the rows already
there) keep it: every insert, update and delete of an activity takes its old contribution off and adds
its new one in the same transaction, whichever code wrote it. Rows left at zero by deletions are read
as absent.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from storage.tables import metadata

activity_totals = sa.Table(
    "activity_totals",
    metadata,
    sa.Column("network_id", sa.Integer, primary_key=True),
    sa.Column("grain", sa.String(1), primary_key=True),  # d | m
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("organisation_id", sa.Integer, primary_key=True),  # 0: no organisation
    sa.Column("category", sa.String(24), primary_key=True),
    sa.Column("aim", sa.String(24), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("participants", sa.BigInteger, nullable=False),
    sa.Column("minutes", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,  # rows stored in key order: a period's rows are one range, no lookups
)

NO_ORGANISATION: Final = 0
_KEY = "network_id, grain, day, organisation_id, category, aim"
_WATCHED = "network_id, activity_date, organisation_id, category, aim, participants, minutes"


def _sqlite_grain(row: str, sign: int, grain: str) -> str:
    day = f"date({row}.activity_date)" if grain == "d" else f"date({row}.activity_date, 'start of month')"
    org = f"COALESCE({row}.organisation_id, {NO_ORGANISATION})"
    if sign > 0:
        return (f"INSERT INTO activity_totals ({_KEY}, n, participants, minutes) VALUES ({row}.network_id, "
                f"'{grain}', {day}, {org}, {row}.category, {row}.aim, 1, COALESCE({row}.participants, 0), "
                f"COALESCE({row}.minutes, 0)) ON CONFLICT ({_KEY}) DO UPDATE SET n = n + 1, participants = "
                f"participants + excluded.participants, minutes = minutes + excluded.minutes;")
    return (f"UPDATE activity_totals SET n = n - 1, participants = participants - COALESCE({row}.participants, 0), "
            f"minutes = minutes - COALESCE({row}.minutes, 0) WHERE network_id = {row}.network_id AND grain = "
            f"'{grain}' AND day = {day} AND organisation_id = {org} AND category = {row}.category AND "
            f"aim = {row}.aim;")


def _sqlite(row: str, sign: int) -> str:
    return _sqlite_grain(row, sign, "d") + " " + _sqlite_grain(row, sign, "m")


SQLITE_TRIGGERS: Final = [
    f"CREATE TRIGGER trg_activity_totals_ins AFTER INSERT ON activities BEGIN {_sqlite('NEW', 1)} END",
    f"CREATE TRIGGER trg_activity_totals_del AFTER DELETE ON activities BEGIN {_sqlite('OLD', -1)} END",
    f"CREATE TRIGGER trg_activity_totals_upd AFTER UPDATE OF {_WATCHED} ON activities BEGIN "
    f"{_sqlite('OLD', -1)} {_sqlite('NEW', 1)} END",
]

POSTGRES_TRIGGERS: Final = [
    f"""CREATE FUNCTION activity_totals_add(r activities, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_totals AS t ({_KEY}, n, participants, minutes)
  VALUES (r.network_id, 'd', r.activity_date, COALESCE(r.organisation_id, {NO_ORGANISATION}), r.category, r.aim, sign,
          sign * COALESCE(r.participants, 0), sign * COALESCE(r.minutes, 0)),
         (r.network_id, 'm', date_trunc('month', r.activity_date)::date, COALESCE(r.organisation_id, {NO_ORGANISATION}),
          r.category, r.aim, sign, sign * COALESCE(r.participants, 0), sign * COALESCE(r.minutes, 0))
  ON CONFLICT ({_KEY}) DO UPDATE
     SET n = t.n + EXCLUDED.n, participants = t.participants + EXCLUDED.participants,
         minutes = t.minutes + EXCLUDED.minutes;
END $$""",
    """CREATE FUNCTION activity_totals_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM activity_totals_add(OLD, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM activity_totals_add(NEW, 1);
  END IF;
  RETURN NULL;
END $$""",
    f"CREATE TRIGGER trg_activity_totals AFTER INSERT OR DELETE OR UPDATE OF {_WATCHED} ON activities "
    "FOR EACH ROW EXECUTE FUNCTION activity_totals_keep()",
]

DROP_SQLITE: Final = ["DROP TRIGGER IF EXISTS " + name for name in (
    "trg_activity_totals_ins", "trg_activity_totals_del", "trg_activity_totals_upd")]
DROP_POSTGRES: Final = [
    "DROP TRIGGER IF EXISTS trg_activity_totals ON activities",
    "DROP FUNCTION IF EXISTS activity_totals_keep()",
    "DROP FUNCTION IF EXISTS activity_totals_add(activities, integer)",
]


def backfill(dialect: str) -> list[str]:
    """Fill the totals from the activities already there (the triggers keep them from then on)."""
    statements = []
    for grain in ("d", "m"):
        if dialect == "sqlite":
            day = "date(activity_date)" if grain == "d" else "date(activity_date, 'start of month')"
        else:
            day = "activity_date" if grain == "d" else "date_trunc('month', activity_date)::date"
        org = f"COALESCE(organisation_id, {NO_ORGANISATION})"
        statements.append(
            f"INSERT INTO activity_totals ({_KEY}, n, participants, minutes) SELECT network_id, '{grain}', {day}, "
            f"{org}, category, aim, count(*), COALESCE(sum(participants), 0), COALESCE(sum(minutes), 0) "
            f"FROM activities GROUP BY network_id, {day}, {org}, category, aim")
    return statements
