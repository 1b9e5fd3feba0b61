"""Destinations (webhooks and notification services) and their rows in the shared outbox.

A destination is a subscriber of its own kind: its subscriptions are ``destination_targets``
(``rule:NAME``, ``tag:NAME``, ``all``, as a chat's), and its alerts and digests are outbox
rows carrying its id (``chat_id`` 0), so they get the outbox's guarantees: queued in the
transaction that made them, unique ``dedup_key``, ``sending`` committed before the send.
The Telegram deliverer never takes them (``destination_id IS NULL`` there); this module's
``due_heads`` offers them to the destinations' deliverer, one head per destination.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database
from storage.errors import NotFoundError
from storage.outbox import COLUMNS, NewOutboxItem, OutboxItem, OutboxKind, item_from_row
from storage.unixtime import from_ts, now_ts, to_ts

DestinationFormat = Literal["markdown", "html", "text"]

_COLUMNS = (
    "d.id, d.name, d.url, d.format, d.secret_env, d.instant, d.digest_schedule, d.per_minute,"
    " d.active, d.inactive_reason, d.failing_since, d.last_error, d.last_digest_at,"
    " (SELECT group_concat(target, char(10)) FROM (SELECT target FROM destination_targets t"
    "  WHERE t.destination_id = d.id ORDER BY target)) AS targets"
)


@dataclass(frozen=True, slots=True)
class DestinationValues:
    """What the operator sets; ``url`` holds ``${VARIABLE}`` references, never secrets."""

    url: str
    targets: tuple[str, ...]  # sorted: 'rule:NAME', 'tag:NAME', 'all'
    format: DestinationFormat = "markdown"
    secret_env: str | None = None
    instant: bool = True
    digest_schedule: str | None = None
    per_minute: int = 30


@dataclass(frozen=True, slots=True)
class Destination:
    id: int
    name: str
    values: DestinationValues
    active: bool
    inactive_reason: str | None
    failing_since: datetime | None
    last_error: str | None
    last_digest_at: datetime | None


def _row(r: sqlite3.Row) -> Destination:
    values = DestinationValues(
        url=r["url"],
        targets=tuple(r["targets"].split("\n")) if r["targets"] else (),
        format=r["format"],
        secret_env=r["secret_env"],
        instant=bool(r["instant"]),
        digest_schedule=r["digest_schedule"],
        per_minute=r["per_minute"],
    )
    return Destination(
        id=r["id"],
        name=r["name"],
        values=values,
        active=bool(r["active"]),
        inactive_reason=r["inactive_reason"],
        failing_since=None if r["failing_since"] is None else from_ts(r["failing_since"]),
        last_error=r["last_error"],
        last_digest_at=None if r["last_digest_at"] is None else from_ts(r["last_digest_at"]),
    )


async def list_destinations(db: Database, *, active_only: bool = False) -> list[Destination]:
    where = "WHERE d.active = 1" if active_only else ""
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM destinations d {where} ORDER BY d.name")
    return [_row(r) for r in rows]


async def find(db: Database, name: str) -> Destination | None:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM destinations d WHERE d.name = ?", (name,))
    return None if row is None else _row(row)


async def get(db: Database, name: str) -> Destination:
    found = await find(db, name)
    if found is None:
        raise NotFoundError(f"no destination named {name!r}")
    return found


async def save(db: Database, name: str, values: DestinationValues) -> Destination:
    """Add the destination, or replace its settings (a changed one starts afresh: active)."""
    now = now_ts()
    async with db.transaction():
        await db.execute(
            "INSERT INTO destinations (name, url, format, secret_env, instant, digest_schedule,"
            " per_minute, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET url = excluded.url, format = excluded.format,"
            " secret_env = excluded.secret_env, instant = excluded.instant,"
            " digest_schedule = excluded.digest_schedule, per_minute = excluded.per_minute,"
            " active = 1, inactive_reason = NULL, failing_since = NULL,"
            " updated_at = excluded.updated_at",
            (
                name,
                values.url,
                values.format,
                values.secret_env,
                int(values.instant),
                values.digest_schedule,
                values.per_minute,
                now,
                now,
            ),
        )
        saved = await get(db, name)
        await db.execute("DELETE FROM destination_targets WHERE destination_id = ?", (saved.id,))
        await db.executemany(
            "INSERT INTO destination_targets (destination_id, target) VALUES (?, ?)",
            [(saved.id, target) for target in sorted(set(values.targets))],
        )
        return await get(db, name)


async def remove(db: Database, name: str) -> Destination:
    """Delete the destination with its targets and its outbox rows."""
    async with db.transaction():
        found = await get(db, name)
        await db.execute("DELETE FROM destinations WHERE id = ?", (found.id,))
    return found


async def record_failure(db: Database, destination_id: int, error: str, now: datetime) -> None:
    """Remember the error; the first of a run of failures starts ``failing_since``."""
    await db.execute(
        "UPDATE destinations SET last_error = ?, failing_since = COALESCE(failing_since, ?)"
        " WHERE id = ?",
        (error, to_ts(now), destination_id),
    )


async def record_success(db: Database, destination_id: int) -> None:
    await db.execute(
        "UPDATE destinations SET failing_since = NULL, last_error = NULL"
        " WHERE id = ? AND failing_since IS NOT NULL",
        (destination_id,),
    )


async def deactivate(db: Database, destination_id: int, reason: str) -> int:
    """Mark it inactive and fail its unsent rows; returns how many rows were given up."""
    async with db.transaction():
        await db.execute(
            "UPDATE destinations SET active = 0, inactive_reason = ?, updated_at = ? WHERE id = ?",
            (reason, now_ts(), destination_id),
        )
        return await db.execute_rowcount(
            "UPDATE outbox SET status = 'failed', last_error = ?"
            " WHERE destination_id = ? AND status IN ('pending', 'sending')",
            (reason, destination_id),
        )


async def set_last_digest(db: Database, destination_id: int, until: datetime) -> None:
    await db.execute(
        "UPDATE destinations SET last_digest_at = ? WHERE id = ?", (to_ts(until), destination_id)
    )


def row_for(
    destination_id: int, dedup_key: str, kind: OutboxKind, body: str, when: datetime
) -> NewOutboxItem:
    """A destination's outbox row (queued with ``outbox.enqueue``); ``body`` is its event as
    JSON (see bot/destinations)."""
    return NewOutboxItem(dedup_key, 0, kind, body, when, destination_id)


async def pending_rows(db: Database, dedup_keys: Sequence[str]) -> list[OutboxItem]:
    """The rows among ``dedup_keys`` not yet handed to their destination."""
    if not dedup_keys:
        return []
    marks = ", ".join("?" for _ in dedup_keys)
    rows = await db.fetchall(
        f"SELECT {COLUMNS} FROM outbox WHERE status = 'pending'"
        f" AND destination_id IS NOT NULL AND dedup_key IN ({marks}) ORDER BY id",
        tuple(dedup_keys),
    )
    return [item_from_row(r) for r in rows]


async def delete_pending(db: Database, dedup_keys: Sequence[str]) -> int:
    removed = 0
    for key in dedup_keys:
        removed += await db.execute_rowcount(
            "DELETE FROM outbox WHERE status = 'pending' AND destination_id IS NOT NULL"
            " AND dedup_key = ?",
            (key,),
        )
    return removed


async def revise_pending(db: Database, dedup_key: str, body: str) -> int:
    return await db.execute_rowcount(
        "UPDATE outbox SET body = ? WHERE dedup_key = ? AND status = 'pending'"
        " AND destination_id IS NOT NULL",
        (body, dedup_key),
    )


@dataclass(frozen=True, slots=True)
class DueRow:
    destination_id: int
    item: OutboxItem


async def due_heads(db: Database, now: datetime, *, limit: int = 100) -> list[DueRow]:
    """For each active destination, its oldest unsent row if it may be sent now.

    Only a destination's head is offered, so its messages arrive in the order they were
    queued, as a chat's do; a head held back by a retry holds back the rest.
    """
    rows = await db.fetchall(
        f"SELECT destination_id AS dest, {COLUMNS} FROM outbox WHERE id IN ("
        " SELECT MIN(o.id) FROM outbox o JOIN destinations d ON d.id = o.destination_id"
        "  WHERE o.status IN ('pending', 'sending') AND d.active = 1 GROUP BY o.destination_id)"
        " AND status = 'pending' AND not_before <= ? ORDER BY not_before, id LIMIT ?",
        (to_ts(now), limit),
    )
    return [DueRow(r["dest"], item_from_row(r)) for r in rows]


async def recover(db: Database) -> int:
    """At start: destination rows left ``sending`` by a crash go back to ``pending``."""
    return await db.execute_rowcount(
        "UPDATE outbox SET status = 'pending', last_error = 'interrupted while sending'"
        " WHERE status = 'sending' AND destination_id IS NOT NULL"
    )


async def next_due(db: Database) -> datetime | None:
    row = await db.fetchone(
        "SELECT MIN(not_before) FROM outbox WHERE status = 'pending' AND destination_id IS NOT NULL"
    )
    return None if row is None or row[0] is None else from_ts(row[0])


async def rows_of(db: Database, destination_id: int) -> list[OutboxItem]:
    rows = await db.fetchall(
        f"SELECT {COLUMNS} FROM outbox WHERE destination_id = ? ORDER BY id",
        (destination_id,),
    )
    return [item_from_row(r) for r in rows]


async def backlog(db: Database) -> dict[int, int]:
    """Unsent rows per destination id."""
    rows = await db.fetchall(
        "SELECT destination_id, COUNT(*) FROM outbox WHERE destination_id IS NOT NULL"
        " AND status IN ('pending', 'sending') GROUP BY destination_id"
    )
    return {int(r[0]): int(r[1]) for r in rows}
