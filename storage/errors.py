"""Storage failures a user can act on, each with a message that says what to do.

``storage`` must not import ``bot``, so it has its own root; the CLI prints both roots as
one line.
"""

from __future__ import annotations


class StorageError(Exception):
    """A database problem whose message is fit to show a user as is."""


class SchemaTooNewError(StorageError):
    """The file was written by a newer chanwatch; opening it could corrupt it."""


class CorruptDatabaseError(StorageError):
    """The file is not a SQLite database, or SQLite reports it damaged."""


class DatabaseLockedError(StorageError):
    """Another process held the write lock longer than the busy timeout."""


class DiskFullError(StorageError):
    """SQLite could not grow the file; nothing of the failed transaction was written."""


class NotFoundError(StorageError):
    """A named thing (rule, channel, subscriber) that is not in the database."""


class ConflictError(StorageError):
    """A unique name or reference that is already taken."""
