"""``chanwatch replay EXPORT.json``: store a Telegram Desktop export through the pipeline."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

from bot.cli.context import CommandContext, path_argument
from bot.errors import ExportError, UsageError
from bot.pipeline.replay import DEFAULT_BATCH, Progress, ReplaySummary, replay_export

FAST_PARSER = "yajl2_c"
_PLAIN_STEP = 10  # percent between progress lines when the output is not a terminal


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "replay",
        help="store and match a Telegram Desktop export (result.json)",
        description=(
            "Read a Telegram Desktop export — one chat's result.json or a full-account export"
            " — and run every message through the pipeline. Safe to repeat: nothing is stored"
            " twice, and a replay that was interrupted completes when run again. Replayed"
            " history is matched but sends no instant alerts."
        ),
    )
    parser.add_argument("export", type=path_argument, metavar="EXPORT.json", help="the export file")
    parser.add_argument(
        "--batch",
        type=int,
        default=DEFAULT_BATCH,
        metavar="N",
        help=f"messages per committed transaction (default {DEFAULT_BATCH})",
    )
    parser.set_defaults(handler=handle)


@contextmanager
def progress_reporter(stream: TextIO) -> Iterator[Progress]:
    """A tqdm bar on a terminal; otherwise a plain line every few percent, for logs."""
    if stream.isatty():
        bar = tqdm(total=0, unit="B", unit_scale=True, file=stream, desc="replay", leave=False)

        def update_bar(done: int, total: int, read: int) -> None:
            bar.total = total
            bar.n = done
            bar.set_postfix(messages=read, refresh=False)
            bar.refresh()

        try:
            yield update_bar
        finally:
            bar.close()
        return
    shown = [0]

    def update_lines(done: int, total: int, read: int) -> None:
        percent = 100 * done // total if total else 100
        if percent >= shown[0] + _PLAIN_STEP:
            shown[0] = percent - percent % _PLAIN_STEP
            print(f"replay: {percent}% of the file, {read} messages read", file=stream)

    yield update_lines


def summary_lines(summary: ReplaySummary) -> list[str]:
    chats = f"{summary.chats_read} chat(s)"
    if summary.chats_skipped:
        chats += " (skipped " + _reasons(summary.chats_skipped) + ")"
    lines = [
        f"read     {summary.read} messages from {chats}",
        f"stored   {summary.stored} new, {summary.updated} updated,"
        f" {summary.unchanged} already stored",
    ]
    skipped = sum(summary.skipped.values())
    lines.append(f"skipped  {skipped}" + (f": {_reasons(summary.skipped)}" if skipped else ""))
    if summary.hits_per_rule:
        lines.append("new hits per rule:")
        width = max(map(len, summary.hits_per_rule))
        lines.extend(
            f"  {rule:<{width}}  {count}" for rule, count in sorted(summary.hits_per_rule.items())
        )
    else:
        lines.append("new hits: none")
    if summary.parser and summary.parser != FAST_PARSER:
        lines.append(
            f"note     JSON was parsed by ijson's {summary.parser!r} backend, several times slower"
            " than its C one: reinstall ijson from a wheel for this platform"
        )
    return lines


def _committed(summary: ReplaySummary) -> int:
    """Messages a replay stopped midway has kept in the database (whole batches)."""
    return summary.stored + summary.updated + summary.unchanged


def _reasons(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in sorted(counts.items(), key=lambda i: -i[1]))


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.batch < 1:
        raise UsageError("--batch must be at least 1")
    summary = ReplaySummary()
    async with ctx.database(create=True) as db:
        with progress_reporter(ctx.stderr) as progress:
            try:
                await replay_export(
                    db, args.export, summary=summary, batch_size=args.batch, progress=progress
                )
            except ExportError as error:
                if not _committed(summary):
                    raise
                raise ExportError(
                    f"{error} — kept the {_committed(summary)} message(s) stored before it;"
                    " replaying the repaired file completes the job"
                ) from None
            except (KeyboardInterrupt, asyncio.CancelledError):
                print(
                    f"replay: stopped after storing {_committed(summary)} message(s);"
                    " run it again to complete (nothing is stored twice)",
                    file=ctx.stderr,
                )
                raise
    for line in summary_lines(summary):
        print(line, file=ctx.stdout)
    return 0
