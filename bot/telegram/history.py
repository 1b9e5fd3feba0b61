"""Reading channel history cheaply: which channels have news, and what is above a mark."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from telethon import TelegramClient, functions, types

PEERS_PER_DIALOGS_CALL = 100
CHUNK = 100  # one GetHistory page


def input_peer(telegram_id: int, access_hash: int) -> types.InputPeerChannel:
    return types.InputPeerChannel(telegram_id, access_hash)


async def top_messages(
    client: TelegramClient, peers: Sequence[types.InputPeerChannel]
) -> dict[int, int]:
    """The newest message id of each channel the account is in, ``PEERS_PER_DIALOGS_CALL`` a call.

    Channels the account is not in are absent from the answer (and from the result).
    """
    tops: dict[int, int] = {}
    for start in range(0, len(peers), PEERS_PER_DIALOGS_CALL):
        batch = [types.InputDialogPeer(p) for p in peers[start : start + PEERS_PER_DIALOGS_CALL]]
        answer = await client(functions.messages.GetPeerDialogsRequest(batch))
        for dialog in answer.dialogs:
            if isinstance(dialog.peer, types.PeerChannel):
                tops[dialog.peer.channel_id] = dialog.top_message
    return tops


def above(
    client: TelegramClient, peer: types.InputPeerChannel, mark: int
) -> AsyncIterator[list[Any]]:
    """Everything newer than ``mark``, oldest first, a page (``CHUNK``) at a time; the caller
    paces the pages on its clock."""
    return _chunks(client.iter_messages(peer, min_id=mark, reverse=True, wait_time=0))


def since(
    client: TelegramClient, peer: types.InputPeerChannel, moment: datetime
) -> AsyncIterator[list[Any]]:
    """Everything posted at or after ``moment``, oldest first, a page at a time."""
    return _chunks(client.iter_messages(peer, offset_date=moment, reverse=True, wait_time=0))


async def latest(client: TelegramClient, peer: types.InputPeerChannel, count: int) -> list[Any]:
    """The newest ``count`` messages, oldest first."""
    newest_first = [m async for m in client.iter_messages(peer, limit=count)]
    return newest_first[::-1]


async def newest_id(client: TelegramClient, peer: types.InputPeerChannel) -> int:
    newest = [m.id async for m in client.iter_messages(peer, limit=1)]
    return newest[0] if newest else 0


async def _chunks(messages: AsyncIterator[Any]) -> AsyncIterator[list[Any]]:
    chunk: list[Any] = []
    async for message in messages:
        chunk.append(message)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
