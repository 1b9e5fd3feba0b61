"""Processes for the SIGKILL tests: each opens a database the test prepared, does the real
work of the service until a pause point, writes a marker file and waits there to be killed.

Run from the repository root as ``python -m tests.support.kill_targets digest|ingest ...``. Pause
points sit on either side of a commit, so the test can check that a kill leaves all of the
interrupted step or none of it:

- ``uncommitted``: inside the transaction, from a SQLite function called by a ``TEMP``
  trigger on this process's connection (no product code is patched). For a digest, after the
  outbox rows and ``last_digest_at`` are written, just before ``COMMIT``; for ingest, at the
  first outbox row of the chosen batch, after its messages and hits are written.
- ``committed``: after the commit, before the process would go on (the digest scheduler's
  ``queued`` callback; for ingest, once the chosen batch is synced).

``trends`` is the scheduler's trends check over a prepared database (a surge and a story to
tell): ``uncommitted`` holds at its first outbox row (the surge's episode written with it),
``committed`` once that transaction is committed.

``deletion`` is the reader's start-up after an alerted post was deleted while it was down:
its catch-up check finds the post gone; ``uncommitted`` holds at the "deleted" notice's
insert (the deletion flag written with it), ``committed`` once the start-up sync is done.

The live-ingest world (channels, posts in batches) is built here, so the killed process and
the test's reference and restart runs see the very same posts.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from telethon import types

from bot.ops.scheduler import Scheduler
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.trends.watch import TrendOptions, TrendWatch
from storage.database import Database, open_database
from tests.faketg import FakeTelegram, push
from tests.faketg.readers import start_pipeline_reader, start_reader_into
from tests.support.clock import FakeClock

Pause = Literal["uncommitted", "committed"]
PAUSES: tuple[Pause, ...] = ("uncommitted", "committed")
KYIV = ZoneInfo("Europe/Kyiv")
# Long enough for any test to send its SIGKILL; short enough that a stray child ends itself.
HOLD_SECONDS = 60.0

LIVE_CHANNELS = (
    ("svodki_front", "Фронтовые сводки"),
    ("novyny_sumy", "Новини Сумщини"),
    ("border_watch", "Border Watch"),
)
LIVE_REFS = [f"@{username}" for username, _ in LIVE_CHANNELS]
# Per channel language: a post for the instant rule, one for the digest rule, one for neither.
_LIVE_TEXTS = (
    (
        "Колонна военных КНДР замечена под Курском, сводка №{n}.",
        "В Белгороде ночью снова работала ПВО, сообщение №{n}.",
        "Погода на выходные: дожди и до +{n} градусов.",
    ),
    (
        "Північнокорейські військові помічені на Курщині, зведення №{n}.",
        "Обстріл Белгорода вночі, повідомлення №{n}.",
        "У Сумах відкрили новий пункт незламності №{n}.",
    ),
    (
        "North Korean units seen near Kursk, report #{n}.",
        "Air defence active over Belgorod overnight, report #{n}.",
        "Bridge repairs in the region finished ahead of schedule, update #{n}.",
    ),
)
LIVE_BATCHES = 9
BATCH_SIZE = len(_LIVE_TEXTS[0])


@dataclass
class LiveWorld:
    world: FakeTelegram
    channels: list[types.Channel]

    def batches(self) -> Iterator[list[Any]]:
        """Post each batch (three posts to one channel) and yield the updates Telegram pushes.

        Posting is lazy: a batch lands in the channel's history only when the caller asks for
        it, as a live post would.
        """
        for number in range(LIVE_BATCHES):
            index = number % len(self.channels)
            channel = self.channels[index]
            yield [self.world.post(channel, t.format(n=number)) for t in _LIVE_TEXTS[index]]

    def post_all(self) -> None:
        """Every batch lands in history with nobody listening: the posts of a restart."""
        for _ in self.batches():
            pass


def live_world() -> LiveWorld:
    """The same Telegram world every time: three channels with one old post each."""
    world = FakeTelegram()
    made = [world.add_channel(u, title, posts=["Доброе утро"]) for u, title in LIVE_CHANNELS]
    return LiveWorld(world, made)


DELETED_POST = "Колонна военных КНДР замечена под Курском, сводка №1."


def deletion_world() -> tuple[FakeTelegram, types.Channel]:
    """The same channel every time: an alerted post (id 1) and a quiet one."""
    world = FakeTelegram()
    channel = world.add_channel(
        "svodki_front", "Фронтовые сводки", posts=[DELETED_POST, "Доброе утро"]
    )
    return world, channel


async def read_after_deletion(db: Database) -> None:
    """Start the reader (with change notices) on the world where post 1 is gone, and stop."""
    world, channel = deletion_world()
    world.delete(channel, 1)  # while nobody listened
    harness = await start_pipeline_reader(world, db, [], KYIV)
    await harness.stop()


def _hold(marker: Path) -> None:
    """Tell the test where we are, then wait for its SIGKILL (blocking on purpose)."""
    marker.write_text("paused", encoding="utf-8")
    time.sleep(HOLD_SECONDS)


async def _hold_inside_transaction(db: Database, trigger: str, marker: Path) -> list[bool]:
    """Install ``trigger`` (whose body calls ``hold()``) on this connection only; returns the
    switch that arms it, so earlier statements on the same table pass."""
    armed = [False]

    def hold() -> None:
        if armed[0]:
            _hold(marker)

    await db.conn.create_function("hold", 0, hold)
    await db.conn.execute(trigger)
    return armed


async def digest(db_path: Path, now: datetime, pause: Pause, marker: Path) -> None:
    """The start-up catch-up of the digest scheduler, at a fixed ``now``."""
    db = await open_database(db_path)
    queued = None
    if pause == "uncommitted":
        armed = await _hold_inside_transaction(
            db,
            "CREATE TEMP TRIGGER hold_digest AFTER UPDATE OF last_digest_at ON subscribers"
            " BEGIN SELECT hold(); END",
            marker,
        )
        armed[0] = True
    else:

        def queued() -> None:
            _hold(marker)

    scheduler = Scheduler(db, default_zone=KYIV, clock=FakeClock(now), wake_deliverer=queued)
    await scheduler.start()
    raise SystemExit("the digest catch-up finished without reaching its pause point")


async def ingest(db_path: Path, batch: int, pause: Pause, marker: Path) -> None:
    """The live reader over the fake Telegram into the real pipeline, one batch at a time."""
    db = await open_database(db_path)
    armed = await _hold_inside_transaction(
        db,
        "CREATE TEMP TRIGGER hold_ingest BEFORE INSERT ON outbox BEGIN SELECT hold(); END",
        marker,
    )
    live = live_world()
    pipeline = Pipeline(db, router=OutboxRouter(KYIV))
    harness = await start_reader_into(pipeline, live.world, db, LIVE_REFS)
    for number, updates in enumerate(live.batches(), 1):
        armed[0] = pause == "uncommitted" and number == batch
        await push(harness.client, live.world, *updates)
        await harness.reader.sync()
        if pause == "committed" and number == batch:
            _hold(marker)
    raise SystemExit("ingest finished without reaching its pause point")


async def deletion(db_path: Path, pause: Pause, marker: Path) -> None:
    db = await open_database(db_path)
    armed = await _hold_inside_transaction(
        db,
        "CREATE TEMP TRIGGER hold_notice BEFORE INSERT ON outbox BEGIN SELECT hold(); END",
        marker,
    )
    armed[0] = pause == "uncommitted"
    await read_after_deletion(db)
    if pause == "committed":
        _hold(marker)
    raise SystemExit("the deletion check finished without reaching its pause point")


async def trends(db_path: Path, now: datetime, pause: Pause, marker: Path) -> None:
    db = await open_database(db_path)
    armed = await _hold_inside_transaction(
        db,
        "CREATE TEMP TRIGGER hold_trends BEFORE INSERT ON outbox BEGIN SELECT hold(); END",
        marker,
    )
    armed[0] = pause == "uncommitted"

    def queued() -> None:
        if pause == "committed":
            _hold(marker)

    watch = TrendWatch(db, KYIV, TrendOptions(), clock=FakeClock(now), wake_deliverer=queued)
    await watch.check()
    raise SystemExit("the trends check finished without reaching its pause point")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.kill_targets")
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--marker", type=Path, required=True)
    parser.add_argument("--pause", choices=PAUSES, required=True)
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("digest").add_argument("--now", type=datetime.fromisoformat, required=True)
    steps.add_parser("ingest").add_argument("--batch", type=int, required=True)
    steps.add_parser("deletion")
    steps.add_parser("trends").add_argument("--now", type=datetime.fromisoformat, required=True)
    args = parser.parse_args()
    if args.step == "trends":
        asyncio.run(trends(args.db, args.now, args.pause, args.marker))
    elif args.step == "digest":
        asyncio.run(digest(args.db, args.now, args.pause, args.marker))
    elif args.step == "deletion":
        asyncio.run(deletion(args.db, args.pause, args.marker))
    else:
        asyncio.run(ingest(args.db, args.batch, args.pause, args.marker))


if __name__ == "__main__":
    main()
