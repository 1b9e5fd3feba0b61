"""Storage faults an unattended machine meets: a corrupt file, a lock held by another process,
a full disk. Each gets a clear error, nothing is half-written, and work resumes afterwards."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import rules, state
from storage.database import Database, connect, open_database
from storage.errors import CorruptDatabaseError, DatabaseLockedError, DiskFullError
from storage.maintenance import inspect

SVODKI = ChannelInfo(1987654321, "Сводки Приграничья", "svodki_prigran")
T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TEXTS = [
    "В Курской области замечены военные КНДР",
    "На Курщині помітили північнокорейських військових",
    "North Korean troops reported near Kursk",
]


def posts(first: int, count: int, repeat: int = 1) -> list[IncomingMessage]:
    return [
        IncomingMessage(SVODKI, n, T0 + timedelta(minutes=n), " ".join([TEXTS[n % 3]] * repeat))
        for n in range(first, first + count)
    ]


async def counts(db: Database) -> tuple[int, int, int]:
    row = await db.fetchone(
        "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM hits),"
        " (SELECT count(*) FROM messages_fts)"
    )
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def cli(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    code = main(argv, environ={}, stdout=io.StringIO(), stderr=err)
    return code, err.getvalue()


# --------------------------------------------------------------------------- corrupt file
@pytest.mark.parametrize(
    "content",
    [b"not a database, just a text file\n" * 100, b"SQLite format 3\x00" + b"\xee" * 8000],
    ids=["text", "garbage-after-header"],
)
async def test_corrupt_file_is_refused_and_left_alone(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "chanwatch.db"
    path.write_bytes(content)
    with pytest.raises(CorruptDatabaseError, match="restore it from a backup"):
        await open_database(path)
    assert path.read_bytes() == content


async def test_truncated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "chanwatch.db"
    async with connect(path) as db:
        await Pipeline(db).ingest(posts(1, 400, repeat=5))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CorruptDatabaseError, match="not a usable chanwatch database"):
        db = await open_database(path)
        try:
            await counts(db)
        finally:
            await db.close()


def test_cli_reports_a_corrupt_database_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "chanwatch.db"
    path.write_bytes(b"\x00" * 4096 + b"PK\x03\x04 a zip file, maybe")
    code, err = cli(["--db", str(path), "status"])
    assert code == 1
    assert err.startswith("chanwatch: error: ") and err.count("\n") == 1
    assert "is not a usable chanwatch database" in err and "Traceback" not in err


# --------------------------------------------------------------------------- locked
@pytest.fixture
def exclusive_lock(db: Database) -> Iterator[sqlite3.Connection]:
    """Another process's connection holding the write lock (as ``sqlite3`` in a shell would)."""
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        yield other
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()


async def test_locked_database_is_reported_and_nothing_is_lost(
    db: Database, exclusive_lock: sqlite3.Connection
) -> None:
    await db.conn.execute("PRAGMA busy_timeout = 200")  # the real 5 s would only slow the test
    exclusive_lock.execute("ROLLBACK")
    pipeline = Pipeline(db)
    await pipeline.ingest(posts(1, 10))
    exclusive_lock.execute("BEGIN EXCLUSIVE")
    with pytest.raises(DatabaseLockedError, match="locked by another process"):
        await pipeline.ingest(posts(11, 10))
    with pytest.raises(DatabaseLockedError):
        await state.put(db, "heartbeat_at", "1")
    assert await counts(db) == (10, 0, 10)  # reads go on while another process writes (WAL)
    assert not db.conn.in_transaction

    exclusive_lock.execute("ROLLBACK")
    result = await pipeline.ingest(posts(11, 10))
    assert result.stored == 10
    assert await counts(db) == (20, 0, 20)
    assert inspect(db.path).intact


async def test_status_answers_while_another_process_holds_the_lock(
    db: Database, exclusive_lock: sqlite3.Connection
) -> None:
    code, err = await asyncio.to_thread(cli, ["--db", str(db.path), "status"])
    assert code == 0, err


# --------------------------------------------------------------------------- disk full
async def test_disk_full_mid_ingest_stores_nothing_and_resumes(db: Database) -> None:
    await rules.add(db, "dprk", 'КНДР OR північнокорейський OR "North Korean"')
    pipeline = Pipeline(db)
    await pipeline.ingest(posts(1, 5))
    before = await counts(db)
    high_before = await db.fetchone("SELECT last_post_at FROM channels")
    pages = (await db.fetchone("PRAGMA page_count"))[0]  # type: ignore[index]
    await db.conn.execute(f"PRAGMA max_page_count = {pages + 4}")

    batch = posts(6, 300, repeat=20)  # far more than four pages
    with pytest.raises(DiskFullError, match="nothing of the failed write was stored"):
        await pipeline.ingest(batch)
    assert await counts(db) == before  # no message, hit or index row of the batch
    assert await db.fetchone("SELECT last_post_at FROM channels") == high_before
    assert not db.conn.in_transaction

    await db.conn.execute("PRAGMA max_page_count = 1073741823")  # space is back
    result = await pipeline.ingest(batch)
    assert result.stored == 300
    stored, hit_count, indexed = await counts(db)
    assert stored == indexed == 305 and hit_count == before[1] + len(result.new_hits)
    assert len(result.new_hits) > 0
    assert inspect(db.path).intact


async def test_a_write_cancelled_as_it_begins_leaves_the_database_writable(db: Database) -> None:
    """A stop cancels the heartbeat while its BEGIN runs in aiosqlite's thread; the stop's own
    write (``stopped_at``) must still go in, not fail as a transaction within a transaction."""
    for _ in range(20):  # the cancel lands at a different point of the BEGIN each time
        beat = asyncio.create_task(state.put(db, "heartbeat_at", "1"))
        await asyncio.sleep(0)
        beat.cancel()
        await asyncio.gather(beat, return_exceptions=True)
        await state.put(db, "stopped_at", "2")
        assert await state.get(db, "stopped_at") == "2"
