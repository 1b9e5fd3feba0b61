"""The ingest pipeline's alert router: new instant hits become outbox rows.

Ingest calls :meth:`OutboxRouter.enqueue` inside its own transaction, so the hits and their
alerts commit together: a crash can neither lose an alert nor queue one twice (the outbox's
``dedup_key`` is unique per chat, post and rule, so an edit that drops a match and a later
one that restores it alert once).

An edit that takes a hit away withdraws that hit's alerts still waiting in the outbox (held
by quiet hours or a retry): they would quote words the post no longer has, and the post's
link would show text that does not match. Alerts already handed to Telegram stand, and
their keys keep the restored match from alerting again. An edit that keeps the match
re-renders that hit's waiting alerts with the post's current words, in the same transaction:
the subscriber opens the link and reads what the alert quoted. Each keeps its key and its
place in the chat's order; alerts already sending or sent are left as they went out, and the
chats they went to hear that the post was edited away (``change_router``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.clock import Clock, SystemClock
from bot.pipeline.change_router import ChangeNotices
from bot.pipeline.route import QuietHours, Recipient, alert_subject, route
from bot.pipeline.values import NewHit, RetractedHit
from bot.text.alerts import render_alert
from storage import channels, outbox, subscribers
from storage.database import Database
from storage.subscribers import Subscriber


def zone_of(subscriber: Subscriber, default_zone: ZoneInfo) -> ZoneInfo:
    return ZoneInfo(subscriber.timezone) if subscriber.timezone else default_zone


def recipient(subscriber: Subscriber, default_zone: ZoneInfo) -> Recipient:
    quiet = None
    if subscriber.quiet_start and subscriber.quiet_end:
        quiet = QuietHours.parse(subscriber.quiet_start, subscriber.quiet_end)
    return Recipient(
        chat_id=subscriber.chat_id,
        targets=frozenset(subscriber.targets),
        zone=zone_of(subscriber, default_zone),
        quiet=quiet,
        instant=subscriber.instant,
        active=subscriber.active,
    )


class OutboxRouter:
    """Implements ingest's ``AlertRouter`` protocol."""

    def __init__(
        self,
        default_zone: ZoneInfo,
        *,
        clock: Clock | None = None,
        wake_deliverer: Callable[[], None] = lambda: None,
    ) -> None:
        self.default_zone = default_zone
        self.clock = clock or SystemClock()
        self.wake_deliverer = wake_deliverer  # rows were queued: the deliverer stops idling
        self.changes = ChangeNotices(
            lambda s: recipient(s, default_zone), clock=self.clock, wake_deliverer=wake_deliverer
        )

    async def enqueue(self, db: Database, hits: Sequence[NewHit]) -> None:
        if not hits:
            return
        recipients = [
            recipient(s, self.default_zone)
            for s in await subscribers.list_subscribers(db, active_only=True)
        ]
        tags: dict[int, frozenset[str]] = {}
        for telegram_id in {h.channel.telegram_id for h in hits}:
            known = await channels.find(db, telegram_id=telegram_id)
            tags[telegram_id] = frozenset(known.tags) if known else frozenset()
        items = [
            outbox.NewOutboxItem(
                dedup_key=d.dedup_key,
                chat_id=d.chat_id,
                kind="alert",
                body=render_alert(d.hit, d.zone),
                not_before=d.not_before,
            )
            for d in route(hits, recipients, tags, self.clock.now())
        ]
        if await outbox.enqueue(db, items):
            self.wake_deliverer()

    async def withdraw(self, db: Database, retracted: Sequence[RetractedHit]) -> None:
        subjects = [alert_subject(h.channel.telegram_id, h.message_id, h.rule) for h in retracted]
        await outbox.withdraw_pending(db, "alert", subjects)
        await self.changes.edited(db, retracted)  # the chats that may have read the alert

    async def revise(self, db: Database, kept: Sequence[NewHit]) -> None:
        """Re-render the waiting alerts of hits an edit kept, with the post's current text.

        Each chat's alert is rendered in that chat's zone, as when it was queued; a chat gone
        inactive or unsubscribed since still has its waiting alert brought up to date.
        """
        if not kept:
            return
        zones = {
            s.chat_id: zone_of(s, self.default_zone) for s in await subscribers.list_subscribers(db)
        }
        for hit in kept:
            subject = alert_subject(hit.channel.telegram_id, hit.message_id, hit.rule)
            await outbox.revise_pending(
                db, "alert", subject, _renderer(hit, zones, self.default_zone)
            )


def _renderer(
    hit: NewHit, zones: Mapping[int, ZoneInfo], default_zone: ZoneInfo
) -> Callable[[int], str]:
    return lambda chat_id: render_alert(hit, zones.get(chat_id, default_zone))
