"""Read a watchlist TOML file into a ``Watchlist``, reporting every problem at once.

A file with a thousand rules is fixed in one pass only if every mistake is listed together,
each with where it is: ``[[rules]] #3 'dprk-kursk' (line 14): bad query: ... at column 9``.
``tomllib`` gives no positions for values, so lines come from scanning the text for the
``[[rules]]`` / ``[[channels]]`` headers and the ``key =`` lines under them.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot.destinations import spec as destination
from bot.errors import WatchlistError
from bot.watchlist import validate
from bot.watchlist.entries import ChannelSpec, DestinationSpec, RuleSpec, Watchlist
from bot.watchlist.validate import InvalidField
from storage.destinations import DestinationValues

T = TypeVar("T")
_TOP_FIELDS = ("channels", "rules", "destinations")
_CHANNEL_FIELDS = ("ref", "tags")
_RULE_FIELDS = ("name", "query", "priority", "channels", "paused", "surge")
_DESTINATION_FIELDS = (
    "name",
    "url",
    "rules",
    "format",
    "secret",
    "digest",
    "instant",
    "per_minute",
)
_HEADER = re.compile(r"^\s*\[\[\s*(channels|rules|destinations)\s*\]\]")
_ANY_HEADER = re.compile(r"^\s*\[")


class _Lines:
    """Line numbers of each ``[[section]]`` header and of the keys under it."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        self._headers: dict[str, list[int]] = {"channels": [], "rules": [], "destinations": []}
        for number, line in enumerate(self._lines, 1):
            found = _HEADER.match(line)
            if found:
                self._headers[found[1]].append(number)

    def of(self, section: str, index: int, key: str | None = None) -> int | None:
        headers = self._headers[section]
        if index > len(headers):
            return None
        start = headers[index - 1]
        if key is None:
            return start
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start + 1, len(self._lines) + 1):
            line = self._lines[number - 1]
            if _ANY_HEADER.match(line):
                break
            if pattern.match(line):
                return number
        return start


@dataclass(frozen=True, slots=True)
class _At:
    """Where an item is: ``[[rules]] #3 'dprk-kursk'`` plus what finds its line."""

    label: str
    section: str
    index: int


class _Collector:
    def __init__(self, lines: _Lines) -> None:
        self.lines = lines
        self.problems: list[str] = []

    def check(self, at: _At, key: str, run: Callable[[Any], T], value: object) -> T | None:
        try:
            return run(value)
        except InvalidField as error:
            self.add(at, key, str(error))
            return None

    def add(self, at: _At, key: str | None, problem: str) -> None:
        line = self.lines.of(at.section, at.index, key)
        where = f" (line {line})" if line is not None else ""
        self.problems.append(f"{at.label}{where}: {problem}")


