"""What the channel itself, as it comes with a live update, says has changed about it.

Telegram sends the current ``Channel`` along with every update, and an ``UpdateChannel`` with
nothing but the id when the channel changes or the account's membership does. So:

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

import contextlib
import logging
from collections.abc import Mapping
from typing import Any

from telethon import errors, functions, types, utils

from bot.logs import fields
from bot.telegram.failures import ChannelUnavailable
from bot.telegram.reader_context import ReaderContext
from bot.telegram.watched import Watched
from storage import channels

LOST_ACCESS = "the channel is private or the account was banned from it"
LEFT_PRIVATE = "the account left this invite-only channel: watch it again with a valid invite link"

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
