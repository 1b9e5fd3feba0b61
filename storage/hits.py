"""Hits: which rule matched which stored message, where, and whether only after an edit.

``matched`` is kept as JSON ``{"spans": [[start, end], ...], "words": [...]}`` so alerts and
digests can mark the matched words without matching again.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.messages import chunks
from storage.posts import POST_COLUMNS, ChannelPost, post_values
from storage.unixtime import from_ts, now_ts, to_ts

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class HitRecord:
    """A hit to store: ``message_pk`` and ``rule_id`` are internal ids."""

    message_pk: int
    rule_id: int
    spans: tuple[Span, ...]
    words: tuple[str, ...]
    date: datetime
    after_edit: bool = False


@dataclass(frozen=True, slots=True)
class StoredHit:
    id: int
    message_pk: int
    rule_id: int
    spans: tuple[Span, ...]
    words: tuple[str, ...]
    after_edit: bool


@dataclass(frozen=True, slots=True)
class MessageHits(ChannelPost):
    """One message with every rule that hit it: a line of ``chanwatch hits``."""

    rules: tuple[str, ...]
    message_pk: int = 0  # the internal id, to look up its versions
    edited: bool = False  # it has earlier versions (``storage.post_versions``)
    deleted: bool = False
    deleted_at: datetime | None = None  # None also for a deletion flagged before 0005
    views: int | None = None
    forwards: int | None = None
    reactions: int | None = None


def encode_matched(spans: Sequence[Span], words: Sequence[str]) -> str:
    return json.dumps({"spans": [list(s) for s in spans], "words": list(words)}, ensure_ascii=False)


def decode_matched(text: str) -> tuple[tuple[Span, ...], tuple[str, ...]]:
    data = json.loads(text)
    spans = tuple((int(s), int(e)) for s, e in data.get("spans", ()))
    return spans, tuple(str(w) for w in data.get("words", ()))


def _stored(r: sqlite3.Row) -> StoredHit:
    spans, words = decode_matched(r["matched"])
    return StoredHit(r["id"], r["message_pk"], r["rule_id"], spans, words, bool(r["after_edit"]))


async def for_messages(db: Database, message_pks: Sequence[int]) -> list[StoredHit]:
    found: list[StoredHit] = []
    for part in chunks(list(message_pks)):
        marks = ",".join("?" * len(part))
        rows = await db.fetchall(
            "SELECT id, message_pk, rule_id, matched, after_edit FROM hits"
            f" WHERE message_pk IN ({marks})",
            tuple(part),
        )
        found.extend(_stored(r) for r in rows)
    return found


async def album_claims(
    db: Database, channel_id: int, grouped_ids: Sequence[int]
) -> list[tuple[int, int, int]]:
    """``(grouped_id, rule_id, message_id)`` for every hit already held by these albums."""
    found: list[tuple[int, int, int]] = []
    for part in chunks(list(grouped_ids)):
        marks = ",".join("?" * len(part))
        rows = await db.fetchall(
            "SELECT m.grouped_id, h.rule_id, m.message_id FROM hits h"
            " JOIN messages m ON m.id = h.message_pk"
            f" WHERE m.channel_id = ? AND m.grouped_id IN ({marks})",
            (channel_id, *part),
        )
        found.extend((r[0], r[1], r[2]) for r in rows)
    return found


async def insert_many(db: Database, records: Sequence[HitRecord]) -> None:
    """Store hits; one already stored for the same message and rule is left alone."""
    now = now_ts()
    await db.executemany(
        "INSERT INTO hits (message_pk, rule_id, matched, date, created_at, after_edit)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_pk, rule_id) DO NOTHING",
        [
            (
                h.message_pk,
                h.rule_id,
                encode_matched(h.spans, h.words),
                to_ts(h.date),
                now,
                int(h.after_edit),
            )
            for h in records
        ],
    )


async def update_matched(
    db: Database, changes: Sequence[tuple[int, Sequence[Span], Sequence[str]]]
) -> None:
    """New spans and words for hits that still match after an edit: ``(hit id, spans, words)``."""
    await db.executemany(
        "UPDATE hits SET matched = ? WHERE id = ?",
        [(encode_matched(spans, words), hit_id) for hit_id, spans, words in changes],
    )


async def delete_many(db: Database, hit_ids: Sequence[int]) -> None:
    await db.executemany("DELETE FROM hits WHERE id = ?", [(i,) for i in hit_ids])


async def count(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) FROM hits")
    return int(row[0]) if row else 0


_EDITED = "m.edit_seen_at IS NOT NULL"  # set with the first superseded version


async def by_message(
    db: Database,
    *,
    since: datetime | None,
    rule: str | None = None,
    deleted: bool = False,
    edited: bool = False,
) -> list[MessageHits]:
    """Messages with hits dated at or after ``since``, oldest first, with all their rules;
    ``deleted`` / ``edited`` keep only posts deleted since, or changed by an edit."""
    params: list[object] = [0 if since is None else to_ts(since)]
    only = ""
    if rule is not None:
        only = (
            " AND h.message_pk IN (SELECT h2.message_pk FROM hits h2"
            " JOIN rules r2 ON r2.id = h2.rule_id WHERE r2.name = ? AND h2.date >= ?)"
        )
        params += [rule, params[0]]
    if deleted:
        only += " AND m.deleted = 1"
    if edited:
        only += f" AND {_EDITED}"
    rows = await db.fetchall(
        f"SELECT m.id, {POST_COLUMNS}, group_concat(r.name, char(10)) AS rules,"
        f" {_EDITED} AS edited, m.deleted, m.deleted_at, m.views, m.forwards, m.reactions"
        " FROM hits h JOIN messages m ON m.id = h.message_pk"
        " JOIN channels c ON c.id = m.channel_id JOIN rules r ON r.id = h.rule_id"
        f" WHERE h.date >= ?{only}"
        " GROUP BY m.id ORDER BY m.date, m.id",
        params,
    )
    return [
        MessageHits(
            *post_values(r),
            rules=tuple(sorted(r["rules"].split("\n"))),
            message_pk=r["id"],
            edited=bool(r["edited"]),
            deleted=bool(r["deleted"]),
            deleted_at=None if r["deleted_at"] is None else from_ts(r["deleted_at"]),
            views=r["views"],
            forwards=r["forwards"],
            reactions=r["reactions"],
        )
        for r in rows
    ]


async def counts_per_rule(db: Database, since: datetime, until: datetime) -> dict[str, int]:
    rows = await db.fetchall(
        "SELECT r.name, count(*) FROM hits h JOIN rules r ON r.id = h.rule_id"
        " WHERE h.date >= ? AND h.date < ? GROUP BY r.name ORDER BY r.name",
        (to_ts(since), to_ts(until)),
    )
    return {r[0]: int(r[1]) for r in rows}
