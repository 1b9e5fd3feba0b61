"""Which rules apply in which channel: paused rules never, scoped rules only where scoped.

Pure, so the scope rules can be read and tested without a database. A scope is what the
watchlist stored: a canonical channel reference (``@name``, ``t.me/+hash``, ``-100<id>``, see
``bot.telegram.refs``) or ``tag:NAME``. A channel answers to its own reference and to the
canonical forms of its username and id, so a rule scoped to ``@name`` also covers the row a
replayed export created for the same channel once its username is known.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.pipeline.values import Priority

TAG_PREFIX = "tag:"


@dataclass(frozen=True, slots=True)
class ActiveRule:
    id: int
    name: str
    priority: Priority
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelKeys:
    ref: str | None
    username: str | None
    telegram_id: int | None
    tags: frozenset[str] = frozenset()

    def names(self) -> frozenset[str]:
        found = {self.ref} if self.ref else set()
        if self.username:
            found.add(f"@{self.username.lower()}")
        if self.telegram_id is not None:
            found.add(f"-100{self.telegram_id}")
        return frozenset(found)


def applies(rule: ActiveRule, channel: ChannelKeys, names: Iterable[str] | None = None) -> bool:
    if not rule.scopes:
        return True
    known = frozenset(names) if names is not None else channel.names()
    for scope in rule.scopes:
        if scope.startswith(TAG_PREFIX):
            if scope[len(TAG_PREFIX) :] in channel.tags:
                return True
        elif scope in known:
            return True
    return False


def rules_for_channel(
    active: Sequence[ActiveRule], compiled: int, channel: ChannelKeys
) -> frozenset[str] | None:
    """Names of the rules that may match in this channel; None when every compiled rule may.

    ``compiled`` is how many rules the rule set holds (paused ones included), so the common
    case — nothing paused, nothing scoped — skips the per-match filter entirely.
    """
    names = channel.names()
    allowed = frozenset(r.name for r in active if applies(r, channel, names))
    return None if len(allowed) == compiled else allowed
