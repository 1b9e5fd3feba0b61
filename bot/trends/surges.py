"""Surge episodes of one rule's hit counts (pure: the same walk serves the service, the
backtest and ``chanwatch trends``).

A window (``SurgeOptions.window``, the last two hours by default) is a surge when it holds at
least ``min_count`` hits and the negative-binomial tail of its count under the baseline
(``statistic.tail``, ``baseline.expected``) is below ``alpha``. An episode starts at the end
of the first such window and lasts while windows stay above the baseline at the looser
``end_alpha``: one alert per episode, however many hits keep coming, and one "ended" note
when it subsides. The defaults were chosen on the simulated quiet month (README, Surges).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.trends.baseline import clustering, expected, successive_squares
from bot.trends.series import BUCKET, PER_HOUR, Series, totals
from bot.trends.statistic import DISPERSION, tail


@dataclass(frozen=True, slots=True)
class SurgeOptions:
    window: timedelta = timedelta(hours=2)
    alpha: float = 1e-6
    end_alpha: float = 0.01
    min_count: int = 8
    dispersion: float = DISPERSION

    @property
    def width(self) -> int:
        return max(1, int(self.window / BUCKET))


@dataclass(frozen=True, slots=True)
class Assessment:
    """One window: its end, its count, what the baseline predicted, and the tail."""

    at: datetime
    observed: int
    expected: float
    p_value: float

    @property
    def ratio(self) -> float:
        return self.observed / self.expected if self.expected > 0 else float("inf")


@dataclass(frozen=True, slots=True)
class Episode:
    """A surge: from the window that raised it to the first that no longer stood out."""

    start: Assessment
    peak: Assessment
    ended: datetime | None = None


@dataclass(frozen=True, slots=True)
class Prepared:
    """A series with the prefix sums every assessment of it reads."""

    series: Series
    sums: list[int]
    squares: list[int]

    @classmethod
    def of(cls, series: Series) -> Prepared:
        return cls(series, totals(series.counts), successive_squares(series.counts))


def assess(prepared: Prepared, end: int, options: SurgeOptions) -> Assessment | None:
    """The window of buckets ending before bucket ``end``; ``None`` without enough history."""
    series, sums = prepared.series, prepared.sums
    first = end - options.width
    if first < 0 or end > len(series.counts):
        return None
    predicted = expected(series.counts, sums, first, options.width)
    if predicted is None:
        return None
    observed = sums[end] - sums[first]
    clumps = clustering(prepared.squares, sums, first)
    p_value = tail(observed, predicted, options.dispersion, clumps)
    return Assessment(series.time_of(end), observed, predicted, p_value)


def usual_per_hour(prepared: Prepared, end: int, hours: int) -> list[float]:
    """What the baseline expected in each of the ``hours`` hours before bucket ``end``,
    oldest first (0 where there was not enough history): the chart's line."""
    out = []
    for hour in range(hours, 0, -1):
        first = end - hour * PER_HOUR
        predicted = (
            expected(prepared.series.counts, prepared.sums, first, PER_HOUR) if first >= 0 else None
        )
        out.append(predicted or 0.0)
    return out


def raises(assessment: Assessment, options: SurgeOptions) -> bool:
    return assessment.observed >= options.min_count and assessment.p_value < options.alpha


def persists(assessment: Assessment, options: SurgeOptions) -> bool:
    return assessment.p_value < options.end_alpha


def episodes(series: Series, options: SurgeOptions, since: int = 0) -> list[Episode]:
    """Every episode whose window ends at a bucket boundary from bucket ``since`` on."""
    prepared = Prepared.of(series)
    found: list[Episode] = []
    current: Episode | None = None
    for end in range(max(since, options.width), len(series.counts) + 1):
        seen = assess(prepared, end, options)
        if seen is None:
            continue
        if current is None:
            if raises(seen, options):
                current = Episode(seen, seen)
        elif persists(seen, options):
            if seen.observed > current.peak.observed:
                current = Episode(current.start, seen)
        else:
            found.append(Episode(current.start, current.peak, seen.at))
            current = None
    if current is not None:
        found.append(current)
    return found
