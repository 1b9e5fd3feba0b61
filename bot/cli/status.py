"""``chanwatch status``: the service's state from the database, running or not."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from bot.cli.context import CommandContext
from bot.ops.status import collect_status, render_text


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "status",
        help="show service, channel, hit, outbox and subscriber status",
        description=(
            "Report what the database knows: whether the service is running (from its "
            "heartbeat), watched channels needing attention, today's hits per rule, the "
            "outbox and inactive subscribers. Works whether or not the service runs."
        ),
    )
    parser.add_argument(
        "--all-channels", action="store_true", help="list every watched channel, not only problems"
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    settings = ctx.settings()
    async with ctx.database() as db:
        report = await collect_status(db, datetime.now(UTC), zone=settings.zone)
    print(render_text(report, all_channels=args.all_channels), file=ctx.stdout)
    return 0
