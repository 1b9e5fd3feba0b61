"""``chanwatch history``: every version of one stored post and its deletion, with times."""

from __future__ import annotations

import argparse

from bot.cli.context import CommandContext
from bot.text.post_history import load_post, parse_post_ref, render_text


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "history",
        help="show every version of a stored post, and its deletion",
        description=(
            "Print each text the post had, oldest first, with Telegram's edit time and when "
            "chanwatch stored it; whether and when it was deleted and how that was learned; "
            "its views, forwards and reactions. Name the post by its link, or by its channel "
            "and message id."
        ),
    )
    parser.add_argument("post", help="a post link (t.me/name/123, t.me/c/ID/123) or a channel")
    parser.add_argument("message_id", nargs="?", help="the message id, when POST is a channel")
    parser.set_defaults(handler=handle)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    settings = ctx.settings()
    ref, message_id = parse_post_ref(args.post, args.message_id)
    async with ctx.database() as db:
        post = await load_post(db, ref, message_id)
    ctx.stdout.write(render_text(post, settings.zone))
    return 0
