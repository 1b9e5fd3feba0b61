"""The scheduler's trends job: surges and corroborated stories of every rule, as outbox rows.

Runs every ``CHECK_EVERY`` (a ``Periodic`` of ``bot/ops/scheduler.py``, the service's one
timer) over what is stored: the pure detection (``surges``, ``corroboration``) on counts
and stories that ``storage/trends.py`` and ``storage/digests.py`` read, the alerts rendered
by ``bot/text/trends.py`` for the chats ``audience`` picks.

What was told is remembered with the alerts, in one transaction: a surge's episode row and
its outbox rows (``surge:<chat>:<rule id>:<episode start>``) commit together, as do a story's
posts in ``corroborated_posts`` and its rows (``story:<chat>:<rule id>:<first post>``). A
crash before the commit leaves neither, and the next run raises it again; after the commit
the episode stays open (no second surge alert until it ends) and the story's posts are known
(no second alert however the story grows), and the keys would stop a double anyway.

A surge alert carries its chart (``bot/text/chart.py``, PNG) in the outbox row; the sender
sends it as a photo with the text as caption, or the text alone where the chat takes no media.

Surges are judged at bucket boundaries (the last complete quarter hour), so the service, the
backtest and ``chanwatch trends`` find the same episodes in the same history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.config import Settings
from bot.digest.gather import to_digest_hit
from bot.digest.stories import Fingerprints, fold_stories
from bot.logs import fields
from bot.pipeline.alert_router import recipient
from bot.pipeline.route import Recipient
from bot.text.chart import surge_chart
from bot.text.trends import SPARK_HOURS, render_corroboration, render_surge, render_surge_ended
from bot.trends import audience
from bot.trends.baseline import WEEKS
from bot.trends.corroboration import Corroboration, CorroborationOptions, corroborated
from bot.trends.series import BUCKET, PER_HOUR, Series, bucket_start
from bot.trends.surges import (
    Assessment,
    Prepared,
    SurgeOptions,
    assess,
    persists,
    raises,
    usual_per_hour,
)
from storage import digests, outbox, rules, subscribers, trends
from storage.database import Database
from storage.outbox import NewOutboxItem
from storage.rules import Rule
from storage.unixtime import to_ts

log = logging.getLogger(__name__)

CHECK_EVERY = timedelta(minutes=5)
# How far back stories are folded: a story that qualified earlier is still recognised when
# its later copies arrive, so it is told once however long it keeps spreading.
STORY_LOOKBACK = timedelta(hours=24)
_STORY_TEXTS = 20_000


@dataclass(frozen=True, slots=True)
class TrendOptions:
    surge: SurgeOptions = field(default_factory=SurgeOptions)
    corroboration: CorroborationOptions = field(default_factory=CorroborationOptions)


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check queued, per rule name."""

    surges: tuple[str, ...] = ()
    ended: tuple[str, ...] = ()
    stories: tuple[str, ...] = ()


def trend_options(settings: Settings) -> TrendOptions:
    """Surge and corroboration settings as the detection takes them."""
    return TrendOptions(
        SurgeOptions(window=settings.surge_window, min_count=settings.surge_min_hits),
        CorroborationOptions(settings.corroboration_channels, settings.corroboration_window),
    )


def history_start(end: datetime, options: SurgeOptions) -> datetime:
    """Where a rule's counts must start for the window ending at ``end`` to be judged."""
    return end - timedelta(weeks=WEEKS) - options.window - timedelta(hours=2)


async def rule_series(db: Database, rule: Rule, since: datetime, until: datetime) -> Series:
    """The rule's counts in ``[since, until)``, starting no earlier than its first stored hit:
    the weeks before it are unknown, not quiet, and must not teach the baseline silence."""
    first = await trends.first_hit(db, rule.id)
    since = min(max(since, bucket_start(first)), until) if first else until
    return Series.of_buckets(await trends.bucket_counts(db, rule.id, since, until), since, until)


def last_hours(series: Series, hours: int = SPARK_HOURS) -> list[int]:
    return series.hourly(max(0, len(series.counts) - hours * PER_HOUR))


