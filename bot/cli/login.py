"""``chanwatch login``: create the user session the reader runs on (file mode 0600)."""

from __future__ import annotations

import argparse
import getpass

from bot.cli.context import CommandContext
from bot.telegram.login import login_with_code, login_with_qr
from bot.telegram.session import build_client, session_file


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "login",
        help="log the reader's Telegram account in (phone and code, or --qr)",
        description="Interactive login; writes SESSION_PATH, readable only by you.",
    )
    parser.add_argument("--qr", action="store_true", help="log in by scanning a QR code")
    parser.set_defaults(handler=handle)


class _Terminal:
    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def ask(self, question: str, *, secret: bool = False) -> str:
        if secret and self.ctx.stdin.isatty():
            return getpass.getpass(question)
        self.ctx.stdout.write(question)
        self.ctx.stdout.flush()
        return self.ctx.stdin.readline().rstrip("\n")

    def say(self, text: str) -> None:
        print(text, file=self.ctx.stdout)


async def handle(args: argparse.Namespace, ctx: CommandContext) -> int:
    settings = ctx.settings(telegram=True, delivery=False)
    client = build_client(settings)
    terminal = _Terminal(ctx)
    await client.connect()
    try:
        if await client.is_user_authorized():
            terminal.say(f"Already logged in; session at {session_file(settings.session_path)}.")
            return 0
        login = login_with_qr if args.qr else login_with_code
        name = await login(client, terminal)
    finally:
        await client.disconnect()
    terminal.say(f"Logged in as {name}. Session saved to {session_file(settings.session_path)}.")
    return 0
