"""Errors: FloodWait, bad references, lost access, the channel limit; one bad channel never
stops the others."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from telethon import errors, functions

from bot.pipeline.values import HighWater, IncomingMessage
from bot.watchlist import actions
from storage import channels
from storage import state as service_state
from storage.database import Database
from tests.faketg import FakeTelegram, forget_flood_waits, push
from tests.faketg.readers import start_reader, start_reader_into
from tests.faketg.recording import RecordingIngest
from tests.support.waiting import eventually

Resolve = functions.contacts.ResolveUsernameRequest
GetHistory = functions.messages.GetHistoryRequest


async def test_a_short_flood_wait_in_resolution_is_waited_out(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("kursk_news", posts=["пост"])
    world.fail(Resolve, errors.FloodWaitError, capture=3)
    h = await start_reader(world, db, ["@kursk_news"])
    assert h.clock.sleeps == [3]
    assert h.sink.ids(channel.id) == [1]
    assert await h.state("@kursk_news") == ("ok", None)
    await h.stop()


async def test_a_long_flood_wait_in_resolution_is_rescheduled(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("kursk_news", posts=["пост"])
    world.fail(Resolve, errors.FloodWaitError, capture=7200)
    h = await start_reader(world, db, ["@kursk_news"])
    state, detail = await h.state("@kursk_news")
    assert state == "waiting" and detail is not None and "7200" in detail
    assert h.clock.sleeps == []
    assert h.sink.batches == []
    h.clock.advance(7201)
    forget_flood_waits(h.client)
    await h.reader.sync()
    assert await h.state("@kursk_news") == ("ok", None)
    assert h.sink.ids(channel.id) == [1]
    await h.stop()


async def test_a_long_flood_wait_in_history_delays_only_that_channel(db: Database) -> None:
    world = FakeTelegram()
    slow = world.add_channel("slow", posts=["1", "2"])
    fast = world.add_channel("fast", posts=["1"])
    world.fail(
        GetHistory, errors.FloodWaitError, capture=600, when=lambda r: r.peer.channel_id == slow.id
    )
    h = await start_reader(world, db, ["@slow", "@fast"])
    assert (await h.state("@slow"))[0] == "waiting"
    assert await h.state("@fast") == ("ok", None)
    assert h.sink.ids(fast.id) == [1]
    h.clock.advance(601)
    forget_flood_waits(h.client)
    await h.reader.sync()
    assert h.sink.ids(slow.id) == [1, 2]
    assert await h.state("@slow") == ("ok", None)
    await h.stop()


async def test_a_short_flood_wait_in_history_is_waited_out(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("osint_en", posts=[f"post {i}" for i in range(150)])
    world.fail(GetHistory, errors.FloodWaitError, capture=2)
    h = await start_reader(world, db, ["@osint_en"])
    assert h.clock.sleeps == [2]
    assert h.sink.ids(channel.id) == list(range(1, 151))
    await h.stop()


async def test_bad_references_fail_in_plain_words_and_the_rest_keep_working(
    db: Database,
) -> None:
    world = FakeTelegram()
    good = world.add_channel("good_chan", posts=["пост"])
    private = world.add_channel(None, "Закрытый", joined=False)
    world.add_invite(private, "ExpiredHash1")
    world.expire_invite("ExpiredHash1")
    world.add_user("Person", "some_person")
    h = await start_reader(
        world, db, ["@no_such_chan", "t.me/+ExpiredHash1", "@some_person", "@good_chan"]
    )
    assert await h.state("@no_such_chan") == ("failed", "no channel has this username")
    assert await h.state("t.me/+ExpiredHash1") == (
        "failed",
        "the invite link has expired or was revoked",
    )
    assert await h.state("@some_person") == (
        "failed",
        "@some_person is a person or a bot, not a channel",
    )
    assert h.sink.ids(good.id) == [1]
    await h.stop()


async def test_an_invite_link_joins_the_private_channel(db: Database) -> None:
    world = FakeTelegram()
    private = world.add_channel(None, "Закрытый канал", joined=False, posts=["секрет"])
    world.add_invite(private, "AbCdEfGh123")
    h = await start_reader(world, db, ["https://t.me/joinchat/AbCdEfGh123"])
    assert await h.state("t.me/+AbCdEfGh123") == ("ok", None)
    assert h.sink.ids(private.id) == [1]
    assert not private.left
    await h.stop()


async def test_lost_access_marks_the_channel_failed(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("banned_here", posts=["1"])
    h = await start_reader(world, db, ["@banned_here"])
    world.ban(channel)
    world.post(channel, "2")
    await h.reader.sync()
    assert await h.state("@banned_here") == (
        "failed",
        "the channel is private or the account was banned from it",
    )
    await h.stop()


async def test_the_channel_limit_is_reported_clearly(db: Database) -> None:
    world = FakeTelegram(channel_limit=1)
    world.add_channel("joined_one", posts=["1"])
    world.add_channel("one_too_many", joined=False, posts=["1"])
    h = await start_reader(world, db, ["@joined_one", "@one_too_many"])
    state, detail = await h.state("@one_too_many")
    assert state == "failed" and detail is not None and "too many channels" in detail
    assert "about 500" in (await service_state.get(db, "reader_problem") or "")
    assert await h.state("@joined_one") == ("ok", None)
    row = await channels.find(db, ref="@joined_one")
    assert row is not None and row.high_water == 1
    await h.stop()


async def test_a_ban_while_running_fails_the_channel_at_once(db: Database) -> None:
    world = FakeTelegram()
    channel = world.add_channel("banned_here", posts=["1"])
    other = world.add_channel("still_fine", posts=["1"])
    h = await start_reader(world, db, ["@banned_here", "@still_fine"])
    await push(h.client, world, world.kick(channel))
    await push(h.client, world, world.post(other, "2"))  # queued behind the kick
    # No sweep is due for an hour: only the update can fail it.
    await eventually(lambda: h.sink.ids(other.id) == [1, 2], what="the post behind the kick")
    assert await h.state("@banned_here") == (
        "failed",
        "the channel is private or the account was banned from it",
    )
    await h.stop()


async def test_watching_a_failed_channel_again_makes_the_reader_retry_it(db: Database) -> None:
    world = FakeTelegram()
    h = await start_reader(world, db, ["@kursk_later"])
    assert await h.state("@kursk_later") == ("failed", "no channel has this username")
    channel = world.add_channel("kursk_later", posts=["Курськ: перший пост"])
    await h.reader.sync()  # a definite failure is not retried by the sweep
    assert (await h.state("@kursk_later"))[0] == "failed"
    await actions.unwatch_channel(db, "cli", "@kursk_later")
    await h.reader.sync()
    await actions.watch_channel(db, "cli", "t.me/kursk_later")
    await h.reader.sync()
    assert await h.state("@kursk_later") == ("ok", None)
    assert h.sink.ids(channel.id) == [1]
    await h.stop()


class _BreaksOn(RecordingIngest):
    """A pipeline with a bug that one post brings out, until it is fixed."""

    def __init__(self, db: Database, poison: str) -> None:
        super().__init__(db)
        self.poison: str | None = poison

    async def ingest(
        self, batch: Sequence[IncomingMessage], *, mark: HighWater | None = None
    ) -> None:
        if any(m.text == self.poison for m in batch):
            raise TypeError("'NoneType' object is not subscriptable")
        await super().ingest(batch, mark=mark)


async def test_an_unforeseen_error_in_one_channel_never_stops_the_others(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    world = FakeTelegram()
    broken = world.add_channel("aaa_broken", posts=["Курск", "☢ пост, що ламає конвеєр"])
    fine = world.add_channel("zzz_fine", posts=["Kursk: first"])
    sink = _BreaksOn(db, "☢ пост, що ламає конвеєр")
    with caplog.at_level(logging.WARNING, logger="bot.telegram.reader.watched"):
        h = await start_reader_into(sink, world, db, ["@aaa_broken", "@zzz_fine"])
    assert sink.ids(fine.id) == [1]  # read after the broken one, in the same sweep
    assert not h.reader.trusted(broken.id) and h.reader.trusted(fine.id)
    [warning] = [r for r in caplog.records if "unexpected error" in r.getMessage()]
    assert warning.__dict__["fields"]["channel"] == "aaa_broken"
    assert warning.levelno == logging.WARNING
    assert "Traceback" in caplog.text and "TypeError" in caplog.text
    await push(h.client, world, world.post(fine, "Kursk: live"))
    await h.reader.sync()
    assert sink.ids(fine.id) == [1, 2]
    sink.poison = None  # the bug is fixed: the next sweep reads what was left
    await h.reader.sync()
    assert sink.ids(broken.id) == [1, 2]
    await h.stop()


async def test_a_failed_sync_waits_for_the_next_sweep_rather_than_retrying_at_once(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    world = FakeTelegram()
    world.add_channel("kursk_news", posts=["пост"])
    await channels.watch(db, "@kursk_news")
    await db.execute("UPDATE channels SET wait_until = 'скоро'")  # a row nobody can read

    def failures() -> int:
        return sum("reader step failed" in r.getMessage() for r in caplog.records)

    with caplog.at_level(logging.ERROR, logger="bot.telegram.reader"):
        h = await start_reader(world, db, [], sync=False)
        await eventually(lambda: failures() >= 1, what="the first sync failed")
        # A window in which a sync after sync, as fast as the loop can go, fails many times
        # over; a slow machine can only shorten the count, never fail a correct reader.
        await asyncio.sleep(0.2)
    assert failures() == 1
    await h.stop()
