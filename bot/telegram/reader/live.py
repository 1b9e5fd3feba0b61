"""Apply live updates to the channels they belong to, trusting them only where it is safe.

A trusted channel's next post is stored straight from the update. A gap (an id above the
mark plus one), an ``UpdateChannelTooLong`` or an untrusted channel means updates may have
been missed, so the channel catches up from history instead, which also covers the update in
hand. Edits of posts already stored are re-ingested; deletions are marked.

The channel as the updates describe it comes first. Telegram sends the current ``Channel``
along with every update, and an ``UpdateChannel`` with nothing but the id when the channel
changes or the account's membership does. So:

- a new username or title is stored at once: links in alerts are built from the stored
  username, and an old username is free for anyone to take, so a stale one would send
  subscribers to someone else's channel;
- a ``ChannelForbidden`` means the account was banned or the channel made private: the channel
  fails now, not at the next sweep;
- ``left`` means the account is no longer a member (left in the app, say), so no live updates
  would come: the reader joins again with the access it has, then catches up. The sweep does
  the same for a channel left while the reader was down (no update says so then).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from telethon import types, utils

from bot.telegram.failures import ChannelUnavailable
from bot.telegram.reader.sync import catch_up, rejoin, store
from bot.telegram.reader.watched import (
    ReaderContext,
    Watched,
    channel_info_of,
    guarded,
    posts_of,
    still_waiting,
)
from storage import channels

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
        await ctx.pipeline.ingest(incoming)
    if not watched.trusted and still_waiting(watched.row, ctx.clock.now()):
        return  # the catch-up after the FloodWait reads these from history
    if not watched.trusted or (fresh and fresh[0].id > watched.high_water + 1):
        await catch_up(ctx, watched)  # a gap: history has these and whatever was missed
    elif fresh:
        await store(ctx, watched, fresh, entities)


LOST_ACCESS = "the channel is private or the account was banned from it"

log = logging.getLogger(__name__)


def entity_of(watched: Watched, entities: Mapping[int, Any]) -> Any:
    """The channel as the update's entities describe it, None if they do not."""
    if watched.row.telegram_id is None:
        return None
    return entities.get(utils.get_peer_id(types.PeerChannel(watched.row.telegram_id)))


async def follow(ctx: ReaderContext, watched: Watched, entity: Any) -> None:
    """Store a new name, fail on lost access, rejoin after leaving (then distrust the channel:
    updates sent while it was out never came)."""
    if isinstance(entity, types.ChannelForbidden):
        raise ChannelUnavailable(LOST_ACCESS)
    if not isinstance(entity, types.Channel) or entity.min:
        return  # a "min" channel carries no reliable username or membership
    row = watched.row
    if (entity.username, entity.title) != (row.username, row.title):
        assert row.telegram_id is not None
        await channels.set_resolved(
            ctx.db,
            row.id,
            telegram_id=row.telegram_id,
            access_hash=row.access_hash,
            username=entity.username,
            title=entity.title,
        )
        watched.row = await channels.get(ctx.db, row.id)
    if entity.left and row.access_hash is not None:
        await rejoin(ctx, watched)
