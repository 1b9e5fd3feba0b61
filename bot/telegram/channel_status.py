"""A channel's outcome, written to ``channels`` (where ``/status`` reads it) and to its
``Watched``, so the stored state and the reader's picture never disagree.

Losing trust goes with every failure: a channel that could not be read may have missed posts,
and only a later catch-up may vouch for its live updates again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.logs import fields
from bot.telegram.failures import ChannelUnavailable, TooManyChannels
from bot.telegram.reader_context import ReaderContext
from bot.telegram.watched import Watched, label
from storage import channels
from storage import state as service_state
from storage.channels import ChannelState

log = logging.getLogger(__name__)


def caught_up(ctx: ReaderContext, watched: Watched) -> None:
    watched.trusted = True
    if ctx.metrics is not None:
        ctx.metrics.lag(label(watched.row), 0)


async def mark_ok(ctx: ReaderContext, watched: Watched) -> None:
    """Clear an old failure or FloodWait; a channel already fine costs no write."""
    if watched.row.state != "ok" or watched.row.wait_until is not None:
        await set_state(ctx, watched, "ok")


async def wait(ctx: ReaderContext, watched: Watched, seconds: int) -> None:
    """Park the channel until the time Telegram gave; the worker wakes for it then."""
    until = ctx.clock.now() + timedelta(seconds=seconds)
    watched.trusted = False
    await set_state(
        ctx,
        watched,
        "waiting",
        detail=f"Telegram asked to wait {seconds} s (FloodWait)",
        wait_until=until,
    )
    log.warning(
        "channel waits (FloodWait)",
        extra=fields(channel=watched.row.display_name, seconds=seconds, until=until.isoformat()),
    )


async def fail(ctx: ReaderContext, watched: Watched, failure: ChannelUnavailable) -> None:
    watched.trusted = False
    state: ChannelState = "joining" if failure.joining else "failed"
    await set_state(ctx, watched, state, detail=failure.reason)
    if isinstance(failure, TooManyChannels):
        log.error("cannot join", extra=fields(channel=watched.row.display_name, why=failure.reason))
        await service_state.put(ctx.db, "reader_problem", failure.reason)
    else:
        log.warning(
            "channel unavailable",
            extra=fields(channel=watched.row.display_name, state=state, why=failure.reason),
        )


async def set_state(
    ctx: ReaderContext,
    watched: Watched,
    state: ChannelState,
    *,
    detail: str | None = None,
    wait_until: datetime | None = None,
) -> None:
    await channels.set_state(ctx.db, watched.row.id, state, detail=detail, wait_until=wait_until)
    watched.row = await channels.get(ctx.db, watched.row.id)
