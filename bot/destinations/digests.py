"""Digests for destinations that subscribe to them (a ``digest`` schedule, in TIMEZONE).

Checked every half minute (a periodic job of the service's scheduler): when the schedule's
latest fire is later than the destination's ``last_digest_at``, the period from there to
that fire is built (the same coverage, stories and snippets as a chat's digest), queued as
one outbox row (``dest-digest:<id>:<until>``) and ``last_digest_at`` moved, in one
transaction, so a crash neither loses nor doubles one, and a digest missed while down is
sent once on start. A new destination starts counting at the fire before it was added; an
empty period sends nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.destinations.payload import digest_event, encode
from bot.digest.gather import Coverage, digest_for_coverage
from bot.digest.schedule import ScheduleError, parse_schedule, previous_fire
from bot.logs import fields
from bot.ops.scheduler import digest_period
from storage import destinations, outbox
from storage.database import Database
from storage.destinations import Destination
from storage.unixtime import to_ts

log = logging.getLogger(__name__)

DIGEST_CHECK_EVERY = timedelta(seconds=30)


async def queue_due_digests(db: Database, now: datetime, zone_name: str) -> int:
    """Queue every destination digest that is due; returns how many rows were queued."""
    zone = ZoneInfo(zone_name)
    queued = 0
    for destination in await destinations.list_destinations(db, active_only=True):
        if destination.values.digest_schedule:
            queued += await _one(db, destination, now, zone)
    return queued


async def _one(db: Database, destination: Destination, now: datetime, zone: ZoneInfo) -> int:
    try:
        schedule = parse_schedule(destination.values.digest_schedule or "")
    except ScheduleError as error:
        log.warning(
            "destination digest schedule unusable",
            extra=fields(destination=destination.name, error=str(error)),
        )
        return 0
    fire = previous_fire(schedule, zone, now)
    if fire is None:
        return 0
    if destination.last_digest_at is None:
        await destinations.set_last_digest(db, destination.id, fire)
        return 0
    period = digest_period(schedule, zone, fire, destination.last_digest_at)
    if period is None:
        return 0
    digest = await digest_for_coverage(db, Coverage.of(destination.values.targets), period, zone)
    key = f"dest-digest:{destination.id}:{to_ts(period.until)}"
    async with db.transaction():
        added = 0
        if digest.hits:
            item = destinations.row_for(
                destination.id, key, "digest", encode(digest_event(key, digest)), now
            )
            added = await outbox.enqueue(db, [item])
        await destinations.set_last_digest(db, destination.id, period.until)
    return added
