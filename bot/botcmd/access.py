"""Who may talk to the bot, and how often.

Operators always; everyone when ``ACCESS=open``; otherwise users on the allowlist. Anyone
else gets one polite refusal (per service run) and then silence, so a stranger cannot make
the bot spam or fill the log by writing to it. Every user also has a command budget (a
token bucket): the first command over it gets a "slow down" reply, the rest are dropped
until the budget refills.
"""

from __future__ import annotations

from enum import Enum

from bot.botcmd.model import BotContext, Incoming, Reply
from bot.ratelimit import KeyedBuckets
from storage import subscribers

COMMANDS_PER_MINUTE = 20
BURST = 8


class Admission(Enum):
    ADMIT = "admit"
    REFUSE = "refuse"  # answer with the refusal
    SLOW_DOWN = "slow down"  # answer once that the user is over the limit
    IGNORE = "ignore"  # say nothing


def refusal(user_id: int) -> Reply:
    return Reply.text(
        "Sorry, this bot is private. Ask its operator to add you "
        f"(give them your id: {user_id}). You will not hear from me again until then."
    )


SLOW_DOWN = Reply.text("You are sending commands too fast; wait a few seconds and try again.")


class Gate:
    def __init__(
        self, ctx: BotContext, *, per_minute: int = COMMANDS_PER_MINUTE, burst: int = BURST
    ) -> None:
        self.ctx = ctx
        self._budgets: KeyedBuckets[int] = KeyedBuckets(per_minute / 60, burst, ctx.clock.monotonic)
        self._refused: set[int] = set()
        self._warned: set[int] = set()

    async def allowed(self, user_id: int) -> bool:
        if self.ctx.is_operator(user_id) or self.ctx.settings.access == "open":
            return True
        return await subscribers.is_allowed(self.ctx.db, user_id)

    async def admit(self, message: Incoming) -> Admission:
        user = message.user_id
        if not await self.allowed(user):
            if user in self._refused:
                return Admission.IGNORE
            self._refused.add(user)
            return Admission.REFUSE
        self._refused.discard(user)  # allowed since: a later removal refuses once more
        if not self._budgets[user].try_take():
            if user in self._warned:
                return Admission.IGNORE
            self._warned.add(user)
            return Admission.SLOW_DOWN
        self._warned.discard(user)
        return Admission.ADMIT
