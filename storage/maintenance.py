"""Whole-file operations on a database: online backup, integrity check, schema inspection.

These run on their own ``sqlite3`` connections (call them in a thread), never through the
service's ``Database``: a backup or a check must work whether or not the service is running,
and must not upgrade or otherwise write to the file it inspects.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from storage.database import BUSY_TIMEOUT_MS, translate_error
from storage.errors import CorruptDatabaseError, StorageError


@dataclass(frozen=True, slots=True)
class Inspection:
    schema_version: int
    problems: tuple[str, ...]  # what PRAGMA integrity_check reported; empty when intact

    @property
    def intact(self) -> bool:
        return not self.problems


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that can neither create the file nor change it."""
    if not path.is_file():
        raise StorageError(f"no database at {path}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise translate_error(error, path) from error
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        yield conn
    except sqlite3.Error as error:
        raise translate_error(error, path) from error
    finally:
        conn.close()


def _inspect(conn: sqlite3.Connection) -> Inspection:
    problems = tuple(
        str(row[0]).removeprefix("*** in database main ***\n")
        for row in conn.execute("PRAGMA integrity_check")
        if row[0] != "ok"
    )
    has_migrations = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    version = 0
    if has_migrations:
        version = int(
            conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]
        )
    return Inspection(schema_version=version, problems=problems)


def inspect(path: Path) -> Inspection:
    """Schema version and ``PRAGMA integrity_check`` of the file at ``path``, read-only."""
    with _read_only(path) as conn:
        return _inspect(conn)


def backup(source: Path, target: Path) -> Inspection:
    """Copy ``source`` to ``target`` with SQLite's online backup API, then verify the copy.

    Safe while the service writes: the copy is one consistent snapshot. The copy is written
    next to ``target`` under a temporary name (mode 0600: it holds every stored post), made a
    single self-contained file (rollback journal, not WAL), checked with
    ``PRAGMA integrity_check``, and only then renamed over ``target``.
    """
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        os.close(os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
    except OSError as error:
        raise StorageError(f"cannot write a backup to {target}: {error.strerror}") from error
    try:
        with _read_only(source) as src:
            try:
                dst = sqlite3.connect(partial)
            except sqlite3.Error as error:
                raise translate_error(error, partial) from error
            try:
                src.backup(dst)
                dst.execute("PRAGMA journal_mode=DELETE")
                result = _inspect(dst)
            except sqlite3.Error as error:
                failure = translate_error(error, partial)
                if isinstance(failure, CorruptDatabaseError):
                    # The copy carries the source's pages: the damage is in the source.
                    failure = translate_error(error, source)
                raise failure from error
            finally:
                dst.close()
        if not result.intact:
            raise StorageError(
                f"the copy of {source} failed its integrity check ({result.problems[0]}); "
                f"the database itself may be damaged: run chanwatch doctor"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return result
