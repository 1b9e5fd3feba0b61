"""Operator commands: watchlist changes through the actions the CLI shares, access, status.

The actor written to the audit log is the operator's Telegram user id.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from bot import allowlist
from bot.chat.confirm import split_confirmation
from bot.chat.exchange import BotContext, Button, CommandError, Incoming, Reply, lines
from bot.ops.status import collect_status, render_html
from bot.pipeline.backtest import run_backtest
from bot.text.alerts import short_name
from bot.text.posts import post_item_html
from bot.trends.report import describe, matched_surges
from bot.trends.series import bucket_start
from bot.trends.watch import trend_options
from bot.watchlist import actions
from storage import rules, search

RULE_USAGE = (
    "/rule add <name> [!instant] <query>",
    "/rule del <name> [confirm]",
    "/rule list",
    "/rule test <query>",
    "/rule pause <name>",
    "/rule resume <name>",
)
BACKTEST_DAYS = 30
BACKTEST_SHOWN = 5
_QUERY_SHOWN = 300  # /rule list shows each query up to this many characters
_PEER_ID = re.compile(r"^-?\d{1,16}$")  # a group's marked id is negative


def actor(message: Incoming) -> str:
    return str(message.user_id)


async def watch(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    parts = args.split()
    if not parts:
        raise CommandError("Use /watch <@username | t.me link | invite link | id> [tags…]")
    ref, *tags = parts
    channel = await actions.watch_channel(ctx.db, actor(message), ref, tags)
    ctx.watchlist_changed()
    tagged = f" with tags {', '.join(channel.tags)}" if channel.tags else ""
    if channel.state == "pending":
        return [Reply.text(f"Watching {channel.ref}{tagged}; the reader picks it up shortly.")]
    detail = f" ({channel.state_detail})" if channel.state_detail else ""
    return [Reply.text(f"Watching {channel.ref}{tagged}; its state: {channel.state}{detail}.")]


def ask(ctx: BotContext, message: Incoming, question: str, command: str) -> Reply:
    """The question with [Yes] [No], and the plain command that does it without buttons."""
    confirmed = Incoming(message.chat, message.user_id, message.username, command)
    yes, no = ctx.confirmations.ask(message.chat.id, message.user_id, confirmed)
    return Reply(
        lines(question, f"Press Yes, or send <code>{html.escape(command)}</code>"),
        ((Button("Yes", yes), Button("No", no)),),
    )


async def unwatch(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    text, sure = split_confirmation(args)
    if not text:
        raise CommandError("Use /unwatch <channel as /channels lists it>")
    channel = await actions.watched_channel(ctx.db, text)
    assert channel.ref is not None
    if not sure:
        posts = await search.channel_post_count(ctx.db, channel.id)
        question = (
            f"Stop watching <b>{html.escape(channel.display_name)}</b>? "
            f"Its {posts} stored posts and their hits stay."
        )
        return [ask(ctx, message, question, f"/unwatch {channel.ref} confirm")]
    channel = await actions.unwatch_channel(ctx.db, actor(message), channel.ref)
    ctx.watchlist_changed()
    return [Reply.text(f"Stopped watching {channel.ref}. Its stored posts stay.")]


async def list_channels(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    watched = await actions.list_channels(ctx.db)
    if not watched:
        return [Reply.text("No channels watched yet: /watch @username")]
    items = [
        f"• {html.escape(c.display_name)} <code>{html.escape(c.ref or '')}</code> — {c.state}"
        + (f" [{html.escape(', '.join(c.tags))}]" if c.tags else "")
        for c in watched
    ]
    return [Reply(lines(f"<b>Watched channels ({len(watched)})</b>", items))]


async def rule(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    verb, _, rest = args.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb == "list":
        return await _rule_list(ctx)
    if verb == "test":
        return await _rule_test(ctx, rest)
    if verb == "add":
        return await _rule_add(ctx, message, rest)
    if verb == "del":
        return await _rule_del(ctx, message, rest)
    if verb in ("pause", "resume"):
        if not rest:
            raise CommandError(f"Use /rule {verb} <name>")
        change = actions.pause_rule if verb == "pause" else actions.resume_rule
        changed = await change(ctx.db, actor(message), rest)
        done = "Paused" if verb == "pause" else "Resumed"
        return [Reply(f"{done} rule <code>{html.escape(changed.name)}</code>.")]
    raise CommandError("Use one of:\n" + "\n".join(RULE_USAGE))


async def _rule_del(ctx: BotContext, message: Incoming, rest: str) -> list[Reply]:
    name, sure = split_confirmation(rest)
    if not name:
        raise CommandError("Use /rule del <name>")
    if not sure:
        found = await rules.get(ctx.db, name)
        hits = await search.rule_hit_count(ctx.db, found.name)
        question = f"Delete rule <code>{html.escape(found.name)}</code> and its {hits} hits?"
        return [ask(ctx, message, question, f"/rule del {found.name} confirm")]
    removed = await actions.remove_rule(ctx.db, actor(message), name)
    return [Reply(f"Deleted rule <code>{html.escape(removed.name)}</code>.")]


async def _rule_add(ctx: BotContext, message: Incoming, rest: str) -> list[Reply]:
    name, _, query = rest.partition(" ")
    query = query.strip()
    priority = "digest"
    if query.lower().startswith("!instant"):
        priority, query = "instant", query[len("!instant") :].strip()
    if not name or not query:
        raise CommandError("Use /rule add <name> [!instant] <query>")
    added = await actions.add_rule(ctx.db, actor(message), name, query, priority)
    return [
        Reply(
            f"Added {added.priority} rule <code>{html.escape(added.name)}</code>: "
            f"<code>{html.escape(added.query)}</code>"
        )
    ]


async def _rule_list(ctx: BotContext) -> list[Reply]:
    found = await actions.list_rules(ctx.db)
    if not found:
        return [Reply.text("No rules yet: /rule add <name> <query>")]
    items = [
        f"• <code>{html.escape(r.name)}</code> ({r.priority}{', paused' if r.paused else ''}): "
        f"{html.escape(short_name(r.query, _QUERY_SHOWN))}"
        for r in found
    ]
    return [Reply(lines(f"<b>Rules ({len(found)})</b>", items))]


async def _rule_test(ctx: BotContext, query: str) -> list[Reply]:
    """What the query would have caught in the last 30 days (the CLI's ``backtest``)."""
    if not query:
        raise CommandError("Use /rule test <query>")
    since = ctx.clock.now() - timedelta(days=BACKTEST_DAYS)
    result = await run_backtest(ctx.db, query, since=since, top=BACKTEST_SHOWN, fast=True)
    head = (
        f"<code>{html.escape(query)}</code> matched {result.matched} of {result.scanned} "
        f"stored posts in {BACKTEST_DAYS} days"
    )
    if not result.latest:
        return [Reply(head + ".")]
    items = []
    for m, spans in reversed(result.latest):
        items.append(post_item_html(m, spans, ctx.zone, 120))
    now = ctx.clock.now()
    found = matched_surges(
        result.dates, result.first, bucket_start(now), trend_options(ctx.settings).surge
    )
    surges = [f"Surges it would have raised: {len(found) or 'none'}"]
    surges += [f"• {html.escape(describe(e, ctx.zone))}" for e in found[-BACKTEST_SHOWN:]]
    return [Reply(lines(head + "; the newest:", "", "\n\n".join(items), "", surges))]


async def _member(ctx: BotContext, ref: str) -> tuple[int, str | None]:
    """A user's id, a group's marked id (``-100…``: all its members), or an ``@name``."""
    ref = ref.strip()
    if _PEER_ID.match(ref) and int(ref) != 0:
        return int(ref), None
    if ref.startswith("@") and len(ref) > 1:
        return await ctx.platform.resolve_member(ref)
    raise CommandError("Give a numeric user id or an @username, or a group's id (-100…).")


def _who(peer_id: int, username: str | None) -> str:
    who = f"@{username} ({peer_id})" if username else str(peer_id)
    return f"The members of group {who}" if peer_id < 0 else who


async def allow(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    peer_id, username = await _member(ctx, args)
    added = await allowlist.allow(ctx.db, actor(message), peer_id, username)
    where = " in it" if peer_id < 0 else ""
    done = "may now use" if added else "could already use"
    return [Reply.text(f"{_who(peer_id, username)} {done} the bot{where}.")]


async def deny(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    peer_id, username = await _member(ctx, args)
    removed = await allowlist.deny(ctx.db, actor(message), peer_id, username)
    if not removed:
        raise CommandError(f"{args.strip()} was not on the allowlist.")
    note = " (operators always keep access)" if ctx.is_operator(peer_id) else ""
    return [Reply.text(f"{args.strip()} may no longer use the bot{note}.")]


async def status(ctx: BotContext, message: Incoming, args: str) -> list[Reply]:
    report = await collect_status(ctx.db, ctx.clock.now(), zone=ctx.zone)
    return [Reply(render_html(report))]
