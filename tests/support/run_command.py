"""``chanwatch run`` as a user starts it, in this process, on the fake Telegram: every client
the command builds connects to one ``FakeTelegram`` (the user session logged in), and the
command is stopped the way a supervisor stops it (SIGTERM).

Also runnable as ``python -m tests.support.run_command ENV.json`` for tests that SIGKILL it: the
world is then a channel whose posts all match the instant rule, read by the backfill.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from telethon import TelegramClient

from bot.cli.context import CommandContext
from bot.cli.main import build_parser, main
from bot.cli.run import handle
from storage import channels, rules
from storage.database import Database, open_database
from tests.faketg import API_HASH, API_ID, FakeTelegram, attach

KILL_POSTS = tuple(f"Колонна КНДР у Суджи, сводка №{n}" for n in range(1, 7))


@dataclass
class Telegram:
    """The fake Telegram every client ``chanwatch run`` builds connects to."""

    world: FakeTelegram
    clients: list[TelegramClient] = field(default_factory=list)

    @property
    def user(self) -> TelegramClient:
        return next(c for c in self.clients if not is_bot(c))


def is_bot(client: TelegramClient) -> bool:
    return str(getattr(client.session, "filename", "")).endswith("-bot.session")


def fake_connect(world: FakeTelegram, patch: Callable[[object, str, object], None]) -> Telegram:
    """Point ``TelegramClient.connect`` at ``world`` (``patch`` is monkeypatch.setattr)."""
    found = Telegram(world)
    real_connect = TelegramClient.connect

    async def connect_to_fake(client: TelegramClient) -> None:
        # The bot signs in with its token at every start; the user session is logged in.
        attach(client, world, bot=is_bot(client), authorized=not is_bot(client))
        found.clients.append(client)
        await real_connect(client)

    patch(TelegramClient, "connect", connect_to_fake)
    return found


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    session = tmp_path / "secrets" / "reader.session"
    session.parent.mkdir(parents=True, exist_ok=True)
    session.touch(mode=0o600)  # `chanwatch login` made it; the fake account is logged in
    return {
        "API_ID": str(API_ID),
        "API_HASH": API_HASH,
        "SESSION_PATH": str(session),
        "DATABASE_PATH": str(tmp_path / "chanwatch.db"),
        **settings,
    }


@asynccontextmanager
async def watched_database(path: Path) -> AsyncIterator[Database]:
    """The database ``chanwatch run`` will use, with @svodki watched and an instant rule."""
    database = await open_database(path)
    try:
        await channels.watch(database, "@svodki", username="svodki")
        await rules.add(database, "dprk", "КНДР", priority="instant")
        yield database
    finally:
        await database.close()


class Running:
    """``chanwatch run`` in this process, stopped the way a supervisor stops it (SIGTERM)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.err = io.StringIO()
        args = build_parser().parse_args(["run"])
        ctx = CommandContext(
            environ=env, stdout=io.StringIO(), stderr=self.err, stdin=io.StringIO()
        )
        self.task = asyncio.create_task(handle(args, ctx))

    def check(self) -> None:
        """Raise the command's error if it stopped (a failed start, not a timeout)."""
        if self.task.done():
            self.task.result()

    async def stop(self) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(self.task, 30) == 0
        assert self.err.getvalue().endswith("chanwatch: stopped\n")


def kill_world() -> FakeTelegram:
    world = FakeTelegram()
    world.add_channel("svodki", "Сводки", posts=KILL_POSTS)
    return world


def _patch(target: object, name: str, value: object) -> None:
    setattr(target, name, value)


if __name__ == "__main__":
    fake_connect(kill_world(), _patch)
    env = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    sys.exit(main(["run"], environ=env))
