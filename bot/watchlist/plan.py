"""What applying a watchlist would change: pure, so ``--dry-run`` and apply share it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from bot.watchlist.entries import ChannelSpec, DestinationSpec, RuleSpec, Watchlist


@dataclass(frozen=True, slots=True)
class Plan:
    add_channels: tuple[ChannelSpec, ...] = ()
    retag_channels: tuple[ChannelSpec, ...] = ()
    remove_channels: tuple[ChannelSpec, ...] = ()
    add_rules: tuple[RuleSpec, ...] = ()
    change_rules: tuple[tuple[RuleSpec, RuleSpec], ...] = ()
    remove_rules: tuple[RuleSpec, ...] = ()
    save_destinations: tuple[DestinationSpec, ...] = ()  # new or changed
    remove_destinations: tuple[DestinationSpec, ...] = ()

    @property
    def empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    def lines(self) -> list[str]:
        """One line per change: ``+`` added, ``~`` changed, ``-`` removed."""
        out = [f"+ channel {c.ref}{_tags(c)}" for c in self.add_channels]
        out += [f"~ channel {c.ref}: tags now{_tags(c) or ' none'}" for c in self.retag_channels]
        out += [
            f"- channel {c.ref} (stops being watched; stored posts stay)"
            for c in self.remove_channels
        ]
        out += [
            f"+ rule {r.name} ({r.priority}{', paused' if r.paused else ''}"
            f"{', surge alerts' if r.surge else ''}): {r.query}"
            for r in self.add_rules
        ]
        out += [
            f"~ rule {new.name}: {', '.join(_differences(old, new))}"
            for old, new in self.change_rules
        ]
        out += [f"- rule {r.name} (its hits are deleted)" for r in self.remove_rules]
        out += [f"+ destination {d.name}: {d.values.url}" for d in self.save_destinations]
        out += [f"- destination {d.name}" for d in self.remove_destinations]
        return out


def _tags(channel: ChannelSpec) -> str:
    return f" [{', '.join(channel.tags)}]" if channel.tags else ""


def _differences(old: RuleSpec, new: RuleSpec) -> list[str]:
    changed = []
    if old.query != new.query:
        changed.append(f"query {new.query}")
    if old.priority != new.priority:
        changed.append(f"priority {old.priority} -> {new.priority}")
    if old.scopes != new.scopes:
        changed.append(f"channels {', '.join(new.scopes) or 'all'}")
    if old.paused != new.paused:
        changed.append("paused" if new.paused else "resumed")
    if old.surge != new.surge:
        changed.append("surge alerts on" if new.surge else "surge alerts off")
    return changed


def plan_changes(current: Watchlist, desired: Watchlist) -> Plan:
    have_channels = {c.ref: c for c in current.channels}
    want_channels = {c.ref: c for c in desired.channels}
    have_rules = {r.name: r for r in current.rules}
    want_rules = {r.name: r for r in desired.rules}
    have = {d.name: d for d in current.destinations or ()}
    want = have if desired.destinations is None else {d.name: d for d in desired.destinations}
    return Plan(
        add_channels=tuple(c for ref, c in want_channels.items() if ref not in have_channels),
        retag_channels=tuple(
            c
            for ref, c in want_channels.items()
            if ref in have_channels and have_channels[ref].tags != c.tags
        ),
        remove_channels=tuple(c for ref, c in have_channels.items() if ref not in want_channels),
        add_rules=tuple(r for name, r in want_rules.items() if name not in have_rules),
        change_rules=tuple(
            (have_rules[name], r)
            for name, r in want_rules.items()
            if name in have_rules and have_rules[name] != r
        ),
        remove_rules=tuple(r for name, r in have_rules.items() if name not in want_rules),
        save_destinations=tuple(d for name, d in want.items() if have.get(name) != d),
        remove_destinations=tuple(d for name, d in have.items() if name not in want),
    )
