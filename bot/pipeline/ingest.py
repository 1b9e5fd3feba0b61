"""The async adapter: one batch of messages in, stored messages, hits and routed alerts out.

Everything a batch does happens in ONE transaction — messages, hits, and the router's outbox
rows for new instant hits — so a crash leaves either all of it or none of it: an alert can be
neither lost nor doubled, and a replay killed mid-way leaves whole batches only.

Decisions worth knowing:

- Idempotent per (channel, message id). A message seen again is ``unchanged`` unless its
  content differs; a version older than the stored one (by edit date, else date) never
  overwrites a newer one, so replaying an old export after the live reader changes nothing.
- An edit re-matches the text. Hits that still match keep their id (spans refreshed, and the
  router re-words their alerts still waiting), hits that no longer match are deleted (the
  router withdraws their alerts still waiting), and a rule that matches only after the edit
  gets a new hit marked ``after_edit`` that counts as new; the router alerts once per post
  and rule, however often edits drop and restore it.
- An album (messages sharing a ``grouped_id`` in one channel) is one post: per rule, at most
  one member carries the hit — the first member, by message id, that matches. Telegram puts
  the caption on one member, so usually that one carries every hit; the other members are
  stored (searchable, counted) but add no hits and no alerts.
- Messages with empty text (a photo without caption) are stored but never matched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.matching import RuleMatch
from bot.pipeline.route import alerting
from bot.pipeline.rulebook import RuleBook
from bot.pipeline.scopes import ActiveRule
from bot.pipeline.values import (
    ChannelInfo,
    HighWater,
    IncomingMessage,
    IngestResult,
    NewHit,
    RetractedHit,
)
from storage import channels, hits, messages, post_versions
from storage.database import Database
from storage.hits import HitRecord, StoredHit
from storage.messages import MessageRecord, StoredMessage


class Ingest(Protocol):
    """What takes batches of messages: ``Pipeline``, ``MeteredIngest`` around it, or a test's
    recorder. The reader feeds one (with the mark each batch reads up to)."""

    async def ingest(
        self, batch: Sequence[IncomingMessage], *, mark: HighWater | None = None
    ) -> object: ...


class AlertRouter(Protocol):
    """Turns new instant hits into outbox rows, takes back the waiting alerts of hits an edit
    retracted and re-words those of hits an edit kept, inside the caller's transaction. It is
    handed only hits that alert (``route.alerting``)."""

    async def enqueue(self, db: Database, hits: Sequence[NewHit]) -> None: ...

    async def withdraw(self, db: Database, retracted: Sequence[RetractedHit]) -> None: ...

    async def revise(self, db: Database, kept: Sequence[NewHit]) -> None: ...


def _is_newer_or_same_age(incoming: IncomingMessage, stored: StoredMessage) -> bool:
    return (incoming.edit_date or incoming.date) >= (stored.edit_date or stored.date)


def version_rounds(batch: Sequence[IncomingMessage]) -> list[list[IncomingMessage]]:
    """The batch as rounds holding at most one version of each (channel, id), oldest first.

    A batch can carry several edits of one post (updates that queued up together); each is a
    version to keep, so round ``i`` holds the ``i``-th distinct version of every post that
    has one, ordered by edit date (else date), the later one in the batch on a tie. Most
    batches are one round.
    """
    versions: dict[tuple[int, int], list[IncomingMessage]] = {}
    for m in batch:
        versions.setdefault((m.channel.telegram_id, m.message_id), []).append(m)
    rounds: list[list[IncomingMessage]] = []
    for key in sorted(versions):
        ordered = sorted(versions[key], key=lambda m: m.edit_date or m.date)
        distinct = [m for i, m in enumerate(ordered) if i == 0 or m != ordered[i - 1]]
        for i, m in enumerate(distinct):
            if i == len(rounds):
                rounds.append([])
            rounds[i].append(m)
    return rounds


@dataclass
class _Matched:
    """A new or re-worded message and the rules it matched; ``pk`` is its internal id, known
    up front for a stored message and looked up after insertion for a new one."""

    record: IncomingMessage
    matches: list[RuleMatch]
    pk: int | None
    old_text: str = ""  # an edited message's text before the edit

    def __post_init__(self) -> None:
        self.edited = self.pk is not None


@dataclass
class _ChannelBatch:
    """The work for one channel's messages within a batch."""

    channel_pk: int
    info: ChannelInfo
    only: frozenset[str] | None
    inserts: list[MessageRecord] = field(default_factory=list)
    updates: list[MessageRecord] = field(default_factory=list)
    reworded: list[int] = field(default_factory=list)  # pks whose text an update replaces
    unchanged: int = 0
    matched: list[_Matched] = field(default_factory=list)
    retracted: list[RetractedHit] = field(default_factory=list)
    kept: list[NewHit] = field(default_factory=list)  # hits of re-worded posts, current text


