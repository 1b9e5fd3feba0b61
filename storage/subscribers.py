"""Subscribers (chats that receive alerts), their settings and subscriptions, and the allowlist.

A subscriber is a chat, not a person: a user's private chat with the bot or a group. Rows are
never deleted when delivery fails for good; they are marked inactive with the reason, so
operators can see in ``/status`` who stopped receiving alerts and why.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from storage.database import Database
from storage.unixtime import from_ts, now_ts, to_ts

ChatKind = Literal["user", "group", "channel"]

_COLUMNS = (
    "s.chat_id, s.kind, s.title, s.active, s.inactive_reason, s.timezone, s.quiet_start, "
    "s.quiet_end, s.instant, s.digest_schedule, s.digest_empty, s.last_digest_at, s.updated_at, "
    "s.changes, s.surges, "
    "(SELECT group_concat(target, char(10)) FROM "
    " (SELECT target FROM subscriptions t WHERE t.chat_id = s.chat_id ORDER BY target))"
    " AS targets"
)


@dataclass(frozen=True, slots=True)
class Subscriber:
    chat_id: int  # Telegram's marked peer id: users > 0, groups < 0
    kind: ChatKind
    title: str | None
    active: bool
    inactive_reason: str | None
    timezone: str | None  # IANA name; None means the service's TIMEZONE
    quiet_start: str | None  # 'HH:MM' local; both or neither are set
    quiet_end: str | None
    instant: bool
    digest_schedule: str
    digest_empty: bool  # send "nothing new" for a period without hits
    last_digest_at: datetime | None
    updated_at: datetime
    targets: tuple[str, ...] = ()  # 'rule:NAME', 'tag:NAME' or 'all', sorted
    changes: bool = True  # hear when an alerted post is deleted or edited away
    surges: bool = True  # surge and corroboration alerts (/settings surges on|off)


@dataclass(frozen=True, slots=True)
class AllowedUser:
    user_id: int
    username: str | None
    added_by: str
    added_at: datetime


def _row(r: sqlite3.Row) -> Subscriber:
    return Subscriber(
        chat_id=r["chat_id"],
        kind=r["kind"],
        title=r["title"],
        active=bool(r["active"]),
        inactive_reason=r["inactive_reason"],
        timezone=r["timezone"],
        quiet_start=r["quiet_start"],
        quiet_end=r["quiet_end"],
        instant=bool(r["instant"]),
        digest_schedule=r["digest_schedule"],
        digest_empty=bool(r["digest_empty"]),
        last_digest_at=None if r["last_digest_at"] is None else from_ts(r["last_digest_at"]),
        updated_at=from_ts(r["updated_at"]),
        targets=tuple(r["targets"].split("\n")) if r["targets"] else (),
        changes=bool(r["changes"]),
        surges=bool(r["surges"]),
    )


async def get(db: Database, chat_id: int) -> Subscriber | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM subscribers s WHERE s.chat_id = ?", (chat_id,))
    return None if row is None else _row(row)


async def list_subscribers(db: Database, *, active_only: bool = False) -> list[Subscriber]:
    where = "WHERE s.active = 1" if active_only else ""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM subscribers s {where} ORDER BY s.chat_id")
    return [_row(r) for r in rows]


async def ensure(db: Database, chat_id: int, *, kind: ChatKind, title: str | None) -> Subscriber:
    """The chat's row, created on first contact; a chat that writes again is active again.

    A user who blocked the bot and later sends ``/start`` has unblocked it, so the inactive
    mark set by the deliverer is lifted here.
    """
    now = now_ts()
    async with db.transaction():
        await db.execute(
            "INSERT INTO subscribers (chat_id, kind, title, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET title = COALESCE(excluded.title, title),"
            " active = 1, inactive_reason = NULL,"
            " updated_at = CASE WHEN active = 0 THEN excluded.updated_at ELSE updated_at END",
            (chat_id, kind, title, now, now),
        )
        found = await get(db, chat_id)
    assert found is not None
    return found


async def deactivate(db: Database, chat_id: int, reason: str) -> None:
    """Stop routing to a chat that can no longer receive messages (blocked, deleted, kicked)."""
    await db.execute(
        "UPDATE subscribers SET active = 0, inactive_reason = ?, updated_at = ? WHERE chat_id = ?",
        (reason, now_ts(), chat_id),
    )


async def set_timezone(db: Database, chat_id: int, timezone: str | None) -> None:
    await _set(db, chat_id, "timezone = ?", (timezone,))


async def set_quiet_hours(db: Database, chat_id: int, start: str | None, end: str | None) -> None:
    """Both ``'HH:MM'`` (validated by the caller) or both ``None`` to switch quiet hours off."""
    if (start is None) != (end is None):
        raise ValueError("quiet hours need both a start and an end, or neither")
    await _set(db, chat_id, "quiet_start = ?, quiet_end = ?", (start, end))


async def set_instant(db: Database, chat_id: int, instant: bool) -> None:
    await _set(db, chat_id, "instant = ?", (int(instant),))


async def set_digest_empty(db: Database, chat_id: int, send: bool) -> None:
    await _set(db, chat_id, "digest_empty = ?", (int(send),))


async def set_changes(db: Database, chat_id: int, changes: bool) -> None:
    await _set(db, chat_id, "changes = ?", (int(changes),))


async def set_surges(db: Database, chat_id: int, surges: bool) -> None:
    await _set(db, chat_id, "surges = ?", (int(surges),))


async def set_digest_schedule(db: Database, chat_id: int, schedule: str) -> None:
    """Store the canonical spelling (``str(parse_schedule(text))``) of a validated schedule."""
    await _set(db, chat_id, "digest_schedule = ?", (schedule,))


async def _set(db: Database, chat_id: int, assignment: str, values: tuple[object, ...]) -> None:
    await db.execute(
        f"UPDATE subscribers SET {assignment}, updated_at = ? WHERE chat_id = ?",
        (*values, now_ts(), chat_id),
    )


async def subscribe(db: Database, chat_id: int, target: str) -> bool:
    """Add a subscription; ``False`` when the chat already had it."""
    changed = await db.execute_rowcount(
        "INSERT OR IGNORE INTO subscriptions (chat_id, target, created_at) VALUES (?, ?, ?)",
        (chat_id, target, now_ts()),
    )
    return changed > 0


async def unsubscribe(db: Database, chat_id: int, target: str) -> bool:
    """Remove a subscription; ``False`` when the chat did not have it."""
    changed = await db.execute_rowcount(
        "DELETE FROM subscriptions WHERE chat_id = ? AND target = ?", (chat_id, target)
    )
    return changed > 0


async def allow(db: Database, user_id: int, *, username: str | None, added_by: str) -> bool:
    """Put a user, or a group by its (negative) marked id, on the allowlist; ``False`` when
    already there (the username is refreshed)."""
    async with db.transaction():
        known = await db.fetchone("SELECT 1 FROM allowed_users WHERE user_id = ?", (user_id,))
        await db.execute(
            "INSERT INTO allowed_users (user_id, username, added_by, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET username = COALESCE(excluded.username, username)",
            (user_id, username, added_by, now_ts()),
        )
        await forget_refusal(db, user_id)
        return known is None


async def deny(db: Database, user_id: int) -> bool:
    """Take a user or group off the allowlist; ``False`` when they were not on it."""
    changed = await db.execute_rowcount("DELETE FROM allowed_users WHERE user_id = ?", (user_id,))
    return changed > 0


async def is_allowed(db: Database, peer_id: int, *more: int) -> bool:
    """Whether any of the ids is on the allowlist: a sender, or the group they write in."""
    peer_ids = (peer_id, *more)
    marks = ", ".join("?" * len(peer_ids))
    row = await db.fetchone(f"SELECT 1 FROM allowed_users WHERE user_id IN ({marks})", peer_ids)
    return row is not None


async def list_allowed(db: Database) -> list[AllowedUser]:
    rows = await db.fetchall(
        "SELECT user_id, username, added_by, added_at FROM allowed_users ORDER BY user_id"
    )
    return [
        AllowedUser(r["user_id"], r["username"], r["added_by"], from_ts(r["added_at"]))
        for r in rows
    ]


async def note_refusal(db: Database, user_id: int, *, now: datetime, window: timedelta) -> bool:
    """Record that ``user_id`` was refused; ``True`` when they should hear the refusal.

    That is the first time, or when the last refusal is older than ``window``. A read first,
    so a stranger writing over and over costs no write.
    """
    row = await db.fetchone("SELECT refused_at FROM refusals WHERE user_id = ?", (user_id,))
    if row is not None and from_ts(row["refused_at"]) > now - window:
        return False
    changed = await db.execute_rowcount(
        "INSERT INTO refusals (user_id, refused_at) VALUES (?, ?)"
        " ON CONFLICT (user_id) DO UPDATE SET refused_at = excluded.refused_at"
        " WHERE refused_at <= ?",
        (user_id, to_ts(now), to_ts(now - window)),
    )
    return changed > 0


async def forget_refusal(db: Database, user_id: int) -> None:
    """A user let in since: should they lose access again, they are told once more."""
    await db.execute("DELETE FROM refusals WHERE user_id = ?", (user_id,))
