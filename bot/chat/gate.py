"""Who may talk to the bot, and how often.

Operators always; everyone when ``ACCESS=open``; otherwise users on the allowlist, and every
member of a group on it, inside that group (``/allow -100…``: the group is the subscriber).
An admin who posts anonymously writes as the group itself, so their sender id is the group's:
they are let in when the group is allowed and may change its subscriptions without a
membership lookup, since Telegram lets only admins post as the group; operator commands still
need an operator's own user id, which an anonymous sender never shows. Anyone else gets one
polite refusal and then silence — per ``REFUSAL_WINDOW``, remembered in the
database so a restart does not refuse them again — so a stranger cannot make the bot spam or
fill the log by writing to it or pressing its buttons. Every user also has a command budget
(a token bucket): the first command over it gets a "slow down" reply, the rest are dropped
until the budget refills.
"""

from __future__ import annotations

from datetime import timedelta
from enum import Enum

from bot.chat.exchange import BotContext, Reply
from bot.ratelimit import KeyedBuckets
from storage import subscribers

COMMANDS_PER_MINUTE = 20
BURST = 8
REFUSAL_WINDOW = timedelta(days=90)
MAX_WARNED = 1024


class Admission(Enum):
    ADMIT = "admit"
    REFUSE = "refuse"  # answer with the refusal
    SLOW_DOWN = "slow down"  # answer once that the user is over the limit
    IGNORE = "ignore"  # say nothing


def refusal_text(user_id: int, chat_id: int) -> str:
    """The ids an operator could allow: the sender's, and in a group the group's as well."""
    if user_id == chat_id:
        ids = f"give them {'this group' if chat_id < 0 else 'your'} id: {chat_id}"
    else:
        ids = f"give them your id: {user_id}, or this group's id: {chat_id}"
    return (
        f"Sorry, this bot is private. Ask its operator to add you ({ids}). "
        "You will not hear from me again until then."
    )


def refusal(user_id: int, chat_id: int) -> Reply:
    return Reply.text(refusal_text(user_id, chat_id))


SLOW_DOWN_TEXT = "You are sending commands too fast; wait a few seconds and try again."
SLOW_DOWN = Reply.text(SLOW_DOWN_TEXT)


class Gate:
    def __init__(
        self, ctx: BotContext, *, per_minute: int = COMMANDS_PER_MINUTE, burst: int = BURST
    ) -> None:
        self.ctx = ctx
        self._budgets: KeyedBuckets[int] = KeyedBuckets(per_minute / 60, burst, ctx.clock.monotonic)
        self._warned: set[int] = set()

    async def allowed(self, user_id: int, chat_id: int) -> bool:
        if self.ctx.is_operator(user_id) or self.ctx.settings.access == "open":
            return True
        return await subscribers.is_allowed(self.ctx.db, user_id, chat_id)

    async def admit(self, user_id: int, chat_id: int) -> Admission:
        """What to do with a command or a button press from ``user_id`` in ``chat_id`` (the
        same id in a private chat; the group's for an anonymous admin)."""
        if not await self.allowed(user_id, chat_id):
            first = await subscribers.note_refusal(
                self.ctx.db, user_id, now=self.ctx.clock.now(), window=REFUSAL_WINDOW
            )
            return Admission.REFUSE if first else Admission.IGNORE
        if not self._budgets[user_id].try_take():
            if user_id in self._warned:
                return Admission.IGNORE
            if len(self._warned) >= MAX_WARNED:
                self._warned = {u for u in self._warned if u in self._budgets}
            self._warned.add(user_id)
            return Admission.SLOW_DOWN
        self._warned.discard(user_id)
        return Admission.ADMIT
