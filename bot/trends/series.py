"""Hit counts per 15-minute bucket: what surge detection reads.

A quarter of an hour is short enough that a surge is seen within minutes of the window's end,
and long enough that a month of one rule is a few thousand integers. Buckets are aligned to
the Unix epoch, so every caller (the service, ``chanwatch trends``, the backtest) cuts time
at the same boundaries and finds the same episodes in the same history.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

BUCKET = timedelta(minutes=15)
BUCKET_S = int(BUCKET.total_seconds())
PER_HOUR = 4
PER_WEEK = 7 * 24 * PER_HOUR


def bucket_start(moment: datetime) -> datetime:
    """The start of the bucket holding ``moment`` (aware)."""
    ts = int(moment.timestamp())
    return datetime.fromtimestamp(ts - ts % BUCKET_S, UTC)


@dataclass(frozen=True, slots=True)
class Series:
    """Counts of consecutive buckets, the first starting at ``start`` (bucket-aligned)."""

    start: datetime
    counts: tuple[int, ...]

    @classmethod
    def of_dates(cls, dates: Iterable[datetime], since: datetime, until: datetime) -> Series:
        """Bucket hit dates in ``[since, until)``; both ends are rounded down to a bucket."""
        first, last = bucket_start(since), bucket_start(until)
        counts = [0] * (int((last - first) / BUCKET))
        for date in dates:
            index = int((date - first) / BUCKET)
            if 0 <= index < len(counts):
                counts[index] += 1
        return cls(first, tuple(counts))

    @classmethod
    def of_buckets(
        cls, buckets: Iterable[tuple[int, int]], since: datetime, until: datetime
    ) -> Series:
        """From ``(bucket start as unix seconds, count)`` pairs, as storage sums them."""
        first, last = bucket_start(since), bucket_start(until)
        counts = [0] * (int((last - first) / BUCKET))
        origin = int(first.timestamp())
        for ts, count in buckets:
            index = (ts - origin) // BUCKET_S
            if 0 <= index < len(counts):
                counts[index] += count
        return cls(first, tuple(counts))

    @property
    def end(self) -> datetime:
        return self.start + BUCKET * len(self.counts)

    def time_of(self, index: int) -> datetime:
        return self.start + BUCKET * index

    def index_of(self, moment: datetime) -> int:
        return int((bucket_start(moment) - self.start) / BUCKET)

    def hourly(self, since: int = 0) -> list[int]:
        """Counts per hour from bucket ``since`` on (a last partial hour is summed as is)."""
        rest = self.counts[since:]
        return [sum(rest[i : i + PER_HOUR]) for i in range(0, len(rest), PER_HOUR)]


def totals(counts: Sequence[int]) -> list[int]:
    """Prefix sums: ``totals[j] - totals[i]`` is the count of buckets ``i..j-1``."""
    out = [0]
    for count in counts:
        out.append(out[-1] + count)
    return out
