"""Closing the database leaves the query planner statistics SQLite recommends keeping."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from storage import digests
from storage.database import open_database


async def test_close_runs_pragma_optimize_for_the_tables_queries_used(tmp_path: Path) -> None:
    path = tmp_path / "chanwatch.db"
    db = await open_database(path)
    since, until = datetime(2024, 11, 5, tzinfo=UTC), datetime(2024, 11, 6, tzinfo=UTC)
    await digests.hits_between(db, since, until, rules=["dprk-kursk"])
    await db.close()
    with sqlite3.connect(path) as conn:
        stats = conn.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        assert stats.fetchone() is not None
