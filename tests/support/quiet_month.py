"""A simulated rule's hits: weeks of quiet news with a weekly rhythm, and injected surges.

What surge detection is measured on (tests/test_trends_surges.py, bench/surges.py). The
rhythm is what real channels show: nights at a quarter of the day's pace, weekends at 60%,
each day's level varying by ~30% (a busy news day is busy all day), and posts copied in
small clusters (a repost or two within the quarter hour). Nothing in it is a surge: every
alarm raised on it is a false one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.trends.series import BUCKET, PER_HOUR, Series

START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
LEARN_WEEKS = 4
MONTH_DAYS = 30
_DAY = 24 * PER_HOUR
# Share of the day's hits in each hour (UTC), night to evening.
_HOURS = (
    [0.25] * 6
    + [0.6, 0.9, 1.2, 1.3, 1.4, 1.4, 1.4, 1.3, 1.3, 1.3, 1.2, 1.2, 1.2, 1.1, 1.0]
    + [0.9, 0.7, 0.4]
)
_WEEKDAY = (1.1, 1.1, 1.1, 1.1, 1.0, 0.6, 0.6)
_DAY_CV = 0.3
_CLUSTER = 0.35  # chance that a hit brings one more copy with it, repeatedly


@dataclass(frozen=True, slots=True)
class Surge:
    """Hits at ``factor`` times the usual pace of those hours (the usual pace plus the rest)."""

    at: datetime
    factor: float
    length: timedelta = timedelta(hours=4)


def quiet_month(per_day: float, seed: int, surges: tuple[Surge, ...] = ()) -> tuple[Series, int]:
    """The series (learning weeks, then the month) and the index where the month starts."""
    rng = random.Random(seed)
    days = LEARN_WEEKS * 7 + MONTH_DAYS
    shape = sum(_HOURS) / 24
    shape_week = sum(_WEEKDAY) / 7
    counts: list[int] = []
    for day in range(days):
        level = rng.gammavariate(1 / _DAY_CV**2, _DAY_CV**2)
        weekday = _WEEKDAY[(START + timedelta(days=day)).weekday()] / shape_week
        for bucket in range(_DAY):
            usual = per_day / _DAY * weekday * _HOURS[bucket // PER_HOUR] / shape
            rate = usual * level
            moment = START + BUCKET * (day * _DAY + bucket)
            for surge in surges:
                if surge.at <= moment < surge.at + surge.length:
                    rate += usual * (surge.factor - 1)
            counts.append(_clustered(rng, _poisson(rng, rate / (1 + _CLUSTER / (1 - _CLUSTER)))))
    return Series(START, tuple(counts)), LEARN_WEEKS * 7 * _DAY


def month_start() -> datetime:
    return START + timedelta(weeks=LEARN_WEEKS)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _clustered(rng: random.Random, posts: int) -> int:
    total = 0
    for _ in range(posts):
        total += 1
        while rng.random() < _CLUSTER:
            total += 1
    return total
