"""Who hears of a rule's surge or corroborated story, and when (pure, like ``route.route``).

Both go to chats with ``/settings surges on`` and instant alerts on, held by quiet hours like
any alert. A surge reaches the chats that asked for it: ``surge:RULE`` subscribers, and the
rule's own subscribers (``rule:NAME`` or ``all``) when the watchlist marks it ``surge =
true``. A corroborated story reaches every subscriber of its rule, and ``surge:RULE`` ones: a
claim carried by several channels at once is what the rule's readers want first. Tag
subscriptions cover channels, not rules, so they hear neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.pipeline.route import ALL, Recipient


def surge_target(rule: str) -> str:
    return f"surge:{rule}"


def hears_surges(recipient: Recipient, rule: str, *, marked: bool) -> bool:
    if surge_target(rule) in recipient.targets:
        return True
    return marked and (ALL in recipient.targets or f"rule:{rule}" in recipient.targets)


def hears_stories(recipient: Recipient, rule: str) -> bool:
    return bool(recipient.targets & {ALL, f"rule:{rule}", surge_target(rule)})


def listening(recipients: Sequence[Recipient]) -> list[Recipient]:
    """The chats that may hear either: active, instant alerts on (the caller keeps only
    chats with surges on)."""
    return [r for r in recipients if r.active and r.instant]


def not_before(recipient: Recipient, now: datetime) -> datetime:
    """Now, or the end of the chat's quiet hours."""
    held = recipient.quiet.release(now, recipient.zone) if recipient.quiet else None
    return held or now
