"""Catch-up: nothing missed across restarts and disconnects, nothing stored twice."""

from __future__ import annotations

from collections.abc import Sequence

from telethon import functions

from bot.config import Backfill
from bot.pipeline.values import IncomingMessage
from storage import channels
from storage.database import Database
from tests.faketg import FakeTelegram, push
from tests.faketg.readers import start_reader
from tests.support.waiting import eventually

GetHistory = functions.messages.GetHistoryRequest
GetPeerDialogs = functions.messages.GetPeerDialogsRequest


async def test_first_watch_backfills_the_configured_depth(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("kursk_news", posts=[f"пост {i}" for i in range(1, 301)])
    h = await start_reader(world, db, ["@kursk_news"], backfill=Backfill(messages=200))
    assert h.sink.ids(channel.id) == list(range(101, 301))
    row = await channels.find(db, ref="@kursk_news")
    assert row is not None and (row.state, row.high_water, row.title) == ("ok", 300, "kursk_news")
    await h.stop()


async def test_backfill_by_age(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("ukr_front", posts=[f"новина {i}" for i in range(1, 101)])
    world.now = world.message(channel, 100).date
    h = await start_reader(world, db, ["@ukr_front"], backfill=Backfill(messages=None, hours=0))
    assert h.sink.ids(channel.id) == [100]
    await h.stop()


async def test_restart_with_500_posts_missed_across_20_channels(db: Database) -> None:
    world = FakeTelegram()
    feeds = [world.add_channel(f"feed_{i:02}", posts=["старый пост"] * 3) for i in range(20)]
    first = await start_reader(world, db, [f"@feed_{i:02}" for i in range(20)])
    await first.stop()
    for n in range(500):
        world.post(feeds[n % 20], f"пропущенный пост {n}: войска КНДР")
    world.requests.clear()
    second = await start_reader(world, db, [])
    for feed in feeds:
        assert second.sink.ids(feed.id) == list(range(4, 29)), feed.username
    assert sum(len(b) for b in second.sink.batches) == 500
    assert world.count(functions.contacts.ResolveUsernameRequest) == 0  # resolution was cached
    assert world.count(GetPeerDialogs) == 1
    assert world.count(GetHistory) == 40  # one page and the empty page that ends it, each
    await second.stop()


async def test_a_disconnect_in_the_middle_of_a_burst(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("rybar", posts=["до"])
    h = await start_reader(world, db, ["@rybar"])
    for i in range(5):
        await push(h.client, world, world.post(channel, f"залп {i}"))
    world.go_offline()
    for i in range(5, 10):
        world.post(channel, f"залп {i} (while offline)")
    await eventually(lambda: not h.reader.trusted(channel.id), what="the reader saw the drop")
    world.go_online()
    await eventually(
        lambda: h.reader.trusted(channel.id) and len(h.sink.ids(channel.id)) == 11,
        what="the reader reconnected and caught up",
    )
    await push(h.client, world, world.post(channel, "после"))
    await h.reader.sync()
    assert h.sink.ids(channel.id) == list(range(1, 13))
    await h.stop()


async def test_an_update_arriving_during_catch_up_is_merged_once(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("osint_en", posts=["first"])
    first = await start_reader(world, db, ["@osint_en"])
    await first.stop()
    for i in range(250):
        world.post(channel, f"missed post {i}")
    second = await start_reader(world, db, [], sync=False)

    async def live_post_mid_catch_up(batch: Sequence[IncomingMessage]) -> None:
        await push(second.client, world, world.post(channel, "breaking: posted during catch-up"))

    second.sink.on_ingest = live_post_mid_catch_up
    await second.reader.sync()
    await second.reader.sync()
    got = second.sink.ids(channel.id)
    assert got == list(range(2, 253))
    await second.stop()


async def test_300_channels_are_swept_with_a_bounded_number_of_requests(db: Database) -> None:
    world = FakeTelegram()
    feeds = [world.add_channel(f"chan_{i:03}", posts=["пост"]) for i in range(300)]
    h = await start_reader(world, db, [f"@chan_{i:03}" for i in range(300)])
    world.requests.clear()
    for feed in feeds[::60]:
        world.post(feed, "новость")
    await h.reader.sync()
    assert world.count(GetPeerDialogs) == 3
    assert world.count(GetHistory) == 10  # 5 channels with news, two pages each
    assert [len(h.sink.ids(f.id)) for f in feeds[::60]] == [2] * 5
    world.requests.clear()
    await h.reader.sync()
    assert [type(r).__name__ for r in world.requests] == ["GetPeerDialogsRequest"] * 3
    await h.stop()
