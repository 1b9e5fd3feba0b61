"""The ``chanwatch`` command: the only place that reads ``.env``, parses argv and runs asyncio.

Every expected failure (``ChanwatchError``, ``StorageError``) becomes one line on stderr and a
non-zero exit; only bugs may print a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from dotenv import dotenv_values

from bot.cli import (
    access,
    apply,
    backtest,
    backup,
    channels,
    demo,
    destinations,
    digest,
    doctor,
    export,
    feed,
    history,
    hits,
    login,
    match,
    replay,
    rules,
    status,
    trends,
)
from bot.cli import run as run_command
from bot.cli.context import CommandContext, path_argument
from bot.errors import ChanwatchError, UsageError
from bot.logs import RedactingFilter
from bot.ops.files import check_private
from storage.errors import StorageError

Handler = Callable[[argparse.Namespace, CommandContext], Coroutine[Any, Any, int]]

COMMANDS: tuple[ModuleType, ...] = (
    run_command,
    login,
    demo,
    status,
    backup,
    doctor,
    apply,
    digest,
    backtest,
    trends,
    channels,
    export,
    hits,
    history,
    feed,
    match,
    replay,
    rules,
    access,
    destinations,
)


class _Parser(argparse.ArgumentParser):
    """argparse exits on errors; we raise so tests and the bot can reuse the parser."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _version() -> str:
    try:
        return version("chanwatch")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chanwatch",
        description="Self-hosted Telegram channel monitor: keyword rules, alerts and digests.",
    )
    parser.add_argument(
        "--db", type=path_argument, metavar="PATH", help="database file (overrides DATABASE_PATH)"
    )
    parser.add_argument(
        "--env-file",
        type=path_argument,
        metavar="PATH",
        help="settings file to read (default: ./.env if present)",
    )
    parser.add_argument("--version", action="version", version=f"chanwatch {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def read_environment(
    env_file: Path | None, environ: Mapping[str, str], warn: TextIO
) -> dict[str, str]:
    """The process environment over the ``.env`` file: explicit variables win.

    A settings file others can read is warned about, not refused: the user may be on a
    single-user machine, but should know the API hash and bot token are exposed.
    """
    path = env_file if env_file is not None else Path(".env")
    if env_file is not None and not env_file.is_file():
        raise UsageError(f"--env-file {env_file}: no such file")
    if not path.is_file():
        return dict(environ)
    problem = check_private(path)
    if problem:
        print(f"chanwatch: warning: {problem}", file=warn)
    merged = {k: v for k, v in dotenv_values(path).items() if v is not None}
    merged.update(environ)
    return merged


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    stdin: TextIO | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    seen: Mapping[str, str] = os.environ if environ is None else environ
    try:
        args = build_parser().parse_args(argv)
        handler: Handler | None = getattr(args, "handler", None)
        if handler is None:
            build_parser().print_help(out)
            return 2
        seen = read_environment(args.env_file, seen, err)
        ctx = CommandContext(
            environ=seen,
            stdout=out,
            stderr=err,
            stdin=stdin or sys.stdin,
            database_override=args.db,
        )
        return asyncio.run(handler(args, ctx))
    except UsageError as error:
        print(f"chanwatch: error: {error}", file=err)
        return 2
    except (ChanwatchError, StorageError) as error:
        print(f"chanwatch: error: {error}", file=err)
        return 1
    except KeyboardInterrupt:
        print("chanwatch: interrupted", file=err)
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): not an error. Point stdout at /dev/null so the
        # interpreter's final flush does not fail again and print a traceback at exit.
        if out is sys.stdout:
            with contextlib.suppress(OSError, ValueError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception:
        # A bug, not bad input: keep the traceback for the report, but through the same
        # redaction as the logs, since settings and tokens can sit in its frames' messages.
        secrets = [v for k, v in seen.items() if k in ("API_HASH", "BOT_TOKEN") and v]
        trace = RedactingFilter(secrets).scrub(traceback.format_exc())
        print(f"chanwatch: internal error (a bug, please report it):\n{trace}", file=err)
        return 70


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
