"""Per-network totals of activities by organisation, category and aim, per day and per month, kept by
the database on every write, so a year's totals (/summary this year, the web view's overview and chart,
"activities per organisation") read a few thousand rows instead of every activity of the year.

``activity_totals``: per ``grain`` (``d``: a day, ``m``: a month, ``day`` its first day), local activity
date, organisation (0: none; -1, ``ALL_ORGANISATIONS``: every organisation together), category and aim,
the count, participants and minutes. A period reads its whole months from the month rows and the days
at its edges from the day rows (:meth:`storage.activity_repo.ActivityRepo.kept_totals`); both are exact
for any period of whole days. Totals of the whole network (the goals, the review, the summary, the web
view's overview) read the ``ALL_ORGANISATIONS`` rows: a year is some hundred rows whatever the number of
organisations. (They replace the goals' own per-day table, ``goal_activity_days``: migration
``0012_one_activity_rollup``.)

Triggers (created by the migration ``0011_queries``, which also fills the table from the rows already
there; the ``ALL_ORGANISATIONS`` rows since ``0012_one_activity_rollup``) keep it: every insert, update and delete of an activity takes its old contribution off and adds
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
ALL_ORGANISATIONS: Final = -1
_KEY = "network_id, grain, day, organisation_id, category, aim"
_WATCHED = "network_id, activity_date, organisation_id, category, aim, participants, minutes"


def _sqlite_grain(row: str, sign: int, grain: str, org: str) -> str:
    day = f"date({row}.activity_date)" if grain == "d" else f"date({row}.activity_date, 'start of month')"
    if sign > 0:
        return (f"INSERT INTO activity_totals ({_KEY}, n, participants, minutes) VALUES ({row}.network_id, "
                f"'{grain}', {day}, {org}, {row}.category, {row}.aim, 1, COALESCE({row}.participants, 0), "
                f"COALESCE({row}.minutes, 0)) ON CONFLICT ({_KEY}) DO UPDATE SET n = n + 1, participants = "
                f"participants + excluded.participants, minutes = minutes + excluded.minutes;")
    return (f"UPDATE activity_totals SET n = n - 1, participants = participants - COALESCE({row}.participants, 0), "
            f"minutes = minutes - COALESCE({row}.minutes, 0) WHERE network_id = {row}.network_id AND grain = "
            f"'{grain}' AND day = {day} AND organisation_id = {org} AND category = {row}.category AND "
            f"aim = {row}.aim;")


def _orgs(row: str, with_all: bool) -> list[str]:
    own = f"COALESCE({row}.organisation_id, {NO_ORGANISATION})"
    return [own, str(ALL_ORGANISATIONS)] if with_all else [own]


def _sqlite(row: str, sign: int, with_all: bool) -> str:
    return " ".join(_sqlite_grain(row, sign, grain, org) for grain in ("d", "m") for org in _orgs(row, with_all))


def sqlite_triggers(with_all: bool = True) -> list[str]:
    """The triggers (``with_all=False``: as 0011_queries made them, without the ALL_ORGANISATIONS rows)."""
    return [
        f"CREATE TRIGGER trg_activity_totals_ins AFTER INSERT ON activities BEGIN {_sqlite('NEW', 1, with_all)} END",
        f"CREATE TRIGGER trg_activity_totals_del AFTER DELETE ON activities BEGIN {_sqlite('OLD', -1, with_all)} END",
        f"CREATE TRIGGER trg_activity_totals_upd AFTER UPDATE OF {_WATCHED} ON activities BEGIN "
        f"{_sqlite('OLD', -1, with_all)} {_sqlite('NEW', 1, with_all)} END",
    ]


def postgres_triggers(with_all: bool = True) -> list[str]:
    """As :func:`sqlite_triggers`, on PostgreSQL."""
    values = ",\n         ".join(
        f"(r.network_id, '{grain}', {day}, {org}, r.category, r.aim, sign, sign * COALESCE(r.participants, 0), "
        f"sign * COALESCE(r.minutes, 0))"
        for grain, day in (("d", "r.activity_date"), ("m", "date_trunc('month', r.activity_date)::date"))
        for org in _orgs("r", with_all))
    return [
        f"""CREATE FUNCTION activity_totals_add(r activities, sign integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO activity_totals AS t ({_KEY}, n, participants, minutes)
  VALUES {values}
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


SQLITE_TRIGGERS: Final = sqlite_triggers()
POSTGRES_TRIGGERS: Final = postgres_triggers()

DROP_SQLITE: Final = ["DROP TRIGGER IF EXISTS " + name for name in (
    "trg_activity_totals_ins", "trg_activity_totals_del", "trg_activity_totals_upd")]
DROP_POSTGRES: Final = [
    "DROP TRIGGER IF EXISTS trg_activity_totals ON activities",
    "DROP FUNCTION IF EXISTS activity_totals_keep()",
    "DROP FUNCTION IF EXISTS activity_totals_add(activities, integer)",
]


def backfill(dialect: str, *, own: bool = True, every: bool = True) -> list[str]:
    """Fill the totals from the activities already there (the triggers keep them from then on): each
    organisation's rows (``own``) and the ``ALL_ORGANISATIONS`` rows (``every``)."""
    statements = []
    for grain in ("d", "m"):
        if dialect == "sqlite":
            day = "date(activity_date)" if grain == "d" else "date(activity_date, 'start of month')"
        else:
            day = "activity_date" if grain == "d" else "date_trunc('month', activity_date)::date"
        for org, wanted in ((f"COALESCE(organisation_id, {NO_ORGANISATION})", own), (str(ALL_ORGANISATIONS), every)):
            if not wanted:
                continue
            group = f", {org}" if org != str(ALL_ORGANISATIONS) else ""
            statements.append(
                f"INSERT INTO activity_totals ({_KEY}, n, participants, minutes) SELECT network_id, '{grain}', {day}, "
                f"{org}, category, aim, count(*), COALESCE(sum(participants), 0), COALESCE(sum(minutes), 0) "
                f"FROM activities GROUP BY network_id, {day}{group}, category, aim")
    return statements
