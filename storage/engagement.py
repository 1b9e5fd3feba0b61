"""A post's reach as Telegram last reported it: views, forwards and reactions.

Stored with each post when it is first ingested and refreshed for hit posts whenever the
deletion check fetches them anyway (``bot/telegram/reader/deletion_check.py``), so a digest can say
how far a story travelled without one extra request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage.database import Database
from storage.unixtime import now_ts


@dataclass(frozen=True, slots=True)
class Engagement:
    views: int | None = None  # None where Telegram gives none (groups, old posts)
    forwards: int | None = None
    reactions: int | None = None  # every reaction added up


def engagement_params(e: Engagement | None, at: int) -> tuple[int | None, ...]:
    """``views, forwards, reactions, engagement_at`` for an INSERT or UPDATE."""
    if e is None:
        return (None, None, None, None)
    return (e.views, e.forwards, e.reactions, at)


async def refresh(db: Database, channel_id: int, fresh: Sequence[tuple[int, Engagement]]) -> None:
    """New counts for posts of one channel, by Telegram message id; a missing count stays."""
    now = now_ts()
    await db.executemany(
        "UPDATE messages SET views = COALESCE(?, views), forwards = COALESCE(?, forwards),"
        " reactions = COALESCE(?, reactions), engagement_at = ?"
        " WHERE channel_id = ? AND message_id = ?",
        [(*engagement_params(e, now)[:3], now, channel_id, message_id) for message_id, e in fresh],
    )
