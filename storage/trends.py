"""What surge and corroboration alerts read and remember: a rule's hits per 15-minute bucket,
its surge episodes, and the posts of stories already told.

Counts are read from ``hits`` through ``hits_rule_date`` (a rule's hits by date), by the hit's
post date: when a post was published, not when chanwatch stored it, so a catch-up after
downtime puts old posts in old buckets rather than faking a surge now.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.unixtime import from_ts, to_ts

BUCKET_S = 900


@dataclass(frozen=True, slots=True)
class StoredEpisode:
    id: int
    rule_id: int
    started_at: datetime
    ended_at: datetime | None
    observed: int
    expected: float


async def bucket_counts(
    db: Database, rule_id: int, since: datetime, until: datetime
) -> list[tuple[int, int]]:
    """``(bucket start, hits)`` of the rule's hits dated in ``[since, until)``, oldest first."""
    rows = await db.fetchall(
        f"SELECT (date / {BUCKET_S}) * {BUCKET_S} AS bucket, COUNT(*) AS n FROM hits"
        " WHERE rule_id = ? AND date >= ? AND date < ? GROUP BY bucket ORDER BY bucket",
        (rule_id, to_ts(since), to_ts(until)),
    )
    return [(r["bucket"], r["n"]) for r in rows]


_EPISODE = "SELECT id, rule_id, started_at, ended_at, observed, expected FROM surge_episodes"


async def first_hit(db: Database, rule_id: int) -> datetime | None:
    """The date of the rule's oldest stored hit: what is known of it starts there."""
    row = await db.fetchone("SELECT MIN(date) FROM hits WHERE rule_id = ?", (rule_id,))
    return None if row is None or row[0] is None else from_ts(row[0])


def _episode(r: sqlite3.Row) -> StoredEpisode:
    return StoredEpisode(
        id=r["id"],
        rule_id=r["rule_id"],
        started_at=from_ts(r["started_at"]),
        ended_at=None if r["ended_at"] is None else from_ts(r["ended_at"]),
        observed=r["observed"],
        expected=r["expected"],
    )


async def open_episode(db: Database, rule_id: int) -> StoredEpisode | None:
    """The rule's surge still going on (at most one: a new one starts only after it ends)."""
    row = await db.fetchone(
        f"{_EPISODE} WHERE rule_id = ? AND ended_at IS NULL ORDER BY started_at DESC LIMIT 1",
        (rule_id,),
    )
    return None if row is None else _episode(row)


async def episodes_since(db: Database, rule_id: int, since: datetime) -> list[StoredEpisode]:
    """The rule's episodes raised from ``since`` on, or still open then, oldest first."""
    rows = await db.fetchall(
        f"{_EPISODE} WHERE rule_id = ? AND (started_at >= ? OR ended_at IS NULL"
        " OR ended_at >= ?) ORDER BY started_at",
        (rule_id, to_ts(since), to_ts(since)),
    )
    return [_episode(r) for r in rows]


async def start_episode(
    db: Database, rule_id: int, started_at: datetime, observed: int, expected: float
) -> bool:
    """Record a new episode; ``False`` if one with that start exists (a rerun of the check)."""
    changed = await db.execute_rowcount(
        "INSERT OR IGNORE INTO surge_episodes (rule_id, started_at, observed, expected)"
        " VALUES (?, ?, ?, ?)",
        (rule_id, to_ts(started_at), observed, expected),
    )
    return changed > 0


async def end_episode(db: Database, episode_id: int, ended_at: datetime) -> None:
    await db.execute(
        "UPDATE surge_episodes SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
        (to_ts(ended_at), episode_id),
    )


PostKey = tuple[int, int]  # (Telegram channel id, message id)


async def told(db: Database, rule_id: int, posts: Iterable[PostKey]) -> set[PostKey]:
    """Which of ``posts`` belong to a story already told for this rule."""
    wanted = list(posts)
    found: set[PostKey] = set()
    for start in range(0, len(wanted), 400):  # two parameters a post, far below SQLite's limit
        chunk = wanted[start : start + 400]
        pairs = " OR ".join("(channel_id = ? AND message_id = ?)" for _ in chunk)
        rows = await db.fetchall(
            "SELECT channel_id, message_id FROM corroborated_posts"
            f" WHERE rule_id = ? AND ({pairs})",
            (rule_id, *(v for key in chunk for v in key)),
        )
        found.update((r["channel_id"], r["message_id"]) for r in rows)
    return found


async def mark_told(db: Database, rule_id: int, posts: Iterable[PostKey], at: datetime) -> None:
    await db.executemany(
        "INSERT OR IGNORE INTO corroborated_posts (rule_id, channel_id, message_id, alerted_at)"
        " VALUES (?, ?, ?, ?)",
        [(rule_id, channel, message, to_ts(at)) for channel, message in posts],
    )


async def forget_told(db: Database, before: datetime) -> None:
    """Drop the memory of stories told before ``before``: they fell out of every lookback."""
    await db.execute("DELETE FROM corroborated_posts WHERE alerted_at < ?", (to_ts(before),))
