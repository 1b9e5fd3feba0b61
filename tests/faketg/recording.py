"""A pipeline stand-in that records what it was given, for tests of message producers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.pipeline.values import HighWater, IncomingMessage
from storage import channels
from storage.database import Database


class RecordingIngest:
    """Implements ``ingest(batch, mark=...)``: records the batch and, as the pipeline does,
    moves the channel's mark in the database; ``on_ingest`` may act mid-ingest (e.g. push an
    update)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.batches: list[list[IncomingMessage]] = []
        self.on_ingest: Callable[[Sequence[IncomingMessage]], Awaitable[None]] | None = None

    async def ingest(
        self, batch: Sequence[IncomingMessage], *, mark: HighWater | None = None
    ) -> None:
        if batch:
            self.batches.append(list(batch))
        if self.on_ingest is not None:
            hook, self.on_ingest = self.on_ingest, None
            await hook(batch)
        if mark is not None:
            channel = await channels.ensure_seen(
                self.db, mark.telegram_id, title=None, username=None
            )
            await channels.advance_high_water(self.db, channel, mark.message_id)

    def ids(self, telegram_id: int) -> list[int]:
        """Ids of first-time (non-edit) messages of one channel, in the order received."""
        return [
            m.message_id
            for batch in self.batches
            for m in batch
            if m.channel.telegram_id == telegram_id and m.edit_date is None
        ]

    def edits(self, telegram_id: int) -> list[tuple[int, str]]:
        return [
            (m.message_id, m.text)
            for batch in self.batches
            for m in batch
            if m.channel.telegram_id == telegram_id and m.edit_date is not None
        ]
