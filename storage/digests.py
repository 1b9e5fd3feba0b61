"""What a digest reads and writes: a period's hits with their posts, and when a chat last got one.

The period query is the hot path of every digest (the spec allows 200 ms over a million
stored messages), so it walks ``hits`` through a date index first and joins messages and
channels by primary key: ``hits_rule_date`` when the digest is for named rules, ``hits_date``
otherwise. ``CROSS JOIN`` pins that order: for a tag filter the planner would otherwise start
from the tagged channels and read every message they ever posted. Rule names and tags go in as
one JSON array parameter each, so a subscriber with thousands of rules never meets SQLite's
bound-parameter limit.

Deleted posts are left out: a digest item is a link to read, and a deleted post's link is
dead. Their hits stay stored as evidence.

Coverage is read when the digest is built, never frozen at ingest. ``tag:NAME`` covers the
channels that carry the tag now: a digest answers "what do my subscriptions cover" at its own
moment, as an instant alert answers it at ingest, its moment. So tagging a channel brings its
posts of the period into the next digest (usually why it was tagged), untagging takes them
out, and re-asking a past period after a re-tag gives another answer than the digest sent
then (which stays as sent). Freezing tags at ingest would take a tag snapshot per hit, and a
mistaken tag would go on filling past periods after it was fixed. Rules likewise: a deleted
rule's hits went with it (cascade), so a ``rule:NAME`` subscription to it covers nothing; a
paused rule's hits stored in the period are shown, since they were caught while it was
active (pausing stops new matches, it does not withdraw evidence).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage.database import Database
from storage.hits import decode_matched
from storage.posts import POST_COLUMNS, ChannelPost, post_values
from storage.unixtime import from_ts, to_ts

Span = tuple[int, int]


@dataclass(frozen=True, slots=True)
class DigestRow(ChannelPost):
    """One hit with its post and channel, as a digest shows it."""

    rule: str
    channel_pk: int
    spans: tuple[Span, ...]
    forward_from: str | None
    forward_channel_id: int | None
    forward_message_id: int | None
    views: int | None = None
    edited: bool = False  # a new wording was stored after the first


_SELECT = (
    f"SELECT {POST_COLUMNS}, r.name, c.id AS channel_pk,"
    " m.forward_from, m.forward_channel_id, m.forward_message_id, h.matched,"
    " m.views, m.edit_seen_at IS NOT NULL AS edited"
    " FROM hits h"
    " CROSS JOIN messages m ON m.id = h.message_pk"
    " JOIN rules r ON r.id = h.rule_id"
    " JOIN channels c ON c.id = m.channel_id"
    " WHERE h.date >= ? AND h.date < ? AND m.deleted = 0"
)
_BY_RULE = "h.rule_id IN (SELECT id FROM rules WHERE name IN (SELECT value FROM json_each(?)))"
_BY_TAG = (
    "m.channel_id IN (SELECT channel_id FROM channel_tags"
    " WHERE tag IN (SELECT value FROM json_each(?)))"
)


def period_query(
    since: datetime, until: datetime, rules: Sequence[str] | None, tags: Sequence[str]
) -> tuple[str, tuple[object, ...]]:
    """The SQL and parameters of :func:`hits_between` (exposed for EXPLAIN in tests)."""
    sql = _SELECT
    params: list[object] = [to_ts(since), to_ts(until)]
    wanted: list[str] = []
    if rules is not None:
        wanted.append(_BY_RULE)
        params.append(json.dumps(sorted(set(rules)), ensure_ascii=False))
    if tags:
        wanted.append(_BY_TAG)
        params.append(json.dumps(sorted(set(tags)), ensure_ascii=False))
    if rules is not None or tags:
        sql += f" AND ({' OR '.join(wanted)})"
    return sql + " ORDER BY h.date, h.id", tuple(params)


async def hits_between(
    db: Database,
    since: datetime,
    until: datetime,
    *,
    rules: Sequence[str] | None = None,
    tags: Sequence[str] = (),
) -> list[DigestRow]:
    """Hits dated in ``[since, until)``, oldest first.

    ``rules=None`` and no ``tags`` means every rule. Otherwise a hit is included when its
    rule is named in ``rules`` or its channel carries one of ``tags`` (how ``tag:NAME``
    subscriptions route instant alerts too); ``rules=[]`` with no tags matches nothing.
    """
    rows = await raw_hits_between(db, since, until, rules=rules, tags=tags)
    return [digest_row(r) for r in rows]


async def raw_hits_between(
    db: Database,
    since: datetime,
    until: datetime,
    *,
    rules: Sequence[str] | None = None,
    tags: Sequence[str] = (),
) -> list[sqlite3.Row]:
    """:func:`hits_between` before :func:`digest_row`: a busy week's 10,000 rows take ~80 ms
    of JSON and dates to turn into ``DigestRow``s, which a caller may do off the event loop."""
    sql, params = period_query(since, until, rules, tags)
    return await db.fetchall(sql, params)


def digest_row(r: sqlite3.Row) -> DigestRow:
    spans, _ = decode_matched(r["matched"])
    return DigestRow(
        *post_values(r),
        rule=r["name"],
        channel_pk=r["channel_pk"],
        spans=spans,
        forward_from=r["forward_from"],
        forward_channel_id=r["forward_channel_id"],
        forward_message_id=r["forward_message_id"],
        views=r["views"],
        edited=bool(r["edited"]),
    )


async def hit_dates(db: Database) -> tuple[datetime, datetime] | None:
    """The dates of the oldest and newest stored hit (``None`` without hits)."""
    row = await db.fetchone("SELECT MIN(date), MAX(date) FROM hits")
    if row is None or row[0] is None:
        return None
    return from_ts(row[0]), from_ts(row[1])


async def unknown_rules(db: Database, names: Sequence[str]) -> list[str]:
    """The names among ``names`` that no rule has, sorted."""
    rows = await db.fetchall(
        "SELECT value FROM json_each(?) WHERE value NOT IN (SELECT name FROM rules)",
        (json.dumps(sorted(set(names)), ensure_ascii=False),),
    )
    return sorted(str(r[0]) for r in rows)


@dataclass(frozen=True, slots=True)
class DigestState:
    """What the scheduler needs to know about a chat's digests beyond its settings."""

    chat_id: int
    last_digest_at: datetime | None
    subscribed_at: datetime | None  # its oldest current subscription
    send_empty: bool  # "nothing new" rather than silence on an empty period


async def digest_state(db: Database, chat_id: int) -> DigestState | None:
    row = await db.fetchone(
        "SELECT s.chat_id, s.last_digest_at, s.digest_empty,"
        " (SELECT MIN(created_at) FROM subscriptions t WHERE t.chat_id = s.chat_id) AS since"
        " FROM subscribers s WHERE s.chat_id = ?",
        (chat_id,),
    )
    if row is None:
        return None
    return DigestState(
        chat_id=row["chat_id"],
        last_digest_at=None if row["last_digest_at"] is None else from_ts(row["last_digest_at"]),
        subscribed_at=None if row["since"] is None else from_ts(row["since"]),
        send_empty=bool(row["digest_empty"]),
    )


async def mark_digest_sent(db: Database, chat_id: int, until: datetime) -> None:
    """Advance the chat's ``last_digest_at`` to ``until`` (never back: digests may overlap).

    Called in the transaction that queues the digest, so a crash either queues it and
    advances, or neither. ``updated_at`` is left alone: it marks settings changes.
    """
    await db.execute(
        "UPDATE subscribers SET last_digest_at = MAX(COALESCE(last_digest_at, 0), ?)"
        " WHERE chat_id = ?",
        (to_ts(until), chat_id),
    )
