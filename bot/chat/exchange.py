"""What a command handler receives and returns."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.chat.confirm import Confirmations
from bot.clock import Clock
from bot.config import Settings
from bot.errors import ChanwatchError
from storage.database import Database
from storage.subscribers import ChatKind


class CommandError(ChanwatchError):
    """A bad argument or a refused action: its message is the reply, as plain text."""


@dataclass(frozen=True, slots=True)
class Chat:
    id: int  # marked peer id: users > 0, groups < 0
    kind: ChatKind
    title: str | None = None

    @property
    def is_group(self) -> bool:
        return self.kind != "user"


@dataclass(frozen=True, slots=True)
class Incoming:
    """A command message: who sent it, where, and its text.

    ``user_id`` is the sender's peer id: a user's, or the group's own id when an admin of the
    group posts anonymously (``anonymous``).
    """

    chat: Chat
    user_id: int
    username: str | None
    text: str

    @property
    def anonymous(self) -> bool:
        """Sent as the group itself, which Telegram lets only the group's admins do."""
        return self.chat.is_group and self.user_id == self.chat.id


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str  # at most 64 bytes (Telegram's limit)


@dataclass(frozen=True, slots=True)
class Reply:
    """One message in Telegram HTML, with optional rows of inline buttons."""

    html: str
    buttons: tuple[tuple[Button, ...], ...] = ()

    @classmethod
    def text(cls, plain: str) -> Reply:
        return cls(html.escape(plain, quote=False))


@dataclass(frozen=True, slots=True)
class Notice:
    """A short answer to a button press, shown over the chat (the message is left as is)."""

    text: str


class Platform(Protocol):
    """What handlers need from Telegram itself."""

    async def is_group_admin(self, chat_id: int, user_id: int) -> bool: ...

    async def resolve_member(self, ref: str) -> tuple[int, str | None]:
        """``@name`` of a user or a public group → (its peer id, username); raises
        ``CommandError`` when there is none, or it is a broadcast channel."""
        ...


@dataclass
class BotContext:
    """The service's shared state for handlers (no globals)."""

    db: Database
    settings: Settings
    platform: Platform
    clock: Clock
    started_at: datetime
    operators: frozenset[int] = field(default_factory=frozenset)
    watchlist_changed: Callable[[], None] = lambda: None  # the reader re-syncs its channels
    schedules_changed: Callable[[], None] = lambda: None  # the scheduler rebuilds digest jobs
    confirmations: Confirmations[Incoming] = field(default_factory=Confirmations)

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def is_operator(self, user_id: int) -> bool:
        """Only a user is: a chat's id (an anonymous admin's sender) never is, even if listed."""
        return user_id > 0 and user_id in self.operators


def lines(*parts: str | Sequence[str]) -> str:
    """Join text lines, flattening lists (handlers build replies line by line)."""
    out: list[str] = []
    for part in parts:
        out.extend([part] if isinstance(part, str) else part)
    return "\n".join(out)
