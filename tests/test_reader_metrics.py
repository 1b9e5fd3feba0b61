"""What the reader tells ``Metrics``: connection, FloodWaits, lag, last update, unwatch."""

from __future__ import annotations

from telethon import errors, functions

from bot.ops.metrics import Metrics
from storage import channels
from storage.database import Database
from tests.faketg import FakeTelegram, push
from tests.faketg.readers import start_reader
from tests.support.waiting import eventually

GetHistory = functions.messages.GetHistoryRequest
Resolve = functions.contacts.ResolveUsernameRequest


def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_flood_waits_are_counted_per_method(db: Database) -> None:
    world = FakeTelegram()
    world.add_channel("kursk_news", posts=["пост"])
    world.fail(Resolve, errors.FloodWaitError, capture=3)
    world.fail(GetHistory, errors.FloodWaitError, capture=900)
    metrics = Metrics()
    h = await start_reader(world, db, ["@kursk_news"], metrics=metrics)
    total = "chanwatch_flood_wait_seconds_total"
    assert sample(metrics, total, method="ResolveUsernameRequest") == 3
    assert sample(metrics, total, method="GetHistoryRequest") == 900
    await h.stop()


async def test_a_disconnect_shows_until_the_reader_is_back(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("rybar", posts=["до"])
    metrics = Metrics()
    h = await start_reader(world, db, ["@rybar"], metrics=metrics)
    assert metrics.is_reader_connected()
    assert sample(metrics, "chanwatch_reader_connected") == 1

    world.go_offline()
    world.post(channel, "пока нет сети")
    await eventually(lambda: not metrics.is_reader_connected(), what="the drop was noticed")
    assert sample(metrics, "chanwatch_reader_connected") == 0

    world.go_online()
    await eventually(
        lambda: metrics.is_reader_connected() and h.reader.trusted(channel.id),
        what="the reader reconnected and caught up",
    )
    assert sample(metrics, "chanwatch_reader_connected") == 1
    assert h.sink.ids(channel.id) == [1, 2]
    await h.stop()
    assert not metrics.is_reader_connected()


async def test_lag_and_last_update_follow_stored_posts(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("ukr_front", posts=["перша"])
    metrics = Metrics()
    h = await start_reader(world, db, ["@ukr_front"], metrics=metrics)
    lag = "chanwatch_catchup_lag_seconds"
    assert sample(metrics, lag, channel="@ukr_front") == 0  # caught up
    assert metrics.last_update_at() == h.clock.now()

    update = world.post(channel, "Удар по Курщині")
    h.clock.advance(40)  # the update reaches us 40 s after it was posted
    await push(h.client, world, update)
    await h.reader.sync()
    assert metrics.last_update_at() == h.clock.now()
    sweep_lag = sample(metrics, lag, channel="@ukr_front")
    assert sweep_lag == 0  # the sweep found nothing newer: caught up

    await channels.unwatch(db, "@ukr_front")
    await h.reader.sync()
    assert sample(metrics, lag, channel="@ukr_front") is None
    await h.stop()


async def test_a_live_post_sets_the_lag_to_its_age(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("osint_en", posts=["first"])
    metrics = Metrics()
    h = await start_reader(world, db, ["@osint_en"], metrics=metrics)
    update = world.post(channel, "North Korean troops near Kursk")
    h.clock.set(world.now)
    h.clock.advance(40)
    await push(h.client, world, update)
    await eventually(lambda: h.sink.ids(channel.id) == [1, 2], what="the live post was stored")
    assert sample(metrics, "chanwatch_catchup_lag_seconds", channel="@osint_en") == 40
    await h.stop()
