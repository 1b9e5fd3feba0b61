"""What the reader's parts share: its options, its collaborators and the channels it follows.

The reader is split by job (work queue, sync, catch-up, live updates, reconnect). Each part is
a function of this one context rather than a method of one large class, so a part can be read
on its own and what it depends on is visible in one place.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta

from telethon import TelegramClient

from bot.clock import Clock, sleep_unless
from bot.config import Backfill
from bot.ops.metrics import Metrics
from bot.pipeline.deletions import DeletionLog
from bot.pipeline.ingest import Ingest
from bot.telegram.watched import WatchedChannels
from storage.database import Database


@dataclass(frozen=True)
class ReaderOptions:
    backfill: Backfill = field(default_factory=Backfill)
    short_flood: int = 60  # FloodWaits up to this many seconds are waited out in place
    album_wait: float = 0.5  # how long to wait for the rest of an album
    reconnect_delays: tuple[float, ...] = (1, 2, 5, 15, 30, 60)
    stop_grace: float = 10.0
    page_wait: float = 1.0  # pause between history pages of one channel, as Telethon advises
    # The deletion check (bot/telegram/deletion_check.py): hit posts this recent, this often
    # (at the first sweep after the period).
    check_window: timedelta = timedelta(days=7)
    check_period: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class ReaderContext:
    client: TelegramClient
    db: Database
    pipeline: Ingest  # the Pipeline (metered), or a test recorder
    options: ReaderOptions
    clock: Clock
    metrics: Metrics | None
    stopping: asyncio.Event
    watched: WatchedChannels
    deletions: DeletionLog

    async def sleep(self, seconds: float) -> None:
        """Sleep on the clock; a stop ends it, so a long FloodWait never holds the reader."""
        await sleep_unless(self.clock, seconds, self.stopping)
