"""``chanwatch trends`` and the surges of ``chanwatch backtest`` over a stored week with one
burst: counts, baseline, the surge found (and marked when the service alerted it), a line of
blocks; bad arguments are one line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.trends.series import bucket_start
from bot.trends.watch import TrendOptions, TrendWatch
from storage import subscribers
from storage.database import open_database
from tests.support.clock import FakeClock
from tests.support.exports import run_cli
from tests.support.trend_posts import prepare, quiet_posts, store

NOW = bucket_start(datetime.now(UTC))
BURST = NOW - timedelta(hours=6)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trends") / "c.db"
    asyncio.run(_store(path))
    return path


async def _store(path: Path) -> None:
    db = await open_database(path)
    try:
        await prepare(db)
        await store(db, quiet_posts(NOW - timedelta(days=8), BURST, per_hour=4))
        await store(db, quiet_posts(BURST, BURST + timedelta(hours=1), 40, 9, 50_000))
        await store(db, quiet_posts(BURST + timedelta(hours=1), NOW, 4, 11, 60_000))
        await subscribers.ensure(db, 5, kind="user", title=None)
        await subscribers.subscribe(db, 5, "rule:kndr")
        # the service's check, at the time it would have run during the burst
        clock = FakeClock(BURST + timedelta(hours=1, minutes=1))
        assert (await TrendWatch(db, UTC, TrendOptions(), clock=clock).check()).surges
    finally:
        await db.close()


def test_trends_prints_counts_baseline_and_the_surge(stored: Path) -> None:
    code, out, err = run_cli(["--db", str(stored), "trends", "--since", "24h"])
    assert (code, err) == (0, "")
    head, spark, surge, *rest = out.splitlines()
    assert head.startswith("kndr [surge alerts]: ") and " hits in 1 d, usual " in head
    assert len(spark.strip()) == 48 and set(spark.strip()) <= set("▁▂▃▄▅▆▇█")
    assert surge.startswith(f"  surge {BURST:%Y-%m-%d} ")
    assert "hits in the window vs" in surge and surge.endswith(", alerted")
    assert rest == []


def test_trends_before_the_burst_has_no_surge(stored: Path) -> None:
    code, out, _ = run_cli(["--db", str(stored), "trends", "--since", "4h", "--rule", "kndr"])
    assert code == 0
    assert out.splitlines()[2] == "  no surges"


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["trends", "--since", "soon"], "--since 'soon': give a period like 24h, 7d or 2w"),
        (["trends", "--rule", "nosuch"], "--rule: no rule named 'nosuch'"),
    ],
)
def test_bad_arguments_are_one_line(stored: Path, argv: list[str], says: str) -> None:
    code, out, err = run_cli(["--db", str(stored), *argv])
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"chanwatch: error: {says}"]


def test_backtest_shows_the_surge_the_query_would_have_raised(stored: Path) -> None:
    query = 'КНДР OR північнокорейськ* OR "North Korea"'
    code, out, _ = run_cli(["--db", str(stored), "backtest", query, "--since", "30d"])
    assert code == 0
    lines = out.splitlines()
    at = lines.index("surges it would have raised: 1")
    assert lines[at + 1].startswith(f"  surge {BURST:%Y-%m-%d} ")
    code, out, _ = run_cli(["--db", str(stored), "backtest", "Курск", "--since", "30d"])
    assert "surges it would have raised: none" in out.splitlines()
