"""Surge detection on simulated months (tests/support/quiet_month.py): how many false surges a
quiet month with a weekly rhythm raises, and how soon an injected 5x surge is seen.

The figures are printed (``-s``) and kept in README's Surges section; bench/surges.py runs
more seeds and the alternatives the statistic was chosen over.
"""

from __future__ import annotations

import random
import struct
import zlib
from datetime import timedelta

import pytest

from bot.digest.render import sparkline
from bot.text.chart import surge_chart
from bot.trends.series import BUCKET, Series, bucket_start
from bot.trends.statistic import tail
from bot.trends.surges import SurgeOptions, episodes
from tests.support.quiet_month import MONTH_DAYS, START, Surge, month_start, quiet_month

OPTIONS = SurgeOptions()


@pytest.mark.parametrize("per_day", [3, 30, 100, 300, 1000])
def test_a_quiet_month_raises_at_most_one_false_surge(per_day: int) -> None:
    raised = []
    for seed in range(4):
        series, start = quiet_month(per_day, seed)
        raised.append(len(episodes(series, OPTIONS, start)))
    print(f"\n{per_day}/day: false surges per month over 4 months: {raised}")
    assert max(raised) <= 1


@pytest.mark.parametrize("per_day", [300, 1000])
def test_an_injected_5x_surge_is_seen_within_one_window(per_day: int) -> None:
    delays = []
    for seed in range(4):
        rng = random.Random(seed)
        at = month_start() + timedelta(
            days=rng.randrange(2, MONTH_DAYS - 2), hours=rng.randrange(8, 18)
        )
        series, start = quiet_month(per_day, seed, (Surge(at, 5.0),))
        found = [e for e in episodes(series, OPTIONS, start) if e.start.at >= at]
        assert found, f"seed {seed}: no surge after {at}"
        delays.append(found[0].start.at - at)
    minutes = [int(d / timedelta(minutes=1)) for d in delays]
    print(f"\n{per_day}/day: 5x surge seen after {minutes} min")
    assert max(delays) <= OPTIONS.window


def test_one_episode_per_surge_and_it_ends() -> None:
    at = month_start() + timedelta(days=10, hours=12)
    series, start = quiet_month(300, 7, (Surge(at, 5.0, length=timedelta(hours=8)),))
    found = [e for e in episodes(series, OPTIONS, start) if e.start.at >= at]
    assert len(found) == 1
    assert found[0].ended is not None
    assert at + timedelta(hours=8) <= found[0].ended <= at + timedelta(hours=8) + 2 * OPTIONS.window
    assert found[0].peak.observed >= found[0].start.observed


def test_a_silent_rule_surges_on_a_burst_but_not_on_a_few_hits() -> None:
    since = START
    dates = [since + timedelta(days=d, hours=10) for d in range(0, 14, 3)]  # a hit every 3 days
    burst = since + timedelta(days=15, hours=9)
    few = [*dates, *(burst + timedelta(minutes=10 * i) for i in range(OPTIONS.min_count - 1))]
    many = [*dates, *(burst + timedelta(minutes=5 * i) for i in range(20))]
    until = burst + timedelta(hours=3)
    assert episodes(Series.of_dates(few, since, until), OPTIONS) == []
    (episode,) = episodes(Series.of_dates(many, since, until), OPTIONS)
    assert burst < episode.start.at <= burst + OPTIONS.window


def test_no_surge_without_a_day_of_history() -> None:
    now = START + timedelta(hours=20)
    dates = [now - timedelta(minutes=i) for i in range(50)]
    assert episodes(Series.of_dates(dates, START, now + BUCKET), OPTIONS) == []


def test_the_tail_is_poisson_without_dispersion_and_wider_with_it() -> None:
    assert tail(0, 3.0) == 1.0
    assert tail(10, 3.0, dispersion=0) == pytest.approx(0.0011025, rel=1e-3)  # Poisson(3)
    assert tail(10, 3.0, dispersion=0.5) > tail(10, 3.0, dispersion=0)
    assert tail(30, 3.0, dispersion=0.1) < 1e-9
    assert tail(20, 10.0, clustering=2.0) > tail(20, 10.0)


def test_buckets_are_quarter_hours_on_the_epoch() -> None:
    moment = START + timedelta(hours=3, minutes=37, seconds=5)
    assert bucket_start(moment) == START + timedelta(hours=3, minutes=30)
    series = Series.of_dates([moment, moment, START], START, START + timedelta(hours=4))
    assert len(series.counts) == 16
    assert series.counts[0] == 1 and series.counts[14] == 2
    assert series.hourly() == [1, 0, 0, 2]


def test_the_alert_sparkline_is_the_digest_one() -> None:
    assert sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█"
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([]) == ""


def test_the_chart_is_a_png_with_the_surge_hours_in_red() -> None:
    hourly = [3, 4, 2, 5] * 11 + [4, 30, 40, 38]
    png = surge_chart(hourly, [3.5] * 48, surge_hours=2)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (480, 160)
    length = struct.unpack(">I", png[33:37])[0]
    raw = zlib.decompress(png[41 : 41 + length])
    rows = [raw[y * (1 + 3 * width) + 1 : (y + 1) * (1 + 3 * width)] for y in range(height)]
    red = {
        (x, y)
        for y, row in enumerate(rows)
        for x in range(width)
        if row[3 * x : 3 * x + 3] == bytes((214, 69, 65))
    }
    last_two = 8 + round(46 * (width - 16) / 48)  # where the 47th bar starts
    assert red and min(x for x, _ in red) > last_two  # only the last two hours are red
