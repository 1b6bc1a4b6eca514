"""Per-question counts of the surveys' answers, kept by the database on every write, so the results of
a year's surveys (the SAR pack) read some thousand rows instead of every answer of the year.

``survey_tallies``: per network, survey, question and choice (the option's index, -1 for free text) the
number of answers; and per question, under ``choice = ANSWERED`` (-2), the number of responses that
answered it (a multiple-choice answer is several rows of one response). Counts only: no response id,
no voter key, no text, so an anonymous survey's tallies say no more than its results do.

Triggers (created by the migration ``0014_survey_tallies``, which also fills the table from the answers
already there) keep it in the transaction of every insert, update and delete of an answer, whichever code
wrote it (a changed answer, a cleared one, a cascade from a response, a survey or a network). SQLite's row
triggers see each row's statement half done, so "the response's first answer to the question" is "one row
of that response and question now"; PostgreSQL's see the statement done, so its triggers are per statement
and compare the rows before and after it (its transition tables). A migration that rebuilds
``survey_answers`` on SQLite (a batch migration) drops the triggers and must create them again. Rows left
at zero by deletions are read as absent.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from storage.tables import metadata

survey_tallies = sa.Table(
    "survey_tallies",
    metadata,
    sa.Column("network_id", sa.Integer, primary_key=True),
    sa.Column("survey_id", sa.Integer, primary_key=True),
    sa.Column("question_id", sa.Integer, primary_key=True),
    sa.Column("choice", sa.Integer, primary_key=True),  # an option's index; -1 free text; -2 ANSWERED
    sa.Column("n", sa.BigInteger, nullable=False),
    sqlite_with_rowid=False,  # stored in key order: a network's surveys' rows are ranges, no lookups
)

ANSWERED: Final = -2
_KEY = "network_id, survey_id, question_id, choice"
_WATCHED = "response_id, question_id, choice, network_id, survey_id"


def _sqlite_add(row: str, choice: str, sign: int, when: str = "") -> str:
    where = f" WHERE {when}" if when else " WHERE true"  # an upsert's SELECT needs a WHERE (SQLite's parser)
    return (f"INSERT INTO survey_tallies ({_KEY}, n) SELECT {row}.network_id, {row}.survey_id, {row}.question_id, "
            f"{choice}, {sign}{where} ON CONFLICT ({_KEY}) DO UPDATE SET n = n + excluded.n;")


def _rows_of(row: str) -> str:
    return f"(SELECT count(*) FROM survey_answers WHERE response_id = {row}.response_id AND question_id = {row}.question_id)"


_SQLITE_OLD = _sqlite_add("OLD", "OLD.choice", -1) + " " + _sqlite_add("OLD", str(ANSWERED), -1, f"{_rows_of('OLD')} = 0")

SQLITE_TRIGGERS: Final = [
    f"CREATE TRIGGER trg_survey_tallies_ins AFTER INSERT ON survey_answers BEGIN "
    f"{_sqlite_add('NEW', 'NEW.choice', 1)} {_sqlite_add('NEW', str(ANSWERED), 1, _rows_of('NEW') + ' = 1')} END",
    f"CREATE TRIGGER trg_survey_tallies_del AFTER DELETE ON survey_answers BEGIN {_SQLITE_OLD} END",
    # The old row as a deletion, the new one as an insertion; with the same response and question the
    # response answered the question before and after.
    f"CREATE TRIGGER trg_survey_tallies_upd AFTER UPDATE OF {_WATCHED} ON survey_answers BEGIN "
    f"{_SQLITE_OLD} {_sqlite_add('NEW', 'NEW.choice', 1)} "
    f"{_sqlite_add('NEW', str(ANSWERED), 1, _rows_of('NEW') + ' = 1 AND (OLD.response_id <> NEW.response_id OR OLD.question_id <> NEW.question_id)')} END",
]


def _postgres_function(name: str, sources: list[tuple[str, int]]) -> str:
    """A statement trigger's function: ``sources`` the transition tables and their sign (+1 added rows,
    -1 gone rows)."""
    rows = " UNION ALL ".join(f"SELECT network_id, survey_id, question_id, choice, response_id, {sign} AS d FROM {table}"
                              for table, sign in sources)
    return f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Lock the questions' ANSWERED rows first: a concurrent answer of the same response then waits, and the
  -- next statement (a new snapshot) sees it.
  INSERT INTO survey_tallies AS t ({_KEY}, n)
  SELECT DISTINCT network_id, survey_id, question_id, {ANSWERED}, 0 FROM ({rows}) AS r ORDER BY 1, 2, 3
  ON CONFLICT ({_KEY}) DO UPDATE SET n = t.n;
  INSERT INTO survey_tallies AS t ({_KEY}, n)
  SELECT network_id, survey_id, question_id, choice, sum(d) FROM ({rows}) AS r
  GROUP BY network_id, survey_id, question_id, choice HAVING sum(d) <> 0 ORDER BY 1, 2, 3, 4
  ON CONFLICT ({_KEY}) DO UPDATE SET n = t.n + EXCLUDED.n;
  -- Per response and question: answered after the statement (rows now) minus before (now, less the added
  -- rows, plus the gone ones).
  INSERT INTO survey_tallies AS t ({_KEY}, n)
  SELECT network_id, survey_id, question_id, {ANSWERED}, sum(delta) FROM (
    SELECT c.network_id, c.survey_id, c.question_id,
           (k.now > 0)::int - ((k.now - c.d) > 0)::int AS delta
    FROM (SELECT network_id, survey_id, question_id, response_id, sum(d) AS d FROM ({rows}) AS r
          GROUP BY network_id, survey_id, question_id, response_id) AS c
    CROSS JOIN LATERAL (SELECT count(*) AS now FROM survey_answers AS a
                        WHERE a.response_id = c.response_id AND a.question_id = c.question_id) AS k) AS changes
  GROUP BY network_id, survey_id, question_id HAVING sum(delta) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT ({_KEY}) DO UPDATE SET n = t.n + EXCLUDED.n;
  RETURN NULL;
END $$"""


