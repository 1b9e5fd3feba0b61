"""Field checks shared by the watchlist file and the operator actions.

Each returns the canonical value or raises ``InvalidField`` with a message that reads well
after a location (``[[rules]] #3 'dprk-kursk': ...``) and on its own (a bot reply).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import cast

from bot.errors import ChanwatchError, QueryError
from bot.matching import parse_query
from bot.pipeline.scopes import TAG_PREFIX
from bot.pipeline.values import Priority
from bot.telegram.refs import parse_channel_ref

PRIORITIES = ("instant", "digest")
_NAME = re.compile(r"^[\w][\w.-]{0,63}$")
_TAG = re.compile(r"^[\w][\w-]{0,31}$")


class InvalidField(ChanwatchError):
    """One field that cannot be accepted as written."""


def rule_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidField(
            f"rule name {name!r} is not valid: use 1-64 letters, digits, '-', '_' or '.', no spaces"
        )
    return name


def query(source: object) -> str:
    if not isinstance(source, str):
        raise InvalidField(f"query must be a string, not {type(source).__name__}")
    try:
        parse_query(source)
    except QueryError as error:
        raise InvalidField(f"bad query: {error.what} at column {error.column}") from None
    return source


def priority(value: object) -> Priority:
    if value not in PRIORITIES:
        raise InvalidField(f'priority must be "instant" or "digest", not {value!r}')
    return cast(Priority, value)


def tag(value: object) -> str:
    if not isinstance(value, str) or not _TAG.match(value.lower()):
        raise InvalidField(
            f"tag {value!r} is not valid: use 1-32 letters, digits, '-' or '_', no spaces"
        )
    return value.lower()


def channel_ref(value: object) -> str:
    """The canonical reference (``@name``, ``t.me/+hash``, ``-100<id>``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidField(f"channel reference must be a string, not {type(value).__name__}")
    try:
        return parse_channel_ref(value).canonical
    except ChanwatchError as error:
        raise InvalidField(f"bad channel reference: {error}") from None


def scope(value: object, known_tags: Collection[str]) -> str:
    """``tag:NAME`` for a tag some channel carries, or a canonical channel reference."""
    if isinstance(value, str) and value.startswith(TAG_PREFIX):
        name = tag(value[len(TAG_PREFIX) :])
        if name not in known_tags:
            known = ", ".join(sorted(known_tags)) or "none"
            raise InvalidField(f"unknown scope tag {name!r} (channel tags: {known})")
        return TAG_PREFIX + name
    return channel_ref(value)


def flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidField(f"must be true or false, not {value!r}")
    return value
