"""``chanwatch doctor``: check the setup and say what to do about each problem."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.context import CommandContext
from bot.ops.doctor import Check, diagnose

_LABEL = {"ok": "OK  ", "warn": "WARN", "fail": "FAIL"}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check configuration, session, database and files; exit 1 on a failure",
        description=(
            "Check the configuration, .env permissions, the Telegram session file, the "
            "database (schema version, PRAGMA integrity_check, file mode), the data directory "
            "and free disk space. Changes nothing. Exits 1 if any check fails."
        ),
    )
    parser.set_defaults(handler=handle)


def format_check(check: Check) -> str:
    """One line per check; several problems become an indented list; then what to do."""
    first, *more = check.detail.split("\n")
    lines = [f"{_LABEL[check.level]}  {check.name}: {first}"]
    if more:
        lines = [f"{_LABEL[check.level]}  {check.name}:", f"      - {first}"]
        lines += [f"      - {line}" for line in more]
    if check.advice and check.level != "ok":
        lines.append(f"      → {check.advice}")
    return "\n".join(lines)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    checks = await asyncio.to_thread(
        diagnose, ctx.environ, env_file=args.env_file, database_override=ctx.database_override
    )
    for check in checks:
        print(format_check(check), file=ctx.stdout)
    failed = sum(c.level == "fail" for c in checks)
    warned = sum(c.level == "warn" for c in checks)
    print(f"\n{failed} failed, {warned} warning(s), {len(checks)} checks.", file=ctx.stdout)
    return 1 if failed else 0
