"""The WAL checkpoint of :mod:`storage.sqlite_inline`: a long WAL is started over, a short one is left.

Under a steady stream of writes a passive checkpoint never lets SQLite start the WAL over, and the WAL
and its ``-shm`` index (mapped by every process) grew without end (issue 18, 500 webhooks/s)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from storage import sqlite_inline


def _writer(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as the inline connections: checkpoints are ours
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    return conn


def _write_pages(conn: sqlite3.Connection, rows: int) -> None:
    for _ in range(rows):
        conn.execute("INSERT INTO t (body) VALUES (?)", ("x" * 3000,))  # about a page per row and commit


def _wal_bytes(path: Path) -> int:
    return os.path.getsize(f"{path}-wal")


def _wal_frames(path: Path) -> int:
    """How many frames the WAL holds now (a passive checkpoint's count; it copies them back too)."""
    check = sqlite3.connect(path)
    try:
        busy, log, done = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and log == done
        return int(log)
    finally:
        check.close()


def _load_during_the_passive_pass(monkeypatch: pytest.MonkeyPatch, path: Path, writer: sqlite3.Connection) -> None:
    """As under load: while checkpoint()'s passive pass runs, a reader is in the WAL and a writer commits
    after it, so the pass cannot copy the WAL to its end and SQLite would not start it over."""
    connect = sqlite3.connect

    class Connection:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._conn = connect(*args, **kwargs)

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if "PASSIVE" not in sql:
                return self._conn.execute(sql, *args)
            reader = connect(path, isolation_level=None)
            try:
                reader.execute("BEGIN")
                reader.execute("SELECT count(*) FROM t").fetchone()
                _write_pages(writer, 1)
                row = self._conn.execute(sql, *args).fetchone()
                reader.execute("COMMIT")
            finally:
                reader.close()
            return self._conn.execute("SELECT ?, ?, ?", row)

        def close(self) -> None:
            self._conn.close()

    monkeypatch.setattr(sqlite_inline.sqlite3, "connect", Connection)


def test_a_long_wal_is_started_over_once_checkpointed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "WAL_RESTART_FRAMES", 20)
    path = tmp_path / "w.db"
    conn = _writer(path)
    try:
        _write_pages(conn, 40)
        with monkeypatch.context() as patch:
            _load_during_the_passive_pass(patch, path, conn)
            sqlite_inline.checkpoint(str(path))
        size = _wal_bytes(path)
        assert size > 40 * 4096
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (41,)
        _write_pages(conn, 2)  # written at the WAL's start again: it holds these two (a few frames each)
        assert _wal_frames(path) <= 10 and _wal_bytes(path) == size  # and the file has not grown
    finally:
        conn.close()


def test_a_short_wal_is_only_copied_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "WAL_RESTART_FRAMES", 1000)
    path = tmp_path / "w.db"
    conn = _writer(path)
    try:
        _write_pages(conn, 40)
        with monkeypatch.context() as patch:
            _load_during_the_passive_pass(patch, path, conn)
            sqlite_inline.checkpoint(str(path))  # passive only: what the reader kept from it stays in the WAL
        _write_pages(conn, 1)
        assert _wal_frames(path) >= 42  # not started over: the WAL goes on after its 41 commits
    finally:
        conn.close()


def test_a_reader_in_the_wal_keeps_it_and_its_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_inline, "WAL_RESTART_FRAMES", 20)
    monkeypatch.setattr(sqlite_inline, "RESTART_WAIT_MS", 1)
    path = tmp_path / "w.db"
    conn = _writer(path)
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        _write_pages(conn, 30)
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (30,)
        _write_pages(conn, 30)
        sqlite_inline.checkpoint(str(path))  # gives up on the restart instead of waiting for the reader
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (30,)
        reader.execute("COMMIT")
        _write_pages(conn, 1)
        assert _wal_frames(path) >= 61  # not started over: the write went after the 60 before it
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (61,)
        sqlite_inline.checkpoint(str(path))  # the reader has left: now it is started over
        _write_pages(conn, 1)
        assert _wal_frames(path) <= 10
    finally:
        reader.close()
        conn.close()
