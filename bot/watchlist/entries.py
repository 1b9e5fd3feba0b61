"""The watchlist as plain values, in canonical form, so two equal watchlists compare equal."""

from __future__ import annotations

from dataclasses import dataclass

from bot.pipeline.values import Priority
from storage.destinations import DestinationValues


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """A watched channel: its canonical reference and sorted tags."""

    ref: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule; ``scopes`` are canonical channel refs or ``tag:NAME``, sorted."""

    name: str
    query: str
    priority: Priority = "digest"
    scopes: tuple[str, ...] = ()
    paused: bool = False
    surge: bool = False  # surges of the rule alert its subscribers


@dataclass(frozen=True, slots=True)
class DestinationSpec:
    """A webhook or notification service; its URL holds ``${VARIABLE}``s, not secrets."""

    name: str
    values: DestinationValues


@dataclass(frozen=True, slots=True)
class Watchlist:
    channels: tuple[ChannelSpec, ...] = ()
    rules: tuple[RuleSpec, ...] = ()
    # None: the file has no destinations key and leaves the database's destinations alone
    destinations: tuple[DestinationSpec, ...] | None = None
