"""The user session: a private file, and a clear refusal when nobody has logged in yet."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from telethon import TelegramClient
from telethon.sessions import SQLiteSession

from bot.config import Settings
from bot.errors import ChanwatchError


class NotLoggedInError(ChanwatchError):
    """``chanwatch run`` must not prompt for a phone number inside a service."""


def session_file(path: Path) -> Path:
    """Telethon appends ``.session`` to names without it; report the file it really uses."""
    return path if path.name.endswith(".session") else path.with_name(path.name + ".session")


def private_session(path: Path) -> SQLiteSession:
    """Open the session file, created 0600 before Telethon writes a key into it."""
    target = session_file(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.close(os.open(target, os.O_CREAT | os.O_RDWR, 0o600))
        target.chmod(0o600)
        return SQLiteSession(str(target))
    except OSError as error:
        raise ChanwatchError(
            f"cannot open the Telegram session at {target}: {error.strerror or error}"
        ) from None
    except sqlite3.DatabaseError:
        raise ChanwatchError(
            f"{target} is not a Telegram session file (damaged, or another file):"
            " move it away and run `chanwatch login` again"
        ) from None


def build_client(settings: Settings) -> TelegramClient:
    if settings.api_id is None or settings.api_hash is None:
        raise NotLoggedInError("API_ID and API_HASH are needed to talk to Telegram")
    return TelegramClient(
        private_session(settings.session_path),
        settings.api_id,
        settings.api_hash,
        flood_sleep_threshold=0,  # the reader schedules FloodWaits itself
        auto_reconnect=True,
    )


async def open_reader_client(settings: Settings) -> TelegramClient:
    """A connected, logged-in user client, or ``NotLoggedInError`` saying how to log in."""
    path = session_file(settings.session_path)
    if not path.is_file():
        raise NotLoggedInError(f"no Telegram session at {path}: run `chanwatch login` first")
    client = build_client(settings)
    await client.connect()
    if not await client.is_user_authorized():
        await client.disconnect()
        raise NotLoggedInError(
            f"the Telegram session at {path} is not logged in (or was revoked):"
            " run `chanwatch login` again"
        )
    return client
