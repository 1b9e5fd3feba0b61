"""Stored messages: batch upserts for the pipeline, FTS-narrowed scans, retention pruning.

Writes are batched with ``executemany`` because ingest throughput is bounded by round trips
to the database thread, not by SQLite itself.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.database import Database
from storage.engagement import Engagement, engagement_params
from storage.posts import POST_COLUMNS, ChannelPost, post_values
from storage.unixtime import from_ts, now_ts, to_ts

_SQLITE_MAX_PARAMS = 900
# Rows per retention transaction: a few milliseconds of write lock each.
PRUNE_BATCH = 1000


class MessageContent(Protocol):
    """A message as the pipeline hands it over (its ``IncomingMessage``, which storage may not
    import): storage reads these fields and nothing else, so the shape is declared once, there."""

    @property
    def message_id(self) -> int: ...
    @property
    def date(self) -> datetime: ...
    @property
    def text(self) -> str: ...
    @property
    def edit_date(self) -> datetime | None: ...
    @property
    def forward_from(self) -> str | None: ...
    @property
    def forward_channel_id(self) -> int | None: ...
    @property
    def forward_message_id(self) -> int | None: ...
    @property
    def grouped_id(self) -> int | None: ...
    @property
    def reply_to(self) -> int | None: ...
    @property
    def has_media(self) -> bool: ...
    # Reach, where the source gives it; it changes without the post changing, so it is never
    # part of "is this a new version?".
    @property
    def views(self) -> int | None: ...
    @property
    def forwards(self) -> int | None: ...
    @property
    def reactions(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A message to store, in the channel with internal id ``channel_id``."""

    channel_id: int
    message: MessageContent


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """The stored version of a message, as ingest weighs an incoming one against it."""

    id: int
    date: datetime
    edit_date: datetime | None
    text: str
    values: tuple[object, ...]  # every stored field as SQL holds it, in ``_CONTENT`` order

    def same_as(self, message: MessageContent) -> bool:
        return self.values == _values(message)


@dataclass(frozen=True, slots=True)
class ScannedMessage(ChannelPost):
    """A stored post and its internal id (the scan's resume point)."""

    id: int


_CONTENT = (
    "message_id",
    "date",
    "text",
    "edit_date",
    "forward_from",
    "forward_channel_id",
    "forward_message_id",
    "grouped_id",
    "reply_to",
    "has_media",
)
_FIELDS = ", ".join(("channel_id", *_CONTENT))


def chunks(items: Sequence[int], size: int = _SQLITE_MAX_PARAMS) -> Iterable[Sequence[int]]:
    """Keep ``IN (...)`` lists under SQLite's bound-parameter limit."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _values(m: MessageContent) -> tuple[object, ...]:
    """The message's fields as SQL stores them, in ``_CONTENT`` order."""
    return (
        m.message_id,
        to_ts(m.date),
        m.text,
        None if m.edit_date is None else to_ts(m.edit_date),
        m.forward_from,
        m.forward_channel_id,
        m.forward_message_id,
        m.grouped_id,
        m.reply_to,
        int(m.has_media),
    )


def _reach(m: MessageContent) -> Engagement | None:
    if m.views is None and m.forwards is None and m.reactions is None:
        return None
    return Engagement(m.views, m.forwards, m.reactions)


def _stored(r: sqlite3.Row) -> StoredMessage:
    edit_date = r["edit_date"]
    return StoredMessage(
        id=r["id"],
        date=from_ts(r["date"]),
        edit_date=None if edit_date is None else from_ts(edit_date),
        text=r["text"],
        values=tuple(r[name] for name in _CONTENT),
    )


async def find_many(
    db: Database, channel_id: int, message_ids: Sequence[int]
) -> dict[int, StoredMessage]:
    """The stored versions of these messages of one channel, by Telegram message id."""
    found: dict[int, StoredMessage] = {}
    for part in chunks(list(message_ids)):
        marks = ",".join("?" * len(part))
        rows = await db.fetchall(
            f"SELECT id, {_FIELDS} FROM messages WHERE channel_id = ? AND message_id IN ({marks})",
            (channel_id, *part),
        )
        for r in rows:
            found[r["message_id"]] = _stored(r)
    return found


async def ids_of(db: Database, channel_id: int, message_ids: Sequence[int]) -> dict[int, int]:
    """Internal ids of stored messages of one channel, by Telegram message id."""
    found: dict[int, int] = {}
    for part in chunks(list(message_ids)):
        marks = ",".join("?" * len(part))
        rows = await db.fetchall(
            f"SELECT id, message_id FROM messages WHERE channel_id = ? AND message_id IN ({marks})",
            (channel_id, *part),
        )
        found.update((r["message_id"], r["id"]) for r in rows)
    return found


