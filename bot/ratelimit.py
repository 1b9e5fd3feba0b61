"""Token buckets: Telegram's send limits and the per-user command limit (pure)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
# A sleep of exactly ``wait_time()`` may refill a rounding error short of a whole token; on a
# clock that does not move by itself (a test's) the next wait would then be too small to move
# it at all, forever. Counting a token that close as whole costs nothing real.
ROUNDING = 1e-9


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
        if self._tokens >= 1 - ROUNDING:
            self._tokens = max(0.0, self._tokens - 1)
            return True
        return False

    @property
    def full(self) -> bool:
        """Refilled to capacity: no different from a bucket made afresh."""
        self._refill()
        return self._tokens >= self.capacity

    def wait_time(self) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill()
        return 0.0 if self._tokens >= 1 - ROUNDING else (1 - self._tokens) / self.rate


class KeyedBuckets(Generic[K]):
    """One bucket per key (chat, user), created on first use.

    Memory stays bounded by the keys active recently: when the map has doubled since the
    last sweep, buckets that have refilled to capacity are dropped. A full bucket is exactly
    what a new one would be, so dropping it changes no decision.
    """

    def __init__(
        self, rate: float, capacity: float, now: Callable[[], float], *, sweep_at: int = 1024
    ) -> None:
        self.rate, self.capacity, self._now = rate, capacity, now
        self._buckets: dict[K, TokenBucket] = {}
        self._min_sweep = self._sweep_at = sweep_at

    def __getitem__(self, key: K) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self._sweep_at:
                self.prune()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.capacity, self._now)
        return bucket

    def __len__(self) -> int:
        return len(self._buckets)

    def __contains__(self, key: object) -> bool:
        return key in self._buckets

    def prune(self) -> None:
        """Forget idle keys (their buckets are full again)."""
        self._buckets = {k: b for k, b in self._buckets.items() if not b.full}
        self._sweep_at = max(self._min_sweep, 2 * len(self._buckets))
