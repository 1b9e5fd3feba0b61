"""Which chats get an instant alert for which new hits, and when (pure: no I/O).

Routing runs inside ingest's transaction over a snapshot of subscriptions, so it must be a
plain function of its inputs: the hits, the recipients, the channels' tags and the time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import ChanwatchError
from bot.pipeline.values import NewHit

ALL = "all"
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


class QuietHoursError(ChanwatchError):
    """Quiet hours typed in a form we cannot read."""


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily local window with no instant alerts; it may wrap midnight (23:00–07:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> QuietHours:
        """From ``'HH:MM'`` strings; equal ends would mean "always quiet" and are refused."""
        quiet = cls(_clock(start), _clock(end))
        if quiet.start == quiet.end:
            raise QuietHoursError("quiet hours must start and end at different times")
        return quiet

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def release(self, moment: datetime, zone: ZoneInfo) -> datetime | None:
        """The end of the quiet window holding ``moment`` (aware), or ``None`` outside one."""
        local = moment.astimezone(zone)
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= now < self.end
            day = local.date()
        else:
            inside = now >= self.start or now < self.end
            day = local.date() + timedelta(days=1) if now >= self.start else local.date()
        if not inside:
            return None
        return datetime.combine(day, self.end, tzinfo=zone).astimezone(moment.tzinfo)


def _clock(text: str) -> time:
    found = _CLOCK.fullmatch(text.strip())
    if found is None:
        raise QuietHoursError(f"{text.strip()!r} is not a time of day: use HH:MM, e.g. 23:00")
    return time(int(found[1]), int(found[2]))


@dataclass(frozen=True, slots=True)
class Recipient:
    """A chat as routing sees it."""

    chat_id: int
    targets: frozenset[str]  # 'rule:NAME', 'tag:NAME', 'all'
    zone: ZoneInfo
    quiet: QuietHours | None = None
    instant: bool = True
    active: bool = True

    def wants(self, rule: str, tags: frozenset[str]) -> bool:
        return (
            ALL in self.targets
            or f"rule:{rule}" in self.targets
            or any(f"tag:{tag}" in self.targets for tag in tags)
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    chat_id: int
    hit: NewHit
    zone: ZoneInfo
    not_before: datetime = field(compare=False)

    @property
    def dedup_key(self) -> str:
        """One alert per chat, post and rule, whatever retries, re-routes or edits happen."""
        hit = self.hit
        return alert_key(
            self.chat_id, alert_subject(hit.channel.telegram_id, hit.message_id, hit.rule)
        )


def alert_subject(channel_id: int, message_id: int, rule: str) -> str:
    """What an alert is about: a post (channel and message id) matching a rule.

    Named by Telegram's ids and the rule's name, never by the hit's row id: an edit that
    retracts a hit and a later one that restores it make two hit rows for one post and rule
    (the subscriber must hear once), and SQLite hands a deleted top row id to the next hit
    (which must not inherit an old alert's key and be dropped as a duplicate).
    """
    return f"{channel_id}:{message_id}:{rule}"


def alert_key(chat_id: int, subject: str) -> str:
    return f"alert:{chat_id}:{subject}"


def alerting(hits: Sequence[NewHit]) -> list[NewHit]:
    """The hits that alert at once: those of instant rules (digest rules wait for digests).
    The one spelling of that rule: ingest hands the router only these, and ``route`` keeps to
    it for any other caller."""
    return [h for h in hits if h.priority == "instant"]


def route(
    hits: Sequence[NewHit],
    recipients: Sequence[Recipient],
    tags: Mapping[int, frozenset[str]],
    now: datetime,
) -> list[Delivery]:
    """Deliveries for instant hits, in hit order; ``tags`` maps channel telegram id → tags.

    A chat with instant alerts off, or inactive, gets nothing (its digests still cover the
    hits); a chat inside its quiet hours gets the alert when they end.
    """
    listening = [r for r in recipients if r.active and r.instant and r.targets]
    deliveries: list[Delivery] = []
    for hit in alerting(hits):
        channel_tags = tags.get(hit.channel.telegram_id, frozenset())
        for recipient in listening:
            if not recipient.wants(hit.rule, channel_tags):
                continue
            held = recipient.quiet.release(now, recipient.zone) if recipient.quiet else None
            deliveries.append(Delivery(recipient.chat_id, hit, recipient.zone, held or now))
    return deliveries
