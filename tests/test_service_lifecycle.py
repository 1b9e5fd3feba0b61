"""The service's life: SIGTERM through ``chanwatch run``, a bounded stop with a hung send,
the health listener, one Metrics for the process, and errors recorded without secrets."""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import signal
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telethon.tl.functions.messages import SendMessageRequest

from bot.cli import run as run_command
from bot.cli.context import CommandContext
from bot.config import Settings
from bot.errors import ChanwatchError
from bot.ops import heartbeat
from bot.service import Service
from bot.telegram.clients import Clients
from storage import outbox
from storage.database import Database, open_database
from storage.outbox import NewOutboxItem
from tests.faketg import API_HASH, API_ID, FakeTelegram, push
from tests.support.service import (
    BOT_TOKEN,
    fake_clients,
    sent_to,
    subscriber_of_all,
    watched_dprk_channel,
)
from tests.support.waiting import eventually


async def leaky_failure() -> None:
    """A part dies with an error whose text carries the bot token, as a careless library's
    might (a send error no longer can: the deliverer retries those and fails the row)."""
    raise RuntimeError(f"request to https://api.telegram.org/bot{BOT_TOKEN}/send failed")


async def test_sigterm_stops_chanwatch_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = FakeTelegram()
    clients = await fake_clients(world)

    async def connect(settings: Settings) -> Clients:
        return clients

    monkeypatch.setattr(run_command, "connect_clients", connect)
    path = tmp_path / "chanwatch.db"
    environ = {
        "API_ID": str(API_ID),
        "API_HASH": API_HASH,
        "BOT_TOKEN": BOT_TOKEN,
        "DATABASE_PATH": str(path),
    }
    stderr = io.StringIO()
    ctx = CommandContext(environ, io.StringIO(), stderr, io.StringIO())
    task = asyncio.create_task(run_command.handle(argparse.Namespace(), ctx))
    # Bot commands are installed before the reader's handlers, and the signal handlers
    # before either: once both accounts listen, SIGTERM reaches chanwatch, not the default.
    await eventually(lambda: clients.user.list_event_handlers() != [])
    assert clients.bot is not None and clients.bot.list_event_handlers() != []

    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(task, 30) == 0

    assert not clients.user.is_connected() and clients.bot is not None
    assert not clients.bot.is_connected()
    assert clients.bot.list_event_handlers() == []  # the bot stopped taking commands
    assert "chanwatch: stopped" in stderr.getvalue()
    db = await open_database(path)
    try:
        life = await heartbeat.read(db)
        assert life.started_at is not None and life.stopped_at is not None
        assert life.stopped_at >= life.started_at
    finally:
        await db.close()


async def test_a_hung_send_cannot_hold_up_the_stop_and_goes_out_after_restart(
    db: Database,
) -> None:
    world = FakeTelegram()
    olena = world.add_user("Олена")
    settings = replace(Settings(), bot_token=BOT_TOKEN)
    service = Service(settings, db, await fake_clients(world), stop_grace=0.5)
    world.hang(SendMessageRequest)  # Telegram never answers (a dead connection unnoticed)
    await outbox.enqueue(
        db, [NewOutboxItem("a:1", olena.id, "alert", "КНДР у Курській", datetime.now(UTC))]
    )
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await eventually(lambda: world.count(SendMessageRequest) == 1, what="the send went out")

    stop.set()
    await asyncio.wait_for(task, 30)  # a guard only: without the bound this never returns
    [row] = await outbox.list_items(db)
    assert row.status == "sending"  # may have gone out: sent at most once more

    again = Service(settings, db, await fake_clients(world), stop_grace=0.5)
    stop = asyncio.Event()
    task = asyncio.create_task(again.run(stop))
    await eventually(lambda: bool(sent_to(world, olena.id)))
    stop.set()
    await asyncio.wait_for(task, 30)
    assert [m.message for m in sent_to(world, olena.id)] == ["КНДР у Курській"]
    assert world.count(SendMessageRequest) == 2  # the hung one, then the one that went out
    assert [r.status for r in await outbox.list_items(db)] == ["sent"]


async def _http_get(port: int, path: str) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer.decode()


async def test_health_listener_serves_the_metrics_of_this_process_and_closes_on_stop(
    db: Database,
) -> None:
    world = FakeTelegram()
    news = await watched_dprk_channel(db, world)
    olena = await subscriber_of_all(db, world)
    settings = replace(Settings(), bot_token=BOT_TOKEN, health_port=0)
    clients = await fake_clients(world)
    service = Service(settings, db, clients, stop_grace=2)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await eventually(lambda: service.health is not None and bool(service.reader._tasks))
    await service.reader.sync()
    assert service.health is not None
    port = service.health.port

    await push(clients.user, world, world.post(news, "Колона КНДР під Суджею"))
    await eventually(lambda: bool(sent_to(world, olena.id)))
    metrics = await _http_get(port, "/metrics")
    assert "chanwatch_messages_ingested_total 1.0" in metrics
    assert 'chanwatch_hits_total{rule="dprk"} 1.0' in metrics
    assert 'chanwatch_messages_sent_total{kind="alert"} 1.0' in metrics
    health = await _http_get(port, "/healthz")
    assert '"reader_connected": true' in health and '"database_writable": true' in health

    stop.set()
    await asyncio.wait_for(task, 30)
    with pytest.raises(ConnectionRefusedError):
        await _http_get(port, "/healthz")


async def test_a_busy_health_port_is_a_clear_error(db: Database) -> None:
    holder = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = holder.sockets[0].getsockname()[1]
    try:
        settings = replace(Settings(), bot_token=BOT_TOKEN, health_port=port)
        service = Service(settings, db, await fake_clients(FakeTelegram()), stop_grace=0.5)
        with pytest.raises(ChanwatchError, match=f"cannot listen on 127.0.0.1:{port}"):
            await service.run(asyncio.Event())
    finally:
        holder.close()
        await holder.wait_closed()


async def test_a_failing_part_is_recorded_for_status_without_the_secrets(db: Database) -> None:
    world = FakeTelegram()
    settings = replace(Settings(), bot_token=BOT_TOKEN, api_hash=API_HASH, api_id=API_ID)
    service = Service(settings, db, await fake_clients(world), stop_grace=0.5)
    service.deliverer.run = leaky_failure  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="/send failed"):
        await asyncio.wait_for(service.run(asyncio.Event()), 30)
    life = await heartbeat.read(db)
    assert life.last_error is not None and "RuntimeError" in life.last_error
    assert BOT_TOKEN not in life.last_error and "secret-token" not in life.last_error
    assert "«redacted»" in life.last_error
    assert life.stopped_at is not None
