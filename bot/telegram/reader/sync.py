"""A sync: follow the stored watch list, resolve new channels, catch up those with news.

It runs on start, after every reconnect, when the watch list changes, on the service's
periodic sweep (a scheduler job) and when a FloodWait ends. Most channels have nothing new,
so one ``GetPeerDialogs`` call per 100 channels says which do, and only those read history.

Catching up reads everything above a channel's mark, in chunks; each chunk goes to the
pipeline with the mark that covers it (``HighWater``), one call and one transaction, so a
crash or stop mid catch-up resumes exactly where it left off: nothing is lost and nothing is
ingested twice. A channel read for the first time reads only the configured backfill depth
(``backfilled``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from telethon import errors, functions, types

from bot.logs import fields
from bot.pipeline.values import HighWater
from bot.telegram import history
from bot.telegram.failures import ChannelUnavailable
from bot.telegram.reader.deletion_check import DeletionCheck
from bot.telegram.reader.watched import (
    ReaderContext,
    Watched,
    caught_up,
    count_flood,
    guarded,
    label,
    mark_ok,
    needs_resolution,
    peer,
    posts_of,
    readable,
    set_state,
)
from bot.telegram.refs import ChannelRefError, parse_channel_ref
from bot.telegram.resolve import resolve_and_join
from storage import channels
from storage import state as service_state

LEFT_PRIVATE = "the account left this invite-only channel: watch it again with a valid invite link"

log = logging.getLogger(__name__)


class Syncer:
    def __init__(self, ctx: ReaderContext) -> None:
        self._ctx = ctx
        self._resolve_paused_until: datetime | None = None
        self._deletion_check = DeletionCheck(ctx)

    def due_in(self) -> float | None:
        """Seconds until the sync nobody asked for, at the earliest FloodWait's end; None when
        no channel waits (the periodic sweep is the service scheduler's job)."""
        ends = [w.row.wait_until for w in self._ctx.watched if w.row.wait_until]
        if self._resolve_paused_until:
            ends.append(self._resolve_paused_until)
        if not ends:
            return None
        return max(0.0, (min(ends) - self._ctx.clock.now()).total_seconds())

    async def run(self) -> None:
        ctx = self._ctx
        await ctx.watched.reload(ctx.db, ctx.metrics)
        for watched in list(ctx.watched):
            if needs_resolution(watched.row, ctx.clock.now()):
                await guarded(ctx, watched, self._resolve)
        ready = [w for w in ctx.watched if readable(w.row, ctx.clock.now())]
        tops = await self._tops(ready)
        marks = [w.high_water for w in ready]
        catching_up = any(not w.trusted for w in ready)
        for watched in ready:
            top = tops.get(watched.row.telegram_id or 0) if tops is not None else None
            if tops is not None and top is None:
                # No dialog: the account left (while the reader was down, or no update said so).
                await guarded(ctx, watched, self._rejoin)
                continue
            if top is not None and watched.backfilled and top <= watched.high_water:
                caught_up(ctx, watched)
                await mark_ok(ctx, watched)
                continue
            await guarded(ctx, watched, functools.partial(catch_up, ctx))
        _summary(ctx, sum(w.high_water > mark for w, mark in zip(ready, marks, strict=True)))
        # After a catch-up (start, reconnect) deletions made meanwhile are looked for at once.
        await self._deletion_check.run([w for w in ready if w.trusted], force=catching_up)
        await service_state.put(ctx.db, "reader_heartbeat", ctx.clock.now().isoformat())
        if ctx.metrics is not None:
            ctx.metrics.update_seen(ctx.clock.now())

    async def _tops(self, ready: list[Watched]) -> dict[int, int] | None:
        """Newest ids by channel, or None when the batched check failed (read each instead)."""
        ctx = self._ctx
        peers = [peer(w.row) for w in ready]
        if not peers:
            return {}
        while True:
            try:
                return await history.top_messages(ctx.client, peers)
            except errors.FloodWaitError as error:
                count_flood(ctx, error)
                if error.seconds > ctx.options.short_flood:
                    log.warning("dialog check flood-limited", extra=fields(seconds=error.seconds))
                    return None
                await ctx.sleep(error.seconds)
            except errors.RPCError as error:
                log.info(
                    "batched dialog check failed; reading channels one by one",
                    extra=fields(error=str(error)),
                )
                return None

    async def _rejoin(self, watched: Watched) -> None:
        await rejoin(self._ctx, watched)
        await catch_up(self._ctx, watched)

    async def _resolve(self, watched: Watched) -> None:
        """Resolve and join; a long FloodWait on resolving pauses every resolution, not one."""
        ctx = self._ctx
        if self._resolve_paused_until and self._resolve_paused_until > ctx.clock.now():
            return
        row = watched.row
        try:
            ref = parse_channel_ref(row.ref or str(row.telegram_id))
        except ChannelRefError as error:
            raise ChannelUnavailable(str(error)) from error
        try:
            resolved = await resolve_and_join(ctx.client, ref)
        except errors.FloodWaitError as error:
            if error.seconds > ctx.options.short_flood:
                self._resolve_paused_until = ctx.clock.now() + timedelta(seconds=error.seconds)
            raise
        existing = await channels.find(ctx.db, telegram_id=resolved.telegram_id)
        if existing is not None and existing.id != row.id:
            # The channel is already known under another row (an export, another ref).
            row = await channels.adopt(ctx.db, row.id, existing.id)
            watched = ctx.watched.adopt(watched.row.id, row)
        await channels.set_resolved(
            ctx.db,
            row.id,
            telegram_id=resolved.telegram_id,
            access_hash=resolved.access_hash,
            username=resolved.username,
            title=resolved.title,
        )
        await set_state(ctx, watched, "ok")
        ctx.watched.reindex()
        log.info("channel resolved", extra=fields(channel=watched.row.display_name))


def _summary(ctx: ReaderContext, advanced: int) -> None:
    """One line per sweep; at INFO only when it found posts the live updates had not brought
    (start, reconnect, a missed update): in steady state that is none, every five minutes."""
    states = Counter[str](w.row.state for w in ctx.watched)
    level = logging.INFO if advanced else logging.DEBUG
    log.log(level, "sweep done", extra=fields(channels=states.total(), read=advanced, **states))


async def catch_up(ctx: ReaderContext, watched: Watched) -> None:
    """Read everything above the mark (or the backfill), after which the channel is trusted."""
    channel = peer(watched.row)
    if not watched.backfilled:
        await _backfill(ctx, watched, channel)
    else:
        await _store_pages(ctx, watched, history.above(ctx.client, channel, watched.high_water))
    caught_up(ctx, watched)
    await mark_ok(ctx, watched)


async def _store_pages(
    ctx: ReaderContext, watched: Watched, pages: AsyncIterator[list[Any]]
) -> None:
    """Store each page of history; after a full one (more may follow) pause ``page_wait`` on
    the clock, as Telethon advises between history requests."""
    async for page in pages:
        await store(ctx, watched, page)
        if len(page) == history.CHUNK and ctx.options.page_wait:
            await ctx.sleep(ctx.options.page_wait)


async def store(
    ctx: ReaderContext,
    watched: Watched,
    messages: Sequence[Any],
    entities: Mapping[int, Any] | None = None,
) -> None:
    """Hand the pipeline the posts and the mark they read up to: one call, one transaction."""
    incoming = posts_of(messages, watched.row, entities)
    top = max(m.id for m in messages)
    assert watched.row.telegram_id is not None  # a channel is read only once resolved
    await ctx.pipeline.ingest(incoming, mark=HighWater(watched.row.telegram_id, top))
    watched.high_water = max(watched.high_water, top)
    if ctx.metrics is not None and incoming:
        newest = max(m.date for m in incoming)
        ctx.metrics.lag(label(watched.row), (ctx.clock.now() - newest).total_seconds())


async def _backfill(ctx: ReaderContext, watched: Watched, channel: types.InputPeerChannel) -> None:
    """Read the configured depth, then move the mark to the newest post seen before reading.

    The newest id is taken first, so a post that arrives while the backfill reads is above the
    mark and read by the next catch-up; ``BACKFILL=0`` (or an age with nothing in it) stores
    nothing and starts from there.
    """
    depth = ctx.options.backfill
    if depth.messages is not None:
        if depth.messages:
            newest = await history.latest(ctx.client, channel, depth.messages)
            top = newest[-1].id if newest else 0
        else:
            newest, top = [], await history.newest_id(ctx.client, channel)
        for start in range(0, len(newest), history.CHUNK):
            await store(ctx, watched, newest[start : start + history.CHUNK])
    else:
        top = await history.newest_id(ctx.client, channel)
        moment = ctx.clock.now() - timedelta(hours=depth.hours or 0)
        await _store_pages(ctx, watched, history.since(ctx.client, channel, moment))
    await channels.finish_backfill(ctx.db, watched.row.id, top)
    watched.high_water = max(watched.high_water, top)
    watched.row = replace(watched.row, high_water=watched.high_water, backfilled=True)


async def rejoin(ctx: ReaderContext, watched: Watched) -> None:
    """Join a channel the account left, with the access it has, and distrust it until the
    next catch-up. A public channel takes anyone back; an invite-only one needs an invite,
    which only the operator can give, so it fails in words saying so."""
    row = watched.row
    assert row.telegram_id is not None and row.access_hash is not None
    if row.username is None:
        raise ChannelUnavailable(LEFT_PRIVATE)
    log.info("left the channel; joining again", extra=fields(channel=row.display_name))
    with contextlib.suppress(errors.UserAlreadyParticipantError):
        await ctx.client(
            functions.channels.JoinChannelRequest(
                types.InputChannel(row.telegram_id, row.access_hash)
            )
        )
    watched.trusted = False
