"""What a digest is built from and what it is: plain frozen data, no storage, no Telegram.

Storage turns rows into ``DigestHit``s; ``build_digest`` turns hits into a ``Digest``; the
renderers turn a ``Digest`` into HTML messages, text or JSON. Keeping the middle pure lets
the digest be tested and benchmarked without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.text import DEFAULT_WIDTH
from bot.text.links import post_link

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class DigestHit:
    """One stored message that matched one rule."""

    rule: str
    channel_id: int  # Telethon's bare positive channel id
    channel_title: str | None
    channel_username: str | None
    message_id: int
    date: datetime  # aware, UTC
    text: str
    spans: tuple[Span, ...] = ()
    forward_from: str | None = None  # display name of the forwarded post's source
    forward_channel_id: int | None = None
    forward_message_id: int | None = None
    views: int | None = None  # as Telegram last reported them
    edited: bool = False  # the post was re-worded after it was first stored

    @property
    def key(self) -> tuple[int, int]:
        """The post's identity, shared by every rule it matched."""
        return (self.channel_id, self.message_id)

    @property
    def channel_name(self) -> str:
        if self.channel_title:
            return self.channel_title
        if self.channel_username:
            return f"@{self.channel_username}"
        return f"channel {self.channel_id}"

    @property
    def link(self) -> str:
        return post_link(self.channel_username, self.channel_id, self.message_id)


@dataclass(frozen=True, slots=True)
class Period:
    """``[since, until)``, given as aware datetimes and kept in UTC.

    Two datetimes of one zone compare by wall clock, so a period from 03:00 EEST to 03:00 EET
    (the repeated hour of a fall-back) would look empty and a hit at 03:30 EEST would look
    outside it; in UTC every comparison is real time.
    """

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment: datetime = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise ValueError(f"naive datetime {moment!r}: a digest period needs aware times")
            object.__setattr__(self, name, moment.astimezone(UTC))
        if self.until <= self.since:
            raise ValueError(f"empty digest period {self.since} .. {self.until}")


@dataclass(frozen=True, slots=True)
class DigestOptions:
    """Presentation choices; defaults suit Telegram."""

    snippet_width: int = DEFAULT_WIDTH
    sparkline_buckets: int = 12
    max_messages: int = 5  # per digest; what does not fit is counted in the footer
    message_limit: int = 4096  # Telegram's per-message limit
    other_links: int = 3  # links to other channels that carried a story
    show_empty: bool = True  # "Nothing new since ..." rather than silence


@dataclass(frozen=True, slots=True)
class Story:
    """Posts that carry the same text: the first post, and everyone who repeated it."""

    hits: tuple[DigestHit, ...]  # oldest first

    @property
    def first(self) -> DigestHit:
        return self.hits[0]

    @property
    def latest(self) -> datetime:
        return self.hits[-1].date

    @property
    def size(self) -> int:
        return len(self.hits)

    @property
    def channels(self) -> tuple[DigestHit, ...]:
        """The earliest post of each channel that carried the story, in order of appearance."""
        seen: dict[int, DigestHit] = {}
        for hit in self.hits:
            seen.setdefault(hit.channel_id, hit)
        return tuple(seen.values())

    @property
    def views(self) -> int | None:
        """The story's reach: the views of every post that carried it, where known."""
        known = [hit.views for hit in self.hits if hit.views is not None]
        return sum(known) if known else None


@dataclass(frozen=True, slots=True)
class RuleDigest:
    rule: str
    hits: int
    stories: tuple[Story, ...]  # largest first, then newest
    histogram: tuple[int, ...]  # hits per equal slice of the period


@dataclass(frozen=True, slots=True)
class Digest:
    period: Period
    tz: ZoneInfo
    rules: tuple[RuleDigest, ...]  # most hits first
    options: DigestOptions = field(default_factory=DigestOptions)

    @property
    def hits(self) -> int:
        return sum(rule.hits for rule in self.rules)

    @property
    def stories(self) -> int:
        return sum(len(rule.stories) for rule in self.rules)
