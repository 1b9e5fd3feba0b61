"""Rows as frozen dataclasses: the rest of chanwatch never sees a cursor or a tuple."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from storage.unixtime import from_ts

ChannelState = Literal["pending", "ok", "joining", "waiting", "failed"]
Priority = Literal["instant", "digest"]


@dataclass(frozen=True, slots=True)
class Channel:
    id: int
    telegram_id: int | None
    ref: str | None
    username: str | None
    title: str | None
    access_hash: int | None
    watched: bool
    state: ChannelState
    state_detail: str | None
    wait_until: datetime | None
    high_water: int
    backfilled: bool  # the first catch-up committed: the mark, even 0, is where reading resumes
    last_post_at: datetime | None
    tags: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        """What a person recognises: the title, else @username, else the ref or id."""
        if self.title:
            return self.title
        if self.username:
            return f"@{self.username}"
        return self.ref or str(self.telegram_id)


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    name: str
    query: str
    priority: Priority
    paused: bool
    scopes: tuple[str, ...] = ()
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any] = field(default_factory=dict)


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
