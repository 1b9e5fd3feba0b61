"""Destinations in ``/status`` and ``chanwatch status``: each one's state in a line, the
inactive ones with the reason (never the URL: a destination is known by its name)."""

from __future__ import annotations

from bot.destinations.urls import kind_of
from storage import destinations
from storage.database import Database


async def destination_lines(db: Database) -> tuple[str, ...]:
    waiting = await destinations.backlog(db)
    lines = []
    for destination in await destinations.list_destinations(db):
        kind = kind_of(destination.values.url)
        queued = waiting.get(destination.id, 0)
        if not destination.active:
            state = f"inactive: {destination.inactive_reason or 'no reason recorded'}"
        elif destination.failing_since is not None:
            state = f"retrying since {destination.failing_since:%Y-%m-%d %H:%M} UTC"
            state += f" ({destination.last_error}), {queued} waiting"
        else:
            state = f"active, {queued} waiting"
        lines.append(f"{destination.name} ({kind}): {state}")
    return tuple(lines)
