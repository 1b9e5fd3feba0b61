"""``chanwatch rules list|add|remove|pause|resume|test``: the CLI twins of the /rule commands.

``rules test "<query>" "<text>"`` needs no database: it says whether the query matches the
text and which words did, and exits 0 on a match and 1 otherwise (like ``grep``).
"""

from __future__ import annotations

import argparse

from bot.cli.context import CommandContext
from bot.matching import RuleSet
from bot.watchlist import actions
from storage.rules import Rule


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="list, add, remove, pause, resume or test rules",
        description="Manage rules. Changes go to the audit log (actor: cli).",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="list every rule").set_defaults(handler=handle_list)
    add = sub.add_parser("add", help="add a rule (the query is checked first)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("query", metavar="QUERY")
    add.add_argument("--priority", choices=("instant", "digest"), default="digest")
    add.add_argument(
        "--channel",
        action="append",
        default=[],
        metavar="SCOPE",
        help="limit to a channel ref or tag:NAME (repeatable)",
    )
    add.add_argument("--paused", action="store_true", help="add it paused")
    add.set_defaults(handler=handle_add)
    for action, text in (
        ("remove", "delete a rule and its hits (pause keeps them)"),
        ("pause", "stop matching a rule, keeping its hits"),
        ("resume", "match a paused rule again"),
    ):
        command = sub.add_parser(action, help=text)
        command.add_argument("name", metavar="NAME")
        command.set_defaults(handler=handle_named, verb=action)
    test = sub.add_parser(
        "test",
        help="check a query against a text and show which words matched",
        description=(
            "Match QUERY against TEXT as the pipeline would, without a database. Prints"
            " whether it matches and the matched words, marked in the text."
            " Exit code 0 on a match, 1 otherwise."
        ),
    )
    test.add_argument("query", metavar="QUERY", help='a rule query, e.g. "Курск OR Kursk"')
    test.add_argument("text", metavar="TEXT", help="the message text to try it on")
    test.set_defaults(handler=handle_test)


def describe(rule: Rule) -> str:
    flags = [rule.priority] + (["paused"] if rule.paused else [])
    scope = f" in {', '.join(rule.scopes)}" if rule.scopes else ""
    return f"{rule.name} ({', '.join(flags)}){scope}: {rule.query}"


async def handle_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        found = await actions.list_rules(db)
    for rule in found:
        print(describe(rule), file=ctx.stdout)
    if not found:
        print("No rules yet; add one with `chanwatch rules add NAME QUERY`.", file=ctx.stdout)
    return 0


async def handle_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database(create=True) as db:
        rule = await actions.add_rule(
            db, "cli", args.name, args.query, args.priority, args.channel, args.paused
        )
    print(f"Added {describe(rule)}", file=ctx.stdout)
    return 0


async def handle_named(args: argparse.Namespace, ctx: CommandContext) -> int:
    act = {
        "remove": actions.remove_rule,
        "pause": actions.pause_rule,
        "resume": actions.resume_rule,
    }[args.verb]
    async with ctx.database() as db:
        rule = await act(db, "cli", args.name)
    done = {"remove": "Removed", "pause": "Paused", "resume": "Resumed"}[args.verb]
    print(f"{done} {rule.name}.", file=ctx.stdout)
    return 0


async def handle_test(args: argparse.Namespace, ctx: CommandContext) -> int:
    matches = RuleSet.compile([("test", args.query)]).match(args.text)
    if not matches:
        print("no match", file=ctx.stdout)
        return 1
    found = matches[0]
    print("match", file=ctx.stdout)
    print(f"words: {', '.join(found.words)}", file=ctx.stdout)
    print(f"text:  {mark(args.text, found.spans)}", file=ctx.stdout)
    return 0


def mark(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``text`` with each span in [brackets]: visible in any terminal and in logs."""
    parts: list[str] = []
    at = 0
    for start, end in spans:
        parts.append(f"{text[at:start]}[{text[start:end]}]")
        at = end
    parts.append(text[at:])
    return "".join(parts)
