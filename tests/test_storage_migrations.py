from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from storage import channels
from storage.database import Migration, bundled_migrations, open_database
from storage.errors import CorruptDatabaseError, SchemaTooNewError


async def test_fresh_database_has_every_table_and_private_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "chanwatch.db"
    db = await open_database(path)
    try:
        assert await db.schema_version() == len(bundled_migrations())
        names = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        for table in (
            "channels",
            "rules",
            "messages",
            "messages_fts",
            "hits",
            "subscribers",
            "subscriptions",
            "outbox",
            "audit_log",
            "allowed_users",
        ):
            assert table in names
        mode = (await db.fetchone("PRAGMA journal_mode"))[0]  # type: ignore[index]
        assert mode == "wal"
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
    finally:
        await db.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_older_database_upgrades_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first = bundled_migrations()[:1]
    db = await open_database(path, migrations=first)
    await db.execute(
        "INSERT INTO rules (name, query, priority, paused, created_at, updated_at)"
        " VALUES ('kursk', 'Курск', 'digest', 0, 1, 1)"
    )
    await db.close()
    later = Migration(first[-1].version + 1, "add_note", "ALTER TABLE rules ADD COLUMN note TEXT;")
    db = await open_database(path, migrations=[*first, later])
    try:
        assert await db.schema_version() == later.version
        row = await db.fetchone("SELECT name, note FROM rules")
        assert row is not None and tuple(row) == ("kursk", None)
    finally:
        await db.close()


async def test_failed_migration_leaves_database_untouched(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    first = bundled_migrations()[:1]
    await (await open_database(path, migrations=first)).close()
    broken = Migration(
        first[-1].version + 1, "broken", "CREATE TABLE x (a INTEGER); SELECT * FROM nope;"
    )
    with pytest.raises(Exception, match="nope"):
        await open_database(path, migrations=[*first, broken])
    db = await open_database(path, migrations=first)
    try:
        assert await db.schema_version() == first[-1].version
        assert await db.fetchone("SELECT name FROM sqlite_master WHERE name = 'x'") is None
    finally:
        await db.close()


async def test_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    await (await open_database(path)).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)")
    with pytest.raises(SchemaTooNewError, match="schema version 999"):
        await open_database(path)


async def test_corrupt_file_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(CorruptDatabaseError, match="not a usable chanwatch database"):
        await open_database(path)


async def test_a_version_3_database_keeps_reading_its_channels_from_their_marks(
    tmp_path: Path,
) -> None:
    """Migration 0004: a channel already read (mark above 0) is backfilled and resumes from
    its mark; one never read still gets its backfill."""
    path = tmp_path / "v3.db"
    db = await open_database(path, migrations=bundled_migrations()[:3])
    for ref, mark in (("@svodki", 1520), ("@new_one", 0)):
        await db.execute(
            "INSERT INTO channels (ref, watched, state, high_water, created_at, updated_at)"
            " VALUES (?, 1, 'ok', ?, 1, 1)",
            (ref, mark),
        )
    await db.close()
    db = await open_database(path)
    try:
        found = {c.ref: (c.high_water, c.backfilled) for c in await channels.list_channels(db)}
        assert found == {"@svodki": (1520, True), "@new_one": (0, False)}
    finally:
        await db.close()
