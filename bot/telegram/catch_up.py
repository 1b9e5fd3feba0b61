"""Bring one channel up to date from history, moving its mark with every batch stored.

A batch and the mark that covers it commit in one transaction, so a crash or stop mid
catch-up resumes exactly where it left off: nothing is lost and nothing is ingested twice.
A channel read for the first time reads only the configured backfill depth (``backfilled``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from telethon import types

from bot.pipeline.values import IncomingMessage
from bot.telegram import history
from bot.telegram.channel_status import caught_up, mark_ok
from bot.telegram.convert import to_incoming
from bot.telegram.reader_context import ReaderContext
from bot.telegram.watched import Watched, channel_info_of, label, peer
from storage import channels
from storage.channels import Channel


async def catch_up(ctx: ReaderContext, watched: Watched) -> None:
    """Read everything above the mark (or the backfill), after which the channel is trusted."""
    channel = peer(watched.row)
    if not watched.backfilled:
        await _backfill(ctx, watched, channel)
    else:
        async for chunk in history.above(
            ctx.client, channel, watched.high_water, page_wait=ctx.options.page_wait
        ):
            await store(ctx, watched, chunk)
    caught_up(ctx, watched)
    await mark_ok(ctx, watched)


async def store(
    ctx: ReaderContext,
    watched: Watched,
    messages: Sequence[Any],
    entities: Mapping[int, Any] | None = None,
) -> None:
    """Ingest posts and raise the mark in one transaction."""
    incoming = posts_of(messages, watched.row, entities)
    top = max(m.id for m in messages)
    async with ctx.db.transaction():
        if incoming:
            await ctx.pipeline.ingest(incoming)
        await channels.advance_high_water(ctx.db, watched.row.id, top)
    watched.high_water = max(watched.high_water, top)
    if ctx.metrics is not None and incoming:
        newest = max(m.date for m in incoming)
        ctx.metrics.lag(label(watched.row), (ctx.clock.now() - newest).total_seconds())


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
        async for chunk in history.since(
            ctx.client, channel, moment, page_wait=ctx.options.page_wait
        ):
            await store(ctx, watched, chunk)
    await channels.finish_backfill(ctx.db, watched.row.id, top)
    watched.high_water = max(watched.high_water, top)
    watched.row = replace(watched.row, high_water=watched.high_water, backfilled=True)
