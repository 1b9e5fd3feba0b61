"""``chanwatch backup``: a consistent, private, verified copy, even while another writer runs."""

from __future__ import annotations

import asyncio
import io
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.database import connect
from storage.errors import StorageError
from storage.maintenance import backup, inspect


async def create_database(path: Path) -> None:
    async with connect(path):
        pass


POSTS = ["Курськ: колона техніки", "КНДР отправила войска", "North Korean troops near Kursk"]


def make_database(path: Path) -> None:
    asyncio.run(create_database(path))
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO channels (id, telegram_id, ref, created_at, updated_at)"
            " VALUES (1, 101, '@rybar', 0, 0)"
        )
        conn.executemany(
            "INSERT INTO messages (channel_id, message_id, date, text, ingested_at)"
            " VALUES (1, ?, 0, ?, 0)",
            [(n, POSTS[n % 3]) for n in range(1, 301)],
        )
    conn.close()


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ={}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_backup_is_an_identical_private_single_file(tmp_path: Path) -> None:
    source, copy = tmp_path / "live.db", tmp_path / "copy.db"
    make_database(source)
    code, out, err = run(["--db", str(source), "backup", str(copy)])
    assert code == 0, err
    assert "schema version" in out and "integrity ok" in out
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    query = "SELECT message_id, text FROM messages ORDER BY message_id"
    assert rows(copy, query) == rows(source, query)
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]
    assert rows(copy, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'КНДР'")[0][0] > 0
    assert not list(tmp_path.glob(".copy.db.partial"))


def test_backup_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    source, copy = tmp_path / "live.db", tmp_path / "copy.db"
    make_database(source)
    copy.write_text("precious", encoding="utf-8")
    code, _, err = run(["--db", str(source), "backup", str(copy)])
    assert code == 2 and "already exists; pass --force" in err
    assert copy.read_text(encoding="utf-8") == "precious"
    code, _, err = run(["--db", str(source), "backup", "--force", str(copy)])
    assert code == 0, err
    assert inspect(copy).intact


@pytest.mark.parametrize(
    ("target", "message"),
    [("missing-dir/copy.db", "does not exist"), (".", "is a directory"), ("live.db", "database")],
)
def test_backup_refuses_bad_targets(tmp_path: Path, target: str, message: str) -> None:
    source = tmp_path / "live.db"
    make_database(source)
    code, _, err = run(["--db", str(source), "backup", "--force", str(tmp_path / target)])
    assert code == 2 and message in err and "Traceback" not in err


def test_backup_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run(["--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "c.db")])
    assert code == 1 and "no database at" in err
    assert not (tmp_path / "none.db").exists()


def test_backup_while_another_connection_writes(tmp_path: Path) -> None:
    """The copy is one consistent snapshot: every message with its FTS row, none half-done."""
    source, copy = tmp_path / "live.db", tmp_path / "copy.db"
    make_database(source)
    stop = threading.Event()
    written = [0]

    def writer() -> None:
        conn = sqlite3.connect(source, timeout=5)
        conn.execute("PRAGMA journal_mode=WAL")
        n = 1000
        while not stop.is_set():
            with conn:
                conn.executemany(
                    "INSERT INTO messages (channel_id, message_id, date, text, ingested_at)"
                    " VALUES (1, ?, 0, ?, 0)",
                    [(n + i, POSTS[i % 3]) for i in range(20)],
                )
            n += 20
            written[0] = n
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 1200:  # the writer is really running
            stop.wait(0.001)
        for attempt in range(3):
            backup(source, copy if attempt == 0 else tmp_path / f"copy{attempt}.db")
    finally:
        stop.set()
        thread.join()
    assert inspect(copy).intact
    count = rows(copy, "SELECT count(*) FROM messages")[0][0]
    assert isinstance(count, int) and count >= 300 and count % 20 == 0
    fts = rows(copy, "SELECT count(*) FROM messages_fts")[0][0]
    assert fts == count


def test_backup_of_a_corrupt_database_fails_cleanly(tmp_path: Path) -> None:
    source, copy = tmp_path / "live.db", tmp_path / "copy.db"
    source.write_bytes(b"this is not a database at all" * 200)
    with pytest.raises(StorageError, match="not a usable chanwatch database"):
        backup(source, copy)
    assert not copy.exists()
    assert not list(tmp_path.glob(".*partial"))
