"""Read-only counts for ``chanwatch status``, ``/status`` and ``/healthz``.

Every query here is cheap on a large database (indexed ranges or small tables), because
status is asked often and must answer while the service ingests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.unixtime import from_ts, to_ts


@dataclass(frozen=True, slots=True)
class RuleHits:
    rule: str
    hits: int


@dataclass(frozen=True, slots=True)
class InactiveSubscriber:
    chat_id: int
    title: str | None
    reason: str | None
    since: datetime


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int = 0
    sending: int = 0
    failed: int = 0
    sent: int = 0

    @property
    def waiting(self) -> int:
        """Messages not yet delivered and still to be tried."""
        return self.pending + self.sending


async def hits_per_rule(db: Database, since: datetime) -> list[RuleHits]:
    """Hits on posts dated since ``since``, per rule that has any, most first (indexed)."""
    rows = await db.fetchall(
        "SELECT r.name AS rule, count(*) AS n FROM hits h JOIN rules r ON r.id = h.rule_id "
        "WHERE h.date >= ? GROUP BY r.name ORDER BY n DESC, r.name",
        (to_ts(since),),
    )
    return [RuleHits(row["rule"], int(row["n"])) for row in rows]


async def outbox_counts(db: Database) -> OutboxCounts:
    rows = await db.fetchall("SELECT status, count(*) AS n FROM outbox GROUP BY status")
    counts = {row["status"]: int(row["n"]) for row in rows}
    return OutboxCounts(
        pending=counts.get("pending", 0),
        sending=counts.get("sending", 0),
        failed=counts.get("failed", 0),
        sent=counts.get("sent", 0),
    )


async def outbox_waiting(db: Database) -> int:
    """Undelivered outbox rows; uses the ``outbox_pending`` index, so it is cheap."""
    row = await db.fetchone("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
    return int(row[0]) if row else 0


async def subscriber_counts(db: Database) -> tuple[int, int]:
    """(active, inactive) subscriber chats."""
    row = await db.fetchone(
        "SELECT coalesce(sum(active = 1), 0), coalesce(sum(active = 0), 0) FROM subscribers"
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def inactive_subscribers(db: Database, limit: int = 50) -> list[InactiveSubscriber]:
    rows = await db.fetchall(
        "SELECT chat_id, title, inactive_reason, updated_at FROM subscribers "
        "WHERE active = 0 ORDER BY updated_at DESC, chat_id LIMIT ?",
        (limit,),
    )
    return [
        InactiveSubscriber(r["chat_id"], r["title"], r["inactive_reason"], from_ts(r["updated_at"]))
        for r in rows
    ]
