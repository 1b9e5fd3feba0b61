"""Turn one period's hits into a ``Digest``: rules, their stories and their hit curves.

The storage query and the schedule live elsewhere; this is the pure middle, so a digest for
``/digest``, ``chanwatch digest`` and the scheduler is the same digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.digest.contents import Digest, DigestHit, DigestOptions, Period, RuleDigest
from bot.digest.stories import Fingerprints, fold_stories


def build_digest(
    hits: Sequence[DigestHit],
    period: Period,
    tz: ZoneInfo,
    options: DigestOptions | None = None,
    fingerprints: Fingerprints | None = None,
) -> Digest:
    """Group ``hits`` inside ``period`` by rule and fold each rule's hits into stories.

    Rules come most hits first (ties by name); hits outside the period are ignored, so a
    caller may pass a generous query result. Safe to call from any thread.
    """
    options = options or DigestOptions()
    prints = fingerprints if fingerprints is not None else Fingerprints()
    inside = [hit for hit in hits if period.since <= hit.date < period.until]
    by_rule: dict[str, list[DigestHit]] = {}
    for hit in inside:
        by_rule.setdefault(hit.rule, []).append(hit)
    with prints.lock:
        prints.trim()
        prints.add(inside)
        rules = [
            RuleDigest(
                rule=rule,
                hits=len(rule_hits),
                stories=tuple(fold_stories(rule_hits, prints)),
                histogram=histogram(rule_hits, period, options.sparkline_buckets),
            )
            for rule, rule_hits in by_rule.items()
        ]
    rules.sort(key=lambda r: (-r.hits, r.rule))
    return Digest(period=period, tz=tz, rules=tuple(rules), options=options)


def histogram(hits: Sequence[DigestHit], period: Period, buckets: int) -> tuple[int, ...]:
    """Hits per equal slice of ``period`` (the last slice includes nothing past ``until``)."""
    buckets = max(buckets, 1)
    start = period.since.timestamp()
    span = period.until.timestamp() - start
    counts = [0] * buckets
    for hit in hits:
        slot = int((hit.date.timestamp() - start) / span * buckets)
        counts[min(max(slot, 0), buckets - 1)] += 1
    return tuple(counts)