class TrendWatch:
    def __init__(
        self,
        db: Database,
        default_zone: ZoneInfo,
        options: TrendOptions,
        *,
        clock: Clock,
        wake_deliverer: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.default_zone = default_zone
        self.options = options
        self.clock = clock
        self.wake_deliverer = wake_deliverer
        self.fingerprints = Fingerprints(max_texts=_STORY_TEXTS)

    async def check(self) -> CheckResult:
        now = self.clock.now()
        chats = audience.listening(
            [
                recipient(s, self.default_zone)
                for s in await subscribers.list_subscribers(self.db, active_only=True)
                if s.surges
            ]
        )
        raised: list[str] = []
        ended: list[str] = []
        told: list[str] = []
        for rule in await rules.list_rules(self.db, include_paused=False):
            surge_chats = [
                c for c in chats if audience.hears_surges(c, rule.name, marked=rule.surge)
            ]
            outcome = await self._surge(rule, surge_chats, now)
            if outcome == "raised":
                raised.append(rule.name)
            elif outcome == "ended":
                ended.append(rule.name)
            story_chats = [c for c in chats if audience.hears_stories(c, rule.name)]
            if story_chats:
                told += [rule.name] * await self._stories(rule, story_chats, now)
        await trends.forget_told(self.db, now - 2 * STORY_LOOKBACK)
        return CheckResult(tuple(raised), tuple(ended), tuple(told))

    async def _surge(self, rule: Rule, chats: Sequence[Recipient], now: datetime) -> str | None:
        """Raise or end the rule's episode; ``"raised"``, ``"ended"`` or ``None``."""
        current = await trends.open_episode(self.db, rule.id)
        if not chats and current is None:
            return None
        end = bucket_start(now)
        options = self.options.surge
        series = await rule_series(self.db, rule, history_start(end, options), end)
        prepared = Prepared.of(series)
        seen = assess(prepared, len(series.counts), options)
        if current is None:
            if seen is None or not raises(seen, options):
                return None
            hourly = last_hours(series)
            usual = usual_per_hour(prepared, len(series.counts), len(hourly))
            chart = surge_chart(hourly, usual, max(1, round(options.window / timedelta(hours=1))))
            await self._raise(rule, seen, hourly, chart, chats, now)
            return "raised"
        if seen is not None and persists(seen, options):
            return None
        # Only chats that were told it began hear that it is over.
        start = to_ts(current.started_at)
        told = await outbox.existing(
            self.db, [f"surge:{c.chat_id}:{rule.id}:{start}" for c in chats]
        )
        chats = [c for c in chats if f"surge:{c.chat_id}:{rule.id}:{start}" in told]
        async with self.db.transaction():
            await trends.end_episode(self.db, current.id, end)
            queued = await self._queue(
                [
                    NewOutboxItem(
                        dedup_key=f"surge-ended:{c.chat_id}:{rule.id}:{start}",
                        chat_id=c.chat_id,
                        kind="notice",
                        body=render_surge_ended(rule.name, current.started_at, end, c.zone),
                        not_before=audience.not_before(c, now),
                    )
                    for c in chats
                ]
            )
        self._wake(queued)
        log.info("surge ended", extra=fields(rule=rule.name, chats=len(chats)))
        return "ended"

    async def _raise(
        self,
        rule: Rule,
        seen: Assessment,
        hourly: list[int],
        chart: bytes,
        chats: Sequence[Recipient],
        now: datetime,
    ) -> None:
        window = self.options.surge.window
        async with self.db.transaction():
            if not await trends.start_episode(
                self.db, rule.id, seen.at, seen.observed, seen.expected
            ):
                return
            queued = await self._queue(
                [
                    NewOutboxItem(
                        dedup_key=f"surge:{c.chat_id}:{rule.id}:{to_ts(seen.at)}",
                        chat_id=c.chat_id,
                        kind="alert",
                        body=render_surge(rule.name, seen, window, hourly, c.zone),
                        not_before=audience.not_before(c, now),
                        chart=chart,
                    )
                    for c in chats
                ]
            )
        self._wake(queued)
        log.info(
            "surge raised",
            extra=fields(rule=rule.name, observed=seen.observed, expected=round(seen.expected, 2)),
        )

    async def _stories(self, rule: Rule, chats: Sequence[Recipient], now: datetime) -> int:
        """Queue the rule's newly corroborated stories; how many."""
        rows = await digests.hits_between(
            self.db, now - STORY_LOOKBACK, now + BUCKET, rules=[rule.name]
        )
        if len(rows) < self.options.corroboration.channels:
            return 0
        self.fingerprints.trim()
        stories = fold_stories([to_digest_hit(r) for r in rows], self.fingerprints)
        count = 0
        for found in corroborated(stories, self.options.corroboration):
            keys = [h.key for h in found.story.hits]
            async with self.db.transaction():
                known = await trends.told(self.db, rule.id, keys)
                await trends.mark_told(self.db, rule.id, keys, now)
                if known:
                    continue  # told already; its new posts now belong to it too
                queued = await self._queue(await self._story_rows(rule, found, chats, now))
            self._wake(queued)
            count += 1
        if count:
            log.info("stories corroborated", extra=fields(rule=rule.name, stories=count))
        return count

    async def _story_rows(
        self, rule: Rule, found: Corroboration, chats: Sequence[Recipient], now: datetime
    ) -> list[NewOutboxItem]:
        end = bucket_start(now) + BUCKET
        series = await rule_series(self.db, rule, end - timedelta(hours=SPARK_HOURS), end)
        first = found.first
        return [
            NewOutboxItem(
                dedup_key=(f"story:{c.chat_id}:{rule.id}:{first.channel_id}:{first.message_id}"),
                chat_id=c.chat_id,
                kind="alert",
                body=render_corroboration(rule.name, found, last_hours(series), c.zone),
                not_before=audience.not_before(c, now),
            )
            for c in chats
        ]

    async def _queue(self, items: Sequence[NewOutboxItem]) -> bool:
        return bool(items) and await outbox.enqueue(self.db, items) > 0

    def _wake(self, queued: bool) -> None:
        """After the commit: the deliverer must find the rows it is woken for."""
        if queued:
            self.wake_deliverer()
