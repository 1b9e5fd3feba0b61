"""Channels: what is watched, how it resolved, its state and its high-water mark."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database
from storage.errors import NotFoundError
from storage.unixtime import from_ts, now_ts, to_ts

ChannelState = Literal["pending", "ok", "joining", "waiting", "failed"]


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    telegram_id: int | None
    ref: str | None
    username: str | None
    title: str | None
    access_hash: int | None
    watched: bool
    state: ChannelState
    state_detail: str | None
    wait_until: datetime | None
    high_water: int
    backfilled: bool  # the first catch-up committed: the mark, even 0, is where reading resumes
    last_post_at: datetime | None
    tags: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        """What a person recognises: the title, else @username, else the ref or id."""
        if self.title:
            return self.title
        if self.username:
            return f"@{self.username}"
        return self.ref or str(self.telegram_id)


_COLUMNS = (
    "c.id, c.telegram_id, c.ref, c.username, c.title, c.access_hash, c.watched, c.state, "
    "c.state_detail, c.wait_until, c.high_water, c.backfilled, c.last_post_at, "
    "(SELECT group_concat(tag, ' ') FROM "
    " (SELECT tag FROM channel_tags t WHERE t.channel_id = c.id ORDER BY tag)) AS tags"
)


# A row watching should try again: failed, or waiting with the wait over (``?`` is now).
_RETRYABLE = "(state = 'failed' OR (state = 'waiting' AND COALESCE(wait_until, 0) <= ?))"


def _row(r: sqlite3.Row) -> Channel:
    return Channel(
        id=r["id"],
        telegram_id=r["telegram_id"],
        ref=r["ref"],
        username=r["username"],
        title=r["title"],
        access_hash=r["access_hash"],
        watched=bool(r["watched"]),
        state=r["state"],
        state_detail=r["state_detail"],
        wait_until=None if r["wait_until"] is None else from_ts(r["wait_until"]),
        high_water=r["high_water"],
        backfilled=bool(r["backfilled"]),
        last_post_at=None if r["last_post_at"] is None else from_ts(r["last_post_at"]),
        tags=tuple(r["tags"].split(" ")) if r["tags"] else (),
    )


async def list_channels(db: Database, *, watched_only: bool = False) -> list[Channel]:
    where = "WHERE c.watched = 1" if watched_only else ""
    rows = await db.fetchall(
        f"SELECT {_COLUMNS} FROM channels c {where} ORDER BY lower(COALESCE(c.title, c.ref))"
    )
    return [_row(r) for r in rows]


async def get(db: Database, channel_id: int) -> Channel:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM channels c WHERE c.id = ?", (channel_id,))
    if row is None:
        raise NotFoundError(f"no channel with internal id {channel_id}")
    return _row(row)


async def find(
    db: Database,
    *,
    ref: str | None = None,
    telegram_id: int | None = None,
    username: str | None = None,
) -> Channel | None:
    """The channel known by any of these keys, tried in this order."""
    for column, value in (("ref", ref), ("telegram_id", telegram_id), ("username", username)):
        if value is None:
            continue
        collate = " COLLATE NOCASE" if column == "username" else ""
        row = await db.fetchone(
            f"SELECT {_COLUMNS} FROM channels c WHERE c.{column} = ?{collate} "
            "ORDER BY c.watched DESC LIMIT 1",
            (value,),
        )
        if row is not None:
            return _row(row)
    return None


async def ensure_seen(
    db: Database, telegram_id: int, *, title: str | None, username: str | None
) -> int:
    """The internal id of a channel a message came from, creating or refreshing its row."""
    now = now_ts()
    async with db.transaction():
        row = await db.fetchone(
            "INSERT INTO channels (telegram_id, title, username, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (telegram_id) DO UPDATE SET "
            " title = COALESCE(excluded.title, title), "
            " username = COALESCE(excluded.username, username) "
            "RETURNING id",
            (telegram_id, title, username, now, now),
        )
    assert row is not None
    return int(row[0])


async def watch(
    db: Database,
    ref: str,
    *,
    username: str | None = None,
    telegram_id: int | None = None,
    tags: Iterable[str] = (),
) -> Channel:
    """Mark a channel watched under ``ref``, adopting a row already seen in an export.

    Watching a channel that failed (or whose FloodWait is over) sets it back to ``pending``,
    so the reader tries it again: failures are definite answers about the channel (no such
    username, invite expired, banned) and are retried only when the operator asks.
    """
    async with db.transaction():
        known = await find(db, ref=ref, telegram_id=telegram_id, username=username)
        now = now_ts()
        if known is None:
            channel_id = await db.execute(
                "INSERT INTO channels (ref, username, telegram_id, watched, created_at, updated_at)"
                " VALUES (?, ?, ?, 1, ?, ?)",
                (ref, username, telegram_id, now, now),
            )
        else:
            channel_id = known.id
            await db.execute(
                f"UPDATE channels SET ref = ?, watched = 1, updated_at = ?, "
                f" state = CASE WHEN {_RETRYABLE} THEN 'pending' ELSE state END, "
                f" state_detail = CASE WHEN {_RETRYABLE} THEN NULL ELSE state_detail END, "
                f" wait_until = CASE WHEN {_RETRYABLE} THEN NULL ELSE wait_until END "
                "WHERE id = ?",
                (ref, now, now, now, now, channel_id),
            )
        if tags:
            await set_tags(db, channel_id, tags)
        return await get(db, channel_id)


async def unwatch(db: Database, ref: str) -> Channel:
    """Stop watching; stored messages stay (they are evidence)."""
    async with db.transaction():
        known = await find(db, ref=ref)
        if known is None or not known.watched:
            raise NotFoundError(f"channel {ref} is not watched")
        await db.execute(
            "UPDATE channels SET watched = 0, updated_at = ? WHERE id = ?", (now_ts(), known.id)
        )
        return await get(db, known.id)


async def set_tags(db: Database, channel_id: int, tags: Iterable[str]) -> None:
    async with db.transaction():
        await db.execute("DELETE FROM channel_tags WHERE channel_id = ?", (channel_id,))
        await db.executemany(
            "INSERT INTO channel_tags (channel_id, tag) VALUES (?, ?)",
            [(channel_id, tag) for tag in sorted(set(tags))],
        )


async def set_resolved(
    db: Database,
    channel_id: int,
    *,
    telegram_id: int,
    access_hash: int | None,
    username: str | None,
    title: str | None,
) -> None:
    """Keep what resolution returned, so a restart never resolves the same name twice."""
    await db.execute(
        "UPDATE channels SET telegram_id = ?, access_hash = ?, username = ?, title = ?,"
        " updated_at = ? WHERE id = ?",
        (telegram_id, access_hash, username, title, now_ts(), channel_id),
    )


async def set_state(
    db: Database,
    channel_id: int,
    state: ChannelState,
    *,
    detail: str | None = None,
    wait_until: datetime | None = None,
) -> None:
    await db.execute(
        "UPDATE channels SET state = ?, state_detail = ?, wait_until = ?, updated_at = ?"
        " WHERE id = ?",
        (state, detail, None if wait_until is None else to_ts(wait_until), now_ts(), channel_id),
    )


async def advance_high_water(db: Database, channel_id: int, message_id: int) -> None:
    """Raise the mark, never lower it: batches may commit out of order after a retry."""
    await db.execute(
        "UPDATE channels SET high_water = MAX(high_water, ?) WHERE id = ?",
        (message_id, channel_id),
    )


async def finish_backfill(db: Database, channel_id: int, top: int) -> None:
    """The first catch-up is done: from here on the mark is where reading resumes, so it
    moves to the newest post seen then (``top``) even when the backfill stored nothing."""
    await db.execute(
        "UPDATE channels SET high_water = MAX(high_water, ?), backfilled = 1 WHERE id = ?",
        (top, channel_id),
    )


async def adopt(db: Database, duplicate_id: int, keeper_id: int) -> Channel:
    """Fold a just-resolved watch row into the row already holding that Telegram channel.

    Happens when an operator watches a channel already seen in an export, or names it a second
    way (``@name`` then its invite link): the keeper has the messages, the duplicate the ref.
    """
    async with db.transaction():
        duplicate, keeper = await get(db, duplicate_id), await get(db, keeper_id)
        await db.execute("DELETE FROM channels WHERE id = ?", (duplicate_id,))
        await db.execute(
            "UPDATE channels SET ref = COALESCE(ref, ?), watched = 1, updated_at = ? WHERE id = ?",
            (duplicate.ref, now_ts(), keeper_id),
        )
        if duplicate.tags:
            await set_tags(db, keeper_id, {*keeper.tags, *duplicate.tags})
        return await get(db, keeper_id)
