"""``chanwatch channels list|add|remove|tag``: the CLI twins of /channels, /watch, /unwatch."""

from __future__ import annotations

import argparse

from bot.cli.context import CommandContext
from bot.watchlist import actions
from storage.channels import Channel


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "channels",
        help="list, watch, unwatch or tag channels",
        description="Manage watched channels. Changes go to the audit log (actor: cli).",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="list watched channels").set_defaults(handler=handle_list)
    add = sub.add_parser("add", help="watch a channel (@name, t.me link, invite link or id)")
    add.add_argument("ref", metavar="REF")
    add.add_argument("--tag", action="append", default=[], metavar="TAG", help="repeatable")
    add.set_defaults(handler=handle_add)
    remove = sub.add_parser("remove", help="stop watching a channel (its posts are kept)")
    remove.add_argument("ref", metavar="REF")
    remove.set_defaults(handler=handle_remove)
    tag = sub.add_parser("tag", help="replace a channel's tags (none given: remove all)")
    tag.add_argument("ref", metavar="REF")
    tag.add_argument("tags", nargs="*", metavar="TAG")
    tag.set_defaults(handler=handle_tag)


def describe(channel: Channel) -> str:
    tags = f" [{', '.join(channel.tags)}]" if channel.tags else ""
    title = f" {channel.title}" if channel.title else ""
    return f"{channel.ref}{title}{tags} ({channel.state})"


async def handle_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        watched = await actions.list_channels(db)
    for channel in watched:
        print(describe(channel), file=ctx.stdout)
    if not watched:
        print(
            "No channels are watched; add one with `chanwatch channels add @name`.", file=ctx.stdout
        )
    return 0


async def handle_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database(create=True) as db:
        channel = await actions.watch_channel(db, "cli", args.ref, args.tag)
    print(f"Watching {describe(channel)}.", file=ctx.stdout)
    return 0


async def handle_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        channel = await actions.unwatch_channel(db, "cli", args.ref)
    print(f"Stopped watching {channel.ref}; its stored posts are kept.", file=ctx.stdout)
    return 0


async def handle_tag(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        channel = await actions.tag_channel(db, "cli", args.ref, args.tags)
    print(f"Tagged {describe(channel)}.", file=ctx.stdout)
    return 0
