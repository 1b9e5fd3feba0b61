"""The optional HTTP listener: ``/healthz`` for supervisors, ``/metrics`` for Prometheus.

A tiny HTTP/1.1 responder on ``asyncio.start_server`` rather than a web framework: two GET
routes, one response per connection (``Connection: close``), a bounded request head and a
read deadline, so a slow or hostile client can neither pin memory nor a task. It binds
127.0.0.1 by default; exposing it is a deliberate choice of the operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from bot.clock import Clock, SystemClock
from bot.ops.metrics import CONTENT_TYPE, Metrics
from storage import state, stats
from storage.database import Database
from storage.errors import StorageError

MAX_HEAD_BYTES = 8192
READ_TIMEOUT_S = 5.0
PROBE_TIMEOUT_S = 2.0
PROBE_KEY = "health_probe_at"

_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


class HealthSource(Protocol):
    """The live facts only the running process knows (``Metrics`` implements this)."""

    def is_reader_connected(self) -> bool: ...

    def last_update_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Health:
    healthy: bool
    reader_connected: bool | None  # None when no reader runs in this process
    last_update_age_s: float | None
    outbox_depth: int | None
    database_writable: bool
    problems: tuple[str, ...]

    def to_json(self) -> bytes:
        body = asdict(self)
        body["status"] = "ok" if self.healthy else "unhealthy"
        body["problems"] = list(self.problems)
        return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


class _WriteProbe:
    """Proves the database takes writes, without ever cancelling a transaction midway.

    Cancelling a task inside ``Database.transaction`` could leave ``BEGIN`` running in the
    connection thread, so a slow probe is waited for with a deadline but left to finish; a
    second request meanwhile shares the probe in flight instead of queueing another. A probe
    that fails after nobody waits any more is still collected, so it does not end up as
    asyncio's "exception was never retrieved" traceback in the log.
    """

    def __init__(self, db: Database, timeout: float = PROBE_TIMEOUT_S) -> None:
        self.db = db
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None

    async def _write(self) -> None:
        await state.put(self.db, PROBE_KEY, str(int(datetime.now(UTC).timestamp())))

    async def check(self) -> str | None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._write())
            self._task.add_done_callback(_collect)
        task = self._task
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        if not done:
            return f"database write probe still waiting after {self.timeout:g} s"
        error = task.exception()
        if error is None:
            return None
        return str(error) if isinstance(error, StorageError) else f"database write failed: {error}"

    async def settle(self) -> None:
        """Let a probe in flight finish, so closing never abandons a transaction."""
        if self._task is not None:
            await asyncio.wait({self._task})


def _collect(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


async def _outbox_depth(db: Database, seconds: float) -> tuple[int | None, str | None]:
    """The outbox depth, or why it is unknown. Bounded: every query shares the one connection
    thread, which a write probe waiting on another process's lock holds for seconds."""
    try:
        return await asyncio.wait_for(stats.outbox_waiting(db), seconds), None
    except TimeoutError:
        return None, f"database busy: no answer within {seconds:g} s"
    except StorageError as error:
        return None, str(error)


async def assess(
    db: Database,
    probe: _WriteProbe,
    source: HealthSource | None,
    *,
    now: datetime,
    stale_after: timedelta | None,
) -> Health:
    problems: list[str] = []
    # The read first: queued behind a probe blocked on a lock, it would wait out the probe.
    depth, depth_problem = await _outbox_depth(db, probe.timeout)
    probe_problem = await probe.check()
    problems += [p for p in (probe_problem, depth_problem) if p]
    connected: bool | None = None
    age: float | None = None
    if source is not None:
        connected = source.is_reader_connected()
        if not connected:
            problems.append("the reader is not connected to Telegram")
        last = source.last_update_at()
        age = None if last is None else max(0.0, (now - last).total_seconds())
        if stale_after is not None and (age is None or age > stale_after.total_seconds()):
            problems.append(f"no update from Telegram for more than {stale_after}")
    return Health(
        healthy=not problems,
        reader_connected=connected,
        last_update_age_s=age,
        outbox_depth=depth,
        database_writable=probe_problem is None,
        problems=tuple(problems),
    )


@dataclass(frozen=True, slots=True)
class _Response:
    status: int
    content_type: str
    body: bytes
    extra_headers: tuple[tuple[str, str], ...] = ()

    def encode(self, *, head_only: bool) -> bytes:
        lines = [
            f"HTTP/1.1 {self.status} {_REASONS[self.status]}",
            f"Content-Type: {self.content_type}",
            f"Content-Length: {len(self.body)}",
            "Cache-Control: no-store",
            "Connection: close",
            *(f"{name}: {value}" for name, value in self.extra_headers),
        ]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        return head if head_only else head + self.body


def _plain(status: int, text: str) -> _Response:
    return _Response(status, "text/plain; charset=utf-8", (text + "\n").encode())


class HealthServer:
    """``async with HealthServer(db, metrics, port=...) as server:`` serves until closed."""

    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        source: HealthSource | None = None,
        *,
        port: int,
        host: str = "127.0.0.1",
        stale_after: timedelta | None = None,
        clock: Clock | None = None,
        probe_timeout: float = PROBE_TIMEOUT_S,
    ) -> None:
        self.db = db
        self.metrics = metrics
        self.source = source
        self.host = host
        self.stale_after = stale_after
        self._requested_port = port
        self._clock = clock or SystemClock()
        self._probe = _WriteProbe(db, probe_timeout)
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with ``port=0``)."""
        if self._server is None:
            raise RuntimeError("health server is not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._serve, self.host, self._requested_port, limit=MAX_HEAD_BYTES
        )

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._probe.settle()

    async def __aenter__(self) -> HealthServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head_only, response = await self._respond(reader)
            writer.write(response.encode(head_only=head_only))
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[bool, _Response]:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
        except TimeoutError:
            return False, _plain(408, "request timed out")
        except (asyncio.LimitOverrunError, ValueError):
            return False, _plain(431, "request head too large")
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            return False, _plain(400, "malformed request line")
        method, target, _ = parts
        head_only = method == "HEAD"
        if method not in ("GET", "HEAD"):
            allow = (("Allow", "GET, HEAD"),)
            return False, _Response(405, "text/plain; charset=utf-8", b"use GET\n", allow)
        path = target.split("?", 1)[0]
        if path == "/healthz":
            return head_only, await self._healthz()
        if path == "/metrics":
            return head_only, await self._metrics()
        return head_only, _plain(404, "not found: try /healthz or /metrics")

    async def _healthz(self) -> _Response:
        health = await assess(
            self.db, self._probe, self.source, now=self._clock.now(), stale_after=self.stale_after
        )
        return _Response(200 if health.healthy else 503, "application/json", health.to_json())

    async def _metrics(self) -> _Response:
        # On a database error serve the last known depth; /healthz reports the problem.
        with contextlib.suppress(StorageError):
            self.metrics.outbox_depth(await stats.outbox_waiting(self.db))
        return _Response(200, CONTENT_TYPE, self.metrics.render())