def read_watchlist(path: Path) -> Watchlist:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise WatchlistError(str(path), [f"cannot read: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise WatchlistError(str(path), ["not UTF-8 text"]) from None
    return parse_watchlist(text, str(path))


def parse_watchlist(text: str, path: str = "<watchlist>") -> Watchlist:
    """The validated watchlist, or ``WatchlistError`` listing every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise WatchlistError(path, [f"not valid TOML: {error}"]) from None
    out = _Collector(_Lines(text))
    for key in data:
        if key not in _TOP_FIELDS:
            out.problems.append(
                f"unknown top-level field {key!r} (expected channels, rules, destinations)"
            )
    channel_items = _tables(data, "channels", out)
    rule_items = _tables(data, "rules", out)
    channels, known_tags = _channels(channel_items, out)
    rules = _rules(rule_items, known_tags, out)
    wanted = None
    if "destinations" in data:
        names = {r.name for r in rules} | {i["name"] for i in rule_items if _named(i)}
        wanted = tuple(_destinations(_tables(data, "destinations", out), names, known_tags, out))
    if out.problems:
        raise WatchlistError(path, out.problems)
    return Watchlist(tuple(channels), tuple(rules), wanted)


def _named(item: object) -> bool:
    return isinstance(item, dict) and isinstance(item.get("name"), str)


def _destinations(
    items: list[Any], rules: set[str], tags: set[str], out: _Collector
) -> list[DestinationSpec]:
    found: list[DestinationSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.add(
                _At(f"[[destinations]] #{index}", "destinations", index), None, "must be a table"
            )
            continue
        at = _at("destinations", index, item, "name")
        _unknown(item, _DESTINATION_FIELDS, at, out)
        name = _required(item, "name", at, destination.name, out)
        if name is not None and name in seen:
            out.add(at, "name", f"duplicate name, first used by [[destinations]] #{seen[name]}")
            continue
        url = _required(item, "url", at, destination.url, out)
        targets = out.check(at, "rules", lambda v: destination.targets(v, rules, tags), _seq(item))
        values = [
            out.check(at, key, check, item.get(key, default))
            for key, check, default in (
                ("format", destination.body_format, "markdown"),
                ("secret", destination.secret_variable, None),
                ("digest", destination.digest_schedule, None),
                ("instant", validate.flag, True),
                ("per_minute", destination.per_minute, 30),
            )
        ]
        if name is None or url is None or targets is None or None in (values[0], *values[3:]):
            continue
        seen[name] = index
        fmt, secret, digest, instant, per_minute = values
        found.append(
            DestinationSpec(
                name,
                DestinationValues(url, targets, fmt, secret, instant, digest, per_minute),  # type: ignore[arg-type]
            )
        )
    return found


def _seq(item: dict[str, Any]) -> list[Any]:
    value = item.get("rules", [])
    return value if isinstance(value, list) else [value]


def _tables(data: dict[str, Any], key: str, out: _Collector) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        out.problems.append(f"{key!r} must be a list of [[{key}]] tables")
        return []
    return value


def _unknown(item: dict[str, Any], allowed: tuple[str, ...], at: _At, out: _Collector) -> None:
    for key in item:
        if key not in allowed:
            out.add(at, key, f"unknown field {key!r} (expected {', '.join(allowed)})")


def _at(section: str, index: int, item: dict[str, Any], key: str) -> _At:
    label = f"[[{section}]] #{index}"
    if isinstance(item.get(key), str):
        label += f" {item[key]!r}"
    return _At(label, section, index)


def _channels(items: list[Any], out: _Collector) -> tuple[list[ChannelSpec], set[str]]:
    """The valid channels, and every valid tag — also of channels with another problem, so
    one mistake does not make every rule scoped to its tags a second one."""
    found: list[ChannelSpec] = []
    tags_seen: set[str] = set()
    seen: dict[str, int] = {}
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.add(_At(f"[[channels]] #{index}", "channels", index), None, "must be a table")
            continue
        at = _at("channels", index, item, "ref")
        _unknown(item, _CHANNEL_FIELDS, at, out)
        ref = _required(item, "ref", at, validate.channel_ref, out)
        tags = _list(item, "tags", at, validate.tag, out)
        tags_seen.update(tags or ())
        if ref is None or tags is None:
            continue
        if ref in seen:
            out.add(at, "ref", f"same channel as [[channels]] #{seen[ref]}")
            continue
        seen[ref] = index
        found.append(ChannelSpec(ref, tuple(sorted(set(tags)))))
    return found, tags_seen


def _rules(items: list[Any], known_tags: set[str], out: _Collector) -> list[RuleSpec]:
    found: list[RuleSpec] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.add(_At(f"[[rules]] #{index}", "rules", index), None, "must be a table")
            continue
        at = _at("rules", index, item, "name")
        rule = _rule(item, at, known_tags, out)
        name = item.get("name")
        if isinstance(name, str) and name in seen:
            out.add(at, "name", f"duplicate name, first used by [[rules]] #{seen[name]}")
        elif isinstance(name, str):
            seen[name] = index
            if rule is not None:
                found.append(rule)
    return found


def _rule(item: dict[str, Any], at: _At, known_tags: set[str], out: _Collector) -> RuleSpec | None:
    _unknown(item, _RULE_FIELDS, at, out)
    name = _required(item, "name", at, validate.rule_name, out)
    query = _required(item, "query", at, validate.query, out)
    priority = out.check(at, "priority", validate.priority, item.get("priority", "digest"))
    paused = out.check(at, "paused", validate.flag, item.get("paused", False))
    surge = out.check(at, "surge", validate.flag, item.get("surge", False))
    scopes = _list(item, "channels", at, lambda s: validate.scope(s, known_tags), out)
    if name is None or query is None or priority is None or scopes is None:
        return None
    if paused is None or surge is None:
        return None
    return RuleSpec(name, query, priority, tuple(sorted(set(scopes))), paused, surge)


def _required(
    item: dict[str, Any], key: str, at: _At, run: Callable[[Any], str], out: _Collector
) -> str | None:
    if key not in item:
        out.add(at, None, f"missing field {key!r}")
        return None
    return out.check(at, key, run, item[key])


def _list(
    item: dict[str, Any], key: str, at: _At, run: Callable[[Any], str], out: _Collector
) -> list[str] | None:
    """Every element checked (each bad one reported); None if any was bad."""
    value = item.get(key, [])
    if not isinstance(value, list):
        out.add(at, key, f"{key} must be a list")
        return None
    checked = [out.check(at, key, run, element) for element in value]
    return None if None in checked else [c for c in checked if c is not None]
