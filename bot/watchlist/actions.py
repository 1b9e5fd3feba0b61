"""Operator actions shared by the CLI (``chanwatch rules add``) and the bot (``/rule add``).

Each validates its input the same way the watchlist file does, changes the database and
records who did it in the audit log in the same transaction, so the log can never disagree
with the watchlist. ``actor`` is ``"cli"`` or the operator's Telegram user id as a string.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.destinations.actions import remove_destination, save_destination
from bot.telegram.refs import ChannelRefError, parse_channel_ref
from bot.watchlist import validate
from bot.watchlist.entries import ChannelSpec, DestinationSpec, RuleSpec, Watchlist
from bot.watchlist.plan import Plan, plan_changes
from bot.watchlist.validate import InvalidField
from storage import audit, channels, destinations, rules
from storage.channels import Channel
from storage.database import Database
from storage.errors import NotFoundError
from storage.rules import Rule


async def _known_tags(db: Database) -> set[str]:
    return {tag for c in await channels.list_channels(db, watched_only=True) for tag in c.tags}


async def _scopes(db: Database, scopes: Sequence[str]) -> tuple[str, ...]:
    known = await _known_tags(db)
    return tuple(sorted({validate.scope(s, known) for s in scopes}))


async def list_rules(db: Database) -> list[Rule]:
    return await rules.list_rules(db)


async def add_rule(
    db: Database,
    actor: str,
    name: str,
    query: str,
    priority: str = "digest",
    scopes: Sequence[str] = (),
    paused: bool = False,
    surge: bool = False,
) -> Rule:
    """Add a rule; the query is checked by the matcher's parser first (column in the error)."""
    spec = RuleSpec(
        validate.rule_name(name),
        validate.query(query),
        validate.priority(priority),
        await _scopes(db, scopes),
        paused,
        surge,
    )
    async with db.transaction():
        rule = await rules.add(
            db,
            spec.name,
            spec.query,
            priority=spec.priority,
            scopes=spec.scopes,
            paused=paused,
            surge=surge,
        )
        await audit.record(db, actor, "rule.add", **_rule_detail(spec))
    return rule


async def update_rule(db: Database, actor: str, spec: RuleSpec) -> Rule:
    """Replace a rule's query, priority, scopes, paused and surge flags (as ``apply`` does)."""
    async with db.transaction():
        rule = await rules.update(
            db,
            spec.name,
            query=validate.query(spec.query),
            priority=spec.priority,
            scopes=spec.scopes,
            paused=spec.paused,
            surge=spec.surge,
        )
        await audit.record(db, actor, "rule.update", **_rule_detail(spec))
    return rule


async def remove_rule(db: Database, actor: str, name: str) -> Rule:
    async with db.transaction():
        rule = await rules.remove(db, name)
        await audit.record(db, actor, "rule.remove", name=name, query=rule.query)
    return rule


async def pause_rule(db: Database, actor: str, name: str) -> Rule:
    return await _set_paused(db, actor, name, True)


async def resume_rule(db: Database, actor: str, name: str) -> Rule:
    return await _set_paused(db, actor, name, False)


async def _set_paused(db: Database, actor: str, name: str, paused: bool) -> Rule:
    async with db.transaction():
        rule = await rules.set_paused(db, name, paused)
        await audit.record(db, actor, "rule.pause" if paused else "rule.resume", name=name)
    return rule


async def list_channels(db: Database) -> list[Channel]:
    return await channels.list_channels(db, watched_only=True)


async def watch_channel(db: Database, actor: str, ref: str, tags: Sequence[str] = ()) -> Channel:
    """Watch a channel by any usual reference; it is stored under its canonical form."""
    parsed = parse_channel_ref(ref)
    clean = sorted({validate.tag(t) for t in tags})
    async with db.transaction():
        channel = await channels.watch(
            db,
            parsed.canonical,
            username=parsed.username,
            telegram_id=parsed.telegram_id,
            tags=clean,
        )
        await audit.record(db, actor, "channel.watch", ref=parsed.canonical, tags=clean)
    return channel


