"""The outbox: every alert or digest is written here before anything is sent.

Rows move ``pending`` → ``sending`` → ``sent`` (or ``failed``), each step its own committed
write, so a crash leaves a row in exactly one state:

- ``pending``: never handed to Telegram; it is sent after a restart.
- ``sent``: Telegram acknowledged it; it is never sent again.
- ``sending``: handed to Telegram, acknowledgement not recorded. It may or may not have gone
  out, and Telegram offers no way to ask, so :func:`recover` puts it back to ``pending``:
  such a row is sent at most once more, and only when it may not have gone out.

``dedup_key`` is unique and inserts use ``INSERT OR IGNORE``: the same alert (chat, post and
rule) can never be queued twice, however often ingest retries.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database
from storage.unixtime import from_ts, now_ts, to_ts

OutboxKind = Literal["alert", "digest", "notice"]
OutboxStatus = Literal["pending", "sending", "sent", "failed"]

COLUMNS = (
    "id, dedup_key, chat_id, kind, body, not_before, status, attempts, last_error, "
    "created_at, sent_at, telegram_message_id, chart"
)


@dataclass(frozen=True, slots=True)
class NewOutboxItem:
    dedup_key: str  # e.g. 'alert:<chat>:<channel>:<message>:<rule>'
    chat_id: int
    kind: OutboxKind
    body: str  # Telegram HTML, at most 4096 characters
    not_before: datetime  # aware; quiet hours push it forward
    destination_id: int | None = None  # a webhook or service (chat_id 0): storage.destinations
    chart: bytes | None = None  # a PNG sent as a photo, the body its caption (surge alerts)


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    dedup_key: str
    chat_id: int
    kind: OutboxKind
    body: str
    not_before: datetime
    status: OutboxStatus
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    telegram_message_id: int | None
    chart: bytes | None = None


def item_from_row(r: sqlite3.Row) -> OutboxItem:
    return OutboxItem(
        id=r["id"],
        dedup_key=r["dedup_key"],
        chat_id=r["chat_id"],
        kind=r["kind"],
        body=r["body"],
        not_before=from_ts(r["not_before"]),
        status=r["status"],
        attempts=r["attempts"],
        last_error=r["last_error"],
        created_at=from_ts(r["created_at"]),
        sent_at=None if r["sent_at"] is None else from_ts(r["sent_at"]),
        telegram_message_id=r["telegram_message_id"],
        chart=r["chart"],
    )


async def enqueue(db: Database, items: Sequence[NewOutboxItem]) -> int:
    """Queue items, skipping any whose ``dedup_key`` is already queued; returns how many new."""
    added = 0
    now = now_ts()
    async with db.transaction():
        for item in items:
            added += await db.execute_rowcount(
                "INSERT OR IGNORE INTO outbox (dedup_key, chat_id, kind, body, not_before,"
                " created_at, destination_id, chart) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.dedup_key,
                    item.chat_id,
                    item.kind,
                    item.body,
                    to_ts(item.not_before),
                    now,
                    item.destination_id,
                    item.chart,
                ),
            )
    return added


async def existing(db: Database, keys: Sequence[str]) -> set[str]:
    """Which of these dedup keys are queued or sent (any status): e.g. who had an alert."""
    if not keys:
        return set()
    rows = await db.fetchall(
        "SELECT dedup_key FROM outbox WHERE dedup_key IN (SELECT value FROM json_each(?))",
        (json.dumps(list(keys)),),
    )
    return {r[0] for r in rows}


async def withdraw_pending(db: Database, kind: OutboxKind, subjects: Sequence[str]) -> int:
    """Delete rows not yet handed to Telegram whose key is ``<kind>:<their chat>:<subject>``.

    Only ``pending`` rows go: a ``sending`` or ``sent`` row may have reached the chat, and its
    key must stay to keep a repeat out. Reads only the pending rows (``outbox_pending``).
    """
    removed = 0
    async with db.transaction():
        for subject in subjects:
            removed += await db.execute_rowcount(
                "DELETE FROM outbox WHERE status = 'pending' AND kind = ?"
                " AND dedup_key = kind || ':' || chat_id || ':' || ?",
                (kind, subject),
            )
    return removed


async def revise_pending(
    db: Database, kind: OutboxKind, subject: str, body_for: Callable[[int], str]
) -> int:
    """Rewrite rows not yet handed to Telegram whose key is ``<kind>:<their chat>:<subject>``
    with ``body_for(chat_id)``; returns how many.

    An edited post's waiting alert should quote the post as it reads now. Key, id and
    ``not_before`` stay, so the row keeps its place in its chat's order; a ``sending`` or
    ``sent`` row went out as it was and is left alone.
    """
    revised = 0
    async with db.transaction():
        rows = await db.fetchall(
            "SELECT id, chat_id FROM outbox WHERE status = 'pending' AND kind = ?"
            " AND dedup_key = kind || ':' || chat_id || ':' || ?",
            (kind, subject),
        )
        for row in rows:
            revised += await db.execute_rowcount(
                "UPDATE outbox SET body = ? WHERE id = ? AND status = 'pending'",
                (body_for(row["chat_id"]), row["id"]),
            )
    return revised


async def get(db: Database, item_id: int) -> OutboxItem | None:
    row = await db.fetchone(f"SELECT {COLUMNS} FROM outbox WHERE id = ?", (item_id,))
    return None if row is None else item_from_row(row)


async def list_items(db: Database, *, chat_id: int | None = None) -> list[OutboxItem]:
    where, params = ("WHERE chat_id = ?", (chat_id,)) if chat_id is not None else ("", ())
    rows = await db.fetchall(f"SELECT {COLUMNS} FROM outbox {where} ORDER BY id", params)
    return [item_from_row(r) for r in rows]


async def due_heads(db: Database, now: datetime, *, limit: int = 100) -> list[OutboxItem]:
    """For each chat, its oldest unsent row, if that row may be sent now; oldest due first.
    Rows for destinations (webhooks, services) are not Telegram's: ``storage.destinations``.

    Only the head of a chat is ever offered, so a chat's messages go out in the order they
    were queued: a head held back (quiet hours, retry backoff, in flight) holds back the rest.
    """
    rows = await db.fetchall(
        f"SELECT {COLUMNS} FROM outbox WHERE id IN ("
        " SELECT MIN(id) FROM outbox WHERE status IN ('pending', 'sending')"
        "  AND destination_id IS NULL GROUP BY chat_id)"
        " AND status = 'pending' AND not_before <= ? ORDER BY not_before, id LIMIT ?",
        (to_ts(now), limit),
    )
    return [item_from_row(r) for r in rows]


async def next_due(db: Database) -> datetime | None:
    """When the earliest pending row becomes sendable (the deliverer sleeps until then)."""
    row = await db.fetchone(
        "SELECT MIN(not_before) FROM outbox WHERE status = 'pending' AND destination_id IS NULL"
    )
    return None if row is None or row[0] is None else from_ts(row[0])


async def mark_sending(db: Database, item_id: int) -> bool:
    """Committed before the send: from here on a crash means "may have gone out".

    ``False`` when the row is no longer pending (or never committed: the one connection lets
    a reader see another task's open transaction, which may still roll back), so the caller
    must not send it.
    """
    changed = await db.execute_rowcount(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1"
        " WHERE id = ? AND status = 'pending'",
        (item_id,),
    )
    return changed > 0


async def mark_sent(db: Database, item_id: int, telegram_message_id: int | None) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'sent', sent_at = ?, telegram_message_id = ?,"
        " last_error = NULL WHERE id = ?",
        (now_ts(), telegram_message_id, item_id),
    )


async def mark_retry(
    db: Database, item_id: int, *, error: str, not_before: datetime, count_attempt: bool = True
) -> None:
    """Back to ``pending`` after a failure that may pass; a FloodWait is not the row's fault."""
    await db.execute(
        "UPDATE outbox SET status = 'pending', last_error = ?, not_before = ?,"
        " attempts = attempts - ? WHERE id = ?",
        (error, to_ts(not_before), 0 if count_attempt else 1, item_id),
    )


async def mark_failed(db: Database, item_id: int, error: str) -> None:
    await db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?", (error, item_id)
    )


async def fail_chat(db: Database, chat_id: int, error: str) -> int:
    """Give up on every unsent row of a chat that can no longer receive messages."""
    return await db.execute_rowcount(
        "UPDATE outbox SET status = 'failed', last_error = ?"
        " WHERE chat_id = ? AND status IN ('pending', 'sending')",
        (error, chat_id),
    )


async def recover(db: Database) -> int:
    """At start: rows left ``sending`` by a crash go back to ``pending`` (see module doc).

    Telegram's rows only: each deliverer recovers its own, before it sends anything, so one
    never puts back a row the other has in flight (``storage.destinations.recover``).
    """
    return await db.execute_rowcount(
        "UPDATE outbox SET status = 'pending', last_error = 'interrupted while sending'"
        " WHERE status = 'sending' AND destination_id IS NULL"
    )


async def depth(db: Database) -> int:
    """Rows not yet sent nor given up on."""
    row = await db.fetchone("SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending')")
    return int(row[0]) if row else 0
