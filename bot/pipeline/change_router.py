"""Notices through the outbox when a post a chat was alerted to changes: deleted, or edited so
that the rule no longer matches.

Who hears: exactly the chats that got (or are about to get) the instant alert for that post
and rule — the alert's outbox row exists — and that the alert router would still reach today
(subscribed, active, instant alerts on) with ``/settings changes on``. A chat that never saw
the alert has nothing to correct; an alert still waiting when an edit retracts it is
withdrawn instead (``OutboxRouter.withdraw``), so only chats that may have read it hear.
Quiet hours hold a notice like an alert.

The notice is queued in the caller's transaction, with the change itself (the deletion flag,
the edited text), under a key per chat and post (``deleted:…``) or per chat, post and rule
(``edited:…``): a crash and a rerun, or the same deletion learned twice, queue it once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.change_alerts import Deletion, EditedAway, render_deletion, render_edited_away
from bot.matching import normalize
from bot.pipeline.model import ChannelInfo, RetractedHit
from bot.pipeline.route import Delivery, Recipient, alert_key, alert_subject, route
from storage import channels, outbox, subscribers
from storage.database import Database
from storage.deletions import DeletedHit, DeletedPost
from storage.subscribers import Subscriber


@dataclass(frozen=True, slots=True)
class _Changed:
    """A (post, rule) pair that changed, as routing reads a hit."""

    rule: str
    priority: str
    channel: ChannelInfo
    message_id: int
    payload: DeletedHit | RetractedHit

    @property
    def subject(self) -> str:
        return alert_subject(self.channel.telegram_id, self.message_id, self.rule)


class ChangeNotices:
    def __init__(
        self,
        recipient_of: Callable[[Subscriber], Recipient],
        *,
        now: Callable[[], datetime],
        queued: Callable[[], None],
    ) -> None:
        self.recipient_of = recipient_of
        self.now = now
        self.queued = queued

    async def deleted(
        self, db: Database, channel: ChannelInfo, posts: Sequence[DeletedPost]
    ) -> None:
        """One notice per chat and deleted post, naming every rule it was alerted for."""
        changed = [
            _Changed(h.rule, h.priority, channel, p.message_id, h) for p in posts for h in p.hits
        ]
        by_post = {p.message_id: p for p in posts}
        grouped: dict[tuple[int, int], list[Delivery[_Changed]]] = defaultdict(list)
        for d in await self._deliveries(db, changed):
            grouped[(d.chat_id, d.hit.message_id)].append(d)
        items = []
        for (chat_id, message_id), deliveries in grouped.items():
            post, first = by_post[message_id], deliveries[0]
            spans = sorted({s for d in deliveries for s in _spans(d.hit.payload)})
            notice = Deletion(
                channel=channel,
                message_id=message_id,
                date=post.date,
                deleted_at=post.deleted_at,
                text=post.text,
                rules=tuple(d.hit.rule for d in deliveries),
                spans=tuple(spans),
            )
            items.append(
                outbox.NewOutboxItem(
                    dedup_key=f"deleted:{chat_id}:{channel.telegram_id}:{message_id}",
                    chat_id=chat_id,
                    kind="notice",
                    body=render_deletion(notice, first.zone),
                    not_before=max(d.not_before for d in deliveries),
                )
            )
        await self._queue(db, items)

    async def edited(self, db: Database, retracted: Sequence[RetractedHit]) -> None:
        """One notice per chat, post and rule an edit took away."""
        changed = [_Changed(h.rule, h.priority, h.channel, h.message_id, h) for h in retracted]
        items = []
        for d in await self._deliveries(db, changed):
            hit = d.hit.payload
            assert isinstance(hit, RetractedHit)
            notice = EditedAway(
                rule=hit.rule,
                channel=hit.channel,
                message_id=hit.message_id,
                date=hit.date,
                removed=removed_words(hit.words, hit.text),
                old_text=hit.old_text,
                old_spans=hit.old_spans,
                text=hit.text,
            )
            items.append(
                outbox.NewOutboxItem(
                    dedup_key=f"edited:{d.chat_id}:{d.hit.subject}",
                    chat_id=d.chat_id,
                    kind="notice",
                    body=render_edited_away(notice, d.zone),
                    not_before=d.not_before,
                )
            )
        await self._queue(db, items)

    async def _deliveries(
        self, db: Database, changed: Sequence[_Changed]
    ) -> list[Delivery[_Changed]]:
        """Routed like the alert, kept only where that chat's alert row exists."""
        if not changed:
            return []
        recipients = [
            self.recipient_of(s)
            for s in await subscribers.list_subscribers(db, active_only=True)
            if s.changes
        ]
        tags: dict[int, frozenset[str]] = {}
        for telegram_id in {c.channel.telegram_id for c in changed}:
            known = await channels.find(db, telegram_id=telegram_id)
            tags[telegram_id] = frozenset(known.tags) if known else frozenset()
        routed = route(changed, recipients, tags, self.now())
        alerted = await outbox.existing(db, [alert_key(d.chat_id, d.hit.subject) for d in routed])
        return [d for d in routed if alert_key(d.chat_id, d.hit.subject) in alerted]

    async def _queue(self, db: Database, items: Sequence[outbox.NewOutboxItem]) -> None:
        if items and await outbox.enqueue(db, items):
            self.queued()


def removed_words(words: Sequence[str], text: str) -> tuple[str, ...]:
    """The matched words the edited text no longer has (compared normalized: an edit that
    only changed case or ё is no removal); the rest may still be there, unmatched now."""
    now = normalize(text)
    return tuple(w for w in dict.fromkeys(words) if normalize(w) not in now)


def _spans(payload: DeletedHit | RetractedHit) -> tuple[tuple[int, int], ...]:
    return payload.spans if isinstance(payload, DeletedHit) else payload.old_spans
