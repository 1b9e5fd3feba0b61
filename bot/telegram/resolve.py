"""Turn a channel reference into a readable, joined channel: resolve, check invite, join.

Raises ``ChannelUnavailable`` for failures about the channel; ``FloodWaitError`` and
connection errors pass through for the caller to schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telethon import TelegramClient, errors, functions, types

from bot.telegram.failures import ChannelUnavailable, unavailable
from bot.telegram.refs import ChannelRef


@dataclass(frozen=True, slots=True)
class Resolved:
    telegram_id: int
    access_hash: int
    username: str | None
    title: str | None


async def resolve_and_join(client: TelegramClient, ref: ChannelRef) -> Resolved:
    try:
        channel = await _find(client, ref)
        if getattr(channel, "left", False):
            await client(
                functions.channels.JoinChannelRequest(
                    types.InputChannel(channel.id, channel.access_hash)
                )
            )
    except errors.UserAlreadyParticipantError:
        pass
    except errors.FloodWaitError:
        raise
    except errors.RPCError as error:
        failure = unavailable(error)
        if failure is None:
            raise
        raise failure from error
    return Resolved(channel.id, channel.access_hash, channel.username, channel.title)


async def _find(client: TelegramClient, ref: ChannelRef) -> Any:
    if ref.username is not None:
        found = await client(functions.contacts.ResolveUsernameRequest(ref.username))
        if not isinstance(found.peer, types.PeerChannel):
            raise ChannelUnavailable(f"@{ref.username} is a person or a bot, not a channel")
        return _channel_in(found.chats, found.peer.channel_id)
    if ref.invite_hash is not None:
        return await _by_invite(client, ref.invite_hash)
    assert ref.telegram_id is not None
    return await _by_id(client, ref.telegram_id)


async def _by_invite(client: TelegramClient, invite_hash: str) -> Any:
    invite = await client(functions.messages.CheckChatInviteRequest(invite_hash))
    if isinstance(invite, types.ChatInviteAlready):
        return _channel_in([invite.chat], None)
    if isinstance(invite, types.ChatInvite) and not invite.channel:
        raise ChannelUnavailable("the invite link is for a basic group, not a channel")
    joined = await client(functions.messages.ImportChatInviteRequest(invite_hash))
    channel = _channel_in(joined.chats, None)
    channel.left = False
    return channel


async def _by_id(client: TelegramClient, telegram_id: int) -> Any:
    try:
        peer = await client.get_input_entity(types.PeerChannel(telegram_id))
    except ValueError as error:
        raise ChannelUnavailable(
            f"channel id {telegram_id} is unknown to this account: watch it once by @username"
            " or invite link, or join it in the Telegram app"
        ) from error
    found = await client(
        functions.channels.GetChannelsRequest(
            [types.InputChannel(peer.channel_id, peer.access_hash)]
        )
    )
    return _channel_in(found.chats, telegram_id)


def _channel_in(chats: list[Any], channel_id: int | None) -> Any:
    for chat in chats:
        if isinstance(chat, types.Channel) and channel_id in (None, chat.id):
            return chat
    if any(isinstance(chat, types.ChannelForbidden) for chat in chats):
        raise ChannelUnavailable("the channel is private or the account was banned from it")
    raise ChannelUnavailable("this is not a channel or a supergroup")
