"""Operator actions on destinations, for ``chanwatch destinations`` and ``apply``: each
change and its audit entry commit together. The audit keeps the URL as written (secrets are
only ``${VARIABLE}`` references in it)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, replace
from datetime import UTC, datetime

from bot.destinations.payload import ALERT_SCHEMA, encode
from bot.destinations.transport import (
    AppriseTransport,
    Delivered,
    Envelope,
    Outcome,
    Transport,
    WebhookTransport,
)
from bot.destinations.urls import expand, kind_of
from bot.logs import REDACTED
from bot.watchlist.entries import DestinationSpec
from storage import audit, destinations
from storage.database import Database
from storage.destinations import Destination


async def save_destination(db: Database, actor: str, spec: DestinationSpec) -> Destination:
    async with db.transaction():
        existed = await destinations.find(db, spec.name) is not None
        saved = await destinations.save(db, spec.name, spec.values)
        action = "destination.update" if existed else "destination.add"
        await audit.record(db, actor, action, name=spec.name, **_detail(spec))
    return saved


async def remove_destination(db: Database, actor: str, name: str) -> Destination:
    async with db.transaction():
        removed = await destinations.remove(db, name)
        await audit.record(db, actor, "destination.remove", name=name, url=removed.values.url)
    return removed


def _detail(spec: DestinationSpec) -> dict[str, object]:
    detail = asdict(spec.values)
    detail["targets"] = list(spec.values.targets)
    return detail


def test_event(destination: Destination, now: datetime) -> dict[str, object]:
    """A harmless event in the alert schema, so a receiver can be checked end to end."""
    return {
        "schema": ALERT_SCHEMA,
        "id": f"test:{destination.id}:{int(now.timestamp())}",
        "type": "alert",
        "test": True,
        "rule": "chanwatch-test",
        "channel": {"id": 0, "username": None, "title": "chanwatch", "name": "chanwatch"},
        "message_id": 0,
        "link": "https://t.me/",
        "posted_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "after_edit": False,
        "matched_words": ["test"],
        "snippet": f"A test message from chanwatch to {destination.name}.",
        "snippet_marked": f"A **test** message from chanwatch to {destination.name}.",
        "story_id": "0" * 16,
    }


async def send_test(
    destination: Destination,
    environ: Mapping[str, str],
    transports: Mapping[str, Transport] | None = None,
) -> Outcome:
    """Send the test event now, outside the outbox; raises when a variable is not set."""
    values = destination.values
    expanded = expand(values.url, environ)
    event = test_event(destination, datetime.now(UTC))
    envelope = Envelope(
        url=expanded.url,
        body=encode(event),
        event_id=str(event["id"]),
        kind="alert",
        fmt=values.format,
        secret=environ.get(values.secret_env) if values.secret_env else None,
    )
    kind = kind_of(values.url)
    transport = (transports or {}).get(kind) or (
        WebhookTransport() if kind == "webhook" else AppriseTransport()
    )
    try:
        outcome = await transport.send(envelope)
    finally:
        await transport.close()
    if isinstance(outcome, Delivered):
        return outcome
    reason = outcome.reason
    for secret in expanded.secrets:
        reason = reason.replace(secret, REDACTED)
    return replace(outcome, reason=reason)
