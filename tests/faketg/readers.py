"""Start chanwatch's Reader against a FakeTelegram, with time and sleeps under test control."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telethon import TelegramClient

from bot.config import Backfill
from bot.telegram.reader import Reader, ReaderOptions
from bot.telegram.refs import parse_channel_ref
from storage import channels
from storage.database import Database
from tests.faketg.client import make_client
from tests.faketg.recording import RecordingIngest
from tests.faketg.world import FakeTelegram


@dataclass
class Clock:
    """Wall time for the reader; sleeps advance it instead of waiting."""

    now: datetime
    slept: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Harness:
    world: FakeTelegram
    db: Database
    client: TelegramClient
    sink: RecordingIngest
    reader: Reader
    clock: Clock

    async def stop(self) -> None:
        await self.reader.stop()
        await self.client.disconnect()

    async def state(self, ref: str) -> tuple[str, str | None]:
        row = await channels.find(self.db, ref=ref)
        assert row is not None
        return row.state, row.state_detail


async def start_reader(
    world: FakeTelegram,
    db: Database,
    refs: list[str],
    *,
    backfill: Backfill | None = None,
    sink: RecordingIngest | None = None,
    sync: bool = True,
) -> Harness:
    for ref in refs:
        await channels.watch(db, parse_channel_ref(ref).canonical)
    clock = Clock(world.now)
    client = await make_client(world)
    options = ReaderOptions(
        backfill=backfill or Backfill(messages=200),
        sweep_every=3600,
        album_wait=0.05,
        reconnect_delays=(0.01,),
        page_wait=0,
    )
    recorder = sink or RecordingIngest()
    reader = Reader(client, db, recorder, options, clock=clock, sleep=clock.sleep)
    await reader.start()
    if sync:
        await reader.sync()
    return Harness(world, db, client, recorder, reader, clock)
