"""The scheduler's trends check over a stored database: how long one run takes.

The check runs every five minutes on the service's event loop, so it must stay short: per
active rule one grouped count over four weeks of its hits, and a fold of its last day of hits
into stories. The database is the digest benchmark's (``bench/digest.py``: 14 days of
messages in 200 channels, 2 % of them hits of 20 rules, a third of those reposts), shared
under ``data/bench/``; here one chat subscribes to every rule, so every rule is judged for
surges and stories. Timed: a whole check (median of several) and one rule's counts alone.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from datetime import timedelta
from zoneinfo import ZoneInfo

from bench.digest import BENCH_DIR, END, fill_database
from bench.report import emit
from bot.trends.watch import TrendOptions, TrendWatch, history_start, rule_series
from storage import hits, rules, subscribers
from storage.database import open_database
from tests.support.clock import FakeClock

TARGET_MS = 1000.0  # a run every five minutes: well under a second keeps the loop free


async def bench(total: int, runs: int) -> None:
    path = BENCH_DIR / f"digest-{total}.db"
    if not path.exists():
        print(f"filling {path} (once; later runs reuse it)")
        await fill_database(path, total)
    db = await open_database(path)
    try:
        await subscribers.ensure(db, 777, kind="user", title=None)
        await subscribers.subscribe(db, 777, "all")
        every = await rules.list_rules(db)
        clock = FakeClock(END - timedelta(minutes=1))
        options = TrendOptions()
        times = []
        for _ in range(runs):
            watch = TrendWatch(db, ZoneInfo("UTC"), options, clock=clock)  # cold fingerprints
            started = time.perf_counter()
            await watch.check()
            times.append((time.perf_counter() - started) * 1000)
        counts = []
        for _ in range(runs):
            started = time.perf_counter()
            await rule_series(db, every[0], history_start(END, options.surge), END)
            counts.append((time.perf_counter() - started) * 1000)
        stored = await hits.count(db)
    finally:
        await db.close()
    check_ms, count_ms = statistics.median(times), statistics.median(counts)
    print(f"{stored:,} hits of {len(every)} rules; one trends check {check_ms:.0f} ms")
    emit(
        "trends.check",
        f"trends check, {len(every)} rules over {stored:,} hits",
        check_ms,
        "ms",
        TARGET_MS,
        "lower",
    )
    emit("trends.counts", "one rule's 4-week bucket counts", count_ms, "ms", better="lower")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000, help="stored messages")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    asyncio.run(bench(args.messages, args.runs))


if __name__ == "__main__":
    main()
