"""Looking things up in stored history for the bot: full-text ``/search`` (newest first,
paged), and the counts an operator is shown before confirming a destructive command."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database
from storage.posts import POST_COLUMNS, ChannelPost, post_values

PREFIX = "*"


def fts_query(words: Sequence[Sequence[str]]) -> str:
    """Every word required, any one of its forms enough.

    Each form is quoted, so FTS5 syntax in user input is just text; a form ending in
    ``PREFIX`` is searched as a prefix, and spaces in a form make it a phrase.
    """
    return " AND ".join("(" + " OR ".join(_term(form) for form in forms) + ")" for forms in words)


def _term(form: str) -> str:
    prefix = len(form) > len(PREFIX) and form.endswith(PREFIX)
    text = form.removesuffix(PREFIX) if prefix else form
    return '"' + text.replace('"', '""') + '"' + (PREFIX if prefix else "")


async def search(
    db: Database, words: Sequence[Sequence[str]], *, offset: int, limit: int
) -> tuple[list[ChannelPost], bool]:
    """One page of messages with a form of every word (``fts_query``), newest first; and
    whether more follow."""
    rows = await db.fetchall(
        f"SELECT {POST_COLUMNS}"
        " FROM messages_fts f JOIN messages m ON m.id = f.rowid"
        " JOIN channels c ON c.id = m.channel_id"
        " WHERE messages_fts MATCH ? AND m.deleted = 0"
        " ORDER BY m.date DESC, m.id DESC LIMIT ? OFFSET ?",
        (fts_query(words), limit + 1, offset),
    )
    found = [ChannelPost(*post_values(r)) for r in rows[:limit]]
    return found, len(rows) > limit


async def rule_hit_count(db: Database, rule: str) -> int:
    """Hits a rule has recorded (deleting the rule deletes them; the index covers this)."""
    row = await db.fetchone(
        "SELECT count(*) FROM hits WHERE rule_id = (SELECT id FROM rules WHERE name = ?)", (rule,)
    )
    return int(row[0]) if row else 0


async def channel_post_count(db: Database, channel_id: int) -> int:
    """Posts stored from a channel (internal id)."""
    row = await db.fetchone("SELECT count(*) FROM messages WHERE channel_id = ?", (channel_id,))
    return int(row[0]) if row else 0
