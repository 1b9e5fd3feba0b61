"""The async digest adapter: storage rows in, a ``Digest`` out, for the CLI, the bot and the
scheduler alike, so ``chanwatch digest``, ``/digest`` and a scheduled digest of the same
period and rules are the same digest.

A subscriber's digest covers its subscriptions the way instant alerts route them:
``rule:NAME`` covers that rule's hits, ``tag:NAME`` covers every hit in a channel carrying
that tag (whatever the rule), and ``all`` covers everything. Hits of instant rules are
included: the digest is the period's record, and a story's corroboration counts all of it.
Tags and rules are read as they are when the digest is built (``storage.digests`` says why):
a deleted rule is not shown, a paused rule's hits from the period are.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.digest.build import build_digest
from bot.digest.contents import Digest, DigestHit, DigestOptions, Period
from bot.digest.render import render_text
from bot.digest.stories import Fingerprints
from bot.errors import ChanwatchError
from bot.text.durations import DurationError, is_duration, parse_duration
from storage import digests, subscribers
from storage.database import Database
from storage.digests import DigestRow
from storage.subscribers import Subscriber

MAX_PERIOD = timedelta(days=366)
DEFAULT_PERIOD = timedelta(hours=24)
ALL = "all"
UTC_ZONE = ZoneInfo("UTC")


class DigestError(ChanwatchError):
    """A digest request that cannot be served as asked (bad period, unknown rule, ...)."""


def period_length(text: str) -> timedelta:
    """A digest's length: a duration of at most a year."""
    try:
        length = parse_duration(text)
    except DurationError as error:
        raise DigestError(str(error)) from None
    if length > MAX_PERIOD:
        raise DigestError(f"a digest covers at most {MAX_PERIOD.days} days, not {text.strip()}")
    return length


