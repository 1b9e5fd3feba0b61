"""From a command message to its replies: parse, admit, check rights, run, explain failures."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from bot.chat import confirm
from bot.chat.exchange import BotContext, CommandError, Incoming, Notice, Reply
from bot.chat.gate import SLOW_DOWN, SLOW_DOWN_TEXT, Admission, Gate, refusal, refusal_text
from bot.errors import ChanwatchError
from bot.logs import fields
from storage.errors import StorageError

log = logging.getLogger(__name__)

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?:\s+(.*))?$", re.DOTALL)
MAX_COMMAND_CHARS = 3000

Handler = Callable[[BotContext, Incoming, str], Awaitable[list[Reply]]]
CallbackHandler = Callable[[BotContext, int, str], Awaitable[Reply]]
# What a button press gets: the message edited (Reply), a pop-up (Notice), or nothing.
CallbackAnswer = Reply | Notice | None


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str  # shown in /help, e.g. "/subscribe <rule|tag:NAME|all>"
    summary: str
    handler: Handler
    operator: bool = False
    changes_chat: bool = False  # in a group, only its admins may run it


def split_command(text: str, bot_username: str | None) -> tuple[str, str] | None:
    """``("subscribe", "kursk")`` from ``/subscribe@my_bot kursk``; ``None`` when not for us.

    Without a bot (``bot_username`` None, commands read by the user session) a command
    addressed to any ``@name`` is for some bot in the chat, never for us.
    """
    found = _COMMAND.match(text.strip())
    if found is None:
        return None
    name, addressee, args = found[1].lower(), found[2], (found[3] or "").strip()
    if addressee and (bot_username is None or addressee.lower() != bot_username.lower()):
        return None
    return name, args


class Dispatcher:
    def __init__(
        self,
        ctx: BotContext,
        commands: Sequence[Command],
        *,
        callbacks: Mapping[str, CallbackHandler] | None = None,
        gate: Gate | None = None,
        bot_username: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.commands = {c.name: c for c in commands}
        self.callbacks = dict(callbacks or {})
        self.gate = gate or Gate(ctx)
        self.bot_username = bot_username

    async def on_message(self, message: Incoming) -> list[Reply]:
        parsed = split_command(message.text, self.bot_username)
        if parsed is None:
            return []
        admission = await self.gate.admit(message.user_id, message.chat.id)
        if admission is Admission.REFUSE:
            log.info("refused", extra=fields(user=message.user_id, chat=message.chat.id))
            return [refusal(message.user_id, message.chat.id)]
        if admission is Admission.SLOW_DOWN:
            return [SLOW_DOWN]
        if admission is Admission.IGNORE:
            return []
        return await self._safely(message, *parsed)

    async def on_callback(self, chat_id: int, user_id: int, data: str) -> CallbackAnswer:
        """A pressed inline button, behind the same gate as commands."""
        admission = await self.gate.admit(user_id, chat_id)
        if admission is Admission.REFUSE:
            log.info("refused", extra=fields(user=user_id, chat=chat_id))
            return Notice(refusal_text(user_id, chat_id))
        if admission is Admission.SLOW_DOWN:
            return Notice(SLOW_DOWN_TEXT)
        if admission is Admission.IGNORE:
            return None
        if data.startswith(confirm.CALLBACK_PREFIX):
            return await self._confirmed(chat_id, user_id, data)
        handler = next((h for p, h in self.callbacks.items() if data.startswith(p)), None)
        if handler is None:
            return Reply.text("This button no longer works; send the command again.")
        try:
            return await handler(self.ctx, chat_id, data)
        except (ChanwatchError, StorageError) as error:
            return Reply.text(str(error))

    async def _confirmed(self, chat_id: int, user_id: int, data: str) -> CallbackAnswer:
        pending, yes = self.ctx.confirmations.answer(data, chat_id, user_id)
        if pending is None:
            return Notice("This question expired or is someone else's; send the command again.")
        if not yes:
            return Reply.text("Cancelled; nothing was changed.")
        parsed = split_command(pending.action.text, None)
        assert parsed is not None  # the handler that asked wrote this command
        replies = await self._safely(pending.action, *parsed)
        return replies[0] if replies else None

    async def _safely(self, message: Incoming, name: str, args: str) -> list[Reply]:
        """Run a command; a bad argument or a failure becomes a reply, never a traceback."""
        try:
            return await self._run(message, name, args)
        except (ChanwatchError, StorageError) as error:
            return [Reply.text(str(error))]
        except Exception:
            log.exception("command failed", extra=fields(command=name, user=message.user_id))
            return [Reply.text("Something went wrong on our side; the operators can see it.")]

    async def _run(self, message: Incoming, name: str, args: str) -> list[Reply]:
        command = self.commands.get(name)
        if command is None or (command.operator and not self.ctx.is_operator(message.user_id)):
            raise CommandError(f"I do not know /{name}. Send /help to see what you can do.")
        if len(args) > MAX_COMMAND_CHARS:
            raise CommandError(f"That is too long: at most {MAX_COMMAND_CHARS} characters.")
        if (
            command.changes_chat
            and message.chat.is_group
            and not message.anonymous  # only admins can post as the group
            and not await self.ctx.platform.is_group_admin(message.chat.id, message.user_id)
        ):
            raise CommandError(
                "Only this group's admins can change its subscriptions and settings."
            )
        return await command.handler(self.ctx, message, args)
