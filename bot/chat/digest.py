"""/digest [6h|24h|7d] [rule]: the chat's digest of a recent period, on demand.

The same digest service as ``chanwatch digest`` and the scheduled digests (stories with their
corroboration, a sparkline per rule, split into messages at story boundaries), so the three
never disagree about a period.
"""

from __future__ import annotations

from bot.chat.exchange import BotContext, Incoming, Reply
from bot.digest import render_html
from bot.digest.gather import digest_for_chat, parse_digest_args

USAGE = "/digest [6h|24h|7d] [rule]"


async def digest(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    length, rule = parse_digest_args(args)
    found = await digest_for_chat(
        ctx.db, message.chat.id, length, rule, now=ctx.clock.now(), default_tz=ctx.zone
    )
    return [Reply(part) for part in render_html(found)]
