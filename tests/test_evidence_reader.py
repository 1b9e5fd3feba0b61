"""The evidence-grade record on the fake Telegram: every version of an edited post, and
deletions — live, made while chanwatch was stopped, or never reported — with their time and
how they were learned, found by a ``channels.GetMessages`` check of ceil(posts / 100)
requests. Everything below the reader is real: ``Pipeline``, ``OutboxRouter``, SQLite.
"""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from telethon import errors, types
from telethon.tl.functions.channels import GetMessagesRequest

from bot.config import Backfill
from bot.pipeline.ingest import Pipeline
from storage import channels, post_versions, rules, subscribers
from storage.database import Database
from tests.faketg import FakeTelegram, forget_flood_waits, push
from tests.faketg.readers import Harness, start_pipeline_reader
from tests.support.waiting import eventually

DPRK = '(КНДР OR північнокорейський OR "North Korean") AND (Курск OR Курщина OR Kursk)'
ANALYST = 5_550_001


@pytest.fixture
async def watchlist(db: Database) -> Database:
    await rules.add(db, "dprk-kursk", DPRK, priority="instant")
    await subscribers.ensure(db, ANALYST, kind="user", title=None)
    await subscribers.subscribe(db, ANALYST, "rule:dprk-kursk")
    return db


async def start(
    world: FakeTelegram,
    db: Database,
    refs: list[str],
    *,
    check_period: timedelta = timedelta(hours=1),
    backfill: int = 200,
) -> Harness[Pipeline]:
    return await start_pipeline_reader(
        world, db, refs, backfill=Backfill(messages=backfill), check_period=check_period
    )


async def deletion(db: Database, message_id: int) -> tuple[int, str | None, str]:
    row = await db.fetchone(
        "SELECT deleted_at, deleted_via, text FROM messages WHERE message_id = ?", (message_id,)
    )
    assert row is not None
    return row[0], row[1], row[2]


async def pk_of(db: Database, message_id: int) -> int:
    row = await db.fetchone("SELECT id FROM messages WHERE message_id = ?", (message_id,))
    assert row is not None
    return int(row[0])


def silently_delete(world: FakeTelegram, channel: object, *ids: int) -> None:
    """Gone from Telegram with no update reaching chanwatch (it was down, or the update was
    lost): what only the check can find."""
    assert hasattr(channel, "id")
    world.history[channel.id] = [m for m in world.history[channel.id] if m.id not in ids]


async def test_a_post_edited_twice_has_three_versions_in_order(watchlist: Database) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("svodki", posts=["Войска КНДР под Курском"])
    h = await start(world, db, ["@svodki"])
    first = world.message(channel, 1).date
    await push(h.client, world, world.edit(channel, 1, "Войска КНДР под Курском? Не подтверждено"))
    await h.reader.sync()
    second = world.message(channel, 1).edit_date
    last_edit = world.edit(channel, 1, "Информация не подтвердилась")
    await push(h.client, world, last_edit)
    await h.reader.sync()
    third = world.message(channel, 1).edit_date
    await push(h.client, world, last_edit)  # Telegram delivers the edit twice: no new version
    await h.reader.sync()

    history = await post_versions.history(db, await pk_of(db, 1))
    assert [(v.number, v.text, v.edit_date) for v in history] == [
        (1, "Войска КНДР под Курском", None),
        (2, "Войска КНДР под Курском? Не подтверждено", second),
        (3, "Информация не подтвердилась", third),
    ]
    assert second is not None and third is not None and first < second < third
    assert history[0].seen_at <= history[1].seen_at <= history[2].seen_at
    await h.stop()


