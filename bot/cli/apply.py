"""``chanwatch apply FILE [--dry-run]``: make the database's watchlist equal a TOML file."""

from __future__ import annotations

import argparse

from bot.cli.context import CommandContext, path_argument
from bot.errors import UsageError
from bot.watchlist import read_watchlist
from bot.watchlist.actions import apply_watchlist


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "apply",
        help="make the watched channels and rules match a watchlist file",
        description=(
            "Read a watchlist TOML file and add, change or remove channels and rules so the"
            " database matches it. Every problem in the file is listed at once and then nothing"
            " is applied. Every change goes to the audit log (actor: cli)."
        ),
    )
    parser.add_argument("file", type=path_argument, metavar="FILE", help="the watchlist (TOML)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan without changing anything"
    )
    parser.add_argument(
        "--allow-empty",
        action="store_true",
        help="apply a file with no channels and no rules (it removes every one, and their hits)",
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    desired = read_watchlist(args.file)
    # An empty file is far more often a mistake (a failed save, the wrong file) than a wish to
    # delete every rule and its hits, which cannot be undone.
    guard = not (desired.channels or desired.rules or args.allow_empty or args.dry_run)
    async with ctx.database(create=True) as db:
        if guard and not (await apply_watchlist(db, desired, "cli", dry_run=True)).empty:
            raise UsageError(
                f"{args.file} has no channels and no rules: applying it would remove every"
                " watched channel and every rule with its hits; pass --allow-empty if you mean it"
            )
        plan = await apply_watchlist(db, desired, "cli", dry_run=args.dry_run)
    if plan.empty:
        print("Nothing to change: the database already matches the file.", file=ctx.stdout)
        return 0
    for line in plan.lines():
        print(line, file=ctx.stdout)
    verdict = "Dry run: nothing was changed." if args.dry_run else "Applied."
    print(verdict, file=ctx.stdout)
    return 0
