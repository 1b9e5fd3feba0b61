"""The live reader feeding the real pipeline: fake Telegram in, SQLite rows and outbox out.

Everything below the reader is real — ``Pipeline``, the rule book, the ``OutboxRouter`` and
a SQLite file — so these tests check what the unit tests of each part cannot: that a post
seen live or caught up after a restart is stored once with its hit and one alert per
subscribed chat, that an edit which makes a post match alerts exactly once, and that a batch
and the channel's high-water mark commit or roll back together.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from storage import channels, rules, subscribers
from storage.database import Database
from storage.errors import DiskFullError
from tests.faketg import FakeTelegram, push
from tests.faketg.readers import Harness, start_reader_into
from tests.support.hits import hit_rows

DPRK = (
    '(КНДР OR северокорейский OR північнокорейський OR "North Korean")'
    " AND (Курск OR Курщина OR Kursk)"
)
ANALYST = 5_550_001  # a private chat subscribed to the rule
NEWSROOM = -1_001_234_567_890  # a group subscribed to everything
OTHER = 5_550_002  # subscribed to another rule only: gets nothing here


@pytest.fixture
async def watchlist(db: Database) -> Database:
    await rules.add(db, "dprk-kursk", DPRK, priority="instant")
    await rules.add(db, "belgorod", "Белгород", priority="digest")
    for chat, kind, target in (
        (ANALYST, "user", "rule:dprk-kursk"),
        (NEWSROOM, "group", "all"),
        (OTHER, "user", "rule:belgorod"),
    ):
        await subscribers.ensure(db, chat, kind=kind, title=None)  # type: ignore[arg-type]
        await subscribers.subscribe(db, chat, target)
    return db


async def start(world: FakeTelegram, db: Database, refs: list[str]) -> Harness[Pipeline]:
    pipeline = Pipeline(db, router=OutboxRouter(ZoneInfo("Europe/Kyiv")))
    return await start_reader_into(pipeline, world, db, refs)


async def stored(db: Database) -> list[tuple[int, str]]:
    """(message id, text) in the order rows were inserted."""
    rows = await db.fetchall("SELECT message_id, text FROM messages ORDER BY id")
    return [(r[0], r[1]) for r in rows]


async def alerts(db: Database) -> list[tuple[int, int]]:
    """(chat, message id named in the alert's link), one per outbox row."""
    rows = await db.fetchall(
        "SELECT o.chat_id, m.message_id FROM outbox o"
        " JOIN channels c JOIN messages m ON m.channel_id = c.id"
        " AND o.dedup_key LIKE 'alert:%:' || c.telegram_id || ':' || m.message_id || ':%'"
        " ORDER BY o.id"
    )
    return [(r[0], r[1]) for r in rows]


async def outbox_size(db: Database) -> int:
    row = await db.fetchone("SELECT count(*) FROM outbox")
    return int(row[0]) if row else 0


async def test_live_posts_in_three_languages_are_stored_once_with_hit_and_alerts(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("front_news", "Фронтовые сводки", posts=["Доброе утро"])
    h = await start(world, db, ["@front_news"])
    posts = [
        world.post(channel, "Войска КНДР замечены под Курском"),
        world.post(channel, "Північнокорейські військові помічені на Курщині"),
        world.post(channel, "North Korean troops spotted near Kursk"),
        world.post(channel, "Обстрел Белгорода ночью"),
    ]
    for update in posts:
        await push(h.client, world, update)
    await push(h.client, world, posts[1])  # Telegram delivers an update twice
    await h.reader.sync()

    assert [i for i, _ in await stored(db)] == [1, 2, 3, 4, 5]
    assert await hit_rows(db) == [
        (2, "dprk-kursk", 0),
        (3, "dprk-kursk", 0),
        (4, "dprk-kursk", 0),
        (5, "belgorod", 0),
    ]
    sent = await alerts(db)
    assert sorted(sent) == sorted((chat, i) for i in (2, 3, 4) for chat in (ANALYST, NEWSROOM))
    row = await channels.find(db, ref="@front_news")
    assert row is not None and row.high_water == 5
    assert row.last_post_at == world.message(channel, 5).date
    await h.stop()


async def test_a_restart_after_missed_posts_catches_up_through_the_pipeline(
    watchlist: Database,
) -> None:
    db = watchlist
    world = FakeTelegram()
    ru = world.add_channel("svodki", posts=["старый пост"])
    ua = world.add_channel("novyny", posts=["стара новина"])
    first = await start(world, db, ["@svodki", "@novyny"])
    await first.stop()
    for n in range(30):
        world.post(ru, f"Сводка {n}: КНДР под Курском" if n % 10 == 0 else f"Сводка {n}")
        world.post(ua, f"Новина {n}" if n != 7 else "Північнокорейські війська на Курщині")

    second = await start(world, db, [])
    by_channel = await db.fetchall(
        "SELECT c.username, group_concat(m.message_id) FROM messages m"
        " JOIN channels c ON c.id = m.channel_id GROUP BY c.id ORDER BY c.username"
    )
    expected = ",".join(str(i) for i in range(1, 32))
    assert [(r[0], r[1]) for r in by_channel] == [("novyny", expected), ("svodki", expected)]
    assert [(i, rule) for i, rule, _ in await hit_rows(db)].count((9, "dprk-kursk")) == 1
    assert len(await hit_rows(db)) == 4  # svodki 2, 12, 22 and novyny 9
    assert await outbox_size(db) == 4 * 2
    for username, newest in (("svodki", ru), ("novyny", ua)):
        row = await channels.find(db, username=username)
        assert row is not None and row.high_water == 31
        assert row.last_post_at == world.message(newest, 31).date
    await second.stop()

    third = await start(world, db, [])  # nothing new: nothing stored, routed or alerted again
    assert len(await stored(db)) == 62
    assert await outbox_size(db) == 8
    await third.stop()


async def test_an_edit_that_makes_a_post_match_alerts_exactly_once(watchlist: Database) -> None:
    db = watchlist
    world = FakeTelegram()
    channel = world.add_channel("osint_en", posts=["Troops spotted near Kursk"])
    h = await start(world, db, ["@osint_en"])
    assert await outbox_size(db) == 0

    edit = world.edit(channel, 1, "North Korean troops spotted near Kursk")
    await push(h.client, world, edit)
    await push(h.client, world, edit)  # the same edit delivered twice
    await h.reader.sync()
    assert await hit_rows(db) == [(1, "dprk-kursk", 1)]
    assert sorted(await alerts(db)) == [(NEWSROOM, 1), (ANALYST, 1)]

    await push(h.client, world, world.edit(channel, 1, "North Korean troops spotted near Kursk!"))
    await h.reader.sync()
    assert await outbox_size(db) == 2  # still matching: no second alert
    assert (await stored(db))[-1] == (1, "North Korean troops spotted near Kursk!")
    await h.stop()


async def test_a_batch_and_its_high_water_mark_commit_together(
    watchlist: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipeline joins the reader's transaction: if raising the mark fails after ingest
    ran, the messages, hits and alerts of that batch are rolled back with it."""
    db = watchlist
    world = FakeTelegram()
    world.add_channel("kursk_live", posts=["КНДР под Курском", "тишина"])
    real_advance = channels.advance_high_water
    failures: list[datetime] = []

    async def disk_full_once(db: Database, channel_id: int, message_id: int) -> None:
        if not failures:
            failures.append(world.now)
            raise DiskFullError("database or disk is full")
        await real_advance(db, channel_id, message_id)

    monkeypatch.setattr(channels, "advance_high_water", disk_full_once)
    h = await start(world, db, ["@kursk_live"])
    assert failures, "the fault was not reached"
    assert await stored(db) == []
    assert await hit_rows(db) == []
    assert await outbox_size(db) == 0
    row = await channels.find(db, ref="@kursk_live")
    assert row is not None and row.high_water == 0

    await h.reader.sync()  # the next sweep retries the whole batch
    assert [i for i, _ in await stored(db)] == [1, 2]
    assert await hit_rows(db) == [(1, "dprk-kursk", 0)]
    assert await outbox_size(db) == 2
    await h.stop()