class Pipeline:
    """Normalize, match, store and route batches of messages over one database."""

    def __init__(
        self, db: Database, *, router: AlertRouter | None = None, rulebook: RuleBook | None = None
    ) -> None:
        self.db = db
        self.router = router
        self.rules = rulebook or RuleBook()

    async def ingest(
        self, batch: Sequence[IncomingMessage], *, mark: HighWater | None = None
    ) -> IngestResult:
        """Store a batch in one transaction, and with it the channel's new ``mark`` (the
        reader's catch-up and live posts: a batch and the mark covering it commit together)."""
        if not batch and mark is None:
            return IngestResult()
        results = []
        async with self.db.transaction():
            for one in version_rounds(batch):
                results.append(await self._ingest_round(one))
            if mark is not None:
                channel_pk = await channels.ensure_seen(
                    self.db, mark.telegram_id, title=None, username=None
                )
                await channels.advance_high_water(self.db, channel_pk, mark.message_id)
        return IngestResult(
            sum(r.stored for r in results),
            sum(r.updated for r in results),
            sum(r.unchanged for r in results),
            tuple(h for r in results for h in r.new_hits),
        )

    async def _ingest_round(self, batch: Sequence[IncomingMessage]) -> IngestResult:
        """One version of each message of the batch, inside the batch's transaction."""
        db = self.db
        async with db.transaction():
            await self.rules.refresh(db)
            by_channel: dict[int, list[IncomingMessage]] = defaultdict(list)
            for m in batch:
                by_channel[m.channel.telegram_id].append(m)
            stored = updated = unchanged = 0
            new_hits: list[NewHit] = []
            retracted: list[RetractedHit] = []
            kept: list[NewHit] = []
            for group in by_channel.values():
                work = await self._classify(group)
                await self._fold_albums(work)
                await messages.insert_many(db, work.inserts)
                await post_versions.supersede(db, work.reworded)
                await messages.update_many(db, work.updates)
                new_hits.extend(await self._store_hits(work))
                retracted.extend(work.retracted)
                kept.extend(work.kept)
                stored += len(work.inserts)
                updated += len(work.updates)
                unchanged += work.unchanged
                latest = max(m.date for m in group)
                await messages.note_last_posts(db, [(work.channel_pk, latest)])
            if self.router is not None:
                revisable, instant = alerting(kept), alerting(new_hits)
                if retracted:
                    await self.router.withdraw(db, retracted)
                if revisable:
                    await self.router.revise(db, revisable)
                if instant:
                    await self.router.enqueue(db, instant)
        return IngestResult(stored, updated, unchanged, tuple(new_hits))

    async def _classify(self, group: list[IncomingMessage]) -> _ChannelBatch:
        """Split one channel's messages into new, edited and unchanged, and match the text of
        the new and the re-worded ones."""
        db = self.db
        title = next((m.channel.title for m in group if m.channel.title), None)
        username = next((m.channel.username for m in group if m.channel.username), None)
        telegram_id = group[0].channel.telegram_id
        channel_pk = await channels.ensure_seen(db, telegram_id, title=title, username=username)
        row, only = await self.rules.channel(db, channel_pk)
        info = ChannelInfo(telegram_id, title or row.title, username or row.username)
        work = _ChannelBatch(channel_pk, info, only)
        known = await messages.find_many(db, channel_pk, [m.message_id for m in group])
        for m in group:
            old: StoredMessage | None = known.get(m.message_id)
            if old is None:
                work.inserts.append(MessageRecord(channel_pk, m))
                work.matched.append(_Matched(m, self.rules.match(m.text, only), None))
            elif old.same_as(m) or not _is_newer_or_same_age(m, old):
                work.unchanged += 1
            else:
                work.updates.append(MessageRecord(channel_pk, m))
                if old.text != m.text:
                    work.reworded.append(old.id)
                    matches = self.rules.match(m.text, only)
                    work.matched.append(_Matched(m, matches, old.id, old.text))
        return work

    async def _fold_albums(self, work: _ChannelBatch) -> None:
        """Drop matches another member of the same album already carries."""
        grouped = sorted(
            (m for m in work.matched if m.record.grouped_id is not None),
            key=lambda m: m.record.message_id,
        )
        if not grouped:
            return
        gids = sorted({m.record.grouped_id for m in grouped if m.record.grouped_id is not None})
        claims: dict[tuple[int, str], int] = {}
        for gid, rule_id, message_id in await hits.album_claims(self.db, work.channel_pk, gids):
            name = self.rules.name_of(rule_id)
            if name is not None:
                claims.setdefault((gid, name), message_id)
        for item in grouped:
            mid, album = item.record.message_id, item.record.grouped_id
            assert album is not None
            for key in [k for k, holder in claims.items() if holder == mid]:
                del claims[key]
            item.matches = [
                m for m in item.matches if claims.setdefault((album, m.rule), mid) == mid
            ]

    async def _store_hits(self, work: _ChannelBatch) -> list[NewHit]:
        """Insert the hits that are new, refresh the spans of kept ones, delete the ones an
        edit took away; return the new ones with what an alert needs."""
        db = self.db
        fresh = [m for m in work.matched if not m.edited and m.matches]
        if fresh:
            pks = await messages.ids_of(db, work.channel_pk, [m.record.message_id for m in fresh])
            for item in fresh:
                item.pk = pks.get(item.record.message_id)
        by_pk = {m.pk: m for m in work.matched if m.pk is not None}
        edited = [pk for pk, m in by_pk.items() if m.edited]
        before: dict[int, dict[str, StoredHit]] = defaultdict(dict)
        for hit in await hits.for_messages(db, edited) if edited else ():
            before[hit.message_pk][self.rules.name_of(hit.rule_id) or ""] = hit
        inserts: list[HitRecord] = []
        refreshed: list[tuple[int, tuple[tuple[int, int], ...], tuple[str, ...]]] = []
        gone: list[int] = []
        for pk, item in by_pk.items():
            had = before.get(pk, {})
            for match in item.matches:
                rule = self.rules.rule(match.rule)
                previous = had.pop(rule.name, None)
                if previous is None:
                    inserts.append(
                        HitRecord(
                            pk, rule.id, match.spans, match.words, item.record.date, item.edited
                        )
                    )
                else:
                    if previous.spans != match.spans:
                        refreshed.append((previous.id, match.spans, match.words))
                    work.kept.append(
                        _hit(previous.id, rule, work.info, item.record, match, previous.after_edit)
                    )
            for name, hit in had.items():
                if self.rules.evaluated(name, work.only):
                    gone.append(hit.id)
                    work.retracted.append(
                        RetractedHit(
                            hit_id=hit.id,
                            rule=name,
                            channel=work.info,
                            message_id=item.record.message_id,
                            priority=self.rules.rule(name).priority,
                            date=item.record.date,
                            words=hit.words,
                            old_text=item.old_text,
                            old_spans=hit.spans,
                            text=item.record.text,
                            after_edit=hit.after_edit,
                        )
                    )
        await hits.delete_many(db, gone)
        await hits.update_matched(db, refreshed)
        if not inserts:
            return []
        await hits.insert_many(db, inserts)
        stored = await hits.for_messages(db, sorted({h.message_pk for h in inserts}))
        ids = {(h.message_pk, h.rule_id): h.id for h in stored}
        return [
            _hit(
                ids[(h.message_pk, h.rule_id)],
                self.rules.rule_by_id(h.rule_id),
                work.info,
                by_pk[h.message_pk].record,
                h,
                h.after_edit,
            )
            for h in inserts
        ]


def _hit(
    hit_id: int,
    rule: ActiveRule,
    channel: ChannelInfo,
    record: IncomingMessage,
    matched: RuleMatch | HitRecord,
    after_edit: bool,
) -> NewHit:
    """A hit as the router receives it: the post and what of it matched."""
    return NewHit(
        hit_id=hit_id,
        rule=rule.name,
        priority=rule.priority,
        channel=channel,
        message_id=record.message_id,
        date=record.date,
        text=record.text,
        spans=matched.spans,
        words=matched.words,
        after_edit=after_edit,
    )
