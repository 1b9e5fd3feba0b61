"""``chanwatch feed RULE``: write the rule's recent hits as an Atom (or RSS) feed file."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.context import CommandContext, path_argument, write_file
from bot.cli.hits import parse_since
from bot.errors import UsageError
from bot.intel.feed import rule_feed
from storage import hits
from storage.digests import unknown_rules

MAX_ENTRIES = 200


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "feed",
        help="write a rule's hits as an Atom or RSS feed file",
        description=(
            "Write the posts a rule matched as a feed a reader can follow: one entry per"
            " post, newest first, at most --limit. Run it again (e.g. from cron) to refresh."
        ),
    )
    parser.add_argument("rule", metavar="RULE")
    parser.add_argument(
        "-o", "--output", type=path_argument, metavar="FILE", help="default: RULE.atom / RULE.rss"
    )
    parser.add_argument("--format", choices=("atom", "rss"), default="atom")
    parser.add_argument("--since", default="7d", help="7d (default), 24h, … or all")
    parser.add_argument("--limit", type=int, default=50, help=f"entries, 1-{MAX_ENTRIES}")
    parser.add_argument("--link", default="https://t.me/", help="the feed's home page link")
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    if not 1 <= args.limit <= MAX_ENTRIES:
        raise UsageError(f"--limit must be from 1 to {MAX_ENTRIES}")
    since = parse_since(args.since)
    async with ctx.database() as db:
        if await unknown_rules(db, [args.rule]):
            raise UsageError(f"no rule named {args.rule!r} (`chanwatch rules list` names them)")
        found = await hits.by_message(db, since=since, rule=args.rule)
    text = rule_feed(args.rule, found[-args.limit :], args.format, link=args.link)
    target: Path = args.output or Path(f"{args.rule}.{args.format}")
    write_file(target, text)
    print(f"Wrote {target} ({len(found[-args.limit :])} posts).", file=ctx.stdout)
    return 0