async def insert_many(db: Database, records: Sequence[MessageRecord]) -> None:
    """Insert messages not stored yet; a row already there is left alone (idempotent)."""
    now = now_ts()
    await db.executemany(
        f"INSERT INTO messages ({_FIELDS}, ingested_at, views, forwards, reactions,"
        " engagement_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
        " ON CONFLICT (channel_id, message_id) DO NOTHING",
        [
            (r.channel_id, *_values(r.message), now, *engagement_params(_reach(r.message), now))
            for r in records
        ],
    )


async def update_many(db: Database, records: Sequence[MessageRecord]) -> None:
    """Overwrite stored messages with a newer version (an edit); FTS follows by trigger.

    Keep the old text first (``storage.post_versions.supersede``) when the text changed.
    """
    now = now_ts()
    await db.executemany(
        "UPDATE messages SET date = ?, text = ?, edit_date = ?, forward_from = ?,"
        " forward_channel_id = ?, forward_message_id = ?, grouped_id = ?, reply_to = ?,"
        " has_media = ?, views = COALESCE(?, views), forwards = COALESCE(?, forwards),"
        " reactions = COALESCE(?, reactions), engagement_at = COALESCE(?, engagement_at)"
        " WHERE channel_id = ? AND message_id = ?",
        [
            (
                *_values(r.message)[1:],
                *engagement_params(_reach(r.message), now),
                r.channel_id,
                r.message.message_id,
            )
            for r in records
        ],
    )


async def note_last_posts(db: Database, latest: Iterable[tuple[int, datetime]]) -> None:
    """Raise each channel's ``last_post_at`` (never lower it: batches may arrive late)."""
    await db.executemany(
        "UPDATE channels SET last_post_at = MAX(COALESCE(last_post_at, 0), ?) WHERE id = ?",
        [(to_ts(when), channel_id) for channel_id, when in latest],
    )


async def count(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) FROM messages")
    return int(row[0]) if row else 0


async def prune_without_hits(db: Database, before: datetime, *, batch: int = PRUNE_BATCH) -> int:
    """Delete messages older than ``before`` that no rule ever hit; hits are evidence, kept.

    Each ``batch`` of rows is its own short transaction: a first prune after upgrading can
    meet a million rows (each one also an FTS delete), which in one statement would hold the
    write lock — and the one connection every task reads through — for seconds. A cursor
    over ``(date, id)`` skips the old messages that carry hits, so no batch reads them again.
    """
    cutoff = to_ts(before)
    after: tuple[int, int] = (-1, -1)
    removed = 0
    while True:
        async with db.transaction():
            rows = await db.fetchall(
                "SELECT id, date FROM messages WHERE date < ? AND (date, id) > (?, ?)"
                " ORDER BY date, id LIMIT ?",
                (cutoff, *after, batch),
            )
            if not rows:
                return removed
            after = (rows[-1]["date"], rows[-1]["id"])
            removed += await db.execute_rowcount(
                "DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))"
                " AND NOT EXISTS (SELECT 1 FROM hits h WHERE h.message_pk = messages.id)",
                (json.dumps([r["id"] for r in rows]),),
            )


async def scan(
    db: Database, *, since: datetime | None, fts_query: str | None, batch: int = 2000
) -> AsyncIterator[list[ScannedMessage]]:
    """Stored messages newer than ``since`` in date order, in lists of ``batch``.

    ``fts_query`` (an FTS5 MATCH expression) narrows the scan to candidate rows; the caller
    must still check each row, FTS only rules rows out.
    """
    where = ["m.date >= ?"]
    params: list[object] = [0 if since is None else to_ts(since)]
    if fts_query is not None:
        where.append("m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)")
        params.append(fts_query)
    last: tuple[int, int] = (-1, -1)
    while True:
        rows = await db.fetchall(
            f"SELECT m.id, {POST_COLUMNS}"
            " FROM messages m JOIN channels c ON c.id = m.channel_id"
            f" WHERE {' AND '.join(where)} AND (m.date, m.id) > (?, ?)"
            " ORDER BY m.date, m.id LIMIT ?",
            (*params, *last, batch),
        )
        if not rows:
            return
        yield [ScannedMessage(*post_values(r), id=r["id"]) for r in rows]
        last = (rows[-1]["date"], rows[-1]["id"])
