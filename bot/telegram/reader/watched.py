"""What the reader's parts share: its options and context, the channels it follows (each
one's row, mark and trust), and what becomes of a channel's failure.

The parts (``worker``, ``sync``, ``live``) are functions of one ``ReaderContext`` rather than
methods of one large class, so what each depends on is visible in one place.

The high-water mark is kept in ``Watched`` as well as in ``channels``, because a live update
may raise it between reloads; a reload therefore keeps the higher of the two. A channel's
outcome is written to ``channels`` (where ``/status`` reads it) and to its ``Watched``, so the
stored state and the reader's picture never disagree; losing trust goes with every failure,
since a channel that could not be read may have missed posts.

``guarded`` runs one channel's step so that its failure becomes its state, never the others'
problem: short FloodWaits are waited out in place, longer ones park the channel until the
time Telegram gave; failures about the channel (private, banned, gone) are recorded in plain
words; a dropped connection is the whole reader's problem and surfaces as ``Offline``;
anything else (a bug, a post nobody foresaw) is logged with its traceback and the channel
tried again on the next sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from telethon import TelegramClient, errors, types

from bot.clock import Clock, sleep_unless
from bot.config import Backfill
from bot.logs import fields
from bot.ops.metrics import Metrics
from bot.pipeline.deletions import DeletionLog
from bot.pipeline.ingest import Ingest
from bot.pipeline.values import ChannelInfo, IncomingMessage
from bot.telegram import history
from bot.telegram.failures import ChannelUnavailable, TooManyChannels, unavailable
from bot.telegram.incoming import to_incoming
from storage import channels
from storage import state as service_state
from storage.channels import Channel, ChannelState
from storage.database import Database


@dataclass(frozen=True)
class ReaderOptions:
    backfill: Backfill = field(default_factory=Backfill)
    short_flood: int = 60  # FloodWaits up to this many seconds are waited out in place
    album_wait: float = 0.5  # how long to wait for the rest of an album
    reconnect_delays: tuple[float, ...] = (1, 2, 5, 15, 30, 60)
    stop_grace: float = 10.0
    page_wait: float = 1.0  # pause between history pages of one channel, as Telethon advises
    # The deletion check (bot/telegram/reader/deletion_check.py): hit posts this recent, this
    # often (at the first sweep after the period).
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


@dataclass
class Watched:
    row: Channel
    high_water: int
    trusted: bool = False

    @property
    def backfilled(self) -> bool:
        """Whether the mark is where reading resumes (else the backfill is still to read)."""
        return self.row.backfilled


class WatchedChannels:
    def __init__(self) -> None:
        self._by_id: dict[int, Watched] = {}  # internal channel id -> state
        self._by_telegram_id: dict[int, Watched] = {}

    def __iter__(self) -> Iterator[Watched]:
        return iter(self._by_id.values())

    def find(self, telegram_id: int | None) -> Watched | None:
        return self._by_telegram_id.get(telegram_id) if telegram_id is not None else None

    async def reload(self, db: Database, metrics: Metrics | None) -> None:
        """Follow the watch list as stored: drop the unwatched, add the new, keep the marks."""
        rows = {row.id: row for row in await channels.list_channels(db, watched_only=True)}
        for channel_id in set(self._by_id) - set(rows):
            gone = self._by_id.pop(channel_id)
            if metrics is not None:
                metrics.forget_channel(label(gone.row))
        for row in rows.values():
            known = self._by_id.get(row.id)
            if known is None:
                self._by_id[row.id] = Watched(row, row.high_water)
            else:
                known.row = row
                known.high_water = max(known.high_water, row.high_water)
        self.reindex()

    def adopt(self, duplicate_id: int, keeper: Channel) -> Watched:
        """The duplicate row is gone (merged into ``keeper``); follow the keeper instead."""
        del self._by_id[duplicate_id]
        return self._by_id.setdefault(keeper.id, Watched(keeper, keeper.high_water))

    def reindex(self) -> None:
        """Call after a channel's Telegram id became known."""
        self._by_telegram_id = {
            w.row.telegram_id: w for w in self._by_id.values() if w.row.telegram_id is not None
        }

    def distrust_all(self) -> None:
        """Updates may have been lost: every channel needs a catch-up before it is trusted."""
        for watched in self._by_id.values():
            watched.trusted = False


def needs_resolution(row: Channel, now: datetime) -> bool:
    if row.state == "failed" or still_waiting(row, now):
        return False
    return row.access_hash is None or row.state in ("pending", "joining")


def readable(row: Channel, now: datetime) -> bool:
    return (
        row.access_hash is not None
        and row.state in ("ok", "waiting")
        and not still_waiting(row, now)
    )


