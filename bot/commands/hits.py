"""``chanwatch hits``: stored messages with hits, as JSON Lines, CSV or a Markdown table."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from bot.commands.context import CommandContext
from bot.durations import DurationError, parse_duration
from bot.errors import UsageError
from bot.posts import post_url
from storage import hits
from storage.digests import unknown_rules
from storage.hits import MessageHits

_MD_TEXT = 120


def parse_since(value: str, now: datetime | None = None) -> datetime | None:
    """``24h``, ``7d`` … as the start of the period; ``all`` as None (no limit)."""
    if value == "all":
        return None
    try:
        length = parse_duration(value)
    except DurationError:
        raise UsageError(f"--since {value!r}: give a period like 24h or 7d, or all") from None
    return (now or datetime.now(UTC)) - length


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "hits",
        help="list stored messages that matched rules",
        description="Messages with hits, oldest first, one per message with all its rules.",
    )
    parser.add_argument("--since", default="24h", help="24h, 7d, … or all (default 24h)")
    parser.add_argument("--rule", metavar="NAME", help="only messages this rule hit")
    parser.add_argument("--format", choices=("json", "csv", "md"), default="md")
    parser.set_defaults(handler=handle)


def _channel_name(item: MessageHits) -> str:
    if item.channel_title:
        return item.channel_title
    if item.channel_username:
        return f"@{item.channel_username}"
    return str(item.channel_telegram_id)


def _fields(item: MessageHits) -> dict[str, object]:
    return {
        "channel_id": item.channel_telegram_id,
        "channel": _channel_name(item),
        "message_id": item.message_id,
        "date": item.date.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "rules": list(item.rules),
        "link": post_url(item),
        "text": item.text,
    }


def write_json(found: list[MessageHits], out: TextIO) -> None:
    for item in found:
        out.write(json.dumps(_fields(item), ensure_ascii=False) + "\n")


def write_csv(found: list[MessageHits], out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["channel_id", "channel", "message_id", "date", "rules", "link", "text"])
    for item in found:
        row = _fields(item)
        row["rules"] = " ".join(item.rules)
        writer.writerow(row.values())


def _cell(text: str, limit: int | None = None) -> str:
    flat = " ".join(text.split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1] + "…"
    return flat.replace("\\", "\\\\").replace("|", "\\|")


def write_md(found: list[MessageHits], out: TextIO) -> None:
    out.write("| date (UTC) | channel | rules | text | link |\n|---|---|---|---|---|\n")
    for item in found:
        fields = _fields(item)
        out.write(
            f"| {item.date.astimezone(UTC):%Y-%m-%d %H:%M} | {_cell(_channel_name(item))}"
            f" | {', '.join(item.rules)} | {_cell(item.text, _MD_TEXT)} | {fields['link']} |\n"
        )


WRITERS: dict[str, Callable[[list[MessageHits], TextIO], None]] = {
    "json": write_json,
    "csv": write_csv,
    "md": write_md,
}


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    since = parse_since(args.since)
    async with ctx.database() as db:
        if args.rule is not None and await unknown_rules(db, [args.rule]):
            raise UsageError(
                f"--rule {args.rule}: no such rule (`chanwatch rules list` names them)"
            )
        found = await hits.by_message(db, since=since, rule=args.rule)
    WRITERS[args.format](found, ctx.stdout)
    return 0
