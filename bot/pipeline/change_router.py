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

from bot.clock import Clock
from bot.matching import normalize
from bot.pipeline.route import Delivery, Recipient, alert_key, alert_subject, route
from bot.pipeline.values import ChannelInfo, NewHit, RetractedHit
from bot.text.changes import Deletion, EditedAway, render_deletion, render_edited_away
from storage import channels, outbox, subscribers
from storage.database import Database
from storage.deletions import DeletedHit, DeletedPost
from storage.subscribers import Subscriber


class ChangeNotices:
    def __init__(
        self,
        recipient_of: Callable[[Subscriber], Recipient],
        *,
        clock: Clock,
        wake_deliverer: Callable[[], None],
    ) -> None:
        self.recipient_of = recipient_of
        self.clock = clock
        self.wake_deliverer = wake_deliverer

    async def deleted(
        self, db: Database, channel: ChannelInfo, posts: Sequence[DeletedPost]
    ) -> None:
        """One notice per chat and deleted post, naming every rule it was alerted for."""
        changed = [_deleted_hit(channel, p, h) for p in posts for h in p.hits]
        by_post = {p.message_id: p for p in posts}
        grouped: dict[tuple[int, int], list[Delivery]] = defaultdict(list)
        for d in await self._deliveries(db, changed):
            grouped[(d.chat_id, d.hit.message_id)].append(d)
        items = []
        for (chat_id, message_id), deliveries in grouped.items():
            post = by_post[message_id]
            notice = Deletion(
                channel=channel,
                message_id=message_id,
                date=post.date,
                deleted_at=post.deleted_at,
                text=post.text,
                rules=tuple(d.hit.rule for d in deliveries),
                spans=tuple(sorted({s for d in deliveries for s in d.hit.spans})),
            )
            items.append(
                outbox.NewOutboxItem(
                    dedup_key=f"deleted:{chat_id}:{channel.telegram_id}:{message_id}",
                    chat_id=chat_id,
                    kind="notice",
                    body=render_deletion(notice, deliveries[0].zone),
                    not_before=max(d.not_before for d in deliveries),
                )
            )
        await self._queue(db, items)

    async def edited(self, db: Database, retracted: Sequence[RetractedHit]) -> None:
        """One notice per chat, post and rule an edit took away."""
        by_id = {h.hit_id: h for h in retracted}
        items = []
        for d in await self._deliveries(db, [_retracted_hit(h) for h in retracted]):
            hit = by_id[d.hit.hit_id]
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
                    dedup_key=f"edited:{d.chat_id}:{_subject(d.hit)}",
                    chat_id=d.chat_id,
                    kind="notice",
                    body=render_edited_away(notice, d.zone),
                    not_before=d.not_before,
                )
            )
        await self._queue(db, items)

    async def _deliveries(self, db: Database, changed: Sequence[NewHit]) -> list[Delivery]:
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
        routed = route(changed, recipients, tags, self.clock.now())
        keys = [alert_key(d.chat_id, _subject(d.hit)) for d in routed]
        alerted = await outbox.existing(db, keys)
        return [d for d, key in zip(routed, keys, strict=True) if key in alerted]

    async def _queue(self, db: Database, items: Sequence[outbox.NewOutboxItem]) -> None:
        if items and await outbox.enqueue(db, items):
            self.wake_deliverer()


def _subject(hit: NewHit) -> str:
    return alert_subject(hit.channel.telegram_id, hit.message_id, hit.rule)


def _deleted_hit(channel: ChannelInfo, post: DeletedPost, hit: DeletedHit) -> NewHit:
    """The hit as it stood before the deletion, to route like its alert."""
    return NewHit(
        hit_id=hit.hit_id,
        rule=hit.rule,
        priority=hit.priority,
        channel=channel,
        message_id=post.message_id,
        date=post.date,
        text=post.text,
        spans=hit.spans,
        words=hit.words,
        after_edit=hit.after_edit,
    )


def _retracted_hit(hit: RetractedHit) -> NewHit:
    """The hit as it stood before the edit took it away."""
    return NewHit(
        hit_id=hit.hit_id,
        rule=hit.rule,
        priority=hit.priority,
        channel=hit.channel,
        message_id=hit.message_id,
        date=hit.date,
        text=hit.old_text,
        spans=hit.old_spans,
        words=hit.words,
        after_edit=hit.after_edit,
    )


def removed_words(words: Sequence[str], text: str) -> tuple[str, ...]:
    """The matched words the edited text no longer has (compared normalized: an edit that
    only changed case or ё is no removal); the rest may still be there, unmatched now."""
    now = normalize(text)
    return tuple(w for w in dict.fromkeys(words) if normalize(w) not in now)
