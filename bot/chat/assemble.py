"""One call that builds the dispatcher with every command (used by the service and tests)."""

from __future__ import annotations

from bot.chat.commands import build_commands
from bot.chat.dispatch import Dispatcher
from bot.chat.exchange import BotContext
from bot.chat.search import CALLBACK_PREFIX, Search


def make_dispatcher(ctx: BotContext, *, bot_username: str | None = None) -> Dispatcher:
    search = Search()
    return Dispatcher(
        ctx,
        build_commands(search),
        callbacks={CALLBACK_PREFIX: search.callback},
        bot_username=bot_username,
    )
