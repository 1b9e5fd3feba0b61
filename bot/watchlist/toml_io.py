"""Write a watchlist back out as TOML that parses to the same ``Watchlist``."""

from __future__ import annotations

from typing import Any

import tomli_w

from bot.destinations.spec import target_names
from bot.watchlist.entries import DestinationSpec, Watchlist


def dump_watchlist(watchlist: Watchlist) -> str:
    """Fields at their defaults are left out, so the file reads like a hand-written one."""
    data: dict[str, Any] = {}
    if watchlist.channels:
        data["channels"] = [
            {"ref": c.ref, **({"tags": list(c.tags)} if c.tags else {})} for c in watchlist.channels
        ]
    if watchlist.rules:
        rules: list[dict[str, Any]] = []
        for r in watchlist.rules:
            entry: dict[str, Any] = {"name": r.name, "query": r.query}
            if r.priority != "digest":
                entry["priority"] = r.priority
            if r.scopes:
                entry["channels"] = list(r.scopes)
            if r.paused:
                entry["paused"] = True
            if r.surge:
                entry["surge"] = True
            rules.append(entry)
        data["rules"] = rules
    if watchlist.destinations:
        data["destinations"] = [_destination(d) for d in watchlist.destinations]
    header = (
        "# chanwatch watchlist, written by `chanwatch export`; apply with `chanwatch apply`.\n\n"
    )
    return header + tomli_w.dumps(data, multiline_strings=False)


def _destination(destination: DestinationSpec) -> dict[str, Any]:
    values = destination.values
    entry: dict[str, Any] = {
        "name": destination.name,
        "url": values.url,
        "rules": target_names(values.targets),
    }
    optional = (
        ("format", values.format, "markdown"),
        ("secret", values.secret_env, None),
        ("digest", values.digest_schedule, None),
        ("instant", values.instant, True),
        ("per_minute", values.per_minute, 30),
    )
    entry.update({key: value for key, value, default in optional if value != default})
    return entry