POSTGRES_TRIGGERS: Final = [
    _postgres_function("survey_tallies_ins", [("added", 1)]),
    _postgres_function("survey_tallies_del", [("gone", -1)]),
    _postgres_function("survey_tallies_upd", [("added", 1), ("gone", -1)]),
    "CREATE TRIGGER trg_survey_tallies_ins AFTER INSERT ON survey_answers REFERENCING NEW TABLE AS added "
    "FOR EACH STATEMENT EXECUTE FUNCTION survey_tallies_ins()",
    "CREATE TRIGGER trg_survey_tallies_del AFTER DELETE ON survey_answers REFERENCING OLD TABLE AS gone "
    "FOR EACH STATEMENT EXECUTE FUNCTION survey_tallies_del()",
    "CREATE TRIGGER trg_survey_tallies_upd AFTER UPDATE ON survey_answers REFERENCING OLD TABLE AS gone "
    "NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION survey_tallies_upd()",
]

DROP_SQLITE: Final = ["DROP TRIGGER IF EXISTS " + name for name in (
    "trg_survey_tallies_ins", "trg_survey_tallies_del", "trg_survey_tallies_upd")]
DROP_POSTGRES: Final = [
    *(f"DROP TRIGGER IF EXISTS trg_survey_tallies_{op} ON survey_answers" for op in ("ins", "del", "upd")),
    *(f"DROP FUNCTION IF EXISTS survey_tallies_{op}()" for op in ("ins", "del", "upd")),
]

BACKFILL: Final = [
    f"INSERT INTO survey_tallies ({_KEY}, n) SELECT network_id, survey_id, question_id, choice, count(*) "
    "FROM survey_answers GROUP BY network_id, survey_id, question_id, choice",
    f"INSERT INTO survey_tallies ({_KEY}, n) SELECT network_id, survey_id, question_id, {ANSWERED}, "
    "count(DISTINCT response_id) FROM survey_answers GROUP BY network_id, survey_id, question_id",
]
