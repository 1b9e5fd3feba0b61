"""Token buckets: the per-user command budget and the send limits keep bounded memory."""

from __future__ import annotations

import pytest

from bot.ratelimit import KeyedBuckets, TokenBucket


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_refills_at_its_rate_up_to_capacity() -> None:
    clock = Ticks()
    bucket = TokenBucket(rate=0.5, capacity=2, now=clock)
    assert bucket.try_take() and bucket.try_take() and not bucket.try_take()
    assert bucket.wait_time() == 2.0
    clock.now = 100
    assert bucket.full and bucket.try_take() and not bucket.full


def test_idle_keys_are_forgotten_so_memory_follows_recent_users() -> None:
    clock = Ticks()
    buckets: KeyedBuckets[int] = KeyedBuckets(rate=1 / 3, capacity=8, now=clock, sweep_at=100)
    for user in range(10_000):
        buckets[user].try_take()
        clock.now += 1  # each user idle long enough to refill after 24 s
    assert len(buckets) <= 200
    assert 9_999 in buckets  # the recent ones are kept, with what they spent


@pytest.mark.parametrize(
    ("busy_key", "other_key"),
    [("олена", "тарас"), ("olena", "taras"), ("Олена", "олена"), ("olena", "оlena")],
)
def test_forgetting_a_full_bucket_changes_no_decision(busy_key: str, other_key: str) -> None:
    """Keys are taken as given: case and script (a Cyrillic о in the last pair) make another
    key, so one user's empty budget never spills onto a look-alike."""
    clock = Ticks()
    buckets: KeyedBuckets[str] = KeyedBuckets(rate=1, capacity=3, now=clock, sweep_at=1)
    busy = buckets[busy_key]
    assert busy.try_take() and busy.try_take() and busy.try_take()
    assert buckets[other_key].try_take()  # a sweep runs: the empty bucket must survive it
    assert not buckets[busy_key].try_take()
    clock.now = 10
    buckets.prune()
    assert busy_key not in buckets
    assert [buckets[busy_key].try_take() for _ in range(4)] == [True, True, True, False]
