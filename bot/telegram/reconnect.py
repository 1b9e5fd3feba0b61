"""Notice a dropped connection, reconnect with growing delays, then ask for a catch-up.

Updates sent while the connection was down are lost, so every channel stops being trusted
the moment it drops and is trusted again only after the sync that follows the reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from bot.logs import fields
from bot.telegram.reader_context import ReaderContext

log = logging.getLogger(__name__)


async def watch_connection(ctx: ReaderContext, reconnected: Callable[[], None]) -> None:
    """Until stop: on every disconnect, distrust, reconnect and call ``reconnected``."""
    stopping = asyncio.create_task(ctx.stopping.wait())
    try:
        while not ctx.stopping.is_set():
            await asyncio.wait(
                {ctx.client.disconnected, stopping}, return_when=asyncio.FIRST_COMPLETED
            )
            if ctx.stopping.is_set():
                return
            ctx.watched.distrust_all()
            if ctx.metrics is not None:
                ctx.metrics.reader_connected(False)
            log.warning("disconnected from Telegram; reconnecting")
            if await _reconnect(ctx):
                if ctx.metrics is not None:
                    ctx.metrics.reader_connected(True)
                reconnected()
    finally:
        stopping.cancel()


async def _reconnect(ctx: ReaderContext) -> bool:
    """True once connected; False if the reader is stopping first."""
    delays = ctx.options.reconnect_delays
    attempt = 0
    while not ctx.stopping.is_set():
        attempt += 1
        try:
            await ctx.client.disconnect()
            await ctx.client.connect()
            if ctx.client.is_connected():
                log.info("reconnected to Telegram", extra=fields(attempts=attempt))
                return True
        except (ConnectionError, OSError) as error:
            # The first failure says why; the rest of a long outage would be a line a minute.
            level = logging.INFO if attempt == 1 else logging.DEBUG
            log.log(level, "reconnect failed", extra=fields(attempt=attempt, error=str(error)))
        await ctx.sleep(delays[min(attempt, len(delays)) - 1])
    return False
