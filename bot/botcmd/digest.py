"""/digest [6h|24h|7d]: the subscriber's digest for a recent period, on demand."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.botcmd.model import BotContext, CommandError, Incoming, Reply
from bot.digest import Period, render_html
from bot.digest.service import Coverage, digest_for_coverage
from storage import subscribers

PERIODS = {"6h": timedelta(hours=6), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


async def digest(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    key = args.strip().lower() or "24h"
    if key not in PERIODS:
        raise CommandError(f"Unknown period {args.strip()!r}: use 6h, 24h or 7d.")
    current = await subscribers.get(ctx.db, message.chat.id)
    coverage = Coverage.of(current.targets if current else ())
    if coverage.empty:
        raise CommandError("Nothing to digest: /subscribe to a rule, a tag or all first.")
    until = ctx.clock.now()
    zone = ZoneInfo(current.timezone) if current and current.timezone else ctx.zone
    found = await digest_for_coverage(ctx.db, coverage, Period(until - PERIODS[key], until), zone)
    return [Reply(part) for part in render_html(found)]
