"""What a query would have caught in stored history, for ``chanwatch backtest`` and the bot's
``/rule test``: an operator sees a rule's noise before enabling it.

Every stored message of the period is matched; ``fast`` lets the full-text index narrow the
scan for queries of exact and prefix terms, at the cost of missing posts that disguise words
(see ``bot.pipeline.narrow`` for why that narrowing is not sound).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.matching import RuleSet, parse_query
from bot.pipeline.narrow import fts_expression
from bot.watchlist import validate
from storage import messages
from storage.database import Database
from storage.messages import ScannedMessage

_NAME = "backtest"


@dataclass
class Backtest:
    scanned: int = 0
    narrowed: bool = False
    per_day: Counter[str] = field(default_factory=Counter)  # UTC date -> matches
    latest: list[tuple[ScannedMessage, tuple[tuple[int, int], ...]]] = field(default_factory=list)
    dates: list[datetime] = field(default_factory=list)  # of every match, for its surges
    first: datetime | None = None  # the oldest message scanned: where history starts

    @property
    def matched(self) -> int:
        return sum(self.per_day.values())


async def run_backtest(
    db: Database, query: str, *, since: datetime | None, top: int, fast: bool = False
) -> Backtest:
    """Match ``query`` (validated like a rule's) over messages since ``since`` (None: all),
    keeping the ``top`` latest matches with their spans."""
    validate.query(query)
    ruleset = RuleSet.compile([(_NAME, query)])
    fts = fts_expression(parse_query(query)) if fast else None
    result = Backtest(narrowed=fts is not None)
    async for chunk in messages.scan(db, since=since, fts_query=fts):
        result.scanned += len(chunk)
        for message in chunk:
            if result.first is None or message.date < result.first:
                result.first = message.date
            found = ruleset.match(message.text)
            if found:
                result.per_day[f"{message.date.astimezone(UTC):%Y-%m-%d}"] += 1
                result.dates.append(message.date)
                result.latest.append((message, found[0].spans))
                del result.latest[: max(len(result.latest) - top, 0)]
    return result
