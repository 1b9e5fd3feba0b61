"""/settings: time zone, quiet hours, instant alerts and change notices on/off, and the digest
schedule."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.chat.exchange import BotContext, CommandError, Incoming, Reply, lines
from bot.chat.subscriber import ensure_chat
from bot.digest import parse_schedule
from bot.pipeline.route import QuietHours
from storage import subscribers
from storage.subscribers import Subscriber

USAGE = (
    "/settings tz Europe/Kyiv",
    "/settings quiet 23:00-07:00   (or: /settings quiet off)",
    "/settings instant on|off",
    "/settings changes on|off   (a notice when an alerted post is deleted or edited away)",
    "/settings surges on|off   (surges, and one story spreading to several channels)",
    "/settings digest daily 08:00,20:00   (weekly mon 09:00, every 6h, off)",
    "/settings empty on|off   (a digest saying 'nothing new' when a period had no hits)",
)


def _show(subscriber: Subscriber, default_zone: str) -> Reply:
    quiet = f"{subscriber.quiet_start}-{subscriber.quiet_end}" if subscriber.quiet_start else "off"
    return Reply(
        lines(
            "<b>Settings</b>",
            f"Time zone: {html.escape(subscriber.timezone or default_zone)}",
            f"Quiet hours: {quiet}",
            f"Instant alerts: {'on' if subscriber.instant else 'off'}",
            f"Change notices: {'on' if subscriber.changes else 'off'}",
            f"Surge alerts: {'on' if subscriber.surges else 'off'}",
            f"Digest: {html.escape(subscriber.digest_schedule)}",
            f"Empty digests: {'on' if subscriber.digest_empty else 'off'}",
            "",
            "Change with:",
            [f"<code>{html.escape(u)}</code>" for u in USAGE],
        )
    )


async def settings(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    current = await ensure_chat(ctx, message)
    key, _, value = args.strip().partition(" ")
    key, value = key.lower(), value.strip()
    chat = message.chat.id
    if not key:
        return [_show(current, ctx.settings.timezone)]
    if key in ("tz", "timezone"):
        await subscribers.set_timezone(ctx.db, chat, _zone(value))
    elif key == "quiet":
        start, end = _quiet(value)
        await subscribers.set_quiet_hours(ctx.db, chat, start, end)
    elif key == "instant":
        await subscribers.set_instant(ctx.db, chat, _switch(key, value))
    elif key == "changes":
        await subscribers.set_changes(ctx.db, chat, _switch(key, value))
    elif key == "surges":
        await subscribers.set_surges(ctx.db, chat, _switch(key, value))
    elif key == "empty":
        await subscribers.set_digest_empty(ctx.db, chat, _switch(key, value))
    elif key == "digest":
        await subscribers.set_digest_schedule(ctx.db, chat, str(parse_schedule(value)))
    else:
        raise CommandError(
            f"Unknown setting {key!r}."
            " Use one of: tz, quiet, instant, changes, surges, digest, empty."
        )
    ctx.schedules_changed()
    updated = await subscribers.get(ctx.db, chat)
    assert updated is not None
    return [_show(updated, ctx.settings.timezone)]


def _switch(key: str, value: str) -> bool:
    if value.lower() not in ("on", "off"):
        raise CommandError(f"Use /settings {key} on, or /settings {key} off.")
    return value.lower() == "on"


def _zone(value: str) -> str:
    if not value:
        raise CommandError("Give an IANA time zone, e.g. /settings tz Europe/Kyiv")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise CommandError(
            f"{value!r} is not a time zone I know: use a name like Europe/Kyiv or UTC."
        ) from None
    return value


def _quiet(value: str) -> tuple[str | None, str | None]:
    if value.lower() == "off":
        return None, None
    start, dash, end = value.replace(" ", "").partition("-")
    if not dash:
        raise CommandError("Give quiet hours as HH:MM-HH:MM, e.g. 23:00-07:00, or off.")
    quiet = QuietHours.parse(start, end)
    return f"{quiet.start:%H:%M}", f"{quiet.end:%H:%M}"
