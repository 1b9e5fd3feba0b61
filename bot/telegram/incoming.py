"""Telethon messages into the pipeline's ``IncomingMessage``: the one place that knows both."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from telethon import types, utils

from bot.pipeline.values import ChannelInfo, IncomingMessage


def to_incoming(
    message: Any, channel: ChannelInfo, entities: Mapping[int, Any] | None = None
) -> IncomingMessage | None:
    """The pipeline's view of a post, or None for service messages and empty slots.

    ``entities`` (marked id -> entity, as Telethon attaches to updates) names forward sources;
    without them, the source Telethon resolved into ``message.forward`` is used.
    """
    if not isinstance(message, types.Message):
        return None
    forward = message.fwd_from
    forward_channel = (
        forward.from_id.channel_id
        if forward is not None and isinstance(forward.from_id, types.PeerChannel)
        else None
    )
    return IncomingMessage(
        channel=channel,
        message_id=message.id,
        date=message.date,
        text=message.message or "",
        edit_date=message.edit_date,
        forward_from=_forward_name(forward, forward_channel, entities or {}, _resolved(message)),
        forward_channel_id=forward_channel,
        forward_message_id=forward.channel_post if forward is not None else None,
        grouped_id=message.grouped_id,
        reply_to=getattr(message.reply_to, "reply_to_msg_id", None),
        has_media=message.media is not None
        and not isinstance(message.media, types.MessageMediaWebPage),
        views=message.views,
        forwards=message.forwards,
        reactions=reaction_count(message),
    )


def reaction_count(message: types.Message) -> int | None:
    """Every reaction on the post added up; None when Telegram sent no reactions block."""
    if message.reactions is None:
        return None
    return sum(int(r.count) for r in message.reactions.results)


def _forward_name(
    forward: Any, forward_channel: int | None, entities: Mapping[int, Any], resolved: Any
) -> str | None:
    if forward is None:
        return None
    if forward.from_name:
        return str(forward.from_name)
    if forward.from_id is not None:
        source = entities.get(utils.get_peer_id(forward.from_id)) or resolved
        name = getattr(source, "title", None) or getattr(source, "first_name", None)
        if name:
            return str(name)
    return f"channel {forward_channel}" if forward_channel else None


def _resolved(message: Any) -> Any:
    """The forward's source chat or user as Telethon resolved it from the response's entities
    (history pages carry them; ``message._entities`` is never set on messages)."""
    forward = getattr(message, "forward", None)
    if forward is None:
        return None
    return getattr(forward, "chat", None) or getattr(forward, "sender", None)
