"""Metrics from a real pipeline run over the bundled sample, and no post text in INFO logs."""

from __future__ import annotations

import io
import logging
import tomllib
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.export import ExportReader
from bot.logs import configure_logging
from bot.ops.metered import MeteredIngest
from bot.ops.metrics import Metrics
from bot.pipeline.ingest import Pipeline
from bot.pipeline.replay import ReplaySummary
from bot.sample import EXPORT_PATH, WATCHLIST_PATH
from storage import rules
from storage.database import Database


@pytest.fixture
def info_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", "text", [], stream=stream)
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def load_sample_rules(db: Database) -> None:
    watchlist = tomllib.loads(WATCHLIST_PATH.read_text("utf-8"))
    for rule in watchlist["rules"]:
        await rules.add(db, rule["name"], rule["query"], priority=rule.get("priority", "digest"))


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics.render().decode())
        for s in family.samples
    }


async def test_metered_pipeline_counts_what_it_stored(db: Database, info_log: io.StringIO) -> None:
    await load_sample_rules(db)
    metrics = Metrics()
    metered = MeteredIngest(Pipeline(db), metrics)
    posts = list(ExportReader(EXPORT_PATH).messages())
    summary = ReplaySummary()
    for start in range(0, len(posts), 50):
        summary.add(await metered.ingest(posts[start : start + 50]))
    again = await metered.ingest(posts[:50])  # a repeat stores nothing and counts nothing

    values = samples(metrics)
    assert again.stored == 0 and not again.new_hits
    assert summary.stored > 0 and summary.hits_per_rule
    assert values[("chanwatch_messages_ingested_total", ())] == summary.stored + summary.updated
    for rule, n in summary.hits_per_rule.items():
        assert values[("chanwatch_hits_total", (("rule", rule),))] == n
    assert metrics.last_update_at() is not None

    # The same run, at INFO, never wrote a post's text to the log.
    output = info_log.getvalue()
    texts = {p.text.strip() for p in posts if len(p.text.strip()) >= 12}
    assert texts
    leaked = [t for t in texts if t[:40] in output]
    assert not leaked, leaked[:3]
