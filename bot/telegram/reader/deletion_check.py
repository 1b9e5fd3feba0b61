"""The deletion check: ask Telegram whether recent hit posts still exist, and note the gone.

Live ``UpdateDeleteChannelMessages`` only report deletions made while chanwatch is connected,
and not even all of those. So after every catch-up (start, reconnect), and at the first sync
(the periodic sweep) once ``check_period`` has passed since the last check, each channel's
stored posts that carried hits and are newer than ``check_window`` are fetched by id, 100 per
``channels.GetMessages`` request (Telegram's maximum), every request of a check
``page_wait`` seconds after the last; an id that comes back empty is a deletion
(``via="check"``). A channel with N such posts costs ceil(N / 100) requests per check, and a
channel without hits in the window costs none.

The posts that come back are put to use: their views, forwards and reactions are refreshed
(what digests show as reach), and they go through ingest, which stores an edit made while
chanwatch was down as a new version and ignores the rest as unchanged.

A FloodWait within ``short_flood`` is waited out; a longer one ends this check, and no check
runs (not even after a catch-up) until the wait is over; the channels' reading goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from telethon import errors, types

from bot.logs import fields
from bot.telegram.incoming import reaction_count
from bot.telegram.reader.watched import (
    ReaderContext,
    Watched,
    channel_info_of,
    count_flood,
    guarded,
    peer,
    posts_of,
)
from storage import deletions, engagement
from storage.engagement import Engagement

log = logging.getLogger(__name__)

IDS_PER_REQUEST = 100  # channels.GetMessages takes at most 100 ids


class DeletionCheck:
    def __init__(self, ctx: ReaderContext) -> None:
        self._ctx = ctx
        self._next_at: datetime | None = None  # None: the first sync runs it
        self._quiet_until: datetime | None = None  # after a long FloodWait on GetMessages
        self._flooded_for = 0
        self._found = 0  # deletions found so far, for each check's summary line
        self._asked = 0  # requests sent by the check in progress

    async def run(self, channels: Sequence[Watched], *, force: bool = False) -> None:
        """Check these channels if ``check_period`` has passed since the last check, or
        ``force`` (a catch-up just ran) — but never inside a FloodWait Telegram asked for."""
        ctx = self._ctx
        now = ctx.clock.now()
        if self._quiet_until is not None and now < self._quiet_until:
            return
        if not force and self._next_at is not None and now < self._next_at:
            return
        self._flooded_for = 0
        self._asked = 0
        gone = 0
        for watched in channels:
            if ctx.stopping.is_set() or self._flooded_for:
                break
            before = self._found
            await guarded(ctx, watched, self._check)
            gone += self._found - before
        self._next_at = now + ctx.options.check_period
        if self._flooded_for:
            self._quiet_until = ctx.clock.now() + timedelta(seconds=self._flooded_for)
        level = logging.INFO if gone else logging.DEBUG
        log.log(
            level,
            "deletion check done",
            extra=fields(channels=len(channels), requests=self._asked, deleted=gone),
        )

    async def _check(self, watched: Watched) -> None:
        ctx = self._ctx
        ids = await deletions.to_check(
            ctx.db, watched.row.id, ctx.clock.now() - ctx.options.check_window
        )
        for start in range(0, len(ids), IDS_PER_REQUEST):
            if self._asked:  # paced across channels too: a check is one stream of requests
                await ctx.sleep(ctx.options.page_wait)
            self._asked += 1
            batch = ids[start : start + IDS_PER_REQUEST]
            found = await self._fetch(watched, batch)
            if found is None:
                return
            await self._apply(watched, batch, found)

    async def _fetch(self, watched: Watched, ids: list[int]) -> list[Any] | None:
        """The posts among ``ids`` that still exist; None when a long FloodWait ended the check."""
        ctx = self._ctx
        while True:
            try:
                answer = await ctx.client.get_messages(peer(watched.row), ids=ids)
            except errors.FloodWaitError as error:
                count_flood(ctx, error)
                if error.seconds > ctx.options.short_flood:
                    log.warning("deletion check flood-limited", extra=fields(seconds=error.seconds))
                    self._flooded_for = error.seconds
                    return None
                await ctx.sleep(error.seconds)
                continue
            return [m for m in answer if isinstance(m, types.Message)]

    async def _apply(self, watched: Watched, asked: list[int], found: list[Any]) -> None:
        ctx = self._ctx
        present = {m.id for m in found}
        gone = [i for i in asked if i not in present]
        info = channel_info_of(watched.row)
        self._found += await ctx.deletions.record(
            ctx.db, info, watched.row.id, gone, via="check", at=ctx.clock.now()
        )
        reach = [(m.id, Engagement(m.views, m.forwards, reaction_count(m))) for m in found]
        async with ctx.db.transaction():
            incoming = posts_of(found, watched.row)
            if incoming:
                await ctx.pipeline.ingest(incoming)  # an edit made while down becomes a version
            await engagement.refresh(ctx.db, watched.row.id, reach)