async def test_a_live_deletion_keeps_the_text_with_its_time_and_source(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("novyny", posts=["Північнокорейські війська на Курщині"])
    h = await start(world, db, ["@novyny"])
    await push(h.client, world, world.delete(channel, 1))
    await h.reader.sync()
    deleted_at, via, text = await deletion(db, 1)
    assert (via, text) == ("live", "Північнокорейські війська на Курщині")
    assert deleted_at == int(h.clock.now().timestamp())
    await h.stop()


async def test_a_deletion_made_while_stopped_is_found_on_catch_up_in_ceil_n_by_100_requests(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("osint_en")
    for n in range(250):
        world.post(channel, f"North Korean troops near Kursk, report {n}")
    world.post(channel, "Quiet night")  # no hit: never asked about
    first = await start(world, db, ["@osint_en"], backfill=300)
    asked = world.count(GetMessagesRequest)
    assert asked == math.ceil(250 / 100)  # the check after the first catch-up
    await first.stop()

    world.delete(channel, 7, 200)  # while chanwatch is down
    world.post(channel, "North Korean troops near Kursk, report 250")
    before = world.count(GetMessagesRequest)
    second = await start(world, db, [], backfill=300)
    requests = world.of(GetMessagesRequest)[before:]
    assert len(requests) == math.ceil(251 / 100)  # every stored hit post, the new one too
    assert all(len(r.id) <= 100 for r in requests)
    for message_id in (7, 200):
        deleted_at, via, text = await deletion(db, message_id)
        assert via == "check" and deleted_at == int(second.clock.now().timestamp())
        assert text.startswith("North Korean troops near Kursk, report")
    flagged = await db.fetchone("SELECT count(*) FROM messages WHERE deleted = 1")
    assert flagged is not None and flagged[0] == 2
    await second.stop()


async def test_a_deletion_no_update_reported_is_found_within_one_check_period(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("svodki", posts=["КНДР под Курском", "КНДР у Курска"])
    period = timedelta(minutes=30)
    h = await start(world, db, ["@svodki"], check_period=period)
    assert world.count(GetMessagesRequest) == 1  # the check after the first catch-up
    silently_delete(world, channel, 2)
    h.clock.advance(period.total_seconds() - 60)
    await h.reader.sync()  # a sweep within the period: no check, no request
    assert world.count(GetMessagesRequest) == 1
    assert (await deletion(db, 2))[1] is None
    h.clock.advance(60)
    await h.reader.sync()  # the first sweep once the period is over
    assert world.count(GetMessagesRequest) == 2
    assert [len(r.id) for r in world.of(GetMessagesRequest)] == [2, 2]
    deleted_at, via, text = await deletion(db, 2)
    assert (via, text) == ("check", "КНДР у Курска")
    assert deleted_at == int(h.clock.now().timestamp())
    assert (await deletion(db, 1))[1] is None
    await h.stop()


async def test_a_long_flood_wait_ends_the_check_and_the_next_one_finds_the_deletion(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("osint_en", posts=["North Korean troops near Kursk"])
    h = await start(world, db, ["@osint_en"])
    await h.stop()
    world.delete(channel, 1)
    world.fail(GetMessagesRequest, errors.FloodWaitError, capture=3600)
    h = await start(world, db, [], check_period=timedelta(minutes=10))
    assert (await deletion(db, 1))[1] is None  # the check gave up for now
    row = await channels.find(db, ref="@osint_en")
    assert row is not None and row.state == "ok"  # reading the channel goes on
    asked = world.count(GetMessagesRequest)
    forget_flood_waits(h.client)  # Telethon's own memory of the wait, on the real clock
    h.clock.advance(3000)  # past the period, not past the wait Telegram asked for
    await h.reader.sync()
    assert world.count(GetMessagesRequest) == asked
    h.clock.advance(600)
    await h.reader.sync()
    assert (await deletion(db, 1))[1] == "check"
    await h.stop()


async def test_the_check_refreshes_views_forwards_and_reactions_of_hit_posts(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("novyny", posts=["Північнокорейські війська на Курщині", "Тиша"])
    first = world.message(channel, 1)
    first.views, first.forwards = 1_200, 3  # Telegram sends both or neither
    h = await start(world, db, ["@novyny"])
    await h.stop()
    post = world.message(channel, 1)
    post.views, post.forwards = 41_000, 320
    post.reactions = types.MessageReactions(
        results=[
            types.ReactionCount(reaction=types.ReactionEmoji("👍"), count=90),
            types.ReactionCount(reaction=types.ReactionEmoji("🔥"), count=15),
        ]
    )
    quiet = world.message(channel, 2)
    quiet.views, quiet.forwards = 5_000, 0
    h = await start(world, db, [])
    rows = await db.fetchall("SELECT message_id, views, forwards, reactions FROM messages")
    # Post 2 carries no hit: never asked about, its first counts stay
    assert sorted(tuple(r) for r in rows) == [(1, 41_000, 320, 105), (2, None, None, None)]
    await h.stop()


async def test_each_channel_costs_ceil_of_its_hit_posts_by_100_and_quiet_ones_nothing(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    busy = world.add_channel("svodki", posts=[f"КНДР под Курском, №{n}" for n in range(150)])
    few = world.add_channel("novyny", posts=[f"КНДР на Курщині, №{n}" for n in range(30)])
    world.add_channel("pogoda", posts=["Дощ"] * 40)
    h = await start(world, db, ["@svodki", "@novyny", "@pogoda"])
    asked = [(r.channel.channel_id, len(r.id)) for r in world.of(GetMessagesRequest)]
    assert sorted(asked) == sorted([(busy.id, 100), (busy.id, 50), (few.id, 30)])
    assert h.clock.sleeps == [0, 0]  # page_wait (0 here) before every request but the first
    await h.stop()


async def test_a_deletion_made_while_disconnected_is_found_by_the_catch_up_after_reconnect(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("svodki", posts=["Колонна КНДР под Курском", "Доброе утро"])
    h = await start_pipeline_reader(world, db, ["@svodki"], reconnect_delays=(1.0,))
    asked = world.count(GetMessagesRequest)
    world.go_offline()
    world.delete(channel, 1)  # the update is lost with the connection
    await eventually(lambda: not h.reader.trusted(channel.id), interval=0, what="disconnected")
    world.go_online()
    await eventually(lambda: h.reader.trusted(channel.id), interval=0, what="caught up again")
    await h.reader.sync()
    assert world.count(GetMessagesRequest) == asked + 1
    assert (await deletion(db, 1))[1] == "check"
    await h.stop()
