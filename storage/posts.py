"""A stored post with its channel's facts: the shape searches, scans, hit listings and digest
rows share (each extends it with what it adds), and the one SQL spelling of its columns."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.unixtime import from_ts


@dataclass(frozen=True, slots=True)
class ChannelPost:
    """A stored post with the channel facts a listing or a link needs: what a search, a scan,
    a hit listing and a digest row all show first."""

    channel_telegram_id: int | None
    channel_title: str | None
    channel_username: str | None
    message_id: int
    date: datetime
    text: str


# What ``post_values`` reads, from ``messages m`` joined to ``channels c``.
POST_COLUMNS = "c.telegram_id, c.title, c.username, m.message_id, m.date, m.text"


def post_values(r: sqlite3.Row) -> tuple[int | None, str | None, str | None, int, datetime, str]:
    """A ``ChannelPost``'s fields, in order, from a row that selected ``POST_COLUMNS``."""
    return (
        r["telegram_id"],
        r["title"],
        r["username"],
        r["message_id"],
        from_ts(r["date"]),
        r["text"],
    )
