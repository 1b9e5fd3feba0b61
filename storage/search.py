"""Full-text search over stored messages for the bot's ``/search`` (newest first, paged)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_ts
from storage.database import Database


@dataclass(frozen=True, slots=True)
class FoundMessage:
    channel_telegram_id: int | None
    channel_title: str | None
    channel_username: str | None
    message_id: int
    date: datetime
    text: str


def fts_phrase_query(words: Sequence[str]) -> str:
    """Every word required, each quoted so FTS5 syntax in user input is just text."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


async def search(
    db: Database, words: Sequence[str], *, offset: int, limit: int
) -> tuple[list[FoundMessage], bool]:
    """One page of messages containing every word, newest first; and whether more follow."""
    rows = await db.fetchall(
        "SELECT c.telegram_id, c.title, c.username, m.message_id, m.date, m.text"
        " FROM messages_fts f JOIN messages m ON m.id = f.rowid"
        " JOIN channels c ON c.id = m.channel_id"
        " WHERE messages_fts MATCH ? AND m.deleted = 0"
        " ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?",
        (fts_phrase_query(words), limit + 1, offset),
    )
    found = [
        FoundMessage(
            r["telegram_id"],
            r["title"],
            r["username"],
            r["message_id"],
            from_ts(r["date"]),
            r["text"],
        )
        for r in rows[:limit]
    ]
    return found, len(rows) > limit
