"""Sending one event to one destination: chanwatch's JSON webhook (httpx) or Apprise.

A send ends in one of three outcomes the deliverer acts on: ``Delivered``; ``RetryLater``
(the network, a 5xx, a 429 — with the seconds its ``Retry-After`` asked for, if any), which
counts toward the destination's day of failures; ``Rejected`` (the destination refused this
one event as malformed or too large: 400, 413, 422), which fails the row alone.

Every request carries the event's id as ``Idempotency-Key``: the one row in flight at a
crash is sent again after the restart (the outbox cannot know whether it arrived), and a
receiver that keeps the keys it has seen makes that exactly once. With a secret, the body
is signed: ``X-Chanwatch-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>``.

Apprise is synchronous (requests), so its send runs in a worker thread; it reports only
success or failure, so the reason is what it logged, and its ``json://``/``xml://``/
``form://`` targets get the idempotency key as a header too.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlencode, urlsplit, urlunsplit

import apprise
import httpx

from bot.destinations.payload import Format, decode, notification

USER_AGENT = "chanwatch"
TIMEOUT_S = 15.0
MAX_RETRY_AFTER_S = 3600.0
SIGNATURE_HEADER = "X-Chanwatch-Signature-256"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_REJECTED = frozenset({400, 413, 422})
_HEADER_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})


@dataclass(frozen=True, slots=True)
class Delivered:
    pass


@dataclass(frozen=True, slots=True)
class RetryLater:
    reason: str
    after: float | None = None  # seconds the destination asked for (Retry-After)


@dataclass(frozen=True, slots=True)
class Rejected:
    reason: str


Outcome = Delivered | RetryLater | Rejected


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event for one destination: the expanded URL and the stored body."""

    url: str
    body: str  # the event as JSON
    event_id: str
    kind: str  # 'alert' or 'digest'
    fmt: Format
    secret: str | None = None


class Transport(Protocol):
    async def send(self, envelope: Envelope) -> Outcome: ...

    async def close(self) -> None: ...


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), bounded to an hour."""
    if not value:
        return None
    text = value.strip()
    try:
        seconds = float(text) if text.isdigit() else None
        if seconds is None:
            seconds = (parsedate_to_datetime(text) - now).total_seconds()
    except (TypeError, ValueError, OverflowError):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


class WebhookTransport:
    """POSTs the event's JSON to an ``http(s)://`` URL."""

    def __init__(self, client: httpx.AsyncClient | None = None) -> None:
        self.client = client or httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False)

    async def send(self, envelope: Envelope) -> Outcome:
        raw = envelope.body.encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            IDEMPOTENCY_HEADER: envelope.event_id,
            "X-Chanwatch-Event": envelope.kind,
        }
        if envelope.secret:
            headers[SIGNATURE_HEADER] = signature(envelope.secret, raw)
        try:
            response = await self.client.post(envelope.url, content=raw, headers=headers)
        except httpx.TransportError as error:
            # The exception's text can hold the URL, and so a secret: name only its kind.
            return RetryLater(f"network error ({type(error).__name__})")
        status = response.status_code
        if 200 <= status < 300:
            return Delivered()
        reason = f"HTTP {status} {response.reason_phrase}".strip()
        if status in _REJECTED:
            return Rejected(reason)
        after = retry_after(response.headers.get("retry-after"), datetime.now(UTC))
        return RetryLater(reason, after if status in (429, 503) else None)

    async def close(self) -> None:
        await self.client.aclose()


class AppriseTransport:
    """Hands the event, as a title and body in the destination's format, to Apprise."""

    async def send(self, envelope: Envelope) -> Outcome:
        title, body = notification(decode(envelope.body), envelope.fmt)
        url = _with_header(envelope.url, IDEMPOTENCY_HEADER, envelope.event_id)
        ok, said = await asyncio.to_thread(_notify, url, title, body, envelope.fmt)
        if ok:
            return Delivered()
        return RetryLater(said or "the notification service did not accept it")

    async def close(self) -> None:
        return None


def _notify(url: str, title: str, body: str, fmt: Format) -> tuple[bool, str]:
    sender = apprise.Apprise()
    if not sender.add(url):
        return False, "Apprise cannot use this URL"
    capture = apprise.LogCapture(level=logging.WARNING, fmt="%(message)s")  # type: ignore[no-untyped-call]
    with capture as captured:
        ok = bool(sender.notify(body=body, title=title, body_format=fmt))
    lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    return ok, lines[-1][:300] if lines else ""


def _with_header(url: str, name: str, value: str) -> str:
    """Apprise's JSON, XML and form targets take extra headers as ``+Name=value``."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _HEADER_SCHEMES:
        return url
    query = "&".join(q for q in (parts.query, urlencode({f"+{name}": value})) if q)
    return urlunsplit(parts._replace(query=query))


def valid_for_apprise(url: str) -> bool:
    return bool(apprise.Apprise().add(url))
