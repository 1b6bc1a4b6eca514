"""Run Alembic programmatically: no alembic.ini needed at run time. Alembic (with Mako) costs about
0.2 s to import, so it is imported by the functions that run it, not on the way to every start-up."""

from __future__ import annotations

import ast
import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade_to_heads(url: str) -> None:
    """Upgrade to every head: each feature owns a migration branch off the core."""
    from alembic import command

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        command.upgrade(alembic_config(url), "heads")
        return
    # Alembic's env.py runs its own event loop: inside a running one, use a thread.
    errors: list[BaseException] = []

    def run() -> None:
        try:
            command.upgrade(alembic_config(url), "heads")
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)

    worker = threading.Thread(target=run, name="alembic-upgrade")
    worker.start()
    worker.join()
    if errors:
        raise errors[0]


UPGRADE_URL = "EDUNET_UPGRADE_URL"  # how upgrade_in_child hands the URL to its child (not on its command line)


async def upgrade_in_child(url: str) -> None:
    """:func:`upgrade_to_heads` in a short-lived child process: Alembic, Mako and the migration
    scripts (about 8 MB) never stay in the server's memory. Raises with the child's last words."""
    import os
    import sys

    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "storage.migrations.runner", env={**os.environ, UPGRADE_URL: url},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _out, err = await child.communicate()
    if child.returncode != 0:
        last = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {child.returncode}"]
        raise RuntimeError(f"the schema upgrade failed: {last[0]}")


# Objects the migrations create that the tables' metadata does not describe: the rollups' triggers.
# ``tests/test_fresh_schema.py`` checks that a fresh file built here equals one the migrations built.
def _sqlite_extras() -> list[str]:
    from storage import activity_rollups, survey_tallies
    from storage.goals import rollups

    return list(rollups.SQLITE_TRIGGERS) + list(activity_rollups.SQLITE_TRIGGERS) + list(survey_tallies.SQLITE_TRIGGERS)


def sqlite_file(url: str) -> str | None:
    """The file of a plain SQLite URL (no in-memory database, no URL options), else None."""
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query or parsed.database in (None, "", ":memory:"):
        return None
    return parsed.database


def script_heads() -> set[str]:
    """The heads of the migration scripts, read from their ``revision`` and ``down_revision`` lines
    without importing Alembic (the test checks it against Alembic's own ``get_heads``)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                name = node.targets[0].id
                if name in ("revision", "down_revision"):
                    value = ast.literal_eval(node.value)
                    found = {value} if isinstance(value, str) else set(value or ())
                    (revisions if name == "revision" else parents).update(found)
    return revisions - parents


def create_fresh_sqlite(url: str) -> bool:
    """Build an empty SQLite database at the heads in one transaction: the tables and indexes from
    the metadata, the migrations' triggers, and Alembic's version table holding every head
    (Alembic's recipe for a database built from scratch: create_all, then stamp). Replaying all the
    migrations on an empty file costs about a second; this a few tens of ms. Returns False, touching
    nothing, when the URL is not a plain SQLite file or the file is not empty: those go through the
    migrations (:func:`upgrade_to_heads`)."""
    path = sqlite_file(url)
    if path is None or (Path(path).exists() and Path(path).stat().st_size > 0):
        return False
    import sqlalchemy as sa

    import storage.all_tables  # noqa: F401  (registers every feature's tables on metadata)
    from storage.tables import metadata

    version = sa.Table("alembic_version", sa.MetaData(),  # what Alembic's stamp creates
                       sa.Column("version_num", sa.String(32), nullable=False),
                       sa.PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))
    engine = sa.create_engine(f"sqlite:///{path}", poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # a second process starting at once waits here
            try:
                if conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar():
                    conn.exec_driver_sql("ROLLBACK")
                    return False  # another process built it meanwhile: the migrations check it
                metadata.create_all(conn)
                for statement in _sqlite_extras():
                    conn.exec_driver_sql(statement)
                version.create(conn)
                conn.execute(version.insert(), [{"version_num": head} for head in sorted(script_heads())])
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
    finally:
        engine.dispose()
    return True


def current_heads(url: str) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


if __name__ == "__main__":  # upgrade_in_child's child
    import os

    upgrade_to_heads(os.environ[UPGRADE_URL])
