"""``chanwatch destinations add|list|remove|test``: alerts and digests beyond Telegram.

A destination is a JSON webhook (``https://…``) or any notification service Apprise knows
(``ntfy://``, ``matrix://``, ``slack://``, ``discord://``, ``mailto://``, ``json://`` …).
Secrets stay in the environment: the URL names them as ``${VARIABLE}``. Changes go to the
audit log (actor: cli).
"""

from __future__ import annotations

import argparse

from bot.cli.context import CommandContext
from bot.destinations import spec
from bot.destinations.actions import remove_destination, save_destination, send_test
from bot.destinations.transport import Delivered, valid_for_apprise
from bot.destinations.urls import expand, kind_of, missing, shown
from bot.errors import ChanwatchError
from bot.watchlist.entries import DestinationSpec
from storage import channels, destinations, rules
from storage.destinations import Destination, DestinationValues


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "destinations",
        help="add, list, remove or test webhooks and notification services",
        description=(
            "Send alerts (and, with --digest, digests) to a JSON webhook or to a service"
            " through Apprise: ntfy, Matrix, Slack, Discord, email and more. Write secrets as"
            " ${VARIABLE} in the URL and set them in the environment or .env."
        ),
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("add", help="add a destination, or replace one of the same name")
    add.add_argument("name", metavar="NAME", help="what status and the audit log call it")
    add.add_argument("url", metavar="URL", help="https://… (webhook) or an Apprise URL")
    add.add_argument(
        "--rules",
        nargs="+",
        required=True,
        metavar="RULE",
        help='rule names, "tag:NAME" (every hit in channels with the tag) or "all"',
    )
    add.add_argument(
        "--format",
        default="markdown",
        choices=spec.FORMATS,
        help="the body a notification service gets (default markdown; webhooks get JSON)",
    )
    add.add_argument("--secret", metavar="VARIABLE", help="webhooks: sign with this variable")
    add.add_argument("--digest", metavar="SCHEDULE", help='also send digests, e.g. "daily 08:00"')
    add.add_argument("--no-instant", action="store_true", help="digests only: no instant alerts")
    add.add_argument(
        "--per-minute", type=int, default=30, metavar="N", help="rate limit (default 30)"
    )
    add.set_defaults(handler=handle_add)
    sub.add_parser("list", help="list destinations and their state").set_defaults(
        handler=handle_list
    )
    remove = sub.add_parser("remove", help="remove a destination and its queued messages")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=handle_remove)
    test = sub.add_parser("test", help="send a test message now and say what happened")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=handle_test)


async def handle_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    url = spec.url(args.url)
    absent = missing(url, ctx.environ)
    if (
        not absent
        and kind_of(url) == "apprise"
        and not valid_for_apprise(expand(url, ctx.environ).url)
    ):
        # Checked here, where the values are at hand; a file applied elsewhere cannot be.
        raise ChanwatchError(
            f"Apprise cannot read {shown(url)} (with its variables put in): check the URL's"
            " form for the service at https://github.com/caronc/apprise/wiki"
        )
    async with ctx.database(create=True) as db:
        known_rules = {r.name for r in await rules.list_rules(db)}
        known_tags = {
            t for c in await channels.list_channels(db, watched_only=True) for t in c.tags
        }
        values = DestinationValues(
            url=url,
            targets=spec.targets(args.rules, known_rules, known_tags),
            format=spec.body_format(args.format),
            secret_env=spec.secret_variable(args.secret),
            instant=not args.no_instant,
            digest_schedule=spec.digest_schedule(args.digest),
            per_minute=spec.per_minute(args.per_minute),
        )
        saved = await save_destination(db, "cli", DestinationSpec(spec.name(args.name), values))
    print(f"Destination {saved.name} ({kind_of(url)}) saved.", file=ctx.stdout)
    if absent:
        print(
            f"Note: {', '.join(absent)} not set here; `chanwatch run` needs it in its"
            " environment or .env.",
            file=ctx.stdout,
        )
    return 0


def describe(destination: Destination) -> str:
    values = destination.values
    state = "active" if destination.active else f"INACTIVE: {destination.inactive_reason}"
    extras = [f"rules {', '.join(spec.target_names(values.targets))}"]
    if not values.instant:
        extras.append("no instant alerts")
    if values.digest_schedule:
        extras.append(f"digest {values.digest_schedule}")
    if values.secret_env:
        extras.append(f"signed with ${values.secret_env}")
    return (
        f"{destination.name} ({kind_of(values.url)}, {values.format}, {state}) {shown(values.url)}"
        f"\n  {'; '.join(extras)}"
    )


async def handle_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        found = await destinations.list_destinations(db)
    for destination in found:
        print(describe(destination), file=ctx.stdout)
    if not found:
        print("No destinations; add one with `chanwatch destinations add`.", file=ctx.stdout)
    return 0


async def handle_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        removed = await remove_destination(db, "cli", args.name)
    print(f"Destination {removed.name} removed.", file=ctx.stdout)
    return 0


async def handle_test(args: argparse.Namespace, ctx: CommandContext) -> int:
    async with ctx.database() as db:
        destination = await destinations.get(db, args.name)
    outcome = await send_test(destination, ctx.environ)
    if isinstance(outcome, Delivered):
        print(f"Test message delivered to {destination.name}.", file=ctx.stdout)
        return 0
    raise ChanwatchError(f"{destination.name} did not take the test message: {outcome.reason}")
