"""``chanwatch backup PATH``: a consistent copy of the live database, verified."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.context import CommandContext, path_argument
from bot.errors import UsageError
from storage.maintenance import backup


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "backup",
        help="copy the database to PATH with SQLite's online backup (safe while running)",
        description=(
            "Copy the database with SQLite's online backup API, which is safe while the "
            "service runs, then verify the copy with PRAGMA integrity_check. The copy is a "
            "single file with mode 0600. Restore by stopping the service and copying it to "
            "DATABASE_PATH."
        ),
    )
    parser.add_argument(
        "path", type=path_argument, metavar="PATH", help="file to write the copy to"
    )
    parser.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    source = ctx.settings().database_path
    target: Path = args.path
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file name for the copy")
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists; pass --force to overwrite it")
    if not target.parent.is_dir():
        raise UsageError(f"directory {target.parent} does not exist")
    if target.resolve() == source.resolve():
        raise UsageError(f"{target} is the database itself; choose another file")
    result = await asyncio.to_thread(backup, source, target)
    size = target.stat().st_size / 1_000_000
    print(
        f"Backed up {source} to {target} ({size:.1f} MB, schema version "
        f"{result.schema_version}, integrity ok).",
        file=ctx.stdout,
    )
    return 0
