"""``chanwatch apply FILE [--dry-run]``: make the database's watchlist equal a TOML file."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands.context import CommandContext
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
    parser.add_argument("file", type=Path, metavar="FILE", help="the watchlist (TOML)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan without changing anything"
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    desired = read_watchlist(args.file)
    async with ctx.database() as db:
        plan = await apply_watchlist(db, desired, "cli", dry_run=args.dry_run)
    if plan.empty:
        print("Nothing to change: the database already matches the file.", file=ctx.stdout)
        return 0
    for line in plan.lines():
        print(line, file=ctx.stdout)
    verdict = "Dry run: nothing was changed." if args.dry_run else "Applied."
    print(verdict, file=ctx.stdout)
    return 0