async def watched_channel(db: Database, text: str) -> Channel:
    """The watched channel ``text`` names in any form: its ref as watched, its id (``-100…``,
    a ``t.me/c/`` link) once resolved, or its username, current or as watched.

    Operators copy a channel's name from wherever they see it (a post link, ``/status``, the
    app after a rename); the CLI and the bot accept the same names through this one lookup.
    """
    try:
        ref = parse_channel_ref(text)
    except ChannelRefError as error:
        raise InvalidField(f"bad channel reference: {error}") from None
    found = await channels.find(
        db, ref=ref.canonical, telegram_id=ref.telegram_id, username=ref.username
    )
    if found is None or not found.watched or found.ref is None:
        raise NotFoundError(f"channel {ref.canonical} is not watched")
    return found


async def unwatch_channel(db: Database, actor: str, ref: str) -> Channel:
    """Stop watching; its stored posts and hits stay."""
    async with db.transaction():
        known = await watched_channel(db, ref)
        assert known.ref is not None
        channel = await channels.unwatch(db, known.ref)
        await audit.record(db, actor, "channel.unwatch", ref=known.ref)
    return channel


async def tag_channel(db: Database, actor: str, ref: str, tags: Sequence[str]) -> Channel:
    """Replace a watched channel's tags (an empty list removes them all)."""
    clean = sorted({validate.tag(t) for t in tags})
    async with db.transaction():
        channel = await watched_channel(db, ref)
        await channels.set_tags(db, channel.id, clean)
        await audit.record(db, actor, "channel.tag", ref=channel.ref, tags=clean)
        return await channels.get(db, channel.id)


async def current_watchlist(db: Database) -> Watchlist:
    """What the database holds, in the same canonical form as a parsed file."""
    watched = [
        ChannelSpec(c.ref, tuple(sorted(c.tags)))
        for c in await channels.list_channels(db, watched_only=True)
        if c.ref is not None
    ]
    stored = [
        RuleSpec(r.name, r.query, r.priority, tuple(sorted(r.scopes)), r.paused, r.surge)
        for r in await rules.list_rules(db)
    ]
    known = tuple(
        DestinationSpec(d.name, d.values) for d in await destinations.list_destinations(db)
    )
    # None when there are none: an exported file then has no destinations key, as before
    return Watchlist(tuple(sorted(watched, key=lambda c: c.ref)), tuple(stored), known or None)


async def apply_watchlist(
    db: Database, desired: Watchlist, actor: str, *, dry_run: bool = False
) -> Plan:
    """Make the database's watchlist equal ``desired`` in one transaction; return the plan.

    Channels go first so that rules scoped to a new tag find it.
    """
    async with db.transaction():
        plan = plan_changes(await current_watchlist(db), desired)
        if dry_run or plan.empty:
            return plan
        for channel in plan.add_channels:
            await watch_channel(db, actor, channel.ref, channel.tags)
        for channel in plan.retag_channels:
            await tag_channel(db, actor, channel.ref, channel.tags)
        for channel in plan.remove_channels:
            await unwatch_channel(db, actor, channel.ref)
        for rule in plan.remove_rules:
            await remove_rule(db, actor, rule.name)
        for _, rule in plan.change_rules:
            await update_rule(db, actor, rule)
        for rule in plan.add_rules:
            await add_rule(
                db,
                actor,
                rule.name,
                rule.query,
                rule.priority,
                rule.scopes,
                rule.paused,
                rule.surge,
            )
        for gone in plan.remove_destinations:
            await remove_destination(db, actor, gone.name)
        for wanted in plan.save_destinations:
            await save_destination(db, actor, wanted)
    return plan


def _rule_detail(spec: RuleSpec) -> dict[str, object]:
    return {
        "name": spec.name,
        "query": spec.query,
        "priority": spec.priority,
        "scopes": list(spec.scopes),
        "paused": spec.paused,
        "surge": spec.surge,
    }
