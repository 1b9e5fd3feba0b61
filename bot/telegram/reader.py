"""The live reader: follow every watched channel and never miss or double a post.

One worker task does all channel work in order — syncs (resolve, join, catch-up) and live
updates — so a channel's messages reach the pipeline in order and a live update that arrives
during a catch-up is merged by the high-water mark rather than raced. The mark moves in the
same transaction as the batch it covers, so a crash or shutdown leaves nothing half-stored.

A channel is *trusted* only after a catch-up from its mark succeeded; until then (start,
reconnect, FloodWait) its live posts are left to the next catch-up, which fetches them from
history. Which channels need one is found cheaply: ``GetPeerDialogs`` gives the newest id of
up to 100 channels per call, and only channels above their mark read history.

This module is the lifecycle and the worker loop; the work itself lives in ``sync``,
``catch_up``, ``live``, ``guard`` and ``reconnect``, over the state in ``watched``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telethon import TelegramClient, events

from bot.clock import Clock, SystemClock
from bot.logs import fields
from bot.ops.metrics import Metrics
from bot.pipeline.deletions import DeletionLog
from bot.pipeline.ingest import Ingest
from bot.telegram.guard import Offline
from bot.telegram.live import LIVE_UPDATES, apply_live, channel_of
from bot.telegram.reader_context import ReaderContext, ReaderOptions
from bot.telegram.reconnect import watch_connection
from bot.telegram.sync import Syncer
from bot.telegram.watched import WatchedChannels
from bot.telegram.work_queue import Live, Stop, SyncRequest, WorkQueue
from storage.database import Database

__all__ = ["Reader", "ReaderOptions"]

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
