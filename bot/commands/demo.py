"""``chanwatch demo``: the whole offline pipeline on the bundled sample, with no account."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.commands.context import CommandContext
from storage.database import connect

DEFAULT_DEMO_DB = Path("data/demo/chanwatch.db")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline on the bundled sample (no credentials needed)",
        description="Create a fresh database under data/demo/ and run the bundled sample.",
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    ctx.settings()
    path = ctx.database_override or DEFAULT_DEMO_DB
    if path.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    async with connect(path) as db:
        version = await db.schema_version()
    print(f"Created {path} (schema version {version}).", file=ctx.stdout)
    return 0
