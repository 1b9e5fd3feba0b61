"""Confirmation for destructive operator commands: a question with [Yes] [No] buttons.

The plain command with a trailing ``confirm`` (or ``!``) acts at once, so everything works
without buttons (the user-session mode has none). A button carries only a short token: the
command it confirms is kept here, bound to the chat and the operator who asked, so another
member of a group cannot press Yes for them, and an old button simply expires.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

CALLBACK_PREFIX = "c:"
YES = "y"
NO = "n"
KEPT = 200
_MARKERS = ("confirm", "!")

T = TypeVar("T")


def split_confirmation(args: str) -> tuple[str, bool]:
    """``("kursk", True)`` from ``kursk confirm`` or ``kursk!``; ``(args, False)`` otherwise."""
    text = args.strip()
    for marker in _MARKERS:
        if text.lower().endswith(marker):
            rest = text[: -len(marker)]
            if marker == "!" or not rest or rest[-1].isspace():
                return rest.strip(), True
    return text, False


@dataclass(frozen=True, slots=True)
class Pending(Generic[T]):
    chat_id: int
    user_id: int
    action: T  # what to run on Yes (the dispatcher keeps the confirmed command)


class Confirmations(Generic[T]):
    """Questions awaiting an answer, by token; the oldest are forgotten past ``kept``."""

    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._waiting: OrderedDict[str, Pending[T]] = OrderedDict()

    def ask(self, chat_id: int, user_id: int, action: T) -> tuple[str, str]:
        """Remember the question; returns the callback data of its Yes and No buttons."""
        token = secrets.token_hex(6)
        self._waiting[token] = Pending(chat_id, user_id, action)
        while len(self._waiting) > self.kept:
            self._waiting.popitem(last=False)
        return f"{CALLBACK_PREFIX}{token}:{YES}", f"{CALLBACK_PREFIX}{token}:{NO}"

    def answer(self, data: str, chat_id: int, user_id: int) -> tuple[Pending[T] | None, bool]:
        """The question a press answers and whether it was Yes.

        ``None`` when it expired or is not this user's in this chat; only the asker's press
        uses it up.
        """
        token, _, choice = data.removeprefix(CALLBACK_PREFIX).partition(":")
        pending = self._waiting.get(token)
        if pending is None or (pending.chat_id, pending.user_id) != (chat_id, user_id):
            return None, False
        del self._waiting[token]
        return pending, choice == YES
