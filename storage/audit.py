"""The audit log: who changed a watchlist or an access list, what, and when."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.database import Database
from storage.unixtime import from_ts, now_ts


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


async def record(db: Database, actor: str, action: str, **detail: Any) -> None:
    """Append one entry; call inside the transaction that made the change."""
    await db.execute(
        "INSERT INTO audit_log (at, actor, action, detail) VALUES (?, ?, ?, ?)",
        (now_ts(), actor, action, json.dumps(detail, ensure_ascii=False, sort_keys=True)),
    )


async def recent(db: Database, limit: int = 50) -> list[AuditEntry]:
    rows = await db.fetchall(
        "SELECT id, at, actor, action, detail FROM audit_log ORDER BY id DESC LIMIT ?", (limit,)
    )
    return [
        AuditEntry(r["id"], from_ts(r["at"]), r["actor"], r["action"], json.loads(r["detail"]))
        for r in rows
    ]
