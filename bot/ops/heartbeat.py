"""The service's life as recorded in ``service_state``, so status works from the database alone.

``chanwatch run`` calls ``mark_started`` once, ``beat`` every ``HEARTBEAT_INTERVAL``,
``record_error`` when something fails that an operator should see, and ``mark_stopped`` on a
clean shutdown. ``chanwatch status`` reads the same keys (``read``) in another process.
Times are stored as unix seconds, like every other time in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage import state
from storage.database import Database

HEARTBEAT_INTERVAL = timedelta(seconds=60)
# A heartbeat older than this means the process is gone (killed, hung or stopped).
STALE_AFTER = 3 * HEARTBEAT_INTERVAL
MAX_ERROR_CHARS = 500

STARTED_AT = "started_at"
STOPPED_AT = "stopped_at"
HEARTBEAT_AT = "heartbeat_at"
LAST_ERROR = "last_error"
LAST_ERROR_AT = "last_error_at"


@dataclass(frozen=True, slots=True)
class ServiceLife:
    started_at: datetime | None
    stopped_at: datetime | None
    heartbeat_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    def running(self, now: datetime) -> bool:
        """Started, not cleanly stopped since, and beating recently."""
        if self.started_at is None or self.heartbeat_at is None:
            return False
        if self.stopped_at is not None and self.stopped_at >= self.started_at:
            return False
        return now - self.heartbeat_at <= STALE_AFTER


def _stamp(moment: datetime) -> str:
    return str(int(moment.timestamp()))


def _parse(value: str | None) -> datetime | None:
    """Unix seconds, or an ISO 8601 time, tolerated so a hand-written value never breaks status."""
    if not value:
        return None
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError):
        pass
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def mark_started(db: Database, now: datetime) -> None:
    async with db.transaction():
        await state.put(db, STARTED_AT, _stamp(now))
        await state.put(db, HEARTBEAT_AT, _stamp(now))


async def beat(db: Database, now: datetime) -> None:
    await state.put(db, HEARTBEAT_AT, _stamp(now))


async def mark_stopped(db: Database, now: datetime) -> None:
    await state.put(db, STOPPED_AT, _stamp(now))


async def record_error(db: Database, message: str, now: datetime) -> None:
    """Keep the latest error for ``status``; the caller logs it (redacted) as usual."""
    text = " ".join(message.split())
    if len(text) > MAX_ERROR_CHARS:
        text = text[: MAX_ERROR_CHARS - 1] + "…"
    async with db.transaction():
        await state.put(db, LAST_ERROR, text)
        await state.put(db, LAST_ERROR_AT, _stamp(now))


async def read(db: Database) -> ServiceLife:
    values = await state.all_values(db)
    return ServiceLife(
        started_at=_parse(values.get(STARTED_AT)),
        stopped_at=_parse(values.get(STOPPED_AT)),
        heartbeat_at=_parse(values.get(HEARTBEAT_AT)),
        last_error=values.get(LAST_ERROR) or None,
        last_error_at=_parse(values.get(LAST_ERROR_AT)),
    )
