"""The live reader: follow every watched channel and never miss or double a post.

One worker task does all channel work in order — syncs (resolve, join, catch-up) and live
updates — so a channel's messages reach the pipeline in order and a live update that arrives
during a catch-up is merged by the high-water mark rather than raced. The mark moves in the
same transaction as the batch it covers, so a crash or shutdown leaves nothing half-stored.

A channel is *trusted* only after a catch-up from its mark succeeded; until then (start,
reconnect, FloodWait) its live posts are left to the next catch-up, which fetches them from
history. Which channels need one is found cheaply: ``GetPeerDialogs`` gives the newest id of
up to 100 channels per call, and only channels above their mark read history.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from telethon import TelegramClient, errors, events, types

from bot.config import Backfill
from bot.ops.metrics import Metrics
from bot.pipeline.model import ChannelInfo, IncomingMessage
from bot.telegram import history
from bot.telegram.convert import to_incoming
from bot.telegram.failures import ChannelUnavailable, TooManyChannels, unavailable
from bot.telegram.refs import ChannelRefError, parse_channel_ref
from bot.telegram.resolve import resolve_and_join
from storage import channels
from storage import state as service_state
from storage.database import Database
from storage.models import Channel, ChannelState

log = logging.getLogger(__name__)

LIVE_UPDATES = (
    types.UpdateNewChannelMessage,
    types.UpdateEditChannelMessage,
    types.UpdateDeleteChannelMessages,
    types.UpdateChannelTooLong,
)


class Ingest(Protocol):
    """What the reader feeds: ``bot.pipeline``'s ``Pipeline`` or a test recorder."""

    async def ingest(self, batch: Sequence[IncomingMessage]) -> object: ...


Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class ReaderOptions:
    backfill: Backfill = field(default_factory=Backfill)
    sweep_every: float = 300.0  # seconds between cheap "anything new?" sweeps
    short_flood: int = 60  # FloodWaits up to this many seconds are waited out in place
    album_wait: float = 0.5  # how long to wait for the rest of an album
    reconnect_delays: tuple[float, ...] = (1, 2, 5, 15, 30, 60)
    stop_grace: float = 10.0
    page_wait: float = 1.0  # pause between history pages of one channel, as Telethon advises


@dataclass
class _Watched:
    row: Channel
    high_water: int
    trusted: bool = False


@dataclass(frozen=True)
class _Live:
    update: Any


@dataclass(frozen=True)
class _Sync:
    done: asyncio.Future[None] | None = None


class _Stop:
    pass


