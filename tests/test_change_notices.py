"""Notices when an alerted post changes, end to end on the fake Telegram: the reader sees the
deletion or the edit, the pipeline queues the notice, the real deliverer sends it through the
bot account. Chats that never got the alert, or turned notices off, hear nothing; a change
learned twice is told once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telethon import TelegramClient, types

from bot.clock import SystemClock
from bot.config import Backfill
from bot.pipeline.ingest import Pipeline
from bot.telegram.deliverer import Deliverer
from bot.telegram.sender import TelethonSender
from storage import rules, subscribers
from storage.database import Database
from tests.faketg import FakeTelegram, make_client, push
from tests.faketg.readers import Harness, start_pipeline_reader

DPRK = '(КНДР OR північнокорейські OR "North Korean") AND (Курск OR Курщина OR Kursk)'


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def bot(world: FakeTelegram) -> AsyncIterator[TelegramClient]:
    client = await make_client(world, bot=True)
    try:
        yield client
    finally:
        await client.disconnect()


async def subscribe(db: Database, user: types.User, *, changes: bool = True) -> None:
    await subscribers.ensure(db, user.id, kind="user", title=None)
    await subscribers.subscribe(db, user.id, "rule:dprk-kursk")
    await subscribers.set_changes(db, user.id, changes)


async def start(world: FakeTelegram, db: Database, refs: list[str]) -> Harness[Pipeline]:
    return await start_pipeline_reader(world, db, refs, backfill=Backfill(messages=50))


async def deliver(db: Database, bot: TelegramClient) -> None:
    deliverer = Deliverer(db, TelethonSender(bot), clock=SystemClock())
    while await deliverer.deliver_due():
        pass


def received(world: FakeTelegram, user: types.User) -> list[str]:
    return [m.message for m in world.sent if getattr(m.peer_id, "user_id", None) == user.id]


async def test_a_deleted_alerted_post_is_told_once_to_the_chats_that_got_the_alert(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    await rules.add(db, "dprk-kursk", DPRK, priority="instant")
    olena, taras, late = world.add_user("Олена"), world.add_user("Taras"), world.add_user("Iryna")
    await subscribe(db, olena)
    await subscribe(db, taras, changes=False)
    channel = world.add_channel("svodki", "Фронтовые сводки")
    h = await start(world, db, ["@svodki"])
    await push(h.client, world, world.post(channel, "Колонна КНДР замечена под Курском"))
    await h.reader.sync()
    await deliver(db, bot)
    await subscribe(db, late)  # subscribed after the alert: nothing to correct
    assert [len(received(world, u)) for u in (olena, taras, late)] == [1, 1, 0]

    h.clock.set(world.message(channel, 1).date + timedelta(minutes=42))
    await push(h.client, world, world.delete(channel, 1))
    await h.reader.sync()
    await h.stop()
    h = await start(world, db, [])  # the check finds it gone too: already known, no repeat
    await deliver(db, bot)
    await h.stop()

    [alert, notice] = received(world, olena)
    assert notice.startswith("🗑 dprk-kursk · Фронтовые сводки\ndeleted after 42 min")
    assert "Колонна КНДР замечена под Курском" in notice
    assert received(world, taras) == [alert]  # /settings changes off
    assert received(world, late) == []


async def test_an_edit_that_removes_the_matched_words_sends_one_edited_notice(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    await rules.add(db, "dprk-kursk", DPRK, priority="instant")
    olena = world.add_user("Олена")
    await subscribe(db, olena)
    channel = world.add_channel("novyny", "Новини Сумщини")
    h = await start(world, db, ["@novyny"])
    await push(h.client, world, world.post(channel, "Північнокорейські військові на Курщині"))
    await h.reader.sync()
    await deliver(db, bot)

    for text in (
        "Військові на Курщині",  # the rule no longer matches
        "Північнокорейські військові на Курщині",  # matches again: it alerted already
        "Військові на Курщині, уточнення",  # removed again: told already
    ):
        await push(h.client, world, world.edit(channel, 1, text))
        await h.reader.sync()
        await deliver(db, bot)
    await h.stop()

    [alert, notice] = received(world, olena)
    assert alert.startswith("🔔 dprk-kursk")
    assert notice.startswith(
        "✏️ dprk-kursk · Новини Сумщини\nedited: the word «Північнокорейські» was removed"
    )
    assert "Before: Північнокорейські військові на Курщині" in notice
    assert "Now: Військові на Курщині" in notice


async def test_an_alert_still_waiting_when_the_edit_comes_is_withdrawn_without_a_notice(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    await rules.add(db, "dprk-kursk", DPRK, priority="instant")
    olena = world.add_user("Олена")
    await subscribe(db, olena)
    channel = world.add_channel("osint_en", "OSINT EN")
    h = await start(world, db, ["@osint_en"])
    await push(h.client, world, world.post(channel, "North Korean troops near Kursk"))
    await h.reader.sync()
    await push(h.client, world, world.edit(channel, 1, "Troops near Kursk"))
    await h.reader.sync()
    await deliver(db, bot)
    await h.stop()
    assert received(world, olena) == []