def parse_moment(text: str, now: datetime, tz: ZoneInfo) -> datetime:
    """A duration before ``now`` (``24h``) or an ISO date or time, read in ``tz`` if naive."""
    if is_duration(text):
        return now - period_length(text)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DigestError(
            f"{text.strip()!r} is neither a period (24h, 7d) nor a date (2024-10-27 or "
            "2024-10-27T08:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise DigestError(f"{text.strip()!r} is too far in the past or future") from None


def make_period(since: datetime, until: datetime) -> Period:
    if until <= since:
        raise DigestError(f"the period ends ({until:%Y-%m-%d %H:%M}) before it starts")
    if until - since > MAX_PERIOD:
        raise DigestError(f"a digest covers at most {MAX_PERIOD.days} days")
    return Period(since, until)


@dataclass(frozen=True, slots=True)
class Coverage:
    """What a set of subscriptions asks for: everything, or some rules and channel tags."""

    everything: bool = False
    rules: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()

    @classmethod
    def of(cls, targets: Iterable[str]) -> Coverage:
        """From ``subscriptions.target`` values: ``rule:NAME``, ``tag:NAME``, ``all``."""
        rules: set[str] = set()
        tags: set[str] = set()
        everything = False
        for target in targets:
            kind, _, name = target.partition(":")
            if target == ALL:
                everything = True
            elif kind == "rule" and name:
                rules.add(name)
            elif kind == "tag" and name:
                tags.add(name)
        return cls(everything, frozenset(rules), frozenset(tags))

    @property
    def empty(self) -> bool:
        return not (self.everything or self.rules or self.tags)


def to_digest_hit(row: DigestRow) -> DigestHit:
    return DigestHit(
        rule=row.rule,
        # Every channel a message came from has a Telegram id; the fallback only keeps
        # identities distinct.
        channel_id=(
            row.channel_telegram_id if row.channel_telegram_id is not None else -row.channel_pk
        ),
        channel_title=row.channel_title,
        channel_username=row.channel_username,
        message_id=row.message_id,
        date=row.date,
        text=row.text,
        spans=row.spans,
        forward_from=row.forward_from,
        forward_channel_id=row.forward_channel_id,
        forward_message_id=row.forward_message_id,
        views=row.views,
        edited=row.edited,
    )


async def digest_for(
    db: Database,
    *,
    since: datetime,
    until: datetime,
    rules: Sequence[str] | None,
    tz: ZoneInfo,
    options: DigestOptions | None = None,
    tags: Sequence[str] = (),
    fingerprints: Fingerprints | None = None,
) -> Digest:
    """The digest of ``[since, until)`` for ``rules`` (``None``: every rule) and ``tags``."""
    period = make_period(since, until)
    rows = await digests.raw_hits_between(db, since, until, rules=rules, tags=tags)
    # Decoding and folding a busy week (10,000 hits) take a third of a second of CPU; in a
    # worker thread the bot, the reader and the deliverer keep running meanwhile. Only the
    # pure part moves: the shared database connection stays with the event loop.
    return await asyncio.to_thread(_build, rows, period, tz, options, fingerprints)


def _build(
    rows: Sequence[sqlite3.Row],
    period: Period,
    tz: ZoneInfo,
    options: DigestOptions | None,
    fingerprints: Fingerprints | None,
) -> Digest:
    hits = [to_digest_hit(digests.digest_row(r)) for r in rows]
    return build_digest(hits, period, tz, options, fingerprints)


async def digest_for_coverage(
    db: Database,
    coverage: Coverage,
    period: Period,
    tz: ZoneInfo,
    options: DigestOptions | None = None,
    fingerprints: Fingerprints | None = None,
) -> Digest:
    return await digest_for(
        db,
        since=period.since,
        until=period.until,
        rules=None if coverage.everything else sorted(coverage.rules),
        tags=() if coverage.everything else sorted(coverage.tags),
        tz=tz,
        options=options,
        fingerprints=fingerprints,
    )


async def require_rules(db: Database, names: Sequence[str]) -> None:
    unknown = await digests.unknown_rules(db, names)
    if unknown:
        listed = ", ".join(repr(name) for name in unknown)
        raise DigestError(f"no rule named {listed} (the rules list shows every name)")


def zone_of(subscriber: Subscriber | None, default: ZoneInfo) -> ZoneInfo:
    return ZoneInfo(subscriber.timezone) if subscriber and subscriber.timezone else default


def parse_digest_args(args: str) -> tuple[timedelta, str | None]:
    """``/digest [6h|24h|7d] [rule]`` in either order → (period length, rule or None)."""
    length: timedelta | None = None
    rule: str | None = None
    for word in args.split():
        if is_duration(word):
            if length is not None:
                raise DigestError("give one period, e.g. /digest 24h kursk")
            length = period_length(word)
        elif rule is None:
            rule = word
        else:
            raise DigestError("give one rule, e.g. /digest 24h kursk")
    return length or DEFAULT_PERIOD, rule


async def digest_for_chat(
    db: Database,
    chat_id: int,
    period: timedelta | str = DEFAULT_PERIOD,
    rule: str | None = None,
    *,
    now: datetime | None = None,
    default_tz: ZoneInfo = UTC_ZONE,
    options: DigestOptions | None = None,
    fingerprints: Fingerprints | None = None,
) -> Digest:
    """``/digest``: the chat's digest of the last ``period``, or one rule's if ``rule``.

    An on-demand digest always answers, so an empty period says "Nothing new" (unless
    ``options`` says otherwise); it is in the chat's time zone, else ``default_tz``.
    """
    length = period_length(period) if isinstance(period, str) else period
    until = now or datetime.now(UTC)
    subscriber = await subscribers.get(db, chat_id)
    if rule is not None:
        await require_rules(db, [rule])
        coverage = Coverage(rules=frozenset([rule]))
    else:
        coverage = Coverage.of(subscriber.targets if subscriber else ())
        if coverage.empty:
            raise DigestError(
                "Nothing to digest: /subscribe to a rule, a tag or all first, "
                "or ask for one rule with /digest 24h RULE."
            )
    return await digest_for_coverage(
        db,
        coverage,
        make_period(until - length, until),
        zone_of(subscriber, default_tz),
        options,
        fingerprints,
    )


async def render_demo_digest(db: Database, tz: ZoneInfo = UTC_ZONE) -> str:
    """The text digest of every stored hit, for ``chanwatch demo``'s closing page."""
    span = await digests.hit_dates(db)
    if span is None:
        return "No hits stored, so no digest."
    first, last = span
    since = datetime.combine(first.astimezone(tz).date(), time(), tz)
    until = datetime.combine(last.astimezone(tz).date() + timedelta(days=1), time(), tz)
    digest = await digest_for(
        db, since=since.astimezone(UTC), until=until.astimezone(UTC), rules=None, tz=tz
    )
    return render_text(digest)
