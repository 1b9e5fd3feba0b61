"""Counting what the pipeline did without the pipeline knowing about metrics.

``chanwatch run`` hands the reader ``MeteredIngest(pipeline, metrics)`` instead of the
pipeline itself; the pipeline's ``Ingest`` protocol is all it needs to satisfy.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from bot.ops.metrics import Metrics
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import HighWater, IncomingMessage, IngestResult


class MeteredIngest:
    """Forwards every batch, then counts stored messages and new hits per rule.

    Counted when the batch returns; if an enclosing transaction later rolls back, the
    counters run slightly ahead of the database, which is acceptable for rates and alerts.
    """

    def __init__(self, inner: Pipeline, metrics: Metrics) -> None:
        self.inner = inner
        self.metrics = metrics

    async def ingest(
        self, batch: Sequence[IncomingMessage], *, mark: HighWater | None = None
    ) -> IngestResult:
        result = await self.inner.ingest(batch, mark=mark)
        if result.stored or result.updated:
            self.metrics.ingested(result.stored + result.updated)
        for rule, n in Counter(hit.rule for hit in result.new_hits).items():
            self.metrics.hit(rule, n)
        if batch:
            self.metrics.update_seen()
        return result
