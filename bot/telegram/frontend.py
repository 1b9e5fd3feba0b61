"""The bot's Telegram side: Telethon events in, dispatcher replies out.

With a bot token this runs on the bot client and answers every private chat and group.
Without one it runs on the user session and listens only to ``ALERT_CHAT``; there the
operator's own messages are commands too (they are outgoing), and inline buttons do not
exist (user accounts cannot send them), so replies go without them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telethon import Button as TelethonButton
from telethon import TelegramClient, errors, events, types, utils
from telethon.extensions import html as telethon_html

from bot.chat import Chat, CommandError, Dispatcher, Incoming, Reply
from bot.chat.exchange import Notice
from bot.logs import fields

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096  # UTF-16 code units of the text Telegram shows, tags not counted
REPLY_WAIT_MAX = 300  # seconds: a reply held up longer is dropped (the user may ask again)

T = TypeVar("T")


class TelethonPlatform:
    """Answers the handlers' questions about Telegram through a connected client."""

    def __init__(self, client: TelegramClient) -> None:
        self.client = client

    async def is_group_admin(self, chat_id: int, user_id: int) -> bool:
        try:
            permissions = await after_flood_wait(
                functools.partial(self.client.get_permissions, chat_id, user_id)
            )
        except (errors.RPCError, ValueError):
            return False
        return bool(permissions.is_admin or permissions.is_creator)

    async def resolve_member(self, ref: str) -> tuple[int, str | None]:
        try:
            entity = await after_flood_wait(functools.partial(self.client.get_entity, ref))
        except errors.FloodWaitError as error:
            raise CommandError(
                f"Telegram asks the bot to wait {error.seconds} s before looking up {ref};"
                " try again then."
            ) from None
        except (errors.RPCError, ValueError):
            raise CommandError(f"Telegram knows no user or group {ref}.") from None
        if isinstance(entity, types.User):
            return int(entity.id), entity.username
        if isinstance(entity, types.Channel) and entity.megagroup:
            return int(utils.get_peer_id(entity)), entity.username
        raise CommandError(f"{ref} is a broadcast channel; only users and groups use the bot.")


def _buttons(reply: Reply) -> list[list[Any]] | None:
    if not reply.buttons:
        return None
    return [[TelethonButton.inline(b.label, b.data.encode()) for b in row] for row in reply.buttons]


def message_parts(html: str) -> list[tuple[str, list[types.TypeMessageEntity]]]:
    """A reply as the messages Telegram accepts: each under the length limit and at most 100
    entities, split at line ends where possible, every bold or link kept whole or carried over.

    Handlers write one logical reply however long (``/channels`` with 500 channels); the split
    happens here, on the parsed text, so no handler can cut a tag in two.
    """
    text, entities = telethon_html.parse(html)
    return list(utils.split_text(text, entities, limit=MESSAGE_LIMIT))


async def after_flood_wait(call: Callable[[], Awaitable[T]]) -> T:
    """Make the call; if Telegram asks the bot to wait, wait and try once more.

    A reply is sent outside the outbox (it answers someone now), so the deliverer's pause
    does not cover it; the user still wants the answer after a short wait, not after hours.
    """
    try:
        return await call()
    except errors.FloodWaitError as error:
        if error.seconds > REPLY_WAIT_MAX:
            raise
        log.warning("reply waits for Telegram", extra=fields(seconds=error.seconds))
        await asyncio.sleep(error.seconds)
    return await call()


def _chat_of(event: Any) -> Chat | None:
    if event.is_private:
        return Chat(int(event.chat_id), "user", None)
    if event.is_group:
        title = getattr(event.chat, "title", None)
        return Chat(int(event.chat_id), "group", title)
    return None  # a broadcast channel's posts are not commands


class BotFrontend:
    def __init__(
        self,
        client: TelegramClient,
        dispatcher: Dispatcher,
        *,
        only_chat: int | None = None,
        buttons: bool = True,
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.only_chat = only_chat
        self.buttons = buttons

    def install(self) -> None:
        if self.only_chat is None:
            self.client.add_event_handler(self.on_message, events.NewMessage(incoming=True))
            self.client.add_event_handler(self.on_callback, events.CallbackQuery())
        else:
            self.client.add_event_handler(self.on_message, events.NewMessage(chats=self.only_chat))

    def uninstall(self) -> None:
        """Stop taking commands (shutdown): updates arriving from now on are not answered."""
        self.client.remove_event_handler(self.on_message)
        self.client.remove_event_handler(self.on_callback)

    async def on_message(self, event: events.NewMessage.Event) -> None:
        text = event.raw_text or ""
        chat = _chat_of(event)
        if not text.startswith("/") or chat is None or event.sender_id is None:
            return
        sender = event.sender if isinstance(event.sender, types.User) else None
        incoming = Incoming(chat, int(event.sender_id), getattr(sender, "username", None), text)
        for reply in await self.dispatcher.on_message(incoming):
            parts = message_parts(reply.html)
            for number, (part, entities) in enumerate(parts, 1):
                buttons = _buttons(reply) if self.buttons and number == len(parts) else None
                try:
                    await after_flood_wait(
                        functools.partial(
                            event.respond,
                            part,
                            formatting_entities=entities,
                            link_preview=False,
                            buttons=buttons,
                        )
                    )
                except errors.RPCError as error:
                    log.warning("reply failed", extra=fields(chat=chat.id, error=repr(error)))
                    return

    async def on_callback(self, event: events.CallbackQuery.Event) -> None:
        data = event.data.decode("utf-8", "replace")
        answer = await self.dispatcher.on_callback(int(event.chat_id), int(event.sender_id), data)
        try:
            if isinstance(answer, Notice):
                await event.answer(answer.text, alert=True)
                return
            if answer is not None:
                await after_flood_wait(
                    functools.partial(
                        event.edit,
                        answer.html,
                        parse_mode="html",
                        link_preview=False,
                        buttons=_buttons(answer),
                    )
                )
            await event.answer()
        except errors.MessageNotModifiedError:
            await event.answer()
        except errors.RPCError as error:
            log.warning("callback failed", extra=fields(chat=event.chat_id, error=repr(error)))
