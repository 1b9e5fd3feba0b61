"""A pipeline stand-in that records what it was given, for tests of message producers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from bot.pipeline.values import IncomingMessage


class RecordingIngest:
    """Implements ``ingest(batch)``; ``on_ingest`` may act mid-ingest (e.g. push an update)."""

    def __init__(self) -> None:
        self.batches: list[list[IncomingMessage]] = []
        self.on_ingest: Callable[[Sequence[IncomingMessage]], Awaitable[None]] | None = None

    async def ingest(self, batch: Sequence[IncomingMessage]) -> None:
        self.batches.append(list(batch))
        if self.on_ingest is not None:
            hook, self.on_ingest = self.on_ingest, None
            await hook(batch)

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
