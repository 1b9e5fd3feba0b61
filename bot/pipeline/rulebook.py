"""The rules the pipeline matches with, reloaded only when the watchlist changed.

Compiling 10,000 rules takes most of a second, so the compiled ``RuleSet`` holds every rule,
paused or not, and is rebuilt only when a rule's name or query changes; pausing, scoping and
tagging only change the per-channel set of names passed as ``only``. Whether anything changed
is one read of the watchlist version that triggers bump (migration 0002).
"""

from __future__ import annotations

import logging

from bot.errors import ChanwatchError, RuleError
from bot.logs import fields
from bot.matching import RuleMatch, RuleSet
from bot.pipeline.scopes import ActiveRule, ChannelKeys, rules_for_channel
from storage import channels, rules, versions
from storage.channels import Channel
from storage.database import Database

log = logging.getLogger(__name__)


class RuleBook:
    def __init__(self) -> None:
        self._version = -1
        self._compiled_key: tuple[tuple[str, str], ...] | None = None
        self._ruleset = RuleSet.compile([])
        self._active: list[ActiveRule] = []
        self._by_name: dict[str, ActiveRule] = {}
        self._by_id: dict[int, ActiveRule] = {}
        self._names: dict[int, str] = {}
        self._channels: dict[int, tuple[Channel, frozenset[str] | None]] = {}

    async def refresh(self, db: Database) -> None:
        """Reload rules and scopes if the watchlist changed since the last call."""
        version = await versions.watchlist_version(db)
        if version == self._version:
            return
        stored = await rules.list_rules(db)
        key = tuple((r.name, r.query) for r in stored)
        if key != self._compiled_key:
            self._ruleset, errors = RuleSet.compile_all_errors(key)
            for error in errors:
                _skipped(error)
            self._compiled_key = key
        self._active = [
            ActiveRule(r.id, r.name, r.priority, r.scopes)
            for r in stored
            if not r.paused and r.name in self._ruleset.names
        ]
        self._by_name = {r.name: r for r in self._active}
        self._by_id = {r.id: r for r in self._active}
        self._names = {r.id: r.name for r in stored}
        self._channels.clear()
        self._version = version

    @property
    def empty(self) -> bool:
        return not self._active

    def rule(self, name: str) -> ActiveRule:
        return self._by_name[name]

    def rule_by_id(self, rule_id: int) -> ActiveRule:
        return self._by_id[rule_id]

    def name_of(self, rule_id: int) -> str | None:
        """The name of any stored rule, paused ones included."""
        return self._names.get(rule_id)

    def evaluated(self, name: str, only: frozenset[str] | None) -> bool:
        """Whether matching in a channel with this ``only`` set tried the rule at all: a
        paused or out-of-scope rule's old hits are not contradicted by its silence."""
        return name in self._by_name and (only is None or name in only)

    async def channel(self, db: Database, channel_pk: int) -> tuple[Channel, frozenset[str] | None]:
        """The channel row and the rule names allowed in it (None: all), cached per version."""
        cached = self._channels.get(channel_pk)
        if cached is None:
            row = await channels.get(db, channel_pk)
            keys = ChannelKeys(row.ref, row.username, row.telegram_id, frozenset(row.tags))
            cached = (row, rules_for_channel(self._active, len(self._ruleset), keys))
            self._channels[channel_pk] = cached
        return cached

    def match(self, text: str, only: frozenset[str] | None) -> list[RuleMatch]:
        if not text or self.empty:
            return []
        return self._ruleset.match(text, only)


def _skipped(error: ChanwatchError) -> None:
    """A query's parse error may quote the operator's query, which is for DEBUG only."""
    if isinstance(error, RuleError):
        log.warning("stored rule skipped", extra=fields(rule=error.rule, column=error.error.column))
        log.debug("why the rule was skipped", extra=fields(rule=error.rule, why=error.error.what))
    else:
        log.warning("stored rule skipped", extra=fields(why=str(error)))
