"""Surge and corroboration alerts delivered: by the running service's real ``trends`` job
through the bot on the fake Telegram, and across a SIGKILL of the check (before and after
its commit) followed by a restart and delivery — every chat gets each alert exactly once.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from telethon.tl.functions.messages import SendMediaRequest

from bot.config import Settings
from bot.service import Service
from bot.telegram.deliverer import Deliverer
from bot.telegram.sender import TelethonSender
from bot.trends.watch import TrendOptions, TrendWatch
from storage import outbox, subscribers
from storage.database import Database, open_database
from tests.faketg import FakeTelegram, make_client
from tests.support.clock import FakeClock
from tests.support.kill_targets import KYIV, Pause
from tests.support.killing import integrity, kill_at_pause
from tests.support.service import BOT_TOKEN, fake_clients, sent_to
from tests.support.trend_posts import NOW, prepare, quiet_posts, store, story_posts
from tests.support.waiting import eventually

CHECK_AT = NOW + timedelta(hours=1, minutes=1)


async def surge_and_story(db: Database, chats: dict[int, str]) -> None:
    """A quiet week, then an hour at ten times the pace and one report on four channels."""
    await prepare(db)
    for chat, target in chats.items():
        await subscribers.ensure(db, chat, kind="user", title=None)
        await subscribers.subscribe(db, chat, target)
    await store(db, quiet_posts(NOW - timedelta(days=8), NOW, per_hour=4))
    await store(db, quiet_posts(NOW, NOW + timedelta(hours=1), 40, 9, 50_000))
    await store(db, story_posts(NOW + timedelta(minutes=20), 4, timedelta(minutes=30)))


def kinds(world: FakeTelegram, chat: int) -> list[str]:
    """What reached the chat, by the head line of each message."""
    return sorted(m.message.split(":")[0] for m in sent_to(world, chat))


async def test_the_running_service_tells_a_surge_and_a_story_through_the_bot(
    db: Database,
) -> None:
    world = FakeTelegram()
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    await surge_and_story(db, {olena.id: "rule:kndr", taras.id: "surge:kndr"})
    await subscribers.set_surges(db, taras.id, False)
    clients = await fake_clients(world)
    clock = FakeClock(CHECK_AT)
    settings = replace(Settings(), bot_token=BOT_TOKEN)
    service = Service(settings, db, clients, clock=clock, stop_grace=2)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop))
    await eventually(lambda: service.scheduler.scheduler.running, what="scheduler")
    job = service.scheduler.scheduler.get_job("trends")
    assert job is not None
    await job.func()
    await eventually(lambda: len(sent_to(world, olena.id)) == 2, what="two alerts")
    assert kinds(world, olena.id) == ["📈 Surge", "🛰 4 channels carry one story"]
    surge, story = sorted(sent_to(world, olena.id), key=lambda m: m.message)
    assert surge.message.startswith("📈 Surge: kndr\n")  # the caption, HTML parsed
    assert world.media.image_of(surge).startswith(b"\x89PNG\r\n\x1a\n")
    assert story.media is None
    await job.func()  # the next run: same episode, same story
    stop.set()
    await asyncio.wait_for(task, 30)
    assert len(sent_to(world, olena.id)) == 2
    assert sent_to(world, taras.id) == []


async def test_a_chat_that_takes_no_media_gets_the_surge_as_text(db: Database) -> None:
    world = FakeTelegram()
    olena = world.add_user("Олена")
    world.media.forbidden.add(olena.id)
    await surge_and_story(db, {olena.id: "surge:kndr"})
    await TrendWatch(db, KYIV, TrendOptions(), clock=FakeClock(CHECK_AT)).check()
    assert [r.chart is not None for r in await outbox.list_items(db)] == [True, False]
    await deliver_into(db, world)
    surge, _ = sent_to(world, olena.id)
    assert surge.media is None and surge.message.startswith("📈 Surge: kndr\n")
    assert world.count(SendMediaRequest) == 1  # tried as a photo once, refused, sent as text


async def deliver(path: Path, world: FakeTelegram) -> None:
    db = await open_database(path)
    try:
        await deliver_into(db, world)
    finally:
        await db.close()


async def deliver_into(db: Database, world: FakeTelegram) -> None:
    """The real deliverer through a bot client on ``world``, until nothing is due."""
    bot = await make_client(world, bot=True, raise_last_call_error=True)
    try:
        deliverer = Deliverer(db, TelethonSender(bot), clock=FakeClock(CHECK_AT))
        for _ in range(20):
            if not await deliverer.deliver_due():
                break
    finally:
        await bot.disconnect()


async def check(path: Path) -> list[str]:
    db = await open_database(path)
    try:
        await TrendWatch(db, KYIV, TrendOptions(), clock=FakeClock(CHECK_AT)).check()
        return sorted(r.dedup_key for r in await outbox.list_items(db))
    finally:
        await db.close()


@pytest.mark.parametrize("pause", ["uncommitted", "committed"])
async def test_a_check_killed_at_its_commit_tells_each_chat_exactly_once(
    tmp_path: Path, pause: Pause
) -> None:
    world = FakeTelegram()
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    killed, reference = tmp_path / "killed.db", tmp_path / "reference.db"
    db = await open_database(killed)
    await surge_and_story(db, {olena.id: "rule:kndr", taras.id: "all"})
    await db.close()
    shutil.copy(killed, reference)
    expected = await check(reference)
    assert len(expected) == 4  # a surge and a story, for each chat

    marker = tmp_path / "paused"
    args = ["--db", str(killed), "--pause", pause, "trends", "--now", CHECK_AT.isoformat()]
    await asyncio.to_thread(kill_at_pause, args, marker, tmp_path / "child.log")
    assert integrity(killed) == [("ok",)]
    db = await open_database(killed)
    left = sorted(r.dedup_key for r in await outbox.list_items(db))
    episodes = await db.fetchall("SELECT started_at FROM surge_episodes")
    await db.close()
    if pause == "uncommitted":  # neither the episode nor its alerts
        assert (left, episodes) == ([], [])
    else:  # the surge and its episode, nothing of the story yet
        assert [k.split(":")[0] for k in left] == ["surge", "surge"] and len(episodes) == 1

    assert await check(killed) == expected
    await deliver(killed, world)
    assert await check(killed) == expected  # the check after delivery adds nothing either
    await deliver(killed, world)
    for chat in (olena.id, taras.id):
        assert kinds(world, chat) == ["📈 Surge", "🛰 4 channels carry one story"]
