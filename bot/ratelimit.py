"""Token buckets: Telegram's send limits and the per-user command limit (pure)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


class TokenBucket:
    """``capacity`` tokens, refilled at ``rate`` per second on the clock ``now``."""

    def __init__(self, rate: float, capacity: float, now: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self._now = now
        self._tokens = capacity
        self._at = now()

    def _refill(self) -> None:
        moment = self._now()
        self._tokens = min(self.capacity, self._tokens + (moment - self._at) * self.rate)
        self._at = moment

    def try_take(self) -> bool:
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate


class KeyedBuckets(Generic[K]):
    """One bucket per key (chat, user), created on first use."""

    def __init__(self, rate: float, capacity: float, now: Callable[[], float]) -> None:
        self.rate, self.capacity, self._now = rate, capacity, now
        self._buckets: dict[K, TokenBucket] = {}

    def __getitem__(self, key: K) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = TokenBucket(self.rate, self.capacity, self._now)
        return bucket
