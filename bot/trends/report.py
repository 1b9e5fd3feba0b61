"""``chanwatch trends`` and the backtest's surges as text (pure): per rule its counts over a
period, what its baseline expected, and the episodes the detection finds, each with a line
of blocks.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.digest.render import sparkline
from bot.text.durations import spell_elapsed
from bot.trends.series import BUCKET, Series
from bot.trends.surges import Episode, Prepared, SurgeOptions, assess, episodes

WIDTH = 48


@dataclass(frozen=True, slots=True)
class RuleTrend:
    """One rule over ``[since, series.end)``: its count, its baseline's, its episodes."""

    rule: str
    marked: bool  # surge = true in the watchlist
    series: Series
    since: int  # the bucket where the period starts
    hits: int
    expected: float | None  # None: not enough history before the period
    episodes: tuple[Episode, ...]
    alerted: frozenset[datetime] = frozenset()  # episode starts that were told


def rule_trend(
    rule: str,
    series: Series,
    since: datetime,
    options: SurgeOptions,
    *,
    marked: bool = False,
    alerted: frozenset[datetime] = frozenset(),
) -> RuleTrend:
    """Measure the period from ``since`` to the series' end; earlier buckets are history."""
    start = max(0, min(len(series.counts), series.index_of(since)))
    prepared = Prepared.of(series)
    expected: float | None = 0.0
    for end in range(start + options.width, len(series.counts) + 1, options.width):
        seen = assess(prepared, end, options)
        if seen is None:
            expected = None
            break
        expected = (expected or 0.0) + seen.expected
    found = episodes(series, options, start + options.width)
    hits = sum(series.counts[start:])
    return RuleTrend(rule, marked, series, start, hits, expected, tuple(found), alerted)


def matched_surges(
    dates: Sequence[datetime], first: datetime | None, until: datetime, options: SurgeOptions
) -> list[Episode]:
    """The surges a backtest's matches would have raised: history starts at the oldest
    message scanned (``first``; ``None``, nothing scanned, none)."""
    if first is None:
        return []
    return episodes(Series.of_dates(dates, first, until), options)


def slices(counts: Sequence[int], width: int = WIDTH) -> list[int]:
    """``counts`` summed into ``width`` equal slices (fewer when there are fewer counts)."""
    if len(counts) <= width:
        return list(counts)
    edges = [round(i * len(counts) / width) for i in range(width + 1)]
    return [sum(counts[a:b]) for a, b in itertools.pairwise(edges)]


def render_trends(trends: Sequence[RuleTrend], zone: ZoneInfo) -> str:
    lines: list[str] = []
    for trend in trends:
        period = trend.series.counts[trend.since :]
        length = spell_elapsed(BUCKET * len(period))
        usual = "no baseline yet" if trend.expected is None else f"usual {trend.expected:.0f}"
        mark = " [surge alerts]" if trend.marked else ""
        lines.append(f"{trend.rule}{mark}: {trend.hits} hits in {length}, {usual}")
        lines.append(f"  {sparkline(slices(period))}")
        if not trend.episodes:
            lines.append("  no surges")
        for episode in trend.episodes:
            lines.append("  " + describe(episode, zone, told=episode.start.at in trend.alerted))
        lines.append("")
    return "\n".join(lines).rstrip() + "\n" if lines else "no rules\n"


def describe(episode: Episode, zone: ZoneInfo, *, told: bool = False) -> str:
    start, peak = episode.start, episode.peak
    ended = f"until {_at(episode.ended, zone)}" if episode.ended else "still going"
    note = ", alerted" if told else ""
    return (
        f"surge {_at(start.at, zone)} {ended}: {start.observed} hits in the window"
        f" vs {start.expected:.1f} usual, peak {peak.observed}{note}"
    )


def _at(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
