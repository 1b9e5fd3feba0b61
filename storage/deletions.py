"""Deleted posts: flagged, never removed, with when chanwatch learned of it and how.

A deleted post keeps its text, its versions and its hits: for an analyst the deletion is
itself the story. ``deleted_via`` says whether a live update told us (``live``) or the
``GetMessages`` check found the post gone (``check``: deleted while chanwatch was down or
disconnected, or an update that never came). Posts flagged before migration 0005 keep their
flag without a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database
from storage.hits import Span, decode_matched
from storage.rules import Priority
from storage.unixtime import from_ts, to_ts

DeletedVia = Literal["live", "check"]


@dataclass(frozen=True, slots=True)
class DeletedHit:
    hit_id: int
    rule: str
    priority: Priority
    spans: tuple[Span, ...]
    words: tuple[str, ...]
    after_edit: bool


@dataclass(frozen=True, slots=True)
class DeletedPost:
    """A post just flagged deleted, with what a notice about it needs."""

    message_id: int
    date: datetime
    text: str
    deleted_at: datetime
    hits: tuple[DeletedHit, ...]


async def mark_deleted(
    db: Database,
    channel_id: int,
    message_ids: Iterable[int],
    *,
    via: DeletedVia,
    at: datetime,
) -> list[DeletedPost]:
    """Flag these stored posts deleted; returns those not flagged before (by message id).

    Ids never stored, or already flagged, change nothing: a deletion learned twice (an
    update, then the check) keeps its first time and is reported once.
    """
    ids = json.dumps(sorted(set(message_ids)))
    rows = await db.fetchall(
        "SELECT id, message_id, date, text FROM messages WHERE channel_id = ? AND deleted = 0"
        " AND message_id IN (SELECT value FROM json_each(?)) ORDER BY message_id",
        (channel_id, ids),
    )
    if not rows:
        return []
    pks = json.dumps([r["id"] for r in rows])
    await db.execute(
        "UPDATE messages SET deleted = 1, deleted_at = ?, deleted_via = ?"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (to_ts(at), via, pks),
    )
    found: dict[int, list[DeletedHit]] = {}
    for h in await db.fetchall(
        "SELECT h.id, h.message_pk, r.name, r.priority, h.matched, h.after_edit FROM hits h"
        " JOIN rules r ON r.id = h.rule_id"
        " WHERE h.message_pk IN (SELECT value FROM json_each(?)) ORDER BY r.name",
        (pks,),
    ):
        spans, words = decode_matched(h["matched"])
        found.setdefault(h["message_pk"], []).append(
            DeletedHit(h["id"], h["name"], h["priority"], spans, words, bool(h["after_edit"]))
        )
    return [
        DeletedPost(
            r["message_id"], from_ts(r["date"]), r["text"], at, tuple(found.get(r["id"], ()))
        )
        for r in rows
    ]


async def to_check(db: Database, channel_id: int, since: datetime) -> list[int]:
    """Message ids of one channel's posts worth checking: not known deleted, dated at or after
    ``since``, and carrying a hit (the posts someone was told about)."""
    rows = await db.fetchall(  # from hits (indexed by date): far fewer than messages
        "SELECT DISTINCT m.message_id FROM hits h JOIN messages m ON m.id = h.message_pk"
        " WHERE h.date >= ? AND m.channel_id = ? AND m.deleted = 0 ORDER BY m.message_id",
        (to_ts(since), channel_id),
    )
    return [r[0] for r in rows]
