"""Subscriber commands: /start, /subscribe, /unsubscribe, /mysubs."""

from __future__ import annotations

import html
import re

from bot.chat.exchange import BotContext, CommandError, Incoming, Reply, lines
from storage import channels, rules, subscribers
from storage.errors import NotFoundError
from storage.subscribers import Subscriber

_NAME = re.compile(r"^[\w.-]{1,64}$")
TARGET_USAGE = "/subscribe <rule name | tag:NAME | surge:RULE | all>"
NAMES_SHOWN = 20  # a typo's answer names this many rules or tags, not all 500


async def ensure_chat(ctx: BotContext, message: Incoming) -> Subscriber:
    chat = message.chat
    return await subscribers.ensure(ctx.db, chat.id, kind=chat.kind, title=chat.title)


async def start(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    await ensure_chat(ctx, message)
    where = "this group" if message.chat.is_group else "you"
    return [
        Reply(
            lines(
                "<b>chanwatch</b> watches Telegram channels for the rules its operators set "
                f"and alerts {where} when they match.",
                "",
                "Start with /subscribe to pick rules or tags, then /settings for time zone, "
                "quiet hours and digests. /help lists every command.",
            )
        )
    ]


async def target_of(ctx: BotContext, argument: str) -> str:
    """``rule:NAME``, ``tag:NAME``, ``surge:RULE`` or ``all`` for what the user typed;
    unknown names refused."""
    text = argument.strip()
    if not text:
        raise CommandError(f"Say what to subscribe to: {TARGET_USAGE}")
    if text.lower() == "all":
        return "all"
    kind, _, name = text.partition(":") if ":" in text else ("rule", "", text)
    kind = kind.lower()
    if kind not in ("rule", "tag", "surge") or not _NAME.match(name):
        raise CommandError(
            f"{text!r} is not a rule name, tag:NAME, surge:RULE or all. Use {TARGET_USAGE}"
        )
    if kind in ("rule", "surge"):
        try:
            await rules.get(ctx.db, name)
        except NotFoundError:
            known = _some([r.name for r in await rules.list_rules(ctx.db)])
            raise CommandError(f"There is no rule {name!r}. Rules: {known}") from None
    elif name not in await known_tags(ctx):
        known = _some(sorted(await known_tags(ctx)))
        raise CommandError(f"No watched channel has the tag {name!r}. Tags: {known}")
    return f"{kind}:{name}"


def _some(names: list[str]) -> str:
    if not names:
        return "none yet"
    shown = ", ".join(names[:NAMES_SHOWN])
    left = len(names) - NAMES_SHOWN
    return f"{shown} and {left} more" if left > 0 else shown


async def known_tags(ctx: BotContext) -> set[str]:
    return {t for c in await channels.list_channels(ctx.db, watched_only=True) for t in c.tags}


async def subscribe(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    target = await target_of(ctx, args)
    await ensure_chat(ctx, message)
    added = await subscribers.subscribe(ctx.db, message.chat.id, target)
    ctx.schedules_changed()
    label = html.escape(target)
    if not added:
        return [Reply(f"Already subscribed to <code>{label}</code>.")]
    if target.startswith("surge:"):
        return [
            Reply(
                f"Subscribed to <code>{label}</code>: you hear when this rule's hits surge far "
                "above their usual pace, or one story spreads to several channels at once."
            )
        ]
    return [
        Reply(
            f"Subscribed to <code>{label}</code>. Instant rules alert at once; "
            "the others come in your digests (/settings)."
        )
    ]


async def unsubscribe(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    current = await subscribers.get(ctx.db, message.chat.id)
    targets = current.targets if current else ()
    text = args.strip()
    if not text:
        raise CommandError("Say what to unsubscribe from, as /mysubs lists it, or 'everything'.")
    if text.lower() == "everything":
        for target in targets:
            await subscribers.unsubscribe(ctx.db, message.chat.id, target)
        ctx.schedules_changed()
        return [Reply.text(f"Unsubscribed from everything ({len(targets)}).")]
    wanted = text.lower() if text.lower() == "all" else text
    target = wanted if ":" in wanted or wanted == "all" else f"rule:{wanted}"
    if not await subscribers.unsubscribe(ctx.db, message.chat.id, target):
        raise CommandError(f"You are not subscribed to {target!r}; /mysubs lists what you are.")
    ctx.schedules_changed()
    return [Reply(f"Unsubscribed from <code>{html.escape(target)}</code>.")]


async def mysubs(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    current = await subscribers.get(ctx.db, message.chat.id)
    if current is None or not current.targets:
        return [Reply.text(f"No subscriptions yet. Use {TARGET_USAGE}")]
    return [
        Reply(
            lines(
                "<b>Subscriptions</b>",
                [f"• <code>{html.escape(t)}</code>" for t in current.targets],
                "",
                f"Instant alerts: {'on' if current.instant else 'off'} · "
                f"digest: {html.escape(current.digest_schedule)}",
            )
        )
    ]
