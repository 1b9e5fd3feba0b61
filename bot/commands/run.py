"""``chanwatch run``: connect the user session (and the bot), then run the service until
SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal

from bot.commands.context import CommandContext
from bot.logs import configure_logging
from bot.service import Service
from bot.telegram.clients import connect_clients

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the service: reader, bot and alert delivery",
        description=(
            "Read the watched channels with the user session (chanwatch login creates it), "
            "answer bot commands and deliver alerts until interrupted (Ctrl-C or SIGTERM)."
        ),
    )
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    settings = ctx.settings(telegram=True)
    configure_logging(settings.log_level, settings.log_format, settings.secrets(), ctx.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in _SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        clients = await connect_clients(settings)
        try:
            async with ctx.database() as db:
                await Service(settings, db, clients).run(stop)
        finally:
            await clients.disconnect()
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)
    print("chanwatch: stopped", file=ctx.stderr)
    return 0
