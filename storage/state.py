"""Small facts about the running service (start time, last error, heartbeats).

Kept in the database so ``chanwatch status`` can report them whether or not the service runs.
"""

from __future__ import annotations

from storage.database import Database


async def put(db: Database, key: str, value: str) -> None:
    await db.execute(
        "INSERT INTO service_state (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def get(db: Database, key: str) -> str | None:
    row = await db.fetchone("SELECT value FROM service_state WHERE key = ?", (key,))
    return None if row is None else str(row["value"])


async def all_values(db: Database) -> dict[str, str]:
    rows = await db.fetchall("SELECT key, value FROM service_state")
    return {r["key"]: r["value"] for r in rows}
