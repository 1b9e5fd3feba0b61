"""Sending one HTML message with Telethon, and sorting its failures by what to do next.

The deliverer must not care about Telethon's hundreds of error classes; it needs to know
whether to wait (FloodWait, or a sending limit on the whole account), retry later (network,
server), give up on the message (it is malformed) or give up on the chat (blocked, deleted,
kicked).
"""

from __future__ import annotations

import io

from telethon import TelegramClient, errors


class DeliveryError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FloodWait(DeliveryError):
    """Telegram asked us to stop sending for ``seconds``."""

    def __init__(self, seconds: int, *, chat_only: bool = False) -> None:
        super().__init__(f"Telegram asked to wait {seconds} s")
        self.seconds = seconds
        self.chat_only = chat_only  # slow mode: only this chat must wait


class SendingLimited(DeliveryError):
    """Telegram limited the account for sending (``PEER_FLOOD``, often after spam reports):
    every chat is refused alike, for a time Telegram does not say."""


class ChatGone(DeliveryError):
    """The chat can no longer receive anything from us: the subscriber becomes inactive."""


class Undeliverable(DeliveryError):
    """This message can never be sent (the chat is fine)."""


class TransientFailure(DeliveryError):
    """Worth retrying later."""


_CHAT_GONE: tuple[tuple[type[BaseException], str], ...] = (
    (errors.UserIsBlockedError, "the user blocked the bot"),
    (errors.InputUserDeactivatedError, "the user deleted their account"),
    (errors.UserDeactivatedBanError, "the user's account was banned"),
    (errors.ChatWriteForbiddenError, "the bot may not write in this chat"),
    (errors.ChatSendPlainForbiddenError, "the bot may not send text in this chat"),
    (errors.ChatRestrictedError, "the chat restricts the bot"),
    (errors.ChatAdminRequiredError, "the chat requires admin rights to post"),
    (errors.UserKickedError, "the bot was removed from the chat"),
    (errors.ChannelPrivateError, "the bot was removed from the chat or it became private"),
    (errors.ChannelInvalidError, "the chat no longer exists"),
    (errors.ChatIdInvalidError, "the chat no longer exists"),
    (errors.PeerIdInvalidError, "the chat is unknown to Telegram (never started the bot?)"),
    (errors.UserIdInvalidError, "the user is unknown to Telegram"),
)
_UNDELIVERABLE = (
    errors.MessageTooLongError,
    errors.MessageEmptyError,
    errors.EntitiesTooLongError,
    errors.EntityBoundsInvalidError,
)


_FAILURES = (errors.RPCError, ConnectionError, OSError, TimeoutError, ValueError)
# A chat that takes no photos, or a caption too long for one: the text goes alone.
_NO_MEDIA = (
    errors.ChatSendMediaForbiddenError,
    errors.ChatSendPhotosForbiddenError,
    errors.MediaCaptionTooLongError,
)


def classify(error: BaseException) -> DeliveryError:
    """The deliverer's view of a send failure."""
    if isinstance(error, errors.FloodWaitError):
        return FloodWait(int(error.seconds))
    if isinstance(error, errors.SlowModeWaitError):
        return FloodWait(int(error.seconds), chat_only=True)
    if isinstance(error, errors.PeerFloodError):
        return SendingLimited("Telegram limited this account for sending (PEER_FLOOD)")
    for kind, reason in _CHAT_GONE:
        if isinstance(error, kind):
            return ChatGone(reason)
    if isinstance(error, _UNDELIVERABLE):
        return Undeliverable(f"Telegram refused the message: {type(error).__name__}")
    return TransientFailure(f"{type(error).__name__}: {error}")


class TelethonSender:
    """Sends through a connected client: the bot, or the user session without a bot token."""

    def __init__(self, client: TelegramClient) -> None:
        self.client = client

    async def send(self, chat_id: int, html: str, chart: bytes | None = None) -> int:
        """Send and return Telegram's message id; raise a :class:`DeliveryError`.

        With a ``chart`` (PNG) the message is a photo with ``html`` as its caption; a chat
        that takes no media (or no photos) gets the text alone, in the same attempt: the
        photo was refused, so nothing was sent twice.
        """
        try:
            peer = await self.client.get_input_entity(chat_id)
        except ValueError as error:
            # Telethon cannot address an id it has never seen: retrying cannot help.
            raise ChatGone("the chat is unknown to the bot (it never wrote to it)") from error
        except _FAILURES as error:
            raise classify(error) from error
        if chart is not None:
            try:
                return await self._send_photo(peer, html, chart)
            except _NO_MEDIA:
                pass  # the chat allows text only: the alert goes without its chart
            except _FAILURES as error:
                raise classify(error) from error
        try:
            message = await self.client.send_message(
                peer, html, parse_mode="html", link_preview=False
            )
        except _FAILURES as error:
            raise classify(error) from error
        return int(message.id)

    async def _send_photo(self, peer: object, html: str, chart: bytes) -> int:
        picture = io.BytesIO(chart)
        picture.name = "chart.png"  # Telethon sends a .png as a photo, not a document
        message = await self.client.send_file(peer, picture, caption=html, parse_mode="html")
        return int(message.id)
