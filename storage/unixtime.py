"""Unix-seconds conversion in one place, so every table stores time the same way."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def to_ts(moment: datetime) -> int:
    """Seconds since the epoch; naive datetimes are refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: chanwatch stores only aware (UTC) times")
    return int(moment.timestamp())


def from_ts(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def now_ts() -> int:
    return int(time.time())
