"""``chanwatch run``'s service end to end on the fake Telegram: a post becomes an alert."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from telethon import TelegramClient, types
from telethon.tl.functions.messages import SendMessageRequest

from bot.config import Settings
from bot.ops import heartbeat
from bot.service import Service
from bot.telegram.clients import Clients
from storage import subscribers
from storage.database import Database
from tests.faketg import FakeTelegram, make_client, push
from tests.support.bot_harness import entity_texts
from tests.support.service import sent_to, subscriber_of_all, watched_dprk_channel
from tests.support.waiting import eventually


async def started(
    db: Database, world: FakeTelegram, settings: Settings, bot: bool
) -> tuple[Service, asyncio.Event, asyncio.Task[None], TelegramClient]:
    user = await make_client(world)
    bot_client = await make_client(world, bot=True, raise_last_call_error=True) if bot else None
    service = Service(settings, db, Clients(user, bot_client))
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await eventually(lambda: bool(service.reader._tasks))
    await service.reader.sync()
    return service, stop, task, user


async def test_a_post_on_an_instant_rule_reaches_the_subscriber_through_the_bot(
    db: Database,
) -> None:
    world = FakeTelegram()
    channel = await watched_dprk_channel(db, world)
    olena = await subscriber_of_all(db, world)
    await subscribers.allow(db, olena.id, username=None, added_by="cli")
    settings = replace(Settings(), timezone="Europe/Kyiv", bot_token="1:x")
    service, stop, task, user = await started(db, world, settings, bot=True)

    await push(user, world, world.post(channel, "Войска <КНДР> замечены в Курской области"))
    await eventually(lambda: bool(sent_to(world, olena.id)))
    [alert] = sent_to(world, olena.id)
    assert "Войска <КНДР> замечены" in alert.message and "dprk" in alert.message

    assert service.clients.bot is not None
    await push(service.clients.bot, world, world.user_message(olena, "/mysubs"))
    await eventually(lambda: len(sent_to(world, olena.id)) == 2)
    assert "all" in sent_to(world, olena.id)[-1].message

    stop.set()
    await asyncio.wait_for(task, 10)
    life = await heartbeat.read(db)
    assert life.stopped_at is not None


@pytest.mark.parametrize(
    ("rule", "query", "post", "bold"),
    [
        (
            "кндр-курщина",
            "КНДР AND Курщина",
            "Північнокорейські військові КНДР помічені на Курщині",
            ["КНДР", "Курщині"],
        ),
        (
            "drones-belgorod",
            "drone AND Belgorod",
            "Drones struck a fuel depot in Belgorod overnight",
            ["Drones", "Belgorod"],
        ),
    ],
)
async def test_an_alert_in_each_language_bolds_the_words_that_matched(
    db: Database, rule: str, query: str, post: str, bold: list[str]
) -> None:
    world = FakeTelegram()
    channel = await watched_dprk_channel(db, world, rule, query)
    olena = await subscriber_of_all(db, world)
    settings = replace(Settings(), timezone="Europe/Kyiv", bot_token="1:x")
    _, stop, task, user = await started(db, world, settings, bot=True)

    await push(user, world, world.post(channel, post))
    await eventually(lambda: bool(sent_to(world, olena.id)))
    [alert] = sent_to(world, olena.id)
    assert post in alert.message and rule in alert.message
    [request] = [r for r in world.of(SendMessageRequest) if r.message == alert.message]
    assert entity_texts(request, types.MessageEntityBold) == [rule, *bold]

    stop.set()
    await asyncio.wait_for(task, 10)


async def test_without_a_bot_alerts_and_commands_use_the_alert_chat(db: Database) -> None:
    world = FakeTelegram()
    channel = await watched_dprk_channel(db, world)
    room = world.add_channel("alerts_room", "Alerts", megagroup=True)
    settings = replace(Settings(), alert_chat="@alerts_room")
    _, stop, task, user = await started(db, world, settings, bot=False)

    await push(user, world, world.post(channel, "КНДР: новые данные"))
    await eventually(lambda: bool(sent_to(world, room.id)))
    assert "КНДР: новые данные" in sent_to(world, room.id)[0].message
    await push(user, world, world.user_message(world.me, "/status", group=room))
    await eventually(lambda: len(sent_to(world, room.id)) == 2)
    assert "Outbox" in sent_to(world, room.id)[-1].message  # the account owner is an operator

    stop.set()
    await asyncio.wait_for(task, 10)


async def test_a_deleted_alerted_post_is_told_through_the_bot_by_the_running_service(
    db: Database,
) -> None:
    world = FakeTelegram()
    channel = await watched_dprk_channel(db, world)
    olena = await subscriber_of_all(db, world)
    settings = replace(Settings(), timezone="Europe/Kyiv", bot_token="1:x")
    _, stop, task, user = await started(db, world, settings, bot=True)

    await push(user, world, world.post(channel, "Колонна КНДР под Курском"))
    await eventually(lambda: len(sent_to(world, olena.id)) == 1)
    await push(user, world, world.delete(channel, 1))
    await eventually(lambda: len(sent_to(world, olena.id)) == 2, what="the deleted notice")
    notice = sent_to(world, olena.id)[1].message
    assert notice.startswith("🗑 dprk · Курские новости\ndeleted after")
    assert "Колонна КНДР под Курском" in notice

    stop.set()
    await asyncio.wait_for(task, 10)
