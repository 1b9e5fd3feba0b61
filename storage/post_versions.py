"""A post's versions: every text it had, in order, with Telegram's edit date and when
chanwatch stored each one.

The current text lives in ``messages``; ``message_versions`` keeps the superseded ones
(migration 0005 says why). :func:`supersede` is called by ingest just before an edit
overwrites a post, in the same transaction, so no edit can be stored without its
predecessor being kept.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.unixtime import from_ts, now_ts


@dataclass(frozen=True, slots=True)
class Version:
    number: int  # 1 for the original
    text: str
    edit_date: datetime | None  # Telegram's; None for the original
    seen_at: datetime  # when chanwatch stored this version


async def supersede(db: Database, message_pks: Sequence[int]) -> None:
    """Keep the current text of these posts as their latest old version, and note that the
    version about to replace it is seen now (call before the edit is written)."""
    if not message_pks:
        return
    ids = json.dumps(sorted(set(message_pks)))
    await db.execute(
        "INSERT INTO message_versions (message_pk, version, text, edit_date, seen_at)"
        " SELECT m.id,"
        "  1 + (SELECT count(*) FROM message_versions v WHERE v.message_pk = m.id),"
        "  m.text, m.edit_date, COALESCE(m.edit_seen_at, m.ingested_at)"
        " FROM messages m WHERE m.id IN (SELECT value FROM json_each(?))",
        (ids,),
    )
    await db.execute(
        "UPDATE messages SET edit_seen_at = ? WHERE id IN (SELECT value FROM json_each(?))",
        (now_ts(), ids),
    )


async def history(db: Database, message_pk: int) -> list[Version]:
    """Every version of a stored post, oldest first, the current text last."""
    rows = await db.fetchall(
        "SELECT version, text, edit_date, seen_at FROM message_versions"
        " WHERE message_pk = ? ORDER BY version",
        (message_pk,),
    )
    current = await db.fetchone(
        "SELECT text, edit_date, COALESCE(edit_seen_at, ingested_at) AS seen_at"
        " FROM messages WHERE id = ?",
        (message_pk,),
    )
    found = [_version(r["version"], r) for r in rows]
    if current is not None:
        found.append(_version(len(found) + 1, current))
    return found


async def previous_texts(db: Database, message_pks: Sequence[int]) -> dict[int, list[str]]:
    """The superseded texts of each post that has any, oldest first."""
    if not message_pks:
        return {}
    rows = await db.fetchall(
        "SELECT message_pk, text FROM message_versions"
        " WHERE message_pk IN (SELECT value FROM json_each(?)) ORDER BY message_pk, version",
        (json.dumps(sorted(set(message_pks))),),
    )
    found: dict[int, list[str]] = {}
    for r in rows:
        found.setdefault(r["message_pk"], []).append(r["text"])
    return found


def _version(number: int, r: sqlite3.Row) -> Version:
    return Version(
        number=number,
        text=r["text"],
        edit_date=None if r["edit_date"] is None else from_ts(r["edit_date"]),
        seen_at=from_ts(r["seen_at"]),
    )


@dataclass(frozen=True, slots=True)
class PostRecord:
    """One stored post's evidence: versions, deletion, reach and the rules it hit."""

    date: datetime
    versions: list[Version]
    deleted: bool
    deleted_at: datetime | None  # None for a post flagged before chanwatch kept the time
    deleted_via: str | None
    views: int | None
    forwards: int | None
    reactions: int | None
    rules: tuple[str, ...]


async def post_record(db: Database, channel_id: int, message_id: int) -> PostRecord | None:
    row = await db.fetchone(
        "SELECT m.id, m.date, m.deleted, m.deleted_at, m.deleted_via, m.views, m.forwards,"
        " m.reactions, (SELECT group_concat(r.name, char(10)) FROM hits h"
        "  JOIN rules r ON r.id = h.rule_id WHERE h.message_pk = m.id) AS rules"
        " FROM messages m WHERE m.channel_id = ? AND m.message_id = ?",
        (channel_id, message_id),
    )
    if row is None:
        return None
    return PostRecord(
        date=from_ts(row["date"]),
        versions=await history(db, row["id"]),
        deleted=bool(row["deleted"]),
        deleted_at=None if row["deleted_at"] is None else from_ts(row["deleted_at"]),
        deleted_via=row["deleted_via"],
        views=row["views"],
        forwards=row["forwards"],
        reactions=row["reactions"],
        rules=tuple(sorted(row["rules"].split("\n"))) if row["rules"] else (),
    )
