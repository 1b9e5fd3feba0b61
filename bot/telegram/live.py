"""Apply live updates to the channels they belong to, trusting them only where it is safe.

A trusted channel's next post is stored straight from the update. A gap (an id above the
mark plus one), an ``UpdateChannelTooLong`` or an untrusted channel means updates may have
been missed, so the channel catches up from history instead, which also covers the update in
hand. Edits of posts already stored are re-ingested; deletions are marked. The channel as the
updates describe it comes first (``channel_changes``): a new name, lost access, leaving.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from telethon import types

from bot.telegram.catch_up import catch_up, posts_of, store
from bot.telegram.channel_changes import entity_of, follow
from bot.telegram.guard import guarded
from bot.telegram.reader_context import ReaderContext
from bot.telegram.watched import Watched, channel_info_of, still_waiting

LIVE_UPDATES = (
    types.UpdateNewChannelMessage,
    types.UpdateEditChannelMessage,
    types.UpdateDeleteChannelMessages,
    types.UpdateChannelTooLong,
    types.UpdateChannel,  # renamed, made private, banned from, left
)


def channel_of(update: Any) -> int | None:
    """The Telegram id of the channel an update is about, None if it is not a channel's."""
    if isinstance(
        update,
        types.UpdateDeleteChannelMessages | types.UpdateChannelTooLong | types.UpdateChannel,
    ):
        return int(update.channel_id)
    peer = getattr(getattr(update, "message", None), "peer_id", None)
    return peer.channel_id if isinstance(peer, types.PeerChannel) else None


async def apply_live(ctx: ReaderContext, updates: Sequence[Any]) -> None:
    """Apply a batch of updates, each channel's in arrival order and guarded on its own."""
    grouped: dict[int, list[Any]] = {}
    for update in updates:
        grouped.setdefault(channel_of(update) or 0, []).append(update)
    for telegram_id, theirs in grouped.items():
        watched = ctx.watched.find(telegram_id)
        if watched is not None:
            await guarded(ctx, watched, functools.partial(_apply, ctx, updates=theirs))


async def _apply(ctx: ReaderContext, watched: Watched, updates: list[Any]) -> None:
    entities = {k: v for u in updates for k, v in (getattr(u, "_entities", None) or {}).items()}
    await follow(ctx, watched, entity_of(watched, entities))
    deleted = [
        i for u in updates if isinstance(u, types.UpdateDeleteChannelMessages) for i in u.messages
    ]
    if deleted:
        info = channel_info_of(watched.row)
        await ctx.deletions.record(
            ctx.db, info, watched.row.id, deleted, via="live", at=ctx.clock.now()
        )
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
    incoming = posts_of(edits, watched.row, entities)
    if incoming:
        async with ctx.db.transaction():
            await ctx.pipeline.ingest(incoming)
    if not watched.trusted and still_waiting(watched.row, ctx.clock.now()):
        return  # the catch-up after the FloodWait reads these from history
    if not watched.trusted or (fresh and fresh[0].id > watched.high_water + 1):
        await catch_up(ctx, watched)  # a gap: history has these and whatever was missed
    elif fresh:
        await store(ctx, watched, fresh, entities)
