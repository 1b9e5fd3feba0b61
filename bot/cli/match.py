"""``chanwatch match --rules WATCHLIST.toml MESSAGES.jsonl``: the matcher alone, for scripts.

Input lines are ``{"id": ..., "text": ...}``; each good line gets exactly one output line, in
order, ``{"id": <same id>, "rules": [sorted names]}``. A bad line is reported on stderr with
its line number and skipped (the exit code is still 0: one broken line in a million should
not void an evaluation run); a bad rule aborts before any output, naming the rule. Every rule
applies: scopes and priorities are ignored here, but the file is validated exactly as
``chanwatch apply`` would, every problem listed at once.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from bot.cli.context import CommandContext, path_argument
from bot.errors import ChanwatchError
from bot.matching import RuleSet
from bot.watchlist.parse import read_watchlist


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "match",
        help="match JSON-lines messages against a watchlist's rules",
        description=(
            'Read {"id": ..., "text": ...} lines and print {"id": ..., "rules": [...]} for'
            " each, in order, with the sorted names of every rule of the watchlist that"
            " matches. Rule scopes are ignored. Bad input lines are reported on stderr with"
            " their line number and skipped."
        ),
    )
    parser.add_argument(
        "--rules",
        required=True,
        type=path_argument,
        metavar="WATCHLIST",
        help="watchlist TOML file",
    )
    parser.add_argument(
        "messages", type=path_argument, metavar="MESSAGES", help="JSON-lines file, or - for stdin"
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    ruleset = RuleSet.compile(load_rules(args.rules))
    if str(args.messages) == "-":
        lines: Iterable[bytes | str] = _stdin_lines(ctx.stdin)
        match_lines(ruleset, lines, ctx.stdout, ctx.stderr)
        return 0
    try:
        stream = open(args.messages, "rb")  # noqa: SIM115 - only the open is an input error
    except OSError as exc:
        raise ChanwatchError(f"cannot read {args.messages}: {exc.strerror}") from None
    with stream:
        match_lines(ruleset, stream, ctx.stdout, ctx.stderr)
    return 0


def load_rules(path: Path) -> list[tuple[str, str]]:
    """``(name, query)`` of every rule, read by the same validator as ``chanwatch apply``."""
    return [(rule.name, rule.query) for rule in read_watchlist(path).rules]


def match_lines(ruleset: RuleSet, lines: Iterable[bytes | str], out: TextIO, err: TextIO) -> None:
    for number, raw in enumerate(lines, start=1):
        try:
            message = _message(raw)
        except ValueError as exc:
            print(f"line {number}: {exc}; skipped", file=err)
            continue
        if message is None:
            continue
        ident, text = message
        names = [m.rule for m in ruleset.match(text)]
        out.write(json.dumps({"id": ident, "rules": names}, ensure_ascii=False) + "\n")


def _message(raw: bytes | str) -> tuple[Any, str] | None:
    """``(id, text)`` of one input line, ``None`` for a blank line, ``ValueError`` if bad."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ValueError("not UTF-8 text") from None
    if not raw.strip():
        return None
    try:
        item = json.loads(raw)
    except json.JSONDecodeError as exc:
        # Some of json's messages end in "at", expecting the position to follow.
        reason = exc.msg.removesuffix(" at")
        raise ValueError(f"not valid JSON ({reason} at column {exc.colno})") from None
    if not isinstance(item, dict):
        raise ValueError('expected an object like {"id": 1, "text": "..."}')
    if "id" not in item:
        raise ValueError('missing "id"')
    text = item.get("text")
    if not isinstance(text, str):
        raise ValueError('"text" must be a string')
    return item["id"], text


def _stdin_lines(stream: TextIO) -> Iterator[bytes | str]:
    """Bytes when the stream has them, so one bad byte spoils one line, not the run."""
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        yield from buffer
    else:
        yield from stream
