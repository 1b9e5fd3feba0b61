"""``chanwatch backtest "<query>"``: what a query would have caught in stored history, and
the surges it would have raised.

The work is ``bot.pipeline.backtest`` (shared with the bot's ``/rule test``); this prints it,
with the surge detection of ``bot/trends`` run over the matches (the period's first day, or
first week, is what the baseline learns from).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli.context import CommandContext
from bot.cli.hits import parse_since
from bot.pipeline.backtest import run_backtest
from bot.text import make_snippet
from bot.text.posts import post_url
from bot.trends.report import describe, matched_surges
from bot.trends.series import bucket_start
from bot.trends.watch import trend_options


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
    settings = ctx.settings()
    async with ctx.database() as db:
        result = await run_backtest(
            db, args.query, since=parse_since(args.since), top=max(args.top, 0), fast=args.fast
        )
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
        link = post_url(message)
        quote = make_snippet(message.text, spans, width=120).marked()
        print(f"  {message.date:%Y-%m-%d %H:%M}  {link}", file=out)
        print(f"    {quote}", file=out)
    if result.first is not None:
        options = trend_options(settings).surge
        end = bucket_start(datetime.now(UTC))
        found = matched_surges(result.dates, result.first, end, options)
        print(f"surges it would have raised: {len(found) or 'none'}", file=out)
        for episode in found:
            print(f"  {describe(episode, settings.zone)}", file=out)
    return 0
