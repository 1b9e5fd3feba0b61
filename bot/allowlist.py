"""Who may use the bot: the allowlist changes shared by ``/allow``/``/deny`` and ``chanwatch
access``, each written to the audit log in the same transaction as the change.

A positive id is a user; a negative marked id (``-100…``) is a group, whose members may then
use the bot inside it (see ``bot/chat/gate.py``).
"""

from __future__ import annotations

from storage import audit, subscribers
from storage.database import Database


async def _record(db: Database, actor: str, verb: str, peer_id: int, username: str | None) -> None:
    """``user.allow`` with the user's id, or ``group.allow`` with the group's (as chat_id)."""
    kind, key = ("group", "chat_id") if peer_id < 0 else ("user", "user_id")
    await audit.record(db, actor, f"{kind}.{verb}", **{key: peer_id, "username": username})


async def allow(db: Database, actor: str, peer_id: int, username: str | None = None) -> bool:
    """``False`` when the user or group was already allowed."""
    async with db.transaction():
        added = await subscribers.allow(db, peer_id, username=username, added_by=actor)
        await _record(db, actor, "allow", peer_id, username)
        return added


async def deny(db: Database, actor: str, peer_id: int, username: str | None = None) -> bool:
    """``False`` when the user or group was not on the allowlist."""
    async with db.transaction():
        removed = await subscribers.deny(db, peer_id)
        if removed:
            await _record(db, actor, "deny", peer_id, username)
        return removed
