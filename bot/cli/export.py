"""``chanwatch export FILE``: write the current watchlist as TOML (applying it is a no-op)."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.context import CommandContext, path_argument, write_file
from bot.watchlist import dump_watchlist
from bot.watchlist.actions import current_watchlist


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write the watched channels and rules to a watchlist file",
        description=(
            "Write the current watchlist as TOML; `chanwatch apply` on the result changes"
            " nothing. Use - to write to standard output."
        ),
    )
    parser.add_argument(
        "file", type=path_argument, metavar="FILE", help="where to write (- for standard output)"
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        text = dump_watchlist(await current_watchlist(db))
    if str(args.file) == "-":
        ctx.stdout.write(text)
        return 0
    target: Path = args.file
    write_file(target, text.encode("utf-8"))
    print(f"Wrote {target}.", file=ctx.stdout)
    return 0
