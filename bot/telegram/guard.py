"""Run one channel's step so that its failure becomes its state, never the others' problem.

Short FloodWaits are waited out in place; longer ones park the channel until the time
Telegram gave. Failures about the channel (private, banned, gone) are recorded in plain
words; a dropped connection is the whole reader's problem and surfaces as ``Offline``.
Anything else (a bug, a post nobody foresaw) is logged with its traceback and the channel
tried again on the next sweep: it must not keep the other channels from being read.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from telethon import errors

from bot.logs import fields
from bot.telegram.channel_status import fail, wait
from bot.telegram.failures import ChannelUnavailable, unavailable
from bot.telegram.reader_context import ReaderContext
from bot.telegram.watched import Watched

log = logging.getLogger(__name__)

Step = Callable[[Watched], Awaitable[None]]


class Offline(Exception):
    """The connection dropped mid-sync; the reconnect loop will ask for a new sync."""


async def guarded(ctx: ReaderContext, watched: Watched, step: Step) -> None:
    while not ctx.stopping.is_set():
        try:
            await step(watched)
            return
        except errors.FloodWaitError as error:
            count_flood(ctx, error)
            if error.seconds <= ctx.options.short_flood:
                log.info(
                    "waiting out a FloodWait",
                    extra=fields(channel=watched.row.display_name, seconds=error.seconds),
                )
                await ctx.sleep(error.seconds)
                continue
            await wait(ctx, watched, error.seconds)
            return
        except ChannelUnavailable as failure:
            await fail(ctx, watched, failure)
            return
        except errors.RPCError as error:
            mapped = unavailable(error)
            if mapped is None:
                log.warning(
                    "Telegram error; retrying later",
                    extra=fields(channel=watched.row.display_name, error=str(error)),
                )
                return
            await fail(ctx, watched, mapped)
            return
        except (ConnectionError, OSError) as error:
            raise Offline(str(error)) from error
        except Exception:
            watched.trusted = False  # what it was doing may be half done: catch up again
            log.warning(
                "unexpected error; retrying at the next sweep",
                exc_info=True,
                extra=fields(channel=watched.row.display_name),
            )
            return


def count_flood(ctx: ReaderContext, error: errors.FloodWaitError) -> None:
    if ctx.metrics is not None:
        method = type(error.request).__name__ if error.request is not None else "unknown"
        ctx.metrics.flood_wait(error.seconds, method)
