"""The network gone for an hour (issue 9): the reader keeps retrying at a bounded pace, never
crashes, and afterwards catches up everything posted meanwhile through the real pipeline —
once each, in order, with one alert per subscribed chat."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.ops.metrics import Metrics
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.telegram.reader import ReaderOptions
from storage import rules, subscribers
from storage.database import Database
from tests.faketg import FakeTelegram
from tests.faketg.readers import start_reader_into
from tests.support.waiting import eventually

HOUR = timedelta(hours=1)


def connect_attempts(world: FakeTelegram) -> int:
    return sum(sender.connect_attempts for sender in world.senders)


async def test_an_hour_offline_then_everything_missed_once_in_order(db: Database) -> None:
    await rules.add(db, "kursk", "Курск OR Курщина OR Kursk", priority="instant")
    await subscribers.ensure(db, 4_242, kind="user", title=None)
    await subscribers.subscribe(db, 4_242, "rule:kursk")
    world = FakeTelegram()
    ru = world.add_channel("svodki", posts=["до обрыва"])
    en = world.add_channel("osint_en", posts=["before the outage"])
    metrics = Metrics()
    pipeline = Pipeline(db, router=OutboxRouter(ZoneInfo("UTC")))
    h = await start_reader_into(
        pipeline,
        world,
        db,
        ["@svodki", "@osint_en"],
        metrics=metrics,
        reconnect_delays=ReaderOptions().reconnect_delays,
    )
    before = connect_attempts(world)

    world.go_offline()
    offline_at = h.clock.now()
    for n in range(20):
        world.post(ru, f"Сводка {n}: удар по Курску" if n % 5 == 0 else f"Сводка {n}")
        world.post(en, f"Update {n}")
    # Checked at every turn of the loop: the simulated clock races ahead between checks.
    await eventually(lambda: h.clock.now() - offline_at >= HOUR, interval=0, what="an hour offline")

    attempts = connect_attempts(world) - before
    world.go_online()  # at once: the simulated clock runs as fast as the loop turns
    assert 20 <= attempts <= 70, attempts  # keeps trying, about once a minute, never hot
    assert max(h.clock.sleeps) <= 60
    assert not metrics.is_reader_connected()

    await eventually(lambda: h.reader.trusted(ru.id) and h.reader.trusted(en.id), interval=0)
    await h.reader.sync()
    stored = await db.fetchall(
        "SELECT c.username, group_concat(m.message_id) FROM messages m"
        " JOIN channels c ON c.id = m.channel_id GROUP BY c.id ORDER BY c.username"
    )
    expected = ",".join(str(i) for i in range(1, 22))
    assert [(r[0], r[1]) for r in stored] == [("osint_en", expected), ("svodki", expected)]
    alerts = await db.fetchall("SELECT count(*) FROM outbox WHERE chat_id = 4242")
    assert alerts[0][0] == 4  # Сводка 0, 5, 10, 15
    assert metrics.is_reader_connected()
    assert connect_attempts(world) - before == attempts + 1  # reconnected once, then settled
    await h.stop()
