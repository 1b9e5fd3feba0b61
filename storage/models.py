"""Rows as frozen dataclasses: the rest of chanwatch never sees a cursor or a tuple."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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
