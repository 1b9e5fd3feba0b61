"""Replay a Telegram Desktop export through the pipeline, in committed batches.

Each batch is one pipeline transaction, so a replay killed or stopped by a malformed file
leaves whole batches only; because ingest is idempotent, running it again completes the job
exactly. Replayed history is stored and matched but not routed: an export is old news, and
alerting on it would flood every subscriber (its hits still show in digests and ``hits``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.export import ExportReader
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import IncomingMessage, IngestResult
from storage.database import Database

DEFAULT_BATCH = 1000

Progress = Callable[[int, int, int], None]
"""Called after each committed batch with (bytes read, total bytes, messages read)."""


@dataclass
class ReplaySummary:
    """Filled in while the replay runs, so a failed replay still says what it kept."""

    read: int = 0
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    chats_read: int = 0
    chats_skipped: Counter[str] = field(default_factory=Counter)
    hits_per_rule: Counter[str] = field(default_factory=Counter)
    parser: str = ""  # ijson's backend: the pure-Python one makes a big export several times slower

    def add(self, result: IngestResult) -> None:
        self.stored += result.stored
        self.updated += result.updated
        self.unchanged += result.unchanged
        self.hits_per_rule.update(h.rule for h in result.new_hits)


async def replay_export(
    db: Database,
    path: Path,
    *,
    summary: ReplaySummary | None = None,
    batch_size: int = DEFAULT_BATCH,
    progress: Progress | None = None,
    pipeline: Pipeline | None = None,
) -> ReplaySummary:
    """Store every readable message of the export; raises ``ExportError`` on a broken file
    after committing the batches read before the damage."""
    summary = summary if summary is not None else ReplaySummary()
    pipeline = pipeline or Pipeline(db)
    reader = ExportReader(path)
    summary.parser = reader.parser_backend
    batch: list[IncomingMessage] = []

    async def flush() -> None:
        summary.add(await pipeline.ingest(batch))
        batch.clear()
        summary.read = reader.read
        summary.skipped = Counter(reader.skipped)
        if progress is not None:
            progress(reader.bytes_read, reader.total_bytes, reader.read)

    for message in reader.messages():
        batch.append(message)
        if len(batch) >= batch_size:
            await flush()
    await flush()
    summary.chats_read = reader.chats_read
    summary.chats_skipped = Counter(reader.chats_skipped)
    return summary