def still_waiting(row: Channel, now: datetime) -> bool:
    return row.wait_until is not None and row.wait_until > now


def posts_of(
    messages: Sequence[Any], row: Channel, entities: Mapping[int, Any] | None = None
) -> list[IncomingMessage]:
    """The pipeline's view of Telethon messages; service messages drop out.

    ``entities`` are the chats and users a raw update came with (they name forward sources);
    history pages resolve those into each message themselves.
    """
    info = channel_info_of(row)
    converted = (to_incoming(m, info, entities) for m in messages)
    return [m for m in converted if m is not None]


def channel_info_of(row: Channel) -> ChannelInfo:
    return ChannelInfo(telegram_id=row.telegram_id or 0, title=row.title, username=row.username)


def peer(row: Channel) -> types.InputPeerChannel:
    assert row.telegram_id is not None and row.access_hash is not None
    return history.input_peer(row.telegram_id, row.access_hash)


def label(row: Channel) -> str:
    """The metrics label of a channel: the operator's ref, which a rename does not change."""
    return row.ref or str(row.telegram_id)


log = logging.getLogger(__name__)


def caught_up(ctx: ReaderContext, watched: Watched) -> None:
    watched.trusted = True
    if ctx.metrics is not None:
        ctx.metrics.lag(label(watched.row), 0)


async def mark_ok(ctx: ReaderContext, watched: Watched) -> None:
    """Clear an old failure or FloodWait; a channel already fine costs no write."""
    if watched.row.state != "ok" or watched.row.wait_until is not None:
        await set_state(ctx, watched, "ok")


async def wait(ctx: ReaderContext, watched: Watched, seconds: int) -> None:
    """Park the channel until the time Telegram gave; the worker wakes for it then."""
    until = ctx.clock.now() + timedelta(seconds=seconds)
    watched.trusted = False
    await set_state(
        ctx,
        watched,
        "waiting",
        detail=f"Telegram asked to wait {seconds} s (FloodWait)",
        wait_until=until,
    )
    log.warning(
        "channel waits (FloodWait)",
        extra=fields(channel=watched.row.display_name, seconds=seconds, until=until.isoformat()),
    )


async def fail(ctx: ReaderContext, watched: Watched, failure: ChannelUnavailable) -> None:
    watched.trusted = False
    state: ChannelState = "joining" if failure.joining else "failed"
    await set_state(ctx, watched, state, detail=failure.reason)
    if isinstance(failure, TooManyChannels):
        log.error("cannot join", extra=fields(channel=watched.row.display_name, why=failure.reason))
        await service_state.put(ctx.db, "reader_problem", failure.reason)
    else:
        log.warning(
            "channel unavailable",
            extra=fields(channel=watched.row.display_name, state=state, why=failure.reason),
        )


async def set_state(
    ctx: ReaderContext,
    watched: Watched,
    state: ChannelState,
    *,
    detail: str | None = None,
    wait_until: datetime | None = None,
) -> None:
    await channels.set_state(ctx.db, watched.row.id, state, detail=detail, wait_until=wait_until)
    watched.row = await channels.get(ctx.db, watched.row.id)


Step = Callable[[Watched], Awaitable[None]]


class Offline(Exception):
    """The connection dropped mid-sync; the reconnect loop will ask for a new sync."""


async def guarded(ctx: ReaderContext, watched: Watched, step: Step) -> None:
    while not ctx.stopping.is_set():
        try:
            await step(watched)
            return
        except errors.FloodWaitError as error:
            count_flood(ctx, error)
            if error.seconds <= ctx.options.short_flood:
                log.info(
                    "waiting out a FloodWait",
                    extra=fields(channel=watched.row.display_name, seconds=error.seconds),
                )
                await ctx.sleep(error.seconds)
                continue
            await wait(ctx, watched, error.seconds)
            return
        except ChannelUnavailable as failure:
            await fail(ctx, watched, failure)
            return
        except errors.RPCError as error:
            mapped = unavailable(error)
            if mapped is None:
                log.warning(
                    "Telegram error; retrying later",
                    extra=fields(channel=watched.row.display_name, error=str(error)),
                )
                return
            await fail(ctx, watched, mapped)
            return
        except (ConnectionError, OSError) as error:
            raise Offline(str(error)) from error
        except Exception:
            watched.trusted = False  # what it was doing may be half done: catch up again
            log.warning(
                "unexpected error; retrying at the next sweep",
                exc_info=True,
                extra=fields(channel=watched.row.display_name),
            )
            return


def count_flood(ctx: ReaderContext, error: errors.FloodWaitError) -> None:
    if ctx.metrics is not None:
        method = type(error.request).__name__ if error.request is not None else "unknown"
        ctx.metrics.flood_wait(error.seconds, method)
