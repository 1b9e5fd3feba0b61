"""The one fake clock of the tests: it implements ``bot.clock.Clock`` and never really waits."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from tests.faketg import START


class FakeClock:
    """``sleep`` advances time at once and records how long was asked (yielding once, so a
    retry loop on this clock lets the rest of the test run)."""

    def __init__(self, start: datetime = START) -> None:
        self.start = start
        self.elapsed = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (a fake Telegram's time, say)."""
        self.elapsed = (moment - self.start).total_seconds()

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += seconds
        await asyncio.sleep(0)
