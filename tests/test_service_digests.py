"""The digest scheduler inside ``chanwatch run``: a digest missed while the service was down
goes out on start through the bot, and a chat's /settings rebuild its job at once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import Settings
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from bot.service import Service
from storage import digests, rules, subscribers
from storage.database import Database
from tests.faketg import FakeTelegram, push
from tests.support.service import BOT_TOKEN, fake_clients, sent_to
from tests.support.waiting import eventually

NEWS = ChannelInfo(1500000077, "Курские новости", "kursk_news")


async def test_a_missed_digest_is_sent_on_start_and_settings_rebuild_the_job(
    db: Database,
) -> None:
    world = FakeTelegram()
    olena = world.add_user("Олена")
    now = datetime.now(UTC)
    await rules.add(db, "dprk", "КНДР")
    await Pipeline(db).ingest(
        [IncomingMessage(NEWS, 1, now - timedelta(hours=12), "Колонна КНДР прошла через Суджу")]
    )
    await subscribers.allow(db, olena.id, username=None, added_by="cli")
    await subscribers.ensure(db, olena.id, kind="user", title="Олена")
    await subscribers.subscribe(db, olena.id, "rule:dprk")
    await subscribers.set_digest_schedule(db, olena.id, "every 6h")
    await digests.mark_digest_sent(db, olena.id, now - timedelta(days=2))  # then it went down

    clients = await fake_clients(world)
    service = Service(replace(Settings(), bot_token=BOT_TOKEN), db, clients, stop_grace=2)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await eventually(lambda: bool(sent_to(world, olena.id)))
    [digest] = [m.message for m in sent_to(world, olena.id)]
    assert "Digest" in digest and "Колонна КНДР" in digest
    assert olena.id in service.scheduler.plans

    assert clients.bot is not None
    await push(clients.bot, world, world.user_message(olena, "/settings digest off"))
    await eventually(lambda: olena.id not in service.scheduler.plans)

    stop.set()
    await asyncio.wait_for(task, 30)
    assert not service.scheduler.scheduler.running
