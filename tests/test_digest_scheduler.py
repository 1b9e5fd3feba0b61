"""The digest scheduler over a real database with an explicit clock: jobs follow settings,
a digest missed while down goes out once after a restart, a fire never queues twice, and
empty periods stay silent unless the chat asked otherwise.

The sample day is 27 October 2024, the night Kyiv left summer time (03:00 EEST → 02:00 EET),
so "08:00" and "20:00" Kyiv are 06:00 and 18:00 UTC that day."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digest.gather import MAX_PERIOD
from bot.digest.schedule import fires_between, parse_schedule
from bot.errors import ChanwatchError
from bot.ops.retention import PRUNE_EVERY, prune
from bot.ops.scheduler import Periodic, Scheduler, digest_period
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import IncomingMessage
from storage import digests, messages, outbox, rules, subscribers
from storage.database import Database
from storage.outbox import OutboxItem
from storage.unixtime import to_ts
from tests.support.clock import FakeClock
from tests.support.digest_dataset import OSINT, SVODKI, T0, VISNYK, add_subscriber, store_day

KYIV = ZoneInfo("Europe/Kyiv")
CHAT = 501
MORNING = T0  # 08:00 Kyiv
EVENING = T0 + timedelta(hours=12)  # 20:00 Kyiv
TWICE_A_DAY = "daily 08:00,20:00"

Factory = Callable[..., Scheduler]


@pytest.fixture
async def schedulers(db: Database) -> AsyncIterator[Factory]:
    """Build schedulers over the test database at a fixed ``now``; all stopped at the end."""
    made: list[Scheduler] = []

    def make(now: datetime, **kw: object) -> Scheduler:
        scheduler = Scheduler(db, default_zone=KYIV, clock=FakeClock(now), **kw)  # type: ignore[arg-type]
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        await scheduler.stop()


async def digest_rows(db: Database, chat_id: int = CHAT) -> list[OutboxItem]:
    return [item for item in await outbox.list_items(db, chat_id=chat_id) if item.kind == "digest"]


async def last_digest(db: Database, chat_id: int = CHAT) -> datetime | None:
    state = await digests.digest_state(db, chat_id)
    assert state is not None
    return state.last_digest_at


async def test_missed_digest_is_sent_once_after_restart_covering_the_gap(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    await add_subscriber(db, CHAT, "all", schedule=TWICE_A_DAY, timezone="Europe/Kyiv")
    await digests.mark_digest_sent(db, CHAT, MORNING - timedelta(days=3))  # then went down

    first = schedulers(EVENING + timedelta(hours=2, minutes=30))
    (run,) = await first.start()
    assert (run.period.since, run.period.until) == (MORNING - timedelta(days=3), EVENING)
    assert run.hits == 6  # the whole gap, including the post from two days before
    rows = await digest_rows(db)
    assert [r.dedup_key for r in rows] == [f"digest:{CHAT}:{to_ts(EVENING)}:0"]
    # 06:00 UTC on the 24th was still summer time in Kyiv
    assert "<b>Digest</b> 24 Oct 09:00 EEST – 27 Oct 20:00 EET (Europe/Kyiv)" in rows[0].body
    assert await last_digest(db) == EVENING
    await first.stop()

    again = schedulers(EVENING + timedelta(hours=3))  # a second restart the same evening
    assert await again.start() == []
    assert len(await digest_rows(db)) == 1
    await again.stop()

    next_day = schedulers(MORNING + timedelta(days=1, minutes=5))
    (run,) = await next_day.start()
    assert (run.period.since, run.period.until) == (EVENING, MORNING + timedelta(days=1))
    assert run.hits == 0 and run.parts == 0  # nothing new, and silence was asked for
    assert await last_digest(db) == MORNING + timedelta(days=1)


async def test_a_chat_that_never_had_a_digest_is_owed_one_only_if_subscribed_before(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    await add_subscriber(db, CHAT, "rule:dprk-kursk", schedule=TWICE_A_DAY)
    await add_subscriber(db, CHAT + 1, "rule:dprk-kursk", schedule=TWICE_A_DAY)
    await db.execute("UPDATE subscriptions SET created_at = ? WHERE chat_id = ?", (to_ts(T0), CHAT))
    await db.execute(
        "UPDATE subscriptions SET created_at = ? WHERE chat_id = ?",
        (to_ts(EVENING + timedelta(hours=1)), CHAT + 1),
    )
    runs = await schedulers(EVENING + timedelta(hours=2)).start()
    assert [(r.chat_id, r.period.since, r.period.until, r.hits) for r in runs] == [
        (CHAT, MORNING, EVENING, 3)  # a first digest covers one schedule interval
    ]


async def test_a_fire_never_queues_twice_even_when_runs_race(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    await add_subscriber(db, CHAT, "rule:belgorod", schedule=TWICE_A_DAY)
    await digests.mark_digest_sent(db, CHAT, MORNING)
    now = EVENING + timedelta(seconds=1)
    one, other = schedulers(now), schedulers(now)
    await one.reload()
    await other.reload()
    results = await asyncio.gather(
        one.run_digest(CHAT), one.run_digest(CHAT), other.run_digest(CHAT)
    )
    first, second, _ = results
    assert first is not None and first.parts == 1
    assert second is None  # waited for the first, then found the fire covered
    rows = await digest_rows(db)
    assert len(rows) == len({r.dedup_key for r in rows}) == 1
    assert await last_digest(db) == EVENING
    job = one.scheduler.get_job(f"digest:{CHAT}")
    assert job is not None and job.max_instances == 1 and job.coalesce is True


async def test_jobs_are_rebuilt_when_settings_change(db: Database, schedulers: Factory) -> None:
    await add_subscriber(db, CHAT, "all", schedule="daily 08:00", timezone="Europe/Kyiv")
    await add_subscriber(db, CHAT + 1, schedule="every 6h")  # no subscriptions: no digest
    await add_subscriber(db, CHAT + 2, "all", schedule="off")
    scheduler = schedulers(EVENING)
    await scheduler.start()

    def digest_jobs() -> dict[str, str]:
        """Job id → its trigger's fields and time zone."""
        return {
            job.id: f"{job.trigger} {job.trigger.timezone}"
            for job in scheduler.scheduler.get_jobs()
            if job.id.startswith("digest:")
        }

    assert list(digest_jobs()) == [f"digest:{CHAT}"]
    assert "hour='8'" in digest_jobs()[f"digest:{CHAT}"]
    assert "Europe/Kyiv" in digest_jobs()[f"digest:{CHAT}"]

    await subscribers.set_digest_schedule(db, CHAT, "every 6h")
    await subscribers.set_timezone(db, CHAT, "America/New_York")
    await subscribers.subscribe(db, CHAT + 1, "tag:ua")
    await subscribers.set_digest_schedule(db, CHAT + 2, "weekly mon 09:00")
    await scheduler.reload()
    jobs = digest_jobs()
    assert sorted(jobs) == [f"digest:{CHAT}", f"digest:{CHAT + 1}", f"digest:{CHAT + 2}"]
    assert "hour='*/6'" in jobs[f"digest:{CHAT}"] and "America/New_York" in jobs[f"digest:{CHAT}"]
    assert "day_of_week='mon'" in jobs[f"digest:{CHAT + 2}"]

    await subscribers.set_digest_schedule(db, CHAT, "off")
    await subscribers.deactivate(db, CHAT + 1, "blocked the bot")
    await scheduler.reload()
    assert list(digest_jobs()) == [f"digest:{CHAT + 2}"]


