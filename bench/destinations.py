"""Destination benchmarks on real SQLite files and a real HTTP server on 127.0.0.1.

1. What routing to destinations costs ingest: messages/s through the pipeline with an
   instant rule that hits every post, with no destination and with three (each hit then
   becomes three more outbox rows, each an event rendered as JSON, in the same transaction).
2. How fast the destinations' deliverer empties a backlog into one webhook: rows/s, each a
   committed ``sending``, a POST, and a committed ``sent``.

``BENCH_SCALE=0.1 python -m bench.destinations`` ingests a tenth as many posts.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.report import emit
from bot.destinations.deliverer import DestinationDeliverer
from bot.destinations.router import DestinationRouter, Routers
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import destinations, rules
from storage.database import Database, open_database
from storage.destinations import DestinationValues

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
MESSAGES = int(20_000 * SCALE)
BACKLOG = 500  # within one burst of the highest rate limit (600 a minute): the send path
BATCH = 500
START = datetime(2024, 10, 1, tzinfo=UTC)
CHANNEL = ChannelInfo(1001, "Сводки Приграничья", "svodki_prigran")
TEXT = "Под Курском замечены военные из КНДР, колонна техники прошла через Льгов, сводка №{n}."


class _Quiet(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def _batches() -> list[list[IncomingMessage]]:
    posts = [
        IncomingMessage(CHANNEL, n, START + timedelta(seconds=n), TEXT.format(n=n))
        for n in range(1, MESSAGES + 1)
    ]
    return [posts[i : i + BATCH] for i in range(0, len(posts), BATCH)]


async def _database(path: Path, destination_urls: list[str]) -> Database:
    db = await open_database(path)
    await rules.add(db, "dprk", "КНДР", priority="instant")
    for number, url in enumerate(destination_urls):
        values = DestinationValues(url=url, targets=("rule:dprk",), per_minute=600)
        await destinations.save(db, f"hook-{number}", values)
    return db


async def bench_ingest(folder: Path) -> None:
    for label, urls in (("none", []), ("three", [f"https://h{n}.example.org/x" for n in range(3)])):
        db = await _database(folder / f"ingest-{label}.db", urls)
        routers = Routers(OutboxRouter(ZoneInfo("UTC")), DestinationRouter())
        pipeline = Pipeline(db, router=routers)
        began = time.perf_counter()
        for batch in _batches():
            await pipeline.ingest(batch)
        rate = MESSAGES / (time.perf_counter() - began)
        emit(
            f"destinations.ingest_{label}",
            f"ingest with {label} destinations (every post an instant hit)",
            rate,
            "msg/s",
        )
        await db.close()


async def bench_delivery(folder: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        db = await _database(folder / "delivery.db", [url])
        pipeline = Pipeline(db, router=DestinationRouter())
        await pipeline.ingest(_batches()[0][:BACKLOG])
        waiting = sum((await destinations.backlog(db)).values())
        deliverer = DestinationDeliverer(db, {})
        began = time.perf_counter()
        sent = 0
        while sent < waiting:
            sent += await deliverer.deliver_due()
        emit(
            "destinations.delivery",
            "webhook deliveries (sending, POST, sent)",
            sent / (time.perf_counter() - began),
            "rows/s",
        )
        await db.close()
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        print("-- ingest with destinations")
        asyncio.run(bench_ingest(Path(folder)))
        print("-- delivery to one webhook on 127.0.0.1")
        asyncio.run(bench_delivery(Path(folder)))


if __name__ == "__main__":
    main()