class _Offline(Exception):
    """The connection dropped mid-sync; the reconnect loop will ask for a new sync."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Reader:
    def __init__(
        self,
        client: TelegramClient,
        db: Database,
        sink: Ingest,
        options: ReaderOptions | None = None,
        *,
        clock: Callable[[], datetime] = _utcnow,
        sleep: Sleep | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self._client = client
        self._db = db
        self._sink = sink
        self._options = options or ReaderOptions()
        self._clock = clock
        self._sleep = sleep or self._interruptible_sleep
        self._metrics = metrics
        self._watched: dict[int, _Watched] = {}  # internal channel id -> state
        self._by_telegram_id: dict[int, _Watched] = {}
        self._work: deque[_Live | _Sync | _Stop] = deque()
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._resolve_paused_until: datetime | None = None
        self._next_sweep = 0.0
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Listen for updates, then sync every watched channel before trusting them."""
        self._client.add_event_handler(self._on_update, events.Raw(types=list(LIVE_UPDATES)))
        if self._metrics is not None:
            self._metrics.reader_connected(self._client.is_connected())
        self._push(_Sync())
        self._tasks = [
            asyncio.create_task(self._worker(), name="chanwatch-reader"),
            asyncio.create_task(self._watch_connection(), name="chanwatch-reconnect"),
        ]

    async def stop(self) -> None:
        """Finish the batch in hand (marks committed with it), then stop listening."""
        self._stopping.set()
        self._push(_Stop())
        if self._tasks:
            worker, watchdog = self._tasks
            watchdog.cancel()
            try:
                await asyncio.wait_for(asyncio.shield(worker), self._options.stop_grace)
            except TimeoutError:
                worker.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._client.remove_event_handler(self._on_update)
        if self._metrics is not None:
            self._metrics.reader_connected(False)

    def request_sync(self) -> None:
        """The watch list changed (``/watch``, ``/unwatch``, ``apply``): pick it up now."""
        self._push(_Sync())

    async def sync(self) -> None:
        """Request a sync and wait until it has run."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._push(_Sync(done))
        await done

    def trusted(self, telegram_id: int) -> bool:
        watched = self._by_telegram_id.get(telegram_id)
        return watched is not None and watched.trusted

    # ------------------------------------------------------------------ the worker
    def _push(self, item: _Live | _Sync | _Stop) -> None:
        self._work.append(item)
        self._wake.set()

    async def _on_update(self, update: Any) -> None:
        if self._metrics is not None:
            self._metrics.update_seen(self._clock())
        if _channel_of(update) in self._by_telegram_id:
            self._push(_Live(update))

    async def _worker(self) -> None:
        while True:
            item = await self._next_item()
            if isinstance(item, _Stop):
                return
            waiting = self._absorb_syncs() if isinstance(item, _Sync) else []
            try:
                if isinstance(item, _Sync):
                    await self._sync()
                else:
                    await self._live(await self._live_batch(item))
            except (_Offline, ConnectionError, OSError) as error:
                log.warning("reader lost the connection (%s); will catch up on reconnect", error)
            except Exception:
                log.exception("reader step failed; the next sweep retries it")
            finally:
                for done in [item.done if isinstance(item, _Sync) else None, *waiting]:
                    if done is not None and not done.done():
                        done.set_result(None)

    def _absorb_syncs(self) -> list[asyncio.Future[None] | None]:
        """Queued sync requests are all served by the sync about to run."""
        syncs = [item for item in self._work if isinstance(item, _Sync)]
        for item in syncs:
            self._work.remove(item)
        return [item.done for item in syncs]

    async def _next_item(self) -> _Live | _Sync | _Stop:
        loop = asyncio.get_running_loop()
        while not self._work:
            self._wake.clear()
            timeout = max(0.0, min(self._next_sweep, self._next_wait_end()) - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            if not self._work and loop.time() >= min(self._next_sweep, self._next_wait_end()):
                return _Sync()
        return self._work.popleft()

    def _next_wait_end(self) -> float:
        """Loop time at which the earliest FloodWait ends (infinity if none)."""
        ends = [w.row.wait_until for w in self._watched.values() if w.row.wait_until]
        if self._resolve_paused_until:
            ends.append(self._resolve_paused_until)
        if not ends:
            return float("inf")
        delay = (min(ends) - self._clock()).total_seconds()
        return asyncio.get_running_loop().time() + max(0.0, delay)

    async def _live_batch(self, first: _Live) -> list[_Live]:
        """Drain queued live updates; wait briefly if an album may still be arriving."""
        batch = [first]
        for _ in range(10):
            while self._work and isinstance(self._work[0], _Live):
                item = self._work.popleft()
                assert isinstance(item, _Live)
                batch.append(item)
            last = batch[-1].update
            grouped = isinstance(last, types.UpdateNewChannelMessage) and getattr(
                last.message, "grouped_id", None
            )
            if not grouped or self._stopping.is_set():
                break
            before = len(self._work)
            await asyncio.sleep(self._options.album_wait)
            if len(self._work) == before:
                break
        return batch

    # ------------------------------------------------------------------ syncing
    async def _sync(self) -> None:
        """Reload the watch list, resolve what is new, catch up what has news."""
        await self._reload()
        for watched in list(self._watched.values()):
            if self._needs_resolution(watched.row):
                await self._guarded(watched, self._resolve)
        ready = [w for w in self._watched.values() if self._readable(w.row)]
        tops = await self._tops(ready)
        for watched in ready:
            top = tops.get(watched.row.telegram_id or 0) if tops is not None else None
            if top is not None and watched.high_water and top <= watched.high_water:
                self._caught_up(watched)
                await self._mark_ok(watched)
                continue
            await self._guarded(watched, self._catch_up)
        self._next_sweep = asyncio.get_running_loop().time() + self._options.sweep_every
        await service_state.put(self._db, "reader_heartbeat", self._clock().isoformat())
        if self._metrics is not None:
            self._metrics.update_seen(self._clock())

    async def _reload(self) -> None:
        rows = {row.id: row for row in await channels.list_channels(self._db, watched_only=True)}
        for channel_id in set(self._watched) - set(rows):
            gone = self._watched.pop(channel_id)
            if self._metrics is not None:
                self._metrics.forget_channel(_label(gone.row))
        for row in rows.values():
            known = self._watched.get(row.id)
            if known is None:
                self._watched[row.id] = _Watched(row, row.high_water)
            else:
                known.row = row
                known.high_water = max(known.high_water, row.high_water)
        self._index()

    def _index(self) -> None:
        self._by_telegram_id = {
            w.row.telegram_id: w for w in self._watched.values() if w.row.telegram_id is not None
        }

    def _needs_resolution(self, row: Channel) -> bool:
        if row.state == "failed" or self._still_waiting(row):
            return False
        return row.access_hash is None or row.state in ("pending", "joining")

    def _readable(self, row: Channel) -> bool:
        return (
            row.access_hash is not None
            and row.state in ("ok", "waiting")
            and not self._still_waiting(row)
        )

    def _still_waiting(self, row: Channel) -> bool:
        return row.wait_until is not None and row.wait_until > self._clock()

    async def _tops(self, ready: list[_Watched]) -> dict[int, int] | None:
        """Newest ids by channel, or None when the batched check failed (read each instead)."""
        peers = [_peer(w.row) for w in ready]
        if not peers:
            return {}
        while True:
            try:
                return await history.top_messages(self._client, peers)
            except errors.FloodWaitError as error:
                self._count_flood(error)
                if error.seconds > self._options.short_flood:
                    log.warning("dialog check flood-limited for %s s", error.seconds)
                    return None
                await self._sleep(error.seconds)
            except errors.RPCError as error:
                log.info("batched dialog check failed (%s); reading channels one by one", error)
                return None

    async def _resolve(self, watched: _Watched) -> None:
        if self._resolve_paused_until and self._resolve_paused_until > self._clock():
            return
        row = watched.row
        try:
            ref = parse_channel_ref(row.ref or str(row.telegram_id))
        except ChannelRefError as error:
            raise ChannelUnavailable(str(error)) from error
        try:
            resolved = await resolve_and_join(self._client, ref)
        except errors.FloodWaitError as error:
            if error.seconds > self._options.short_flood:
                until = self._clock() + timedelta(seconds=error.seconds)
                self._resolve_paused_until = until
            raise
        existing = await channels.find(self._db, telegram_id=resolved.telegram_id)
        if existing is not None and existing.id != row.id:
            del self._watched[row.id]
            row = await channels.adopt(self._db, row.id, existing.id)
            watched = self._watched.setdefault(row.id, _Watched(row, row.high_water))
        await channels.set_resolved(
            self._db,
            row.id,
            telegram_id=resolved.telegram_id,
            access_hash=resolved.access_hash,
            username=resolved.username,
            title=resolved.title,
        )
        await channels.set_state(self._db, row.id, "ok")
        watched.row = await channels.get(self._db, row.id)
        self._index()
        log.info("watching %s", watched.row.display_name)

    async def _catch_up(self, watched: _Watched) -> None:
        peer = _peer(watched.row)
        if watched.high_water == 0:
            await self._backfill(watched, peer)
        else:
            async for chunk in history.above(
                self._client, peer, watched.high_water, page_wait=self._options.page_wait
            ):
                await self._store(watched, chunk)
        self._caught_up(watched)
        await self._mark_ok(watched)

    def _caught_up(self, watched: _Watched) -> None:
        watched.trusted = True
        if self._metrics is not None:
            self._metrics.lag(_label(watched.row), 0)

    async def _backfill(self, watched: _Watched, peer: types.InputPeerChannel) -> None:
        depth = self._options.backfill
        if depth.messages is not None:
            newest = await history.latest(self._client, peer, depth.messages)
            for start in range(0, len(newest), history.CHUNK):
                await self._store(watched, newest[start : start + history.CHUNK])
            return
        moment = self._clock() - timedelta(hours=depth.hours or 0)
        async for chunk in history.since(
            self._client, peer, moment, page_wait=self._options.page_wait
        ):
            await self._store(watched, chunk)
        if watched.high_water == 0:
            top = await history.newest_id(self._client, peer)
            if top:
                await channels.advance_high_water(self._db, watched.row.id, top)
                watched.high_water = top

    async def _store(self, watched: _Watched, messages: Sequence[Any]) -> None:
        """Ingest posts and raise the mark in one transaction."""
        info = channel_info_of(watched.row)
        incoming = [
            m
            for m in (to_incoming(msg, info, getattr(msg, "_entities", None)) for msg in messages)
            if m is not None
        ]
        top = max(m.id for m in messages)
        async with self._db.transaction():
            if incoming:
                await self._sink.ingest(incoming)
            await channels.advance_high_water(self._db, watched.row.id, top)
        watched.high_water = max(watched.high_water, top)
        if self._metrics is not None and incoming:
            newest = max(m.date for m in incoming)
            self._metrics.lag(_label(watched.row), (self._clock() - newest).total_seconds())

    async def _mark_ok(self, watched: _Watched) -> None:
        if watched.row.state != "ok" or watched.row.wait_until is not None:
            await channels.set_state(self._db, watched.row.id, "ok")
            watched.row = await channels.get(self._db, watched.row.id)

    async def _guarded(
        self, watched: _Watched, step: Callable[[_Watched], Awaitable[None]]
    ) -> None:
        """Run one channel's step; its failure becomes its state, never the others' problem."""
        while not self._stopping.is_set():
            try:
                await step(watched)
                return
            except errors.FloodWaitError as error:
                self._count_flood(error)
                if error.seconds <= self._options.short_flood:
                    log.info("waiting %s s (FloodWait) for %s", error.seconds, _name(watched))
                    await self._sleep(error.seconds)
                    continue
                await self._wait(watched, error.seconds)
                return
            except ChannelUnavailable as failure:
                await self._fail(watched, failure)
                return
            except errors.RPCError as error:
                mapped = unavailable(error)
                if mapped is None:
                    log.warning("%s: Telegram error %s; retrying later", _name(watched), error)
                    return
                await self._fail(watched, mapped)
                return
            except (ConnectionError, OSError) as error:
                raise _Offline(str(error)) from error

    def _count_flood(self, error: errors.FloodWaitError) -> None:
        if self._metrics is not None:
            method = type(error.request).__name__ if error.request is not None else "unknown"
            self._metrics.flood_wait(error.seconds, method)

    async def _wait(self, watched: _Watched, seconds: int) -> None:
        until = self._clock() + timedelta(seconds=seconds)
        watched.trusted = False
        await channels.set_state(
            self._db,
            watched.row.id,
            "waiting",
            detail=f"Telegram asked to wait {seconds} s (FloodWait)",
            wait_until=until,
        )
        watched.row = await channels.get(self._db, watched.row.id)
        log.warning("%s: FloodWait of %s s, retrying at %s", _name(watched), seconds, until)

    async def _fail(self, watched: _Watched, failure: ChannelUnavailable) -> None:
        watched.trusted = False
        state: ChannelState = "joining" if failure.joining else "failed"
        await channels.set_state(self._db, watched.row.id, state, detail=failure.reason)
        watched.row = await channels.get(self._db, watched.row.id)
        if isinstance(failure, TooManyChannels):
            log.error("cannot join %s: %s", _name(watched), failure.reason)
            await service_state.put(self._db, "reader_problem", failure.reason)
        else:
            log.warning("%s: %s", _name(watched), failure.reason)

    # ------------------------------------------------------------------ live updates
    async def _live(self, batch: list[_Live]) -> None:
        grouped: dict[int, list[Any]] = {}
        for item in batch:
            grouped.setdefault(_channel_of(item.update) or 0, []).append(item.update)
        for telegram_id, updates in grouped.items():
            watched = self._by_telegram_id.get(telegram_id)
            if watched is not None:
                await self._guarded(watched, functools.partial(self._apply_live, updates=updates))

    async def _apply_live(self, watched: _Watched, updates: list[Any]) -> None:
        deleted = [
            i
            for u in updates
            if isinstance(u, types.UpdateDeleteChannelMessages)
            for i in u.messages
        ]
        if deleted:
            await channels.mark_messages_deleted(self._db, watched.row.id, deleted)
        if any(isinstance(u, types.UpdateChannelTooLong) for u in updates):
            watched.trusted = False
        messages = {
            u.message.id: u.message
            for u in updates
            if isinstance(u, types.UpdateNewChannelMessage | types.UpdateEditChannelMessage)
        }
        edited = {u.message.id for u in updates if isinstance(u, types.UpdateEditChannelMessage)}
        mark = watched.high_water
        edits = [m for i, m in sorted(messages.items()) if i <= mark and i in edited]
        fresh = [m for i, m in sorted(messages.items()) if i > mark]
        if edits:
            info = channel_info_of(watched.row)
            incoming = [e for e in (to_incoming(m, info) for m in edits) if e is not None]
            if incoming:
                async with self._db.transaction():
                    await self._sink.ingest(incoming)
        if not watched.trusted and self._still_waiting(watched.row):
            return  # the catch-up after the FloodWait reads these from history
        if not watched.trusted or (fresh and fresh[0].id > watched.high_water + 1):
            await self._catch_up(watched)  # a gap: history has these and whatever was missed
        elif fresh:
            await self._store(watched, fresh)

    # ------------------------------------------------------------------ the connection
    async def _watch_connection(self) -> None:
        stopping = asyncio.create_task(self._stopping.wait())
        try:
            while not self._stopping.is_set():
                await asyncio.wait(
                    {self._client.disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED
                )
                if self._stopping.is_set():
                    return
                for watched in self._watched.values():
                    watched.trusted = False
                if self._metrics is not None:
                    self._metrics.reader_connected(False)
                log.warning("disconnected from Telegram; reconnecting")
                if await self._reconnect():
                    if self._metrics is not None:
                        self._metrics.reader_connected(True)
                    self._push(_Sync())
        finally:
            stopping.cancel()

    async def _reconnect(self) -> bool:
        delays = self._options.reconnect_delays
        for attempt in itertools.count(1):
            if self._stopping.is_set():
                return False
            try:
                await self._client.disconnect()
                await self._client.connect()
                if self._client.is_connected():
                    log.info("reconnected to Telegram after %s attempt(s)", attempt)
                    return True
            except (ConnectionError, OSError) as error:
                log.info("reconnect attempt %s failed: %s", attempt, error)
            await self._sleep(delays[min(attempt, len(delays)) - 1])
        return False  # pragma: no cover - itertools.count never ends

    async def _interruptible_sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def channel_info_of(row: Channel) -> ChannelInfo:
    return ChannelInfo(telegram_id=row.telegram_id or 0, title=row.title, username=row.username)


def _peer(row: Channel) -> types.InputPeerChannel:
    assert row.telegram_id is not None and row.access_hash is not None
    return history.input_peer(row.telegram_id, row.access_hash)


def _channel_of(update: Any) -> int | None:
    if isinstance(update, types.UpdateDeleteChannelMessages | types.UpdateChannelTooLong):
        return int(update.channel_id)
    peer = getattr(getattr(update, "message", None), "peer_id", None)
    return peer.channel_id if isinstance(peer, types.PeerChannel) else None


def _name(watched: _Watched) -> str:
    return watched.row.display_name


def _label(row: Channel) -> str:
    """The metrics label of a channel: the operator's ref, which a rename does not change."""
    return row.ref or str(row.telegram_id)