async def test_empty_period_is_silent_unless_nothing_new_was_asked_for(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    for chat_id in (CHAT, CHAT + 1):
        await add_subscriber(db, chat_id, "rule:belgorod", schedule=TWICE_A_DAY)
        await digests.mark_digest_sent(db, chat_id, EVENING)
    await subscribers.set_digest_empty(db, CHAT + 1, True)
    woken: list[int] = []
    scheduler = schedulers(MORNING + timedelta(days=1), wake_deliverer=lambda: woken.append(1))
    await scheduler.reload()
    silent = await scheduler.run_digest(CHAT)
    told = await scheduler.run_digest(CHAT + 1)
    assert silent is not None and silent.parts == 0
    assert await digest_rows(db, CHAT) == []
    assert await last_digest(db, CHAT) == MORNING + timedelta(days=1)
    assert told is not None and told.parts == 1
    (row,) = await digest_rows(db, CHAT + 1)
    assert row.body.startswith("Nothing new since 27 Oct 20:00")
    assert woken == [1]  # the deliverer is woken only when something was queued


async def test_a_settings_change_reaches_the_running_scheduler_at_once(
    db: Database, schedulers: Factory
) -> None:
    await add_subscriber(db, CHAT, "all", schedule="daily 08:00")
    scheduler = schedulers(EVENING)
    await scheduler.start()
    job_id = f"digest:{CHAT}"
    assert scheduler.scheduler.get_job(job_id) is not None
    await subscribers.unsubscribe(db, CHAT, "all")
    scheduler.request_reload()
    for _ in range(200):  # the settings job runs on the loop's next turns
        if scheduler.scheduler.get_job(job_id) is None:
            break
        await asyncio.sleep(0.01)
    assert scheduler.scheduler.get_job(job_id) is None


async def test_service_jobs_prune_and_sweep_and_survive_failures(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    await Pipeline(db).ingest(
        [
            IncomingMessage(SVODKI, 1, T0 - timedelta(days=5), "Погода в Сумах: дождь."),
            IncomingMessage(SVODKI, 50, T0 + timedelta(days=3), "Погода в Сумах: снег."),
        ]
    )
    swept: list[int] = []

    async def sweep() -> None:
        swept.append(1)
        if len(swept) > 1:
            raise ChanwatchError("reader offline")

    before = await messages.count(db)
    now = T0 + timedelta(days=32)
    scheduler = schedulers(
        now,
        periodic=(
            Periodic("prune", PRUNE_EVERY, lambda: prune(db, now, timedelta(days=30))),
            Periodic("sweep", timedelta(minutes=5), sweep),
        ),
    )
    await scheduler.start()
    ids = {job.id for job in scheduler.scheduler.get_jobs()}
    assert {"prune", "sweep", "settings"} <= ids
    prune_job, sweep_job = (
        scheduler.scheduler.get_job("prune"),
        scheduler.scheduler.get_job("sweep"),
    )
    assert prune_job is not None and sweep_job is not None
    await prune_job.func()
    # only the old post without hits goes; older posts with hits are kept as evidence
    assert await messages.count(db) == before - 1
    await sweep_job.func()
    await sweep_job.func()  # fails, logged, not raised
    assert swept == [1, 1]


def test_period_of_a_fire() -> None:
    schedule = parse_schedule(TWICE_A_DAY)
    assert digest_period(schedule, KYIV, EVENING, None) is not None
    first = digest_period(schedule, KYIV, EVENING, None)
    assert first is not None and (first.since, first.until) == (MORNING, EVENING)
    assert digest_period(schedule, KYIV, EVENING, EVENING) is None
    assert digest_period(schedule, KYIV, EVENING, EVENING + timedelta(hours=1)) is None
    long_ago = digest_period(schedule, KYIV, EVENING, EVENING - timedelta(days=900))
    assert long_ago is not None and long_ago.since == EVENING - MAX_PERIOD


async def test_one_chats_broken_digest_never_stops_the_start_or_the_others(
    db: Database, schedulers: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    await store_day(db)
    for chat in (CHAT, CHAT + 1):
        await add_subscriber(db, chat, "all", schedule=TWICE_A_DAY, timezone="Europe/Kyiv")
        await digests.mark_digest_sent(db, chat, MORNING - timedelta(days=1))
    await db.execute(  # a row nobody can read: the first chat's digest cannot be built
        "UPDATE subscriptions SET created_at = 'вчора' WHERE chat_id = ?", (CHAT,)
    )
    scheduler = schedulers(EVENING + timedelta(minutes=5))
    (run,) = await scheduler.start()  # the service starts, the other chat gets its digest
    assert run.chat_id == CHAT + 1 and len(await digest_rows(db, CHAT + 1)) == 1
    assert await digest_rows(db, CHAT) == []
    crashed = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert crashed == ["scheduled job crashed"] and "TypeError" in caplog.text
    assert scheduler.scheduler.running


NIGHT_POSTS = (
    (SVODKI, "Ночью над Белгородом сбиты два беспилотника, сообщает губернатор."),
    (VISNYK, "Підстанція на Київщині знеструмлена після атаки, блекаут у трьох селах."),
    (OSINT, "Belgorod region: air defence active overnight, debris reported in two villages."),
)


async def test_hourly_digests_through_the_dst_night_lose_and_double_no_hour(
    db: Database, schedulers: Factory
) -> None:
    """Kyiv's clock shows 03:00 twice that night; both fires digest their own real hour."""
    await store_day(db)
    night = datetime(2024, 10, 26, 21, tzinfo=UTC)  # 00:00 EEST
    batch = [
        IncomingMessage(channel, 100 + n, night + timedelta(minutes=20 * n + 5), f"{text} #{n}")
        for n in range(18)  # every 20 minutes until 06:00 UTC, 08:00 EET
        for channel, text in [NIGHT_POSTS[n % 3]]
    ]
    await Pipeline(db).ingest(batch)
    await add_subscriber(db, CHAT, "rule:belgorod", "rule:kyiv-power", schedule="every 1h")
    await subscribers.set_timezone(db, CHAT, "Europe/Kyiv")
    await digests.mark_digest_sent(db, CHAT, night)
    scheduler = schedulers(night)
    await scheduler.reload()
    fires = fires_between(parse_schedule("every 1h"), KYIV, night, night + timedelta(hours=6))
    runs = [await scheduler.run_digest(CHAT, now=fire + timedelta(minutes=1)) for fire in fires]
    periods = [(r.period.since, r.period.until) for r in runs if r is not None]
    assert len(periods) == len(fires) == 6
    assert [until - since for since, until in periods] == [timedelta(hours=1)] * 6
    assert all(a[1] == b[0] for a, b in itertools.pairwise(periods))
    assert sum(r.hits for r in runs if r is not None) == 18  # each post in exactly one digest
    bodies = [row.body for row in await digest_rows(db)]
    assert len(bodies) == 6 and len({row.dedup_key for row in await digest_rows(db)}) == 6
    assert "<b>Digest</b> 27 Oct 03:00 EEST – 03:00 EET (Europe/Kyiv)" in bodies[3]
    assert "<b>Digest</b> 27 Oct 03:00 EET – 04:00 (Europe/Kyiv)" in bodies[4]


async def test_the_daily_digest_of_the_dst_day_covers_25_hours(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    twice = datetime(2024, 10, 27, 0, 30, tzinfo=UTC)  # 03:30 EEST, and an hour later 03:30 EET
    await Pipeline(db).ingest(
        [
            IncomingMessage(SVODKI, 200, twice, NIGHT_POSTS[0][1]),
            IncomingMessage(VISNYK, 201, twice + timedelta(hours=1), NIGHT_POSTS[1][1]),
        ]
    )
    await add_subscriber(db, CHAT, "all", schedule="daily 08:00", timezone="Europe/Kyiv")
    await digests.mark_digest_sent(db, CHAT, datetime(2024, 10, 26, 5, tzinfo=UTC))  # 08:00 EEST
    scheduler = schedulers(MORNING + timedelta(minutes=1))
    await scheduler.reload()
    run = await scheduler.run_digest(CHAT)
    assert run is not None and run.period.until - run.period.since == timedelta(hours=25)
    (row,) = await digest_rows(db)
    assert "<b>Digest</b> 26 Oct 08:00 EEST – 27 Oct 08:00 EET (Europe/Kyiv)" in row.body
    assert "at 27 Oct 03:30 EEST" in row.body and "at 27 Oct 03:30 EET" in row.body


async def test_deleted_and_paused_rules_between_digests(db: Database, schedulers: Factory) -> None:
    """A deleted rule's hits went with it and it is not shown; a paused rule's hits stored in
    the period are shown: they were caught while it was active."""
    await store_day(db)
    await add_subscriber(db, CHAT, "rule:belgorod", "rule:kyiv-power", "rule:dprk-kursk")
    await add_subscriber(db, CHAT + 1, "rule:belgorod")  # only the rule about to go
    await subscribers.set_digest_empty(db, CHAT + 1, True)
    for chat in (CHAT, CHAT + 1):
        await digests.mark_digest_sent(db, chat, MORNING)
    await rules.remove(db, "belgorod")
    await rules.set_paused(db, "kyiv-power", True)
    scheduler = schedulers(EVENING + timedelta(minutes=1))
    await scheduler.reload()
    run = await scheduler.run_digest(CHAT)
    assert run is not None and run.hits == 4  # dprk-kursk 3, kyiv-power 1
    (row,) = await digest_rows(db)
    assert "<b>kyiv-power</b>" in row.body and "<b>dprk-kursk</b>" in row.body
    assert "belgorod" not in row.body and "Белгород" not in row.body
    gone = await scheduler.run_digest(CHAT + 1)
    assert gone is not None and gone.hits == 0
    (nothing,) = await digest_rows(db, CHAT + 1)
    assert nothing.body.startswith("Nothing new since 27 Oct 08:00")


async def test_empty_period_says_nothing_new_once_in_the_subscribers_zone_or_stays_silent(
    db: Database, schedulers: Factory
) -> None:
    await store_day(db)
    fire = datetime(2024, 10, 28, 12, tzinfo=UTC)  # 08:00 in New York (EDT), 14:00 in Kyiv
    for chat in (CHAT, CHAT + 1):
        await add_subscriber(
            db, chat, "rule:belgorod", schedule="daily 08:00", timezone="America/New_York"
        )
        await digests.mark_digest_sent(db, chat, fire - timedelta(days=1))
    await subscribers.set_digest_empty(db, CHAT, True)
    scheduler = schedulers(fire + timedelta(minutes=3))  # its default zone is Kyiv
    await scheduler.reload()
    told, silent = await scheduler.run_digest(CHAT), await scheduler.run_digest(CHAT + 1)
    assert told is not None and (told.hits, told.parts) == (0, 1)
    (row,) = await digest_rows(db, CHAT)
    assert row.body == "Nothing new since 27 Oct 08:00 (America/New_York)."
    assert row.dedup_key == f"digest:{CHAT}:{to_ts(fire)}:0"
    assert silent is not None and (silent.hits, silent.parts) == (0, 0)
    assert await digest_rows(db, CHAT + 1) == []
    assert await last_digest(db, CHAT) == await last_digest(db, CHAT + 1) == fire
