"""Surge detection on simulated months: false surges per quiet month and how soon a 5x surge
is seen, for the statistic chanwatch uses and the ones it was chosen over.

Not a speed benchmark: it prints the figures behind ``bot/trends/statistic.py``'s choice
(README, Surges). Each rate runs ``SEEDS`` quiet months (tests/support/quiet_month.py: weekly
rhythm, day-to-day variation, reposts in clusters) and as many with a 5x surge of four hours
injected at a random daytime hour.
"""

from __future__ import annotations

import random
import statistics
from datetime import timedelta

from bench.report import emit
from bot.trends.surges import SurgeOptions, episodes
from tests.support.quiet_month import MONTH_DAYS, Surge, month_start, quiet_month

SEEDS = 12
RATES = (3, 30, 100, 300, 1000)
CANDIDATES = {
    "Poisson tail, alpha 1e-6": SurgeOptions(dispersion=0.0),
    "negative binomial 0.1, alpha 1e-5": SurgeOptions(dispersion=0.1, alpha=1e-5),
    "negative binomial 0.25, alpha 1e-6": SurgeOptions(dispersion=0.25),
    "chosen: negative binomial 0.15, alpha 1e-6, min 8": SurgeOptions(),
}


def measure(options: SurgeOptions, per_day: int) -> tuple[list[int], list[float | None]]:
    """False surges per quiet month, and each injected surge's delay in minutes (None: missed)."""
    false, delays = [], []
    for seed in range(SEEDS):
        series, start = quiet_month(per_day, seed)
        false.append(len(episodes(series, options, start)))
        rng = random.Random(1000 + seed)
        at = month_start() + timedelta(
            days=rng.randrange(2, MONTH_DAYS - 2), hours=rng.randrange(8, 18)
        )
        surged, start = quiet_month(per_day, seed, (Surge(at, 5.0),))
        seen = [e for e in episodes(surged, options, start) if e.start.at >= at]
        delay = (seen[0].start.at - at) / timedelta(minutes=1) if seen else None
        delays.append(delay if delay is not None and delay <= 240 else None)
    return false, delays


def main() -> None:
    for label, options in CANDIDATES.items():
        print(f"-- {label}")
        for per_day in RATES:
            false, delays = measure(options, per_day)
            window = options.window / timedelta(minutes=1)
            within = [d for d in delays if d is not None and d <= window]
            seen = [d for d in delays if d is not None]
            print(
                f"  {per_day:5}/day: false surges/month mean {statistics.mean(false):.2f}"
                f" max {max(false)}; 5x seen within the window {len(within)}/{len(delays)},"
                f" median delay {statistics.median(seen) if seen else float('nan'):.0f} min"
            )
            if label.startswith("chosen"):
                emit(
                    f"surges.false_{per_day}",
                    f"false surges in the worst of {SEEDS} quiet months ({per_day} hits/day)",
                    max(false),
                    "per month",
                    target=2,  # at most one
                    better="lower",
                )
                emit(
                    f"surges.detected_{per_day}",
                    f"5x surges seen within one window ({per_day} hits/day)",
                    100 * len(within) / len(delays),
                    "%",
                )
