"""Opening the database: pragmas, migrations, and the one-writer transaction discipline.

One aiosqlite connection serves the whole process. SQLite allows one writer at a time and
asyncio tasks interleave at every ``await``, so writes happen only inside
``Database.transaction()``, which serialises tasks with a lock and is re-entrant for the task
that holds it (a repository function called inside a bigger transaction joins it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage.errors import (
    CorruptDatabaseError,
    DatabaseLockedError,
    DiskFullError,
    SchemaTooNewError,
    StorageError,
)

BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this version, in order."""
    found = []
    for entry in (resources.files("storage") / "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StorageError(f"bundled migrations are not numbered 1..n: {versions}")
    return found


def translate_error(error: sqlite3.Error, path: Path | str) -> StorageError:
    """Turn SQLite's terse errors into messages that say what to do."""
    text = str(error)
    if isinstance(error, sqlite3.OperationalError) and "locked" in text:
        return DatabaseLockedError(
            f"database {path} is locked by another process for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s; stop the other chanwatch or sqlite3 session"
        )
    if "full" in text:
        return DiskFullError(
            f"database {path} is full (no space left on the device or page limit reached); "
            "free some space, nothing of the failed write was stored"
        )
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return CorruptDatabaseError(
            f"{path} is not a usable chanwatch database ({text}); restore it from a backup "
            "(chanwatch backup) or move it away to start afresh"
        )
    if "unable to open" in text or "readonly" in text:
        return StorageError(
            f"database {path}: {text}; the file and its directory must be readable and"
            " writable by this user (SQLite keeps -wal and -shm files beside it)"
        )
    return StorageError(f"database {path}: {text}")


class Database:
    """The process's single connection and its write lock."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._depth = 0

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Database]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; nested calls by the same task join the outer one."""
        task = asyncio.current_task()
        if self._owner is task and self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        async with self._lock:
            self._owner, self._depth = task, 1
            try:
                try:
                    await self._run("BEGIN IMMEDIATE")
                except BaseException:
                    # A task cancelled here (a stop) leaves BEGIN running in aiosqlite's thread;
                    # the rollback queues behind it, so the next transaction is not refused
                    # as one "within a transaction".
                    await self.conn.rollback()
                    raise
                try:
                    yield self
                except BaseException:
                    await self.conn.rollback()
                    raise
                await self._run("COMMIT")
            except sqlite3.Error as error:
                if self.conn.in_transaction:
                    await self.conn.rollback()
                raise translate_error(error, self.path) from error
            finally:
                self._owner, self._depth = None, 0

    async def _run(self, sql: str) -> None:
        await self.conn.execute(sql)

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one write statement; returns ``lastrowid`` (joins or opens a transaction)."""
        async with self.transaction():
            try:
                cursor = await self.conn.execute(sql, params)
            except sqlite3.Error as error:
                raise translate_error(error, self.path) from error
            return cursor.lastrowid or 0

    async def execute_rowcount(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one write statement; returns how many rows it changed."""
        async with self.transaction():
            try:
                cursor = await self.conn.execute(sql, params)
            except sqlite3.Error as error:
                raise translate_error(error, self.path) from error
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction():
            try:
                await self.conn.executemany(sql, rows)
            except sqlite3.Error as error:
                raise translate_error(error, self.path) from error

    async def fetchall(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> list[sqlite3.Row]:
        try:
            async with self.conn.execute(sql, params) as cursor:
                return list(await cursor.fetchall())
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error

    async def fetchone(
        self, sql: str, params: Sequence[Any] | dict[str, Any] = ()
    ) -> sqlite3.Row | None:
        try:
            async with self.conn.execute(sql, params) as cursor:
                return await cursor.fetchone()
        except sqlite3.Error as error:
            raise translate_error(error, self.path) from error

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return int(row[0]) if row else 0

    async def close(self) -> None:
        """Close, after ``PRAGMA optimize``: SQLite's advice for long-lived connections, it
        refreshes planner statistics only for tables this connection's queries would use
        them on, and costs little."""
        with contextlib.suppress(sqlite3.Error):  # read-only, locked or full: close anyway
            await self.conn.execute("PRAGMA optimize")
        await self.conn.close()


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite does: it holds every stored post and subscriber."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


async def _migrate(conn: aiosqlite.Connection, path: Path, known: list[Migration]) -> None:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations") as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    newest = known[-1].version if known else 0
    if current > newest:
        raise SchemaTooNewError(
            f"database {path} has schema version {current}, but this chanwatch knows only up "
            f"to {newest}; upgrade chanwatch (or restore a backup made by this version)"
        )
    for migration in known:
        if migration.version <= current:
            continue
        script = (
            "BEGIN IMMEDIATE;\n"
            f"{migration.sql}\n;"
            "INSERT INTO schema_migrations (version, name, applied_at) "
            f"VALUES ({migration.version}, '{migration.name}', {int(time.time())});\n"
            "COMMIT;"
        )
        try:
            await conn.executescript(script)
        except sqlite3.Error:
            if conn.in_transaction:
                await conn.rollback()
            raise


async def open_database(path: Path | str, *, migrations: list[Migration] | None = None) -> Database:
    """Open (creating if needed) and upgrade the database; refuse one from a newer version."""
    path = Path(path)
    if path.is_dir():
        raise StorageError(f"database path {path} is a directory; give a file path")
    try:
        _create_private(path)
    except OSError as error:
        raise StorageError(f"cannot create database {path}: {error.strerror}") from error
    try:
        # Open once synchronously: when aiosqlite's own open fails, its worker thread outlives
        # the event loop and dies with a traceback of its own.
        sqlite3.connect(path).close()
    except sqlite3.Error as error:
        raise translate_error(error, path) from error
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA temp_store=MEMORY",
        ):
            await conn.execute(pragma)
        await _migrate(conn, path, bundled_migrations() if migrations is None else migrations)
    except sqlite3.Error as error:
        await conn.close()
        raise translate_error(error, path) from error
    except BaseException:
        await conn.close()
        raise
    return Database(conn, path)


@asynccontextmanager
async def connect(path: Path | str) -> AsyncIterator[Database]:
    """``async with connect(path) as db``: open, upgrade, and always close."""
    db = await open_database(path)
    try:
        yield db
    finally:
        await db.close()
