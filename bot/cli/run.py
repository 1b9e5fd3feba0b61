"""``chanwatch run``: connect the user session (and the bot), then run the service until
SIGINT or SIGTERM.

A supervisor (systemd, Docker) sends SIGTERM and kills the process some seconds later, so
the whole stop is bounded: the service's own ``stop_grace``, then at most
``DISCONNECT_TIMEOUT_S`` to disconnect the clients.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from bot.cli.context import CommandContext
from bot.logs import configure_logging
from bot.service import Service
from bot.telegram.clients import Clients, connect_clients

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
DISCONNECT_TIMEOUT_S = 5.0


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
    clients = await connect_clients(settings)
    try:
        async with ctx.database(create=True) as db:
            await until_signalled(Service(settings, db, clients))
    finally:
        await disconnect(clients)
    print("chanwatch: stopped", file=ctx.stderr)
    return 0


async def until_signalled(service: Service) -> None:
    """Run the service until SIGINT or SIGTERM asks it to stop."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in _SIGNALS:
        loop.add_signal_handler(signum, stop.set)
    try:
        await service.run(stop)
    finally:
        for signum in _SIGNALS:
            loop.remove_signal_handler(signum)


async def disconnect(clients: Clients) -> None:
    """Disconnect both accounts, giving up after a bounded wait (the process exits anyway)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(clients.disconnect(), DISCONNECT_TIMEOUT_S)
