"""The watchlist version: a counter that triggers (migration 0002) bump on every change to
rules, scopes, channel tags or channel keys, so caches of compiled rules know when to reload."""

from __future__ import annotations

from storage.database import Database


async def watchlist_version(db: Database) -> int:
    row = await db.fetchone("SELECT version FROM watchlist_version WHERE id = 1")
    return int(row[0]) if row else 0
