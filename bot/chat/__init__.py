"""The bot's commands, free of Telethon: an ``Incoming`` command in, ``Reply`` objects out.

``bot/telegram/frontend.py`` turns Telethon events into ``Incoming`` and replies into messages;
everything here can be tested by calling it.
"""

from bot.chat.dispatch import Dispatcher
from bot.chat.exchange import BotContext, Button, Chat, CommandError, Incoming, Platform, Reply

__all__ = [
    "BotContext",
    "Button",
    "Chat",
    "CommandError",
    "Dispatcher",
    "Incoming",
    "Platform",
    "Reply",
]
