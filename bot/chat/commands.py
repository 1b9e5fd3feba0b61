"""Every bot command, with the usage line /help shows for it."""

from __future__ import annotations

import html
from collections.abc import Sequence

from bot.chat import operator, subscriber
from bot.chat.digest import USAGE as DIGEST_USAGE
from bot.chat.digest import digest
from bot.chat.dispatch import Command
from bot.chat.exchange import BotContext, Incoming, Reply, lines
from bot.chat.post import USAGE as POST_USAGE
from bot.chat.post import post
from bot.chat.search import Search
from bot.chat.settings import settings


def build_commands(search: Search) -> list[Command]:
    """The command table; ``search`` keeps the paging state its buttons need."""
    table = [
        Command("start", "/start", "what this bot does", subscriber.start),
        Command(
            "subscribe",
            subscriber.TARGET_USAGE,
            "get alerts and digests for a rule, a channel tag, or everything",
            subscriber.subscribe,
            changes_chat=True,
        ),
        Command(
            "unsubscribe",
            "/unsubscribe <as /mysubs shows | everything>",
            "stop one",
            subscriber.unsubscribe,
            changes_chat=True,
        ),
        Command("mysubs", "/mysubs", "what this chat is subscribed to", subscriber.mysubs),
        Command("digest", DIGEST_USAGE, "a digest of recent hits now, or of one rule", digest),
        Command(
            "search",
            "/search <words>",
            "stored posts with every word, newest first",
            search.command,
        ),
        Command(
            "post",
            POST_USAGE,
            "every version of a stored post, and its deletion",
            post,
        ),
        Command(
            "settings",
            "/settings",
            "time zone, quiet hours, instant alerts, change notices, digest schedule",
            settings,
            changes_chat=True,
        ),
        Command(
            "watch", "/watch <channel> [tags…]", "watch a channel", operator.watch, operator=True
        ),
        Command(
            "unwatch",
            "/unwatch <channel> [confirm]",
            "stop watching a channel",
            operator.unwatch,
            operator=True,
        ),
        Command(
            "channels",
            "/channels",
            "watched channels and their state",
            operator.list_channels,
            operator=True,
        ),
        Command(
            "rule",
            "/rule add|del|list|test|pause|resume …",
            "manage rules",
            operator.rule,
            operator=True,
        ),
        Command(
            "allow",
            "/allow <user id | @name | group id>",
            "let a user, or everyone in a group, use the bot",
            operator.allow,
            operator=True,
        ),
        Command(
            "deny",
            "/deny <user id | @name | group id>",
            "take a user's or a group's access away",
            operator.deny,
            operator=True,
        ),
        Command(
            "status",
            "/status",
            "service health, lag, hits today, outbox",
            operator.status,
            operator=True,
        ),
    ]

    async def help_(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
        return [help_reply(ctx, message.user_id, table)]

    table.insert(1, Command("help", "/help", "this list", help_))
    return table


def help_reply(ctx: BotContext, user_id: int, table: Sequence[Command]) -> Reply:
    """Only what this user may do: operator commands are listed for operators alone."""
    mine = [c for c in table if not c.operator or ctx.is_operator(user_id)]
    everyone = [c for c in mine if not c.operator]
    ops = [c for c in mine if c.operator]

    def item(c: Command) -> str:
        return f"<code>{html.escape(c.usage)}</code> — {html.escape(c.summary)}"

    parts: list[str | list[str]] = ["<b>Commands</b>", [item(c) for c in everyone]]
    if ops:
        parts += ["", "<b>Operator commands</b>", [item(c) for c in ops]]
    return Reply(lines(*parts))
