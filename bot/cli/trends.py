"""``chanwatch trends [--since 7d] [--rule NAME]``: each rule's hits over a period, what its
baseline expected, and its surges, with a line of blocks.

The surges are found afresh by the same detection the service runs (``bot/trends``), over
the stored hits; those the service alerted are marked. The period's first window needs the
weeks before it as history: they are read too, never shown.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli.context import CommandContext
from bot.errors import UsageError
from bot.text.durations import DurationError, parse_duration
from bot.trends.report import render_trends, rule_trend
from bot.trends.series import bucket_start
from bot.trends.watch import history_start, rule_series, trend_options
from storage import rules, trends
from storage.errors import NotFoundError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "trends",
        help="each rule's hits, baseline and surges over a period",
        description="Per rule: hits in the period, what its baseline expected, the surges"
        " the detection finds (those alerted are marked), and a line of blocks.",
    )
    parser.add_argument("--since", default="7d", help="24h, 7d, 2w … (default 7d)")
    parser.add_argument("--rule", metavar="NAME", help="only this rule")
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    try:
        length = parse_duration(args.since)
    except DurationError:
        raise UsageError(f"--since {args.since!r}: give a period like 24h, 7d or 2w") from None
    settings = ctx.settings()
    options = trend_options(settings).surge
    end = bucket_start(datetime.now(UTC))
    since = end - length
    async with ctx.database() as db:
        if args.rule:
            try:
                chosen = [await rules.get(db, args.rule)]
            except NotFoundError as error:
                raise UsageError(f"--rule: {error}") from None
        else:
            chosen = await rules.list_rules(db)
        found = []
        for rule in chosen:
            series = await rule_series(db, rule, history_start(since, options), end)
            told = frozenset(e.started_at for e in await trends.episodes_since(db, rule.id, since))
            found.append(
                rule_trend(rule.name, series, since, options, marked=rule.surge, alerted=told)
            )
    print(render_trends(found, settings.zone), end="", file=ctx.stdout)
    return 0
