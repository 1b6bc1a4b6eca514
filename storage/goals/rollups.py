"""Per-network, per-day and per-month totals of pledges, kept by the database on every write, so the
goals, the term review and the summaries read a year in a few thousand rows instead of every pledge.
(The activities' totals are :mod:`storage.activity_rollups`' ``activity_totals``; the goals' own
per-day activity totals, ``goal_activity_days``, duplicated them and were dropped by the migration
``0012_one_activity_rollup``.)

``goal_pledge_days``: per UTC day, stage (``pledged``: made and not cancelled, by ``created_at``;
``delivered``: by ``delivered_at``; ``made_deliv``: delivered, by ``created_at``, so "of the year's pledges,
how many were delivered" is read here too, since the migration ``0017_pledges_delivered_by_made``), resource
type, sector and unit, the count and amount; and the same per UTC month (stages ``pledged_m``,
``delivered_m`` and ``made_deliv_m``, ``day`` the month's first day), so a year is
twelve months of rows plus the days of the months it starts and ends in. Days are UTC
because the pledge timestamps are; a period in a network's time zone reads its whole UTC days here and
the two partial days at its edges from ``pledges`` itself (see :meth:`MeasureRepo.pledge_totals`).

Triggers (below, created by the migration ``0010_goal_reviews``) keep them: every insert, update and
delete of a pledge takes its old contribution off and adds its new one, in the same
transaction, whichever code wrote it. Zero rows left by deletions are harmless (sums of zero).
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from storage.activities import needs
from storage.tables import metadata

# "Needs fulfilled in a period" (a target kind) reads this, not every fulfilled need's row.
ix_needs_network_fulfilled = sa.Index("ix_needs_network_status_fulfilled", needs.c.network_id, needs.c.status,
                                      needs.c.fulfilled_at)

goal_pledge_days = sa.Table(
    "goal_pledge_days",
    metadata,
    sa.Column("network_id", sa.Integer, primary_key=True),
    sa.Column("stage", sa.String(12), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("resource_type", sa.String(16), primary_key=True),
    sa.Column("source_sector", sa.String(16), primary_key=True),
    sa.Column("unit", sa.String(32), primary_key=True),
    sa.Column("n", sa.BigInteger, nullable=False),
    sa.Column("amount_x100", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

_PLEDGE_KEY = "network_id, stage, day, resource_type, source_sector, unit"
_LIVE = "('pledged', 'delivered')"  # storage.resource_repo.LIVE
MONTH: Final = "_m"  # the stage of a month's totals: "pledged_m", "delivered_m" (day = the month's first day)
MADE_DELIVERED: Final = "made_deliv"  # delivered pledges by the day they were made (the stage is 12 characters at most)
# Each stage: its name, the column that dates it and the condition a pledge meets to count (``{row}``: the
# pledge's row in a trigger, ``NEW.``, ``OLD.`` or ``r.``; nothing in the backfill's SELECT).
STAGES: Final[tuple[tuple[str, str, str], ...]] = (
    ("pledged", "created_at", f"{{row}}status IN {_LIVE}"),
    ("delivered", "delivered_at", "{row}delivered_at IS NOT NULL"),
    (MADE_DELIVERED, "created_at", "{row}status = 'delivered'"),
)


def _stages(made_delivered: bool) -> tuple[tuple[str, str, str], ...]:
    """The stages the triggers keep (``made_delivered=False``: those before
    ``0017_pledges_delivered_by_made``)."""
    return STAGES if made_delivered else tuple(found for found in STAGES if found[0] != MADE_DELIVERED)


def _sqlite_pledge(row: str, sign: int, stage: str, day: str, condition: str) -> str:
    """One grain: a day (``stage``) or a month (``stage_m``, keyed by its first day)."""
    return "\n".join(_sqlite_pledge_grain(row, sign, stage + suffix, f"date({day}{modifier})", condition)
                     for suffix, modifier in (("", ""), (MONTH, ", 'start of month'")))


def _sqlite_pledge_grain(row: str, sign: int, stage: str, day: str, condition: str) -> str:
    if sign > 0:
        return (f"INSERT INTO goal_pledge_days ({_PLEDGE_KEY}, n, amount_x100) SELECT {row}.network_id, "
                f"'{stage}', {day}, {row}.resource_type, {row}.source_sector, {row}.unit, 1, "
                f"{row}.amount_x100 WHERE {condition} "
                f"ON CONFLICT ({_PLEDGE_KEY}) DO UPDATE SET n = n + 1, amount_x100 = amount_x100 + excluded.amount_x100;")
    return (f"UPDATE goal_pledge_days SET n = n - 1, amount_x100 = amount_x100 - {row}.amount_x100 "
            f"WHERE {condition} AND network_id = {row}.network_id AND day = {day} AND stage = '{stage}' AND "
            f"resource_type = {row}.resource_type AND source_sector = {row}.source_sector AND unit = {row}.unit;")


def _sqlite_pledge_all(row: str, sign: int, made_delivered: bool) -> str:
    return "\n".join(_sqlite_pledge(row, sign, stage, f"{row}.{column}", condition.format(row=f"{row}."))
                     for stage, column, condition in _stages(made_delivered))


def sqlite_triggers(*, made_delivered: bool = True) -> list[str]:
    """The triggers keeping ``goal_pledge_days`` on SQLite (``made_delivered=False``: as they were before
    the stage ``made_deliv``, for the migration's downgrade)."""
    def both(row: str, sign: int) -> str:
        return _sqlite_pledge_all(row, sign, made_delivered)

    return [
        f"CREATE TRIGGER trg_goal_pledge_days_ins AFTER INSERT ON pledges BEGIN {both('NEW', 1)} END",
        f"CREATE TRIGGER trg_goal_pledge_days_del AFTER DELETE ON pledges BEGIN {both('OLD', -1)} END",
        "CREATE TRIGGER trg_goal_pledge_days_upd AFTER UPDATE OF network_id, resource_type, source_sector, unit, "
        "amount_x100, status, created_at, delivered_at ON pledges BEGIN "
        f"{both('OLD', -1)} {both('NEW', 1)} END",
    ]


SQLITE_TRIGGERS: Final = sqlite_triggers()

_PG_UTC_DAY = "(({col}) AT TIME ZONE 'UTC')::date"
_PG_UTC_MONTH = "date_trunc('month', ({col}) AT TIME ZONE 'UTC')::date"


def _pg_upsert(stage: str, day: str) -> str:
    return f"""    INSERT INTO goal_pledge_days AS d (network_id, stage, day, resource_type, source_sector, unit, n, amount_x100)
    VALUES (r.network_id, '{stage}', {day}, r.resource_type, r.source_sector, r.unit, sign, sign * r.amount_x100)
    ON CONFLICT (network_id, stage, day, resource_type, source_sector, unit) DO UPDATE
       SET n = d.n + EXCLUDED.n, amount_x100 = d.amount_x100 + EXCLUDED.amount_x100;
"""


def _pg_stage(stage: str, column: str, condition: str) -> str:
    return (f"  IF {condition} THEN\n" + _pg_upsert(stage, _PG_UTC_DAY.format(col=f"r.{column}"))
            + _pg_upsert(stage + MONTH, _PG_UTC_MONTH.format(col=f"r.{column}")) + "  END IF;\n")


def postgres_triggers(*, made_delivered: bool = True) -> list[str]:
    """The function and trigger keeping ``goal_pledge_days`` on PostgreSQL (``made_delivered=False``: as
    they were before the stage ``made_deliv``, for the migration's downgrade)."""
    stages = "".join(_pg_stage(stage, column, condition.format(row="r."))
                     for stage, column, condition in _stages(made_delivered))
    return [
        "CREATE FUNCTION goal_pledge_days_add(r pledges, sign integer) RETURNS void LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{stages}END $$",
        """CREATE FUNCTION goal_pledge_days_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM goal_pledge_days_add(OLD, -1);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    PERFORM goal_pledge_days_add(NEW, 1);
  END IF;
  RETURN NULL;
END $$""",
        "CREATE TRIGGER trg_goal_pledge_days AFTER INSERT OR DELETE OR UPDATE OF network_id, resource_type, "
        "source_sector, unit, amount_x100, status, created_at, delivered_at ON pledges FOR EACH ROW "
        "EXECUTE FUNCTION goal_pledge_days_keep()",
    ]


POSTGRES_TRIGGERS: Final = postgres_triggers()



def backfill(dialect: str, stages: tuple[str, ...] | None = None) -> list[str]:
    """Fill the totals of ``stages`` (by default every one) from the rows already there (the triggers keep
    them from then on)."""
    def day(col: str, month: bool = False) -> str:
        if dialect == "sqlite":
            return f"date({col}, 'start of month')" if month else f"date({col})"
        return (_PG_UTC_MONTH if month else _PG_UTC_DAY).format(col=col)

    statements: list[str] = []
    for stage, column, condition in (found for found in STAGES if stages is None or found[0] in stages):
        condition = condition.format(row="")
        for suffix, month in (("", False), (MONTH, True)):
            statements.append(
                f"INSERT INTO goal_pledge_days ({_PLEDGE_KEY}, n, amount_x100) SELECT network_id, '{stage}{suffix}', "
                f"{day(column, month)}, resource_type, source_sector, unit, count(*), sum(amount_x100) FROM pledges "
                f"WHERE {condition} GROUP BY network_id, {day(column, month)}, resource_type, source_sector, unit")
    return statements


DROP_SQLITE: Final = ["DROP TRIGGER IF EXISTS " + name for name in (
    "trg_goal_pledge_days_ins", "trg_goal_pledge_days_del", "trg_goal_pledge_days_upd")]
DROP_POSTGRES: Final = [
    "DROP TRIGGER IF EXISTS trg_goal_pledge_days ON pledges",
    "DROP FUNCTION IF EXISTS goal_pledge_days_keep()",
    "DROP FUNCTION IF EXISTS goal_pledge_days_add(pledges, integer)",
]
