"""Start chanwatch's Reader against a FakeTelegram, with time and sleeps under test control."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, TypedDict, TypeVar, Unpack
from zoneinfo import ZoneInfo

from telethon import TelegramClient

from bot.config import Backfill
from bot.ops.metrics import Metrics
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.deletions import DeletionLog
from bot.pipeline.ingest import Ingest, Pipeline
from bot.telegram.reader import Reader, ReaderOptions
from bot.telegram.refs import parse_channel_ref
from storage import channels
from storage.database import Database
from tests.faketg.client import make_client
from tests.faketg.recording import RecordingIngest
from tests.faketg.world import FakeTelegram
from tests.support.clock import FakeClock

KYIV = ZoneInfo("Europe/Kyiv")


S = TypeVar("S", bound=Ingest)


@dataclass
class Harness(Generic[S]):
    world: FakeTelegram
    db: Database
    client: TelegramClient
    sink: S
    reader: Reader
    clock: FakeClock

    async def stop(self) -> None:
        await self.reader.stop()
        await self.client.disconnect()

    async def state(self, ref: str) -> tuple[str, str | None]:
        row = await channels.find(self.db, ref=ref)
        assert row is not None
        return row.state, row.state_detail


class ReaderKnobs(TypedDict, total=False):
    """What a test may change about the reader; the rest is fixed for speed and order."""

    backfill: Backfill | None
    sync: bool
    metrics: Metrics | None
    reconnect_delays: tuple[float, ...]
    deletions: DeletionLog | None
    check_period: timedelta


async def start_reader(
    world: FakeTelegram, db: Database, refs: list[str], **knobs: Unpack[ReaderKnobs]
) -> Harness[RecordingIngest]:
    """The reader over a recording stand-in for the pipeline."""
    return await start_reader_into(RecordingIngest(db), world, db, refs, **knobs)


async def start_pipeline_reader(
    world: FakeTelegram,
    db: Database,
    refs: list[str],
    zone: ZoneInfo = KYIV,
    **knobs: Unpack[ReaderKnobs],
) -> Harness[Pipeline]:
    """The reader over the real pipeline with its alert router and change notices, as
    ``chanwatch run`` wires them."""
    router = OutboxRouter(zone)
    knobs.setdefault("deletions", DeletionLog(router.changes))
    return await start_reader_into(Pipeline(db, router=router), world, db, refs, **knobs)


async def start_reader_into(
    sink: S, world: FakeTelegram, db: Database, refs: list[str], **knobs: Unpack[ReaderKnobs]
) -> Harness[S]:
    """The reader feeding ``sink`` (e.g. the real ``Pipeline``), on a clock the test controls."""
    for ref in refs:
        await channels.watch(db, parse_channel_ref(ref).canonical)
    clock = FakeClock(world.now)
    client = await make_client(world)
    options = ReaderOptions(
        backfill=knobs.get("backfill") or Backfill(messages=200),
        album_wait=0.05,
        reconnect_delays=knobs.get("reconnect_delays", (0.01,)),
        page_wait=0,
        check_period=knobs.get("check_period", timedelta(hours=1)),
    )
    reader = Reader(
        client,
        db,
        sink,
        options,
        clock=clock,
        metrics=knobs.get("metrics"),
        deletions=knobs.get("deletions"),
    )
    await reader.start()
    if knobs.get("sync", True):
        await reader.sync()
    return Harness(world, db, client, sink, reader, clock)
