"""``chanwatch access list|allow|deny``: the CLI twins of /allow and /deny.

The CLI takes numeric ids only: turning an @name into an id needs Telegram, which the bot's
``/allow @name`` has and the CLI does not.
"""

from __future__ import annotations

import argparse

from bot import allowlist
from bot.cli.context import CommandContext
from bot.errors import ChanwatchError
from storage import subscribers


def _peer_id(text: str) -> int:
    try:
        peer_id = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a numeric id; use the bot's /allow for an @name"
        ) from None
    if peer_id == 0:
        raise argparse.ArgumentTypeError("0 is not a Telegram id")
    return peer_id


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "access",
        help="list, allow or deny who may use the bot",
        description=(
            "With ACCESS=allowlist only operators and allowed users (or members of allowed"
            " groups, by their -100… id) get answers from the bot. Changes go to the audit"
            " log (actor: cli)."
        ),
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    sub.add_parser("list", help="list allowed users and groups").set_defaults(handler=handle_list)
    for verb, text in (("allow", "let a user or group use the bot"), ("deny", "take it back")):
        action = sub.add_parser(verb, help=text)
        action.add_argument(
            "peer", type=_peer_id, metavar="ID", help="a user id, or a group's -100… id"
        )
        action.set_defaults(handler=handle_change, verb=verb)


async def handle_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        allowed = await subscribers.list_allowed(db)
    for entry in allowed:
        name = f" @{entry.username}" if entry.username else ""
        kind = "group" if entry.user_id < 0 else "user"
        print(
            f"{entry.user_id}{name} ({kind}, by {entry.added_by}, {entry.added_at:%Y-%m-%d})",
            file=ctx.stdout,
        )
    if not allowed:
        print("Nobody is on the allowlist; operators always have access.", file=ctx.stdout)
    return 0


async def handle_change(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database(create=args.verb == "allow") as db:
        if args.verb == "allow":
            added = await allowlist.allow(db, "cli", args.peer)
            done = "may now" if added else "could already"
            print(f"{args.peer} {done} use the bot.", file=ctx.stdout)
            return 0
        if not await allowlist.deny(db, "cli", args.peer):
            raise ChanwatchError(f"{args.peer} was not on the allowlist")
    print(f"{args.peer} may no longer use the bot.", file=ctx.stdout)
    return 0
