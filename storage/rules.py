"""Rules and their scopes. Queries are validated by the caller (bot.matching) before storing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.database import Database
from storage.errors import ConflictError, NotFoundError
from storage.unixtime import from_ts, now_ts

Priority = Literal["instant", "digest"]


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    query: str
    priority: Priority
    paused: bool
    scopes: tuple[str, ...] = ()
    updated_at: datetime | None = None
    surge: bool = False  # surges of this rule alert its subscribers (watchlist `surge = true`)


_COLUMNS = (
    "r.id, r.name, r.query, r.priority, r.paused, r.updated_at, r.surge, "
    "(SELECT group_concat(scope, char(10)) FROM "
    " (SELECT scope FROM rule_scopes s WHERE s.rule_id = r.id ORDER BY scope)) AS scopes"
)


def _row(r: sqlite3.Row) -> Rule:
    return Rule(
        id=r["id"],
        name=r["name"],
        query=r["query"],
        priority=r["priority"],
        paused=bool(r["paused"]),
        scopes=tuple(r["scopes"].split("\n")) if r["scopes"] else (),
        updated_at=from_ts(r["updated_at"]),
        surge=bool(r["surge"]),
    )


async def list_rules(db: Database, *, include_paused: bool = True) -> list[Rule]:
    where = "" if include_paused else "WHERE r.paused = 0"
    rows = await db.fetchall(f"SELECT {_COLUMNS} FROM rules r {where} ORDER BY r.name")
    return [_row(r) for r in rows]


async def get(db: Database, name: str) -> Rule:
    row = await db.fetchone(f"SELECT {_COLUMNS} FROM rules r WHERE r.name = ?", (name,))
    if row is None:
        raise NotFoundError(f"no rule named {name!r}")
    return _row(row)


async def add(
    db: Database,
    name: str,
    query: str,
    *,
    priority: Priority = "digest",
    scopes: Iterable[str] = (),
    paused: bool = False,
    surge: bool = False,
) -> Rule:
    async with db.transaction():
        if await db.fetchone("SELECT 1 FROM rules WHERE name = ?", (name,)):
            raise ConflictError(f"a rule named {name!r} already exists")
        now = now_ts()
        rule_id = await db.execute(
            "INSERT INTO rules (name, query, priority, paused, surge, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (name, query, priority, int(paused), int(surge), now, now),
        )
        await _set_scopes(db, rule_id, scopes)
        return await get(db, name)


async def update(
    db: Database,
    name: str,
    *,
    query: str,
    priority: Priority,
    scopes: Iterable[str],
    paused: bool,
    surge: bool,
) -> Rule:
    async with db.transaction():
        rule = await get(db, name)
        await db.execute(
            "UPDATE rules SET query = ?, priority = ?, paused = ?, surge = ?, updated_at = ?"
            " WHERE id = ?",
            (query, priority, int(paused), int(surge), now_ts(), rule.id),
        )
        await _set_scopes(db, rule.id, scopes)
        return await get(db, name)


async def remove(db: Database, name: str) -> Rule:
    """Delete a rule and, by cascade, its hits; pausing is the way to keep history."""
    async with db.transaction():
        rule = await get(db, name)
        await db.execute("DELETE FROM rules WHERE id = ?", (rule.id,))
        return rule


async def set_paused(db: Database, name: str, paused: bool) -> Rule:
    async with db.transaction():
        rule = await get(db, name)
        await db.execute(
            "UPDATE rules SET paused = ?, updated_at = ? WHERE id = ?",
            (int(paused), now_ts(), rule.id),
        )
        return await get(db, name)


async def _set_scopes(db: Database, rule_id: int, scopes: Iterable[str]) -> None:
    await db.execute("DELETE FROM rule_scopes WHERE rule_id = ?", (rule_id,))
    await db.executemany(
        "INSERT INTO rule_scopes (rule_id, scope) VALUES (?, ?)",
        [(rule_id, scope) for scope in sorted(set(scopes))],
    )
