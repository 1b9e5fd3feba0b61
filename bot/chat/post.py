"""/post <t.me link>: a stored post's every version and its deletion, as ``chanwatch history``
prints them, in the chat's time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.chat.exchange import BotContext, CommandError, Incoming, Reply
from bot.text.post_history import PostRefError, load_post, parse_post_ref, render_html
from storage import subscribers

USAGE = "/post <t.me link to a post>"


async def post(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    words = args.split()
    if not words or len(words) > 2:
        raise CommandError(f"Give a post link: {USAGE}, or /post @channel 123")
    try:
        ref, message_id = parse_post_ref(*words)
        stored = await load_post(ctx.db, ref, message_id)
    except PostRefError as error:
        raise CommandError(str(error)) from None
    chat = await subscribers.get(ctx.db, message.chat.id)
    zone = ZoneInfo(chat.timezone) if chat and chat.timezone else ctx.zone
    return [Reply(render_html(stored, zone))]
