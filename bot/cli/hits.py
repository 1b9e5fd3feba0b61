"""``chanwatch hits``: stored messages with hits, as JSON Lines, CSV, a Markdown table, a
MISP event or a STIX 2.1 bundle (for case tools: ``bot/intel``)."""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TextIO

from bot.cli.context import CommandContext
from bot.errors import UsageError
from bot.intel.misp import misp_event
from bot.intel.stix import stix_bundle
from bot.text.durations import DurationError, parse_duration
from bot.text.posts import post_url
from storage import hits, post_versions
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
    parser.add_argument("--deleted", action="store_true", help="only posts deleted since")
    parser.add_argument("--edited", action="store_true", help="only posts edited since")
    parser.add_argument(
        "--previous",
        action="store_true",
        help="with --format json: each post's earlier wordings, oldest first",
    )
    parser.add_argument(
        "--format",
        choices=tuple(WRITERS),
        default="md",
        help="md (default), json (JSON Lines), csv, misp (a MISP event), stix (STIX 2.1 bundle)",
    )
    parser.set_defaults(handler=handle)


def _channel_name(item: MessageHits) -> str:
    if item.channel_title:
        return item.channel_title
    if item.channel_username:
        return f"@{item.channel_username}"
    return str(item.channel_telegram_id)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _fields(item: MessageHits) -> dict[str, object]:
    return {
        "channel_id": item.channel_telegram_id,
        "channel": _channel_name(item),
        "message_id": item.message_id,
        "date": _utc(item.date),
        "rules": list(item.rules),
        "link": post_url(item),
        "text": item.text,
    }


def _evidence(item: MessageHits, previous: Mapping[int, list[str]] | None) -> dict[str, object]:
    """What JSON adds: the change record and the reach."""
    fields: dict[str, object] = {
        "edited": item.edited,
        "deleted": item.deleted,
        "deleted_at": None if item.deleted_at is None else _utc(item.deleted_at),
        "views": item.views,
        "forwards": item.forwards,
        "reactions": item.reactions,
    }
    if previous is not None:
        fields["previous"] = previous.get(item.message_pk, [])
    return fields


def write_json(
    found: list[MessageHits], out: TextIO, previous: Mapping[int, list[str]] | None = None
) -> None:
    for item in found:
        line = _fields(item) | _evidence(item, previous)
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


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
            f" | {', '.join(item.rules)} | {_marks(item)}{_cell(item.text, _MD_TEXT)}"
            f" | {fields['link']} |\n"
        )


def _marks(item: MessageHits) -> str:
    return "".join(
        mark for mark, on in (("[deleted] ", item.deleted), ("[edited] ", item.edited)) if on
    )


def write_misp(found: list[MessageHits], out: TextIO) -> None:
    out.write(misp_event(found) + "\n")


def write_stix(found: list[MessageHits], out: TextIO) -> None:
    out.write(stix_bundle(found) + "\n")


WRITERS: dict[str, Callable[[list[MessageHits], TextIO], None]] = {
    "json": write_json,
    "csv": write_csv,
    "md": write_md,
    "misp": write_misp,
    "stix": write_stix,
}


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.previous and args.format != "json":
        raise UsageError("--previous needs --format json")
    since = parse_since(args.since)
    async with ctx.database() as db:
        if args.rule is not None and await unknown_rules(db, [args.rule]):
            raise UsageError(
                f"--rule {args.rule}: no such rule (`chanwatch rules list` names them)"
            )
        found = await hits.by_message(
            db, since=since, rule=args.rule, deleted=args.deleted, edited=args.edited
        )
        if args.previous:
            earlier = await post_versions.previous_texts(db, [h.message_pk for h in found])
            write_json(found, ctx.stdout, earlier)
            return 0
    WRITERS[args.format](found, ctx.stdout)
    return 0
