"""Real TelegramClients wired to a FakeTelegram, and two ways to feed them updates."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from telethon import TelegramClient, types
from telethon.sessions import MemorySession
from telethon.sessions.abstract import Session

from tests.faketg.sender import FakeSender
from tests.faketg.wire import over_the_wire
from tests.faketg.world import FakeTelegram
from tests.support.waiting import eventually

API_ID = 12345
API_HASH = "0123456789abcdef0123456789abcdef"


def attach(
    client: TelegramClient, world: FakeTelegram, *, bot: bool = False, authorized: bool = True
) -> FakeSender:
    """Replace the client's network layer; call before ``client.connect()``."""
    sender = FakeSender(world, world.bot if bot else world.me, authorized=authorized)
    sender.updates_queue = client._updates_queue
    client._sender = sender
    world.senders.append(sender)
    return sender


async def make_client(
    world: FakeTelegram,
    *,
    bot: bool = False,
    authorized: bool = True,
    session: Session | None = None,
    **kwargs: Any,
) -> TelegramClient:
    """A connected real ``TelegramClient`` (the user account, or the bot with ``bot=True``).

    Defaults suit tests: ``flood_sleep_threshold=0`` so every FloodWait reaches the caller,
    ``sequential_updates=True`` so handlers run in order. Override any client keyword.
    """
    options: dict[str, Any] = {
        "flood_sleep_threshold": 0,
        "sequential_updates": True,
        "request_retries": 1,
        "connection_retries": 1,
        "retry_delay": 0,
    }
    options.update(kwargs)
    client = TelegramClient(session or MemorySession(), API_ID, API_HASH, **options)
    attach(client, world, bot=bot, authorized=authorized)
    await client.connect()
    return client


def forget_flood_waits(client: TelegramClient) -> None:
    """Telethon remembers FloodWaits in wall-clock time and refuses early; tests move faster."""
    client._flood_waited_requests.clear()


async def push(client: TelegramClient, world: FakeTelegram, *updates: Any) -> None:
    """Dispatch updates straight to the client's handlers; returns when they have run.

    Skips the message box (no pts checks), so it is deterministic: use it for "this update
    arrives now". Use :func:`deliver` to go through the update loop and its gap detection.
    """
    users, chats = over_the_wire(list(world.entities()))
    processed = await client._preprocess_updates(over_the_wire(list(updates)), users, chats)
    for update in processed:
        await client._dispatch_update(update)


async def deliver(
    client: TelegramClient,
    world: FakeTelegram,
    *updates: Any,
    until: Callable[[], bool] | None = None,
) -> None:
    """Queue updates as one ``Updates`` container, as the network would, and let them settle.

    A pts gap is held by Telethon for half a second before it asks for the difference: pass
    ``until`` (e.g. "the handler saw 3 messages") to wait for that instead of for quiet.
    """
    users, chats = world.entities()
    client._updates_queue.put_nowait(
        over_the_wire(
            types.Updates(updates=list(updates), users=users, chats=chats, date=world.now, seq=0)
        )
    )
    await settle(client, until=until)


async def settle(client: TelegramClient, *, until: Callable[[], bool] | None = None) -> None:
    """Yield to the loop until ``until()`` holds (failing after a generous wait, never
    returning as if it had), or else until updates and handlers are quiet."""
    if until is not None:
        await eventually(until, what="the updates were handled")
        return
    quiet = 0
    for _ in range(600):
        await asyncio.sleep(0.005)
        busy = not client._updates_queue.empty() or any(
            not t.done() for t in client._event_handler_tasks
        )
        quiet = 0 if busy else quiet + 1
        if quiet >= 4:
            return
