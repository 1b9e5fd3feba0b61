"""Prometheus metrics for one chanwatch process, in a registry of its own.

A private ``CollectorRegistry`` (not prometheus_client's global one) keeps tests isolated
and lets two services live in one interpreter. The parts of chanwatch receive the
``Metrics`` object and call its verbs; none of them imports prometheus_client.

``Metrics`` also remembers the live facts ``/healthz`` reports (reader connected, last
update), so it satisfies ``bot.ops.health.HealthSource`` and ``chanwatch run`` can hand the
same object to the reader and to the health listener.
"""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The counters and gauges of issue 9, behind verbs the rest of chanwatch calls."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._ingested = Counter(
            "chanwatch_messages_ingested", "Messages stored (new or edited).", registry=r
        )
        self._hits = Counter(
            "chanwatch_hits", "Rule hits recorded, per rule.", ["rule"], registry=r
        )
        self._sent = Counter(
            "chanwatch_messages_sent",
            "Outbox messages delivered to Telegram, per kind (alert, digest, notice).",
            ["kind"],
            registry=r,
        )
        self._send_failures = Counter(
            "chanwatch_send_failures",
            "Outbox deliveries that failed for good, per kind.",
            ["kind"],
            registry=r,
        )
        self._flood_wait = Counter(
            "chanwatch_flood_wait_seconds",
            "Seconds Telegram told us to wait (FloodWait), per API method.",
            ["method"],
            registry=r,
        )
        self._lag = Gauge(
            "chanwatch_catchup_lag_seconds",
            "Age of the newest post not yet read, per channel (0 when caught up).",
            ["channel"],
            registry=r,
        )
        self._outbox = Gauge(
            "chanwatch_outbox_depth", "Outbox messages waiting to be sent.", registry=r
        )
        self._connected = Gauge(
            "chanwatch_reader_connected", "1 while the reader's session is connected.", registry=r
        )
        self._last_update = Gauge(
            "chanwatch_reader_last_update_timestamp_seconds",
            "Unix time the reader last heard from Telegram (an update or a finished sweep).",
            registry=r,
        )
        self._reader_connected = False
        self._last_update_at: datetime | None = None

    def ingested(self, n: int = 1) -> None:
        self._ingested.inc(n)

    def hit(self, rule: str, n: int = 1) -> None:
        self._hits.labels(rule=rule).inc(n)

    def alert_sent(self, kind: str = "alert") -> None:
        self._sent.labels(kind=kind).inc()

    def send_failed(self, kind: str = "alert") -> None:
        self._send_failures.labels(kind=kind).inc()

    def flood_wait(self, seconds: float, method: str) -> None:
        self._flood_wait.labels(method=method).inc(max(0.0, seconds))

    def lag(self, channel: str, seconds: float) -> None:
        self._lag.labels(channel=channel).set(max(0.0, seconds))

    def forget_channel(self, channel: str) -> None:
        """Drop an unwatched channel's series so it does not linger at its last value."""
        try:
            self._lag.remove(channel)
        except KeyError:
            return

    def outbox_depth(self, pending: int) -> None:
        self._outbox.set(pending)

    def reader_connected(self, connected: bool) -> None:
        self._reader_connected = connected
        self._connected.set(1 if connected else 0)

    def update_seen(self, at: datetime | None = None) -> None:
        moment = at or datetime.now(UTC)
        self._last_update_at = moment
        self._last_update.set(moment.timestamp())

    # HealthSource
    def is_reader_connected(self) -> bool:
        return self._reader_connected

    def last_update_at(self) -> datetime | None:
        return self._last_update_at

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric, by prometheus_client itself."""
        return bytes(generate_latest(self.registry))
