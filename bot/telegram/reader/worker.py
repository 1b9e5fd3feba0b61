"""The live reader: follow every watched channel and never miss or double a post.

One worker task does all channel work in order, from one queue: syncs (resolve, join,
catch-up) and live updates, so a channel's messages reach the pipeline in order and a live
update that arrives during a catch-up waits behind it and is merged by the high-water mark
rather than raced. The pipeline stores each batch and moves its channel's mark in one
transaction, so a crash or shutdown leaves nothing half-stored.

A channel is *trusted* only after a catch-up from its mark succeeded; until then (start,
reconnect, FloodWait) its live posts are left to the next catch-up, which fetches them from
history. A dropped connection distrusts every channel; the reconnect loop retries with growing
delays and then asks for a sync. The periodic sweep is the service scheduler's job; the
worker wakes by itself only when a FloodWait Telegram set ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telethon import TelegramClient, events, types

from bot.clock import Clock, SystemClock
from bot.logs import fields
from bot.ops.metrics import Metrics
from bot.pipeline.deletions import DeletionLog
from bot.pipeline.ingest import Ingest
from bot.telegram.reader.live import LIVE_UPDATES, apply_live, channel_of
from bot.telegram.reader.sync import Syncer
from bot.telegram.reader.watched import Offline, ReaderContext, ReaderOptions, WatchedChannels
from storage.database import Database

log = logging.getLogger(__name__)


class Reader:
    def __init__(
        self,
        client: TelegramClient,
        db: Database,
        pipeline: Ingest,
        options: ReaderOptions | None = None,
        *,
        clock: Clock | None = None,
        metrics: Metrics | None = None,
        deletions: DeletionLog | None = None,
    ) -> None:
        stopping = asyncio.Event()
        self._ctx = ReaderContext(
            client=client,
            db=db,
            pipeline=pipeline,
            options=options or ReaderOptions(),
            clock=clock or SystemClock(),
            metrics=metrics,
            stopping=stopping,
            watched=WatchedChannels(),
            deletions=deletions or DeletionLog(),
        )
        self._work = WorkQueue()
        self._syncer = Syncer(self._ctx)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen for updates, then sync every watched channel before trusting them."""
        client, metrics = self._ctx.client, self._ctx.metrics
        client.add_event_handler(self._on_update, events.Raw(types=list(LIVE_UPDATES)))
        if metrics is not None:
            metrics.reader_connected(client.is_connected())
        self._work.push(SyncRequest())
        self._tasks = [
            asyncio.create_task(self._worker(), name="chanwatch-reader"),
            asyncio.create_task(
                watch_connection(self._ctx, self.request_sync), name="chanwatch-reconnect"
            ),
        ]

    async def stop(self) -> None:
        """Finish the batch in hand (marks committed with it), then stop listening."""
        self._ctx.stopping.set()
        self._work.push(Stop())
        if self._tasks:
            worker, watchdog = self._tasks
            watchdog.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(worker), self._ctx.options.stop_grace)
            except TimeoutError:
                worker.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._ctx.client.remove_event_handler(self._on_update)
        if self._ctx.metrics is not None:
            self._ctx.metrics.reader_connected(False)

    def request_sync(self) -> None:
        """The watch list changed (``/watch``, ``/unwatch``, ``apply``): pick it up now."""
        self._work.push(SyncRequest())

    async def sync(self) -> None:
        """Request a sync and wait until it has run."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._work.push(SyncRequest(done))
        await done

    def trusted(self, telegram_id: int) -> bool:
        watched = self._ctx.watched.find(telegram_id)
        return watched is not None and watched.trusted

    async def _on_update(self, update: Any) -> None:
        if self._ctx.metrics is not None:
            self._ctx.metrics.update_seen(self._ctx.clock.now())
        if self._ctx.watched.find(channel_of(update)) is not None:
            self._work.push(Live(update))

    async def _worker(self) -> None:
        ctx = self._ctx
        while True:
            item = await self._work.next(self._syncer.due_in)
            if isinstance(item, Stop):
                return
            served = (
                [item.done, *self._work.absorb_syncs()] if isinstance(item, SyncRequest) else []
            )
            try:
                if isinstance(item, SyncRequest):
                    await self._syncer.run()
                else:
                    batch = await self._work.live_batch(item, ctx.options.album_wait, ctx.stopping)
                    await apply_live(ctx, batch)
            except (Offline, ConnectionError, OSError) as error:
                log.warning(
                    "reader lost the connection; will catch up on reconnect",
                    extra=fields(error=str(error)),
                )
            except Exception:
                log.exception("reader step failed; the next sweep retries it")
            finally:
                for done in served:
                    if done is not None and not done.done():
                        done.set_result(None)


ALBUM_ROUNDS = 10  # at most this many album waits per batch, so a flood of albums still moves


@dataclass(frozen=True)
class Live:
    update: Any


@dataclass(frozen=True)
class SyncRequest:
    done: asyncio.Future[None] | None = None  # set once a sync has run after the request


class Stop:
    pass


Work = Live | SyncRequest | Stop


class WorkQueue:
    def __init__(self) -> None:
        self._items: deque[Work] = deque()
        self._wake = asyncio.Event()

    def push(self, item: Work) -> None:
        self._items.append(item)
        self._wake.set()

    async def next(self, due_in: Callable[[], float | None]) -> Work:
        """The next item; a ``SyncRequest`` once ``due_in()`` seconds passed with none queued
        (``None``: wait for an item however long)."""
        while not self._items:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), due_in())
            if not self._items and due_in() == 0:
                return SyncRequest()
        return self._items.popleft()

    def absorb_syncs(self) -> list[asyncio.Future[None] | None]:
        """Queued sync requests are all served by the sync about to run."""
        syncs = [item for item in self._items if isinstance(item, SyncRequest)]
        for item in syncs:
            self._items.remove(item)
        return [item.done for item in syncs]

    async def live_batch(
        self, first: Live, album_wait: float, stopping: asyncio.Event
    ) -> list[Any]:
        """Drain queued live updates; wait briefly if an album may still be arriving.

        An album's posts arrive as separate updates; taking them in one batch lets the
        pipeline see the album whole.
        """
        batch = [first.update]
        for _ in range(ALBUM_ROUNDS):
            while self._items and isinstance(self._items[0], Live):
                item = self._items.popleft()
                assert isinstance(item, Live)
                batch.append(item.update)
            last = batch[-1]
            grouped = isinstance(last, types.UpdateNewChannelMessage) and getattr(
                last.message, "grouped_id", None
            )
            if not grouped or stopping.is_set():
                break
            before = len(self._items)
            await asyncio.sleep(album_wait)
            if len(self._items) == before:
                break
        return batch


async def watch_connection(ctx: ReaderContext, reconnected: Callable[[], None]) -> None:
    """Until stop: on every disconnect, distrust, reconnect and call ``reconnected``."""
    stopping = asyncio.create_task(ctx.stopping.wait())
    try:
        while not ctx.stopping.is_set():
            await asyncio.wait(
                {ctx.client.disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED
            )
            if ctx.stopping.is_set():
                return
            ctx.watched.distrust_all()
            if ctx.metrics is not None:
                ctx.metrics.reader_connected(False)
            log.warning("disconnected from Telegram; reconnecting")
            if await _reconnect(ctx):
                if ctx.metrics is not None:
                    ctx.metrics.reader_connected(True)
                reconnected()
    finally:
        stopping.cancel()


async def _reconnect(ctx: ReaderContext) -> bool:
    """True once connected; False if the reader is stopping first."""
    delays = ctx.options.reconnect_delays
    attempt = 0
    while not ctx.stopping.is_set():
        attempt += 1
        try:
            await ctx.client.disconnect()
            await ctx.client.connect()
            if ctx.client.is_connected():
                log.info("reconnected to Telegram", extra=fields(attempts=attempt))
                return True
        except (ConnectionError, OSError) as error:
            # The first failure says why; the rest of a long outage would be a line a minute.
            level = logging.INFO if attempt == 1 else logging.DEBUG
            log.log(level, "reconnect failed", extra=fields(attempt=attempt, error=str(error)))
        await ctx.sleep(delays[min(attempt, len(delays)) - 1])
    return False
