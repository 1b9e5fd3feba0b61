"""What a message looks like to the pipeline, whatever its source.

The reader (live or catch-up) and the export replay both produce ``IncomingMessage``; keeping
it free of Telethon and SQLite types lets the pipeline be tested and benchmarked offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """A channel as the source knows it; ``telegram_id`` is Telethon's bare positive id."""

    telegram_id: int
    title: str | None = None
    username: str | None = None


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    channel: ChannelInfo
    message_id: int
    date: datetime
    text: str
    edit_date: datetime | None = None
    forward_from: str | None = None
    forward_channel_id: int | None = None
    forward_message_id: int | None = None
    grouped_id: int | None = None
    reply_to: int | None = None
    has_media: bool = False
    views: int | None = None  # reach, where the source gives it
    forwards: int | None = None
    reactions: int | None = None  # all reactions added up


@dataclass(frozen=True, slots=True)
class HighWater:
    """A channel's high-water mark moved to ``message_id``: everything up to it was read.

    It goes with the batch that reads up to it, into the same transaction, so a crash leaves
    the mark where the stored posts end. ``message_id`` may be above the batch's posts: the
    service messages of a history page drop out of the batch but count as read."""

    telegram_id: int
    message_id: int


Priority = Literal["instant", "digest"]


@dataclass(frozen=True, slots=True)
class NewHit:
    """A hit stored for the first time: everything an alert needs, without another query.

    ``after_edit`` is true when the message matched this rule only after an edit.
    """

    hit_id: int
    rule: str
    priority: Priority
    channel: ChannelInfo
    message_id: int
    date: datetime
    text: str
    spans: tuple[tuple[int, int], ...]
    words: tuple[str, ...]
    after_edit: bool = False


@dataclass(frozen=True, slots=True)
class RetractedHit:
    """A hit an edit took away (row ``hit_id``, deleted with it): the post no longer matches
    ``rule``; ``words`` and ``old_spans`` are what the rule had matched in ``old_text``,
    ``text`` the post now."""

    hit_id: int
    rule: str
    channel: ChannelInfo
    message_id: int
    priority: Priority
    date: datetime
    words: tuple[str, ...]
    old_text: str
    old_spans: tuple[tuple[int, int], ...]
    text: str
    after_edit: bool


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What one batch did: ``stored`` new messages, ``updated`` edits, ``unchanged`` repeats."""

    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    new_hits: tuple[NewHit, ...] = ()
