"""The reader's picture of the channels it follows: each one's row, mark and trust.

The high-water mark is kept here as well as in ``channels``, because a live update may raise
it between reloads; a reload therefore keeps the higher of the two. Lookups by Telegram id
serve live updates, which name a channel only by that id.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from telethon import types

from bot.ops.metrics import Metrics
from bot.pipeline.values import ChannelInfo
from bot.telegram import history
from storage import channels
from storage.channels import Channel
from storage.database import Database


@dataclass
class Watched:
    row: Channel
    high_water: int
    trusted: bool = False

    @property
    def backfilled(self) -> bool:
        """Whether the mark is where reading resumes (else the backfill is still to read)."""
        return self.row.backfilled


class WatchedChannels:
    def __init__(self) -> None:
        self._by_id: dict[int, Watched] = {}  # internal channel id -> state
        self._by_telegram_id: dict[int, Watched] = {}

    def __iter__(self) -> Iterator[Watched]:
        return iter(self._by_id.values())

    def find(self, telegram_id: int | None) -> Watched | None:
        return self._by_telegram_id.get(telegram_id) if telegram_id is not None else None

    async def reload(self, db: Database, metrics: Metrics | None) -> None:
        """Follow the watch list as stored: drop the unwatched, add the new, keep the marks."""
        rows = {row.id: row for row in await channels.list_channels(db, watched_only=True)}
        for channel_id in set(self._by_id) - set(rows):
            gone = self._by_id.pop(channel_id)
            if metrics is not None:
                metrics.forget_channel(label(gone.row))
        for row in rows.values():
            known = self._by_id.get(row.id)
            if known is None:
                self._by_id[row.id] = Watched(row, row.high_water)
            else:
                known.row = row
                known.high_water = max(known.high_water, row.high_water)
        self.reindex()

    def adopt(self, duplicate_id: int, keeper: Channel) -> Watched:
        """The duplicate row is gone (merged into ``keeper``); follow the keeper instead."""
        del self._by_id[duplicate_id]
        return self._by_id.setdefault(keeper.id, Watched(keeper, keeper.high_water))

    def reindex(self) -> None:
        """Call after a channel's Telegram id became known."""
        self._by_telegram_id = {
            w.row.telegram_id: w for w in self._by_id.values() if w.row.telegram_id is not None
        }

    def distrust_all(self) -> None:
        """Updates may have been lost: every channel needs a catch-up before it is trusted."""
        for watched in self._by_id.values():
            watched.trusted = False


def needs_resolution(row: Channel, now: datetime) -> bool:
    if row.state == "failed" or still_waiting(row, now):
        return False
    return row.access_hash is None or row.state in ("pending", "joining")


def readable(row: Channel, now: datetime) -> bool:
    return (
        row.access_hash is not None
        and row.state in ("ok", "waiting")
        and not still_waiting(row, now)
    )


def still_waiting(row: Channel, now: datetime) -> bool:
    return row.wait_until is not None and row.wait_until > now


def channel_info_of(row: Channel) -> ChannelInfo:
    return ChannelInfo(telegram_id=row.telegram_id or 0, title=row.title, username=row.username)


def peer(row: Channel) -> types.InputPeerChannel:
    assert row.telegram_id is not None and row.access_hash is not None
    return history.input_peer(row.telegram_id, row.access_hash)


def label(row: Channel) -> str:
    """The metrics label of a channel: the operator's ref, which a rename does not change."""
    return row.ref or str(row.telegram_id)
