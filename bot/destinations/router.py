"""Instant hits become destination rows, in ingest's transaction, beside the chats' alerts.

Destinations are routed by the chats' own ``route()`` (a destination's targets are a chat's
subscriptions; it has no quiet hours), and their rows follow the chats' rules for edits: an
edit that takes the match away withdraws the rows still waiting, one that keeps it re-words
them. The row's body is the alert event (see ``payload``), keyed
``dest:<destination>:<channel>:<message>:<rule>``: one per destination, post and rule.

``Routers`` hands ingest's calls to several routers, so the pipeline keeps one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.destinations.payload import alert_event, alert_fields, encode
from bot.pipeline.ingest import AlertRouter
from bot.pipeline.route import Recipient, alert_subject, route
from bot.pipeline.values import NewHit, RetractedHit
from storage import channels, destinations, outbox
from storage.database import Database
from storage.destinations import Destination

_UTC = ZoneInfo("UTC")


def destination_key(destination_id: int, subject: str) -> str:
    return f"dest:{destination_id}:{subject}"


def _recipient(destination: Destination) -> Recipient:
    values = destination.values
    return Recipient(
        chat_id=destination.id,
        targets=frozenset(values.targets),
        zone=_UTC,
        instant=values.instant,
        active=destination.active,
    )


def _subject(hit: NewHit | RetractedHit) -> str:
    return alert_subject(hit.channel.telegram_id, hit.message_id, hit.rule)


class DestinationRouter:
    """Implements ingest's ``AlertRouter`` protocol for destinations."""

    def __init__(
        self, *, clock: Clock | None = None, wake_deliverer: Callable[[], None] = lambda: None
    ) -> None:
        self.clock = clock or SystemClock()
        self.wake_deliverer = wake_deliverer  # the destinations' deliverer

    async def enqueue(self, db: Database, hits: Sequence[NewHit]) -> None:
        listening = await destinations.list_destinations(db, active_only=True)
        if not listening or not any(h.priority == "instant" for h in hits):
            return
        tags: dict[int, frozenset[str]] = {}
        for telegram_id in {h.channel.telegram_id for h in hits}:
            known = await channels.find(db, telegram_id=telegram_id)
            tags[telegram_id] = frozenset(known.tags) if known else frozenset()
        now = self.clock.now()
        items = []
        events: dict[int, dict[str, object]] = {}  # hit id -> its event, built once
        for delivery in route(hits, [_recipient(d) for d in listening], tags, now):
            key = destination_key(delivery.chat_id, _subject(delivery.hit))
            hit = delivery.hit
            if hit.hit_id not in events:
                events[hit.hit_id] = alert_fields(hit)
            fields = events[hit.hit_id]
            body = encode({"id": key, **fields})
            items.append(destinations.row_for(delivery.chat_id, key, "alert", body, now))
        if await outbox.enqueue(db, items):
            self.wake_deliverer()

    async def withdraw(self, db: Database, retracted: Sequence[RetractedHit]) -> None:
        keys = await self._waiting(db, [_subject(h) for h in retracted])
        await destinations.delete_pending(db, list(keys))

    async def revise(self, db: Database, kept: Sequence[NewHit]) -> None:
        waiting = await self._waiting(db, [_subject(h) for h in kept])
        for hit in kept:
            for key, subject in waiting.items():
                if subject == _subject(hit):
                    await destinations.revise_pending(db, key, encode(alert_event(key, hit)))

    async def _waiting(self, db: Database, subjects: Sequence[str]) -> dict[str, str]:
        """The waiting rows' keys for these subjects, each with its subject."""
        if not subjects:
            return {}
        ids = [d.id for d in await destinations.list_destinations(db)]
        keys = {destination_key(i, s): s for i in ids for s in subjects}
        return {
            r.dedup_key: keys[r.dedup_key] for r in await destinations.pending_rows(db, [*keys])
        }


class Routers:
    """Several routers as one: each gets every call, in order, in the same transaction."""

    def __init__(self, *routers: AlertRouter) -> None:
        self.routers = routers

    async def enqueue(self, db: Database, hits: Sequence[NewHit]) -> None:
        for router in self.routers:
            await router.enqueue(db, hits)

    async def withdraw(self, db: Database, retracted: Sequence[RetractedHit]) -> None:
        for router in self.routers:
            await router.withdraw(db, retracted)

    async def revise(self, db: Database, kept: Sequence[NewHit]) -> None:
        for router in self.routers:
            await router.revise(db, kept)
