"""The one spelling of a length of time a user types: ``90m``, ``6h``, ``24h``, ``7d``, ``2w``.

``chanwatch hits --since``, ``chanwatch backtest --since``, ``chanwatch digest --since`` and
``/digest`` all read periods here, so a period that works in one place works in every other.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.errors import ChanwatchError

# Five digits at most: even 99999w before today is still a date, so ``now - length`` holds.
_DURATION = re.compile(r"(\d{1,5})\s*(m|min|h|d|w)")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class DurationError(ChanwatchError):
    """Text that is not a positive length of time."""


def is_duration(text: str) -> bool:
    """Whether ``text`` is spelled as a duration (``0h`` too), to tell one from a date or a
    rule name before reading it."""
    return _DURATION.fullmatch(text.strip().lower()) is not None


def parse_duration(text: str) -> timedelta:
    """A positive ``timedelta``; anything else is a ``DurationError``."""
    found = _DURATION.fullmatch(text.strip().lower())
    if found is None or int(found[1]) == 0:
        raise DurationError(f"{text.strip()!r} is not a period: use e.g. 6h, 24h, 7d or 90m")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def spell_elapsed(length: timedelta) -> str:
    """How long something took, to the minute, in two units at most: ``42 min``,
    ``3 h 5 min``, ``2 d 4 h``; under a minute is ``under a minute``."""
    minutes = int(length.total_seconds()) // 60
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"
