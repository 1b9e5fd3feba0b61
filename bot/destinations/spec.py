"""A destination's settings as the watchlist file and ``chanwatch destinations add`` give
them, each field checked the same way for both (``InvalidField``, one plain line)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from typing import cast

from apprise.manager_plugins import NotificationManager

from bot.destinations.urls import (
    DestinationUrlError,
    check_literal_secrets,
    kind_of,
    scheme_of,
)
from bot.digest.schedule import ScheduleError, parse_schedule
from bot.pipeline.route import ALL
from bot.pipeline.scopes import TAG_PREFIX
from bot.watchlist import validate
from bot.watchlist.validate import InvalidField
from storage.destinations import DestinationFormat

FORMATS = ("markdown", "html", "text")
MAX_PER_MINUTE = 600
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def name(value: object) -> str:
    try:
        return validate.rule_name(value)
    except InvalidField:
        raise InvalidField(
            f"destination name {value!r} is not valid: use 1-64 letters, digits, '-', '_' or"
            " '.', no spaces"
        ) from None


def url(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField("url must be a non-empty string")
    text = value.strip()
    try:
        scheme = scheme_of(text)
        check_literal_secrets(text)
    except DestinationUrlError as error:
        raise InvalidField(str(error)) from None
    if kind_of(text) == "apprise" and scheme not in NotificationManager():  # type: ignore[no-untyped-call]
        raise InvalidField(
            f"{scheme}:// is not a service Apprise knows: use https:// for a JSON webhook, or"
            " e.g. ntfy://, matrix://, slack://, discord://, mailto://, json://"
        )
    return text


def targets(
    values: Sequence[object], rules: Collection[str], tags: Collection[str]
) -> tuple[str, ...]:
    """``all``, ``tag:NAME`` or a rule name, as subscription targets, sorted."""
    if not values:
        raise InvalidField('rules must name at least one rule, "tag:NAME" or "all"')
    found = set()
    for value in values:
        if not isinstance(value, str):
            raise InvalidField(f"rules entries must be strings, not {type(value).__name__}")
        if value == ALL:
            found.add(ALL)
        elif value.startswith(TAG_PREFIX):
            tag = validate.tag(value[len(TAG_PREFIX) :])
            if tag not in tags:
                raise InvalidField(
                    f"unknown tag {tag!r} (channel tags: {', '.join(sorted(tags)) or 'none'})"
                )
            found.add(TAG_PREFIX + tag)
        elif value in rules:
            found.add(f"rule:{value}")
        else:
            raise InvalidField(f"unknown rule {value!r}")
    return tuple(sorted(found))


def body_format(value: object) -> DestinationFormat:
    if value not in FORMATS:
        raise InvalidField(f'format must be "markdown", "html" or "text", not {value!r}')
    return cast(DestinationFormat, value)


def secret_variable(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _VARIABLE.match(value):
        raise InvalidField(
            "secret must name an environment variable (e.g. WEBHOOK_SECRET), never the secret"
            " itself"
        )
    return value


def digest_schedule(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidField(f"digest must be a schedule string, not {type(value).__name__}")
    try:
        return str(parse_schedule(value))
    except ScheduleError as error:
        raise InvalidField(f"bad digest schedule: {error}") from None


def per_minute(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PER_MINUTE:
        raise InvalidField(f"per_minute must be a whole number from 1 to {MAX_PER_MINUTE}")
    return value


def target_names(targets: Sequence[str]) -> list[str]:
    """Targets as written in the file: a rule by its name, tags and ``all`` as they are."""
    return [t.removeprefix("rule:") for t in targets]
