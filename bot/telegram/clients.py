"""Connecting the two Telegram accounts the service uses: the user session and the bot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from telethon import TelegramClient

from bot.config import Settings
from bot.telegram.session import open_reader_client, private_session


@dataclass
class Clients:
    user: TelegramClient  # reads channels; sends alerts when there is no bot
    bot: TelegramClient | None  # answers commands and sends alerts

    async def disconnect(self) -> None:
        for client in (self.bot, self.user):
            if client is not None and client.is_connected():
                await client.disconnect()


def bot_session_path(settings: Settings) -> Path:
    """The bot's own session beside the user's (it caches the chats it has seen)."""
    return settings.session_path.with_name(f"{settings.session_path.stem}-bot.session")


async def connect_clients(settings: Settings) -> Clients:
    """Connect the logged-in user session and, with a token, the bot."""
    user = await open_reader_client(settings)
    bot = None
    if settings.bot_token:
        bot = build_bot_client(settings)
        await bot.start(bot_token=settings.bot_token)
    return Clients(user=user, bot=bot)


def build_bot_client(settings: Settings) -> TelegramClient:
    """The bot's client, not yet connected. Every FloodWait reaches our code: Telethon would
    otherwise sleep through waits up to a minute inside the call, where the deliverer can
    neither pause the other sends nor count the wait."""
    assert settings.api_id is not None and settings.api_hash is not None
    return TelegramClient(
        private_session(bot_session_path(settings)),
        settings.api_id,
        settings.api_hash,
        flood_sleep_threshold=0,
        raise_last_call_error=True,
    )
