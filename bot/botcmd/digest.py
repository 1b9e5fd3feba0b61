"""/digest [6h|24h|7d]: the subscriber's digest for a recent period, on demand."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.botcmd.model import BotContext, CommandError, Incoming, Reply
from bot.digest import DigestHit, Period, build_digest, render_html
from storage import channels, hits, subscribers
from storage.hits import PeriodHit

PERIODS = {"6h": timedelta(hours=6), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


def _digest_hit(hit: PeriodHit) -> DigestHit:
    return DigestHit(
        rule=hit.rule,
        channel_id=hit.channel_telegram_id or 0,
        channel_title=hit.channel_title,
        channel_username=hit.channel_username,
        message_id=hit.message_id,
        date=hit.date,
        text=hit.text,
        spans=hit.spans,
        forward_channel_id=hit.forward_channel_id,
    )


async def _tags_by_channel(ctx: BotContext) -> dict[int, frozenset[str]]:
    return {
        c.telegram_id: frozenset(c.tags)
        for c in await channels.list_channels(ctx.db)
        if c.telegram_id is not None
    }


async def digest(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    key = args.strip().lower() or "24h"
    if key not in PERIODS:
        raise CommandError(f"Unknown period {args.strip()!r}: use 6h, 24h or 7d.")
    current = await subscribers.get(ctx.db, message.chat.id)
    if current is None or not current.targets:
        raise CommandError("Nothing to digest: /subscribe to a rule, a tag or all first.")
    targets = set(current.targets)
    until = ctx.clock.now()
    period = Period(until - PERIODS[key], until)
    found = await hits.in_period(ctx.db, period.since, period.until)
    tags = await _tags_by_channel(ctx) if any(t.startswith("tag:") for t in targets) else {}
    wanted = [
        _digest_hit(h)
        for h in found
        if "all" in targets
        or f"rule:{h.rule}" in targets
        or any(f"tag:{t}" in targets for t in tags.get(h.channel_telegram_id or 0, ()))
    ]
    zone = ZoneInfo(current.timezone) if current.timezone else ctx.zone
    return [Reply(part) for part in render_html(build_digest(wanted, period, zone))]
