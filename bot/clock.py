"""Time as a dependency, so rate limits, backoff and FloodWait sleeps are testable at once.

The service makes one ``Clock`` and hands the same one to every part (reader, deliverer,
router, scheduler, bot), so a test that swaps it moves the whole process's time at once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (rate limits)."""
        ...

    def now(self) -> datetime:
        """The aware UTC wall time (what is stored and compared with ``not_before``)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def sleep_unless(clock: Clock, seconds: float, stopping: asyncio.Event) -> None:
    """Sleep on ``clock``, unless ``stopping`` is set first: a FloodWait or a reconnect delay
    may be long, a stop must be prompt."""
    if stopping.is_set():
        return
    nap = asyncio.ensure_future(clock.sleep(seconds))
    stopped = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({nap, stopped}, return_when=asyncio.FIRST_COMPLETED)
    for task in (nap, stopped):
        task.cancel()
