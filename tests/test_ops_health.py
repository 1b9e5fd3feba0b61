"""The health listener over a real socket: /healthz, /metrics, and everything else refused."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops.health import MAX_HEAD_BYTES, HealthServer
from bot.ops.metrics import CONTENT_TYPE, Metrics
from storage.database import Database
from tests.support.clock import FakeClock

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


async def request(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, status, _ = status_line.split(" ", 2)
    assert version == "HTTP/1.1"
    headers = {k.lower(): v.strip() for k, v in (h.split(":", 1) for h in header_lines)}
    return int(status), headers, body


async def get(port: int, path: str) -> tuple[int, dict[str, str], bytes]:
    return await request(port, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())


@pytest.fixture
def metrics() -> Metrics:
    m = Metrics()
    m.reader_connected(True)
    m.update_seen(NOW - timedelta(seconds=42))
    return m


@pytest.fixture
async def server(db: Database, metrics: Metrics) -> AsyncIterator[HealthServer]:
    async with HealthServer(db, metrics, metrics, port=0, clock=FakeClock(NOW)) as running:
        yield running


async def add_outbox(db: Database, n: int, status: str = "pending") -> None:
    await db.executemany(
        "INSERT INTO outbox (dedup_key, chat_id, kind, body, not_before, status, created_at)"
        " VALUES (?, 1, 'alert', 'Курськ: тривога', 0, ?, 0)",
        [(f"{status}:{i}", status) for i in range(n)],
    )


async def test_healthz_reports_every_fact_and_200_when_healthy(
    server: HealthServer, db: Database
) -> None:
    await add_outbox(db, 3)
    await add_outbox(db, 2, "sent")
    status, headers, body = await get(server.port, "/healthz")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    report = json.loads(body)
    assert report["status"] == "ok"
    assert report["reader_connected"] is True
    assert report["last_update_age_s"] == 42
    assert report["outbox_depth"] == 3
    assert report["database_writable"] is True
    assert report["problems"] == []


async def test_healthz_writes_a_real_probe(server: HealthServer, db: Database) -> None:
    await get(server.port, "/healthz")
    row = await db.fetchone("SELECT value FROM service_state WHERE key = 'health_probe_at'")
    assert row is not None


async def test_disconnected_reader_is_503(server: HealthServer, metrics: Metrics) -> None:
    metrics.reader_connected(False)
    status, _, body = await get(server.port, "/healthz")
    report = json.loads(body)
    assert status == 503
    assert report["status"] == "unhealthy"
    assert report["reader_connected"] is False
    assert any("reader" in p for p in report["problems"])


async def test_unwritable_database_is_503(server: HealthServer, db: Database) -> None:
    await db.conn.execute("PRAGMA query_only = ON")
    status, _, body = await get(server.port, "/healthz")
    report = json.loads(body)
    assert status == 503
    assert report["database_writable"] is False
    assert report["problems"] and "database" in report["problems"][0]


async def test_stale_updates_are_unhealthy_only_when_asked(db: Database, metrics: Metrics) -> None:
    metrics.update_seen(NOW - timedelta(hours=2))
    async with HealthServer(db, metrics, metrics, port=0, clock=FakeClock(NOW)) as lenient:
        assert (await get(lenient.port, "/healthz"))[0] == 200
    strict = HealthServer(
        db, metrics, metrics, port=0, clock=FakeClock(NOW), stale_after=timedelta(hours=1)
    )
    async with strict:
        status, _, body = await get(strict.port, "/healthz")
    assert status == 503
    assert "no update from Telegram" in json.loads(body)["problems"][0]


async def test_without_a_reader_only_the_database_is_judged(db: Database) -> None:
    async with HealthServer(db, Metrics(), port=0) as server:
        status, _, body = await get(server.port, "/healthz")
    assert status == 200
    assert json.loads(body)["reader_connected"] is None


async def test_metrics_are_prometheus_text_with_every_series(
    server: HealthServer, metrics: Metrics, db: Database
) -> None:
    metrics.ingested(120)
    metrics.hit("dprk-kursk", 3)
    metrics.hit("бурятия")
    metrics.alert_sent()
    metrics.alert_sent("digest")
    metrics.flood_wait(17, "GetHistoryRequest")
    metrics.lag("@rybar", 95.5)
    await add_outbox(db, 4)
    status, headers, body = await get(server.port, "/metrics")
    assert status == 200
    assert headers["content-type"] == CONTENT_TYPE and CONTENT_TYPE.startswith("text/plain")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }
    assert samples[("chanwatch_messages_ingested_total", ())] == 120
    assert samples[("chanwatch_hits_total", (("rule", "dprk-kursk"),))] == 3
    assert samples[("chanwatch_hits_total", (("rule", "бурятия"),))] == 1
    assert samples[("chanwatch_messages_sent_total", (("kind", "alert"),))] == 1
    assert samples[("chanwatch_messages_sent_total", (("kind", "digest"),))] == 1
    assert samples[("chanwatch_flood_wait_seconds_total", (("method", "GetHistoryRequest"),))] == 17
    assert samples[("chanwatch_catchup_lag_seconds", (("channel", "@rybar"),))] == 95.5
    assert samples[("chanwatch_outbox_depth", ())] == 4
    assert samples[("chanwatch_reader_connected", ())] == 1


async def test_forgotten_channel_leaves_the_metrics() -> None:
    metrics = Metrics()
    metrics.lag("@one", 5)
    metrics.lag("@two", 6)
    metrics.forget_channel("@one")
    metrics.forget_channel("@never-seen")
    text = metrics.render().decode()
    assert 'channel="@two"' in text and 'channel="@one"' not in text


async def test_registries_are_private_to_each_metrics_object() -> None:
    first, second = Metrics(), Metrics()
    first.ingested(5)
    assert "chanwatch_messages_ingested_total 5.0" in first.render().decode()
    assert "chanwatch_messages_ingested_total 0.0" in second.render().decode()


async def test_unknown_path_is_404(server: HealthServer) -> None:
    status, _, body = await get(server.port, "/admin")
    assert status == 404 and b"/healthz" in body


async def test_query_string_is_ignored(server: HealthServer) -> None:
    assert (await get(server.port, "/healthz?verbose=1"))[0] == 200


async def test_post_is_405_with_allow(server: HealthServer) -> None:
    status, headers, _ = await request(
        server.port, b"POST /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\n"
    )
    assert status == 405 and headers["allow"] == "GET, HEAD"


async def test_head_sends_headers_without_body(server: HealthServer) -> None:
    status, headers, body = await request(server.port, b"HEAD /metrics HTTP/1.1\r\n\r\n")
    assert status == 200 and int(headers["content-length"]) > 0 and body == b""


async def test_garbage_request_line_is_400(server: HealthServer) -> None:
    assert (await request(server.port, b"\x16\x03\x01 hello\r\n\r\n"))[0] == 400


async def test_oversized_request_head_is_refused(server: HealthServer) -> None:
    huge = b"GET /healthz HTTP/1.1\r\nX-Pad: " + b"a" * (MAX_HEAD_BYTES * 2) + b"\r\n\r\n"
    status, _, _ = await request(server.port, huge)
    assert status == 431
    assert (await get(server.port, "/healthz"))[0] == 200  # still serving


async def test_binds_loopback_by_default(server: HealthServer) -> None:
    assert server.host == "127.0.0.1"
    assert server._server is not None
    assert server._server.sockets[0].getsockname()[0] == "127.0.0.1"


async def test_healthz_answers_while_another_process_holds_the_write_lock(db: Database) -> None:
    await db.conn.execute("PRAGMA busy_timeout=300")  # the lock gives up sooner than 5 s
    holder = sqlite3.connect(db.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    server = HealthServer(db, Metrics(), port=0, probe_timeout=0.1)
    try:
        await server.start()
        first, _, body = await get(server.port, "/healthz")
        assert first == 503 and json.loads(body)["database_writable"] is False
        # The first probe still waits on the lock and holds the connection's thread: the
        # next request says so instead of hanging until the lock gives up.
        second, _, body = await get(server.port, "/healthz")
        report = json.loads(body)
        assert second == 503 and report["outbox_depth"] is None
        assert any("busy" in p for p in report["problems"])
        await server.close()  # the probe gives up on the lock with nobody waiting for it
    finally:
        holder.rollback()
        holder.close()
