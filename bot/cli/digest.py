"""``chanwatch digest``: the digest of a period from the database, as ``/digest`` builds it."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cli.context import CommandContext
from bot.digest import render_html, render_json, render_text
from bot.digest.gather import DigestError, digest_for, parse_moment, require_rules
from bot.errors import UsageError

# Between the HTML messages of one digest, so a reader sees where Telegram would split.
HTML_SEPARATOR = "\n\n-----\n\n"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "digest",
        help="print the digest of a period: stories per rule, with their sources",
        description=(
            "Group the period's hits by rule and fold reposts across channels into stories, "
            "as the bot's /digest and scheduled digests do. Periods are durations before now "
            "(6h, 24h, 7d) or dates (2024-10-27, 2024-10-27T08:00, read in --tz)."
        ),
    )
    parser.add_argument("--since", default="24h", help="start of the period (default: 24h)")
    parser.add_argument("--until", default=None, help="end of the period (default: now)")
    parser.add_argument(
        "--rule",
        action="append",
        metavar="NAME",
        help="only this rule (repeat for several; default: every rule)",
    )
    parser.add_argument(
        "--format", choices=("text", "html", "json"), default="text", help="output format"
    )
    parser.add_argument(
        "--tz", metavar="ZONE", help="time zone, e.g. Europe/Kyiv (default: TIMEZONE)"
    )
    parser.set_defaults(handler=handle)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"--tz {name}: unknown time zone; use e.g. UTC or Europe/Kyiv") from None


def _moment(option: str, text: str, now: datetime, tz: ZoneInfo) -> datetime:
    try:
        return parse_moment(text, now, tz)
    except DigestError as error:
        raise UsageError(f"{option}: {error}") from None


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    settings = ctx.settings()
    tz = _zone(args.tz) if args.tz else settings.zone
    now = datetime.now(UTC)
    since = _moment("--since", args.since, now, tz)
    until = now if args.until is None else _moment("--until", args.until, now, tz)
    async with ctx.database() as db:
        if args.rule:
            await require_rules(db, args.rule)
        digest = await digest_for(db, since=since, until=until, rules=args.rule, tz=tz)
    if args.format == "json":
        output = render_json(digest)
    elif args.format == "html":
        output = HTML_SEPARATOR.join(render_html(digest))
    else:
        output = render_text(digest)
    print(output, file=ctx.stdout)
    return 0
