"""The reader's one queue: live updates, sync requests and the stop, served in order.

One queue for everything is what keeps a channel's posts in order: a live update that
arrives during a catch-up waits behind it and is then merged by the high-water mark. When
nothing is queued and a sync falls due (a FloodWait's end), the queue hands out a sync of
its own.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telethon import types

ALBUM_ROUNDS = 10  # at most this many album waits per batch, so a flood of albums still moves


@dataclass(frozen=True)
class Live:
    update: Any


@dataclass(frozen=True)
class SyncRequest:
    done: asyncio.Future[None] | None = None  # set once a sync has run after the request


class Stop:
    pass


Work = Live | SyncRequest | Stop


class WorkQueue:
    def __init__(self) -> None:
        self._items: deque[Work] = deque()
        self._wake = asyncio.Event()

    def push(self, item: Work) -> None:
        self._items.append(item)
        self._wake.set()

    async def next(self, due_in: Callable[[], float | None]) -> Work:
        """The next item; a ``SyncRequest`` once ``due_in()`` seconds passed with none queued
        (``None``: wait for an item however long)."""
        while not self._items:
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), due_in())
            if not self._items and due_in() == 0:
                return SyncRequest()
        return self._items.popleft()

    def absorb_syncs(self) -> list[asyncio.Future[None] | None]:
        """Queued sync requests are all served by the sync about to run."""
        syncs = [item for item in self._items if isinstance(item, SyncRequest)]
        for item in syncs:
            self._items.remove(item)
        return [item.done for item in syncs]

    async def live_batch(
        self, first: Live, album_wait: float, stopping: asyncio.Event
    ) -> list[Any]:
        """Drain queued live updates; wait briefly if an album may still be arriving.

        An album's posts arrive as separate updates; taking them in one batch lets the
        pipeline see the album whole.
        """
        batch = [first.update]
        for _ in range(ALBUM_ROUNDS):
            while self._items and isinstance(self._items[0], Live):
                item = self._items.popleft()
                assert isinstance(item, Live)
                batch.append(item.update)
            last = batch[-1]
            grouped = isinstance(last, types.UpdateNewChannelMessage) and getattr(
                last.message, "grouped_id", None
            )
            if not grouped or stopping.is_set():
                break
            before = len(self._items)
            await asyncio.sleep(album_wait)
            if len(self._items) == before:
                break
        return batch
