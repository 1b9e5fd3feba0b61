"""``chanwatch demo``: the whole offline pipeline on the bundled sample, with no account.

A fresh database under data/demo/, the sample watchlist applied, the sample export replayed
through the same pipeline as live messages, then what it found. Each section is one
function taking the open database, so later parts (the digest) add a section of their own.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import TextIO

from bot.cli.context import CommandContext
from bot.cli.replay import summary_lines
from bot.digest.gather import render_demo_digest
from bot.errors import UsageError
from bot.pipeline.replay import replay_export
from bot.sample import EXPORT_PATH, SAMPLE_CHANNELS, WATCHLIST_PATH
from bot.text.alerts import channel_name
from bot.text.posts import channel_of
from bot.watchlist import read_watchlist
from bot.watchlist.actions import apply_watchlist
from storage import channels, hits
from storage.database import Database, connect

DEFAULT_DEMO_DB = Path("data/demo/chanwatch.db")
_TEXT_WIDTH = 70

Section = Callable[[Database, TextIO], Awaitable[None]]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the pipeline on the bundled sample (no credentials needed)",
        description=(
            "Create a fresh database under data/demo/ (or at --db PATH, which must not exist"
            " yet), apply the bundled watchlist, replay the bundled export through the pipeline"
            " and show what matched."
        ),
    )
    parser.set_defaults(handler=handle)


async def load_sample(db: Database, out: TextIO) -> None:
    """Seed the sample's channels (exports carry ids, not usernames), apply, replay."""
    for telegram_id, (username, title) in SAMPLE_CHANNELS.items():
        await channels.ensure_seen(db, telegram_id, title=title, username=username)
    plan = await apply_watchlist(db, read_watchlist(WATCHLIST_PATH), "cli")
    print(
        f"Applied {WATCHLIST_PATH.name}: {len(plan.add_channels)} channels,"
        f" {len(plan.add_rules)} rules.",
        file=out,
    )
    summary = await replay_export(db, EXPORT_PATH)
    print(f"Replayed {EXPORT_PATH.name}:", file=out)
    for line in summary_lines(summary):
        print(f"  {line}", file=out)


async def show_hits(db: Database, out: TextIO) -> None:
    found = await hits.by_message(db, since=None)
    print(f"\n{len(found)} posts matched:", file=out)
    for item in found:
        text = " ".join(item.text.split())
        if len(text) > _TEXT_WIDTH:
            text = text[: _TEXT_WIDTH - 1] + "…"
        print(
            f"  {item.date.astimezone(UTC):%m-%d %H:%M}  {channel_name(channel_of(item))[:20]:<20}"
            f"  {','.join(item.rules):<28}  {text}",
            file=out,
        )


async def show_digest(db: Database, out: TextIO) -> None:
    """The whole sample as one digest: reposts across the sample's channels fold into stories."""
    print(f"\n{await render_demo_digest(db)}", file=out)


SECTIONS: tuple[Section, ...] = (load_sample, show_hits, show_digest)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    ctx.settings()
    path = ctx.database_override or DEFAULT_DEMO_DB
    if ctx.database_override is not None and path.exists():
        # The demo starts afresh by deleting its database; --db may name a real one.
        raise UsageError(
            f"--db {path} already exists and the demo would delete it; remove it yourself"
            f" or give a new path (without --db the demo uses {DEFAULT_DEMO_DB})"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    async with connect(path) as db:
        for section in SECTIONS:
            await section(db, ctx.stdout)
    print(
        f"\nThe database is {path}; try `chanwatch --db {path} hits --since all`.", file=ctx.stdout
    )
    return 0
