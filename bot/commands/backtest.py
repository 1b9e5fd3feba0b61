"""``chanwatch backtest "<query>"``: what a query would have caught in stored history.

An operator sees a rule's noise before enabling it: matches per day and the latest hits.
Every stored message of the period is matched; ``--fast`` lets the full-text index narrow
the scan for queries of exact and prefix terms, at the cost of missing posts that disguise
words (see ``bot.pipeline.narrow`` for why that narrowing is not sound).
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC

from bot.alerts import post_link
from bot.commands.context import CommandContext
from bot.commands.hits import parse_since
from bot.matching import RuleSet, parse_query
from bot.pipeline.model import ChannelInfo
from bot.pipeline.narrow import fts_expression
from bot.text.snippet import make_snippet
from bot.watchlist import validate
from storage import messages
from storage.database import Database
from storage.messages import ScannedMessage

_NAME = "backtest"


@dataclass
class Backtest:
    scanned: int = 0
    narrowed: bool = False
    per_day: Counter[str] = field(default_factory=Counter)
    latest: list[tuple[ScannedMessage, tuple[tuple[int, int], ...]]] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return sum(self.per_day.values())


async def run_backtest(
    db: Database, query: str, since_text: str, top: int, *, fast: bool = False
) -> Backtest:
    validate.query(query)
    ruleset = RuleSet.compile([(_NAME, query)])
    fts = fts_expression(parse_query(query)) if fast else None
    result = Backtest(narrowed=fts is not None)
    async for chunk in messages.scan(db, since=parse_since(since_text), fts_query=fts):
        result.scanned += len(chunk)
        for message in chunk:
            found = ruleset.match(message.text)
            if found:
                result.per_day[f"{message.date.astimezone(UTC):%Y-%m-%d}"] += 1
                result.latest.append((message, found[0].spans))
                del result.latest[:-top]
    return result


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="run a query against stored messages before making it a rule",
        description="Count per day and the latest messages a query would have caught.",
    )
    parser.add_argument("query", metavar="QUERY", help="a query in the rule language")
    parser.add_argument("--since", default="30d", help="24h, 7d, … or all (default 30d)")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="hits to show (10)")
    parser.add_argument(
        "--fast",
        action="store_true",
        help="narrow =exact and prefix* queries with the full-text index; may miss posts"
        " that disguise words with look-alike letters or invisible characters",
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        result = await run_backtest(db, args.query, args.since, max(args.top, 0), fast=args.fast)
    how = "narrowed by the full-text index" if result.narrowed else "full scan"
    out = ctx.stdout
    print(
        f"{result.matched} of {result.scanned} messages matched since {args.since} ({how}).",
        file=out,
    )
    if result.per_day:
        print("per day:", file=out)
        for day, count in sorted(result.per_day.items()):
            print(f"  {day}  {count}", file=out)
    if result.latest:
        print("latest:", file=out)
    for message, spans in reversed(result.latest):
        channel = ChannelInfo(
            message.channel_telegram_id or 0, message.channel_title, message.channel_username
        )
        quote = make_snippet(message.text, spans, width=120).marked()
        print(
            f"  {message.date:%Y-%m-%d %H:%M}  {post_link(channel, message.message_id)}", file=out
        )
        print(f"    {quote}", file=out)
    return 0
