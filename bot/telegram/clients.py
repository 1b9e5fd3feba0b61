"""Connecting the two Telegram accounts the service uses: the user session and the bot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from telethon import TelegramClient, errors

from bot.config import Settings
from bot.errors import ChanwatchError
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


async def resolve_alert_chat(client: TelegramClient, value: str) -> int:
    """``ALERT_CHAT`` as the marked id of the chat alerts go to, resolved once at start.

    A numeric id goes to Telethon as an int: as a string it would be read as a phone number and
    looked up among the contacts. An id is found the way Telethon finds ids, in the session's
    cache and then among the account's dialogs (which also caches it for every later send);
    Telegram cannot address one that is in neither without its access hash, and that is one
    line saying what to do rather than a failed start.
    """
    target: int | str = int(value) if _digits(value.lstrip("-")) else value
    try:
        return await _peer_id(client, target)
    except errors.FloodWaitError as error:
        raise ChanwatchError(
            f"Telegram asks to wait {error.seconds} s before looking up ALERT_CHAT={value};"
            " start chanwatch again after that"
        ) from None
    except (ValueError, errors.RPCError):
        if not isinstance(target, int):
            raise ChanwatchError(
                f"ALERT_CHAT={value}: Telegram knows no user, group or channel by that name"
            ) from None
    await client.get_dialogs()
    try:
        return await _peer_id(client, target)
    except ValueError:
        raise ChanwatchError(
            f"ALERT_CHAT={value} is none of this account's chats: open the chat (or join the"
            " group) with the account chanwatch logged in as, then start again; or set"
            " ALERT_CHAT to an @username, or to me for your Saved Messages"
        ) from None


async def _peer_id(client: TelegramClient, target: int | str) -> int:
    entity = await client.get_input_entity(target)
    return int(await client.get_peer_id(entity))


def _digits(text: str) -> bool:
    """ASCII digits only: ``str.isdigit`` also accepts ``²``, which ``int`` refuses."""
    return text.isascii() and text.isdigit()
