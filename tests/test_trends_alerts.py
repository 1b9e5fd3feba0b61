"""Surge and corroboration alerts end to end on a real database: posts stored by the ingest
pipeline, the trends check of the scheduler (``TrendWatch``), the outbox rows it queues and
who gets them (quiet hours, the instant switch, ``/settings surges``), once per episode and
once per story; and the settings that tune both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import load_settings
from bot.errors import ConfigError, WatchlistError
from bot.trends.corroboration import CorroborationOptions
from bot.trends.surges import SurgeOptions
from bot.trends.watch import TrendOptions, TrendWatch, trend_options
from bot.watchlist import dump_watchlist, parse_watchlist
from bot.watchlist.actions import apply_watchlist, current_watchlist
from storage import outbox, rules, subscribers
from storage.database import Database, bundled_migrations, open_database
from tests.support.bot_harness import BotHarness
from tests.support.clock import FakeClock
from tests.support.trend_posts import NOW, RULE, WATCHLIST, prepare, quiet_posts, store, story_posts

KYIV = ZoneInfo("Europe/Kyiv")
RULE_SUB, SURGE_SUB, SILENCED, NOT_INSTANT, QUIET, TAGGED, LATE = range(701, 708)


async def chats(db: Database) -> None:
    """Who listens: the rule's subscriber, a surge:RULE one, one with surges off, one with
    instant alerts off, one in quiet hours (22:00-10:00 Kyiv at NOW) and a tag subscriber."""
    for chat, target in (
        (RULE_SUB, f"rule:{RULE}"),
        (SURGE_SUB, f"surge:{RULE}"),
        (SILENCED, "all"),
        (NOT_INSTANT, "all"),
        (QUIET, f"rule:{RULE}"),
        (TAGGED, "tag:ua"),
    ):
        await subscribers.ensure(db, chat, kind="user", title=None)
        await subscribers.subscribe(db, chat, target)
    await subscribers.set_surges(db, SILENCED, False)
    await subscribers.set_instant(db, NOT_INSTANT, False)
    await subscribers.set_timezone(db, QUIET, "Asia/Tokyo")  # 23:00 there at NOW
    await subscribers.set_quiet_hours(db, QUIET, "22:00", "08:00")


def watch(db: Database, clock: FakeClock, options: TrendOptions | None = None) -> TrendWatch:
    return TrendWatch(db, KYIV, options or TrendOptions(), clock=clock)


async def rows(db: Database, prefix: str) -> list[outbox.OutboxItem]:
    return [r for r in await outbox.list_items(db) if r.dedup_key.startswith(prefix)]


async def quiet_week(db: Database, until: datetime = NOW) -> None:
    await store(db, quiet_posts(until - timedelta(days=8), until, per_hour=4))


@pytest.fixture
async def ready(db: Database) -> Database:
    await prepare(db)
    await chats(db)
    await quiet_week(db)
    return db


async def test_a_surge_alerts_each_listening_chat_once_per_episode(ready: Database) -> None:
    db = ready
    clock = FakeClock(NOW)
    assert (await watch(db, clock).check()).surges == ()
    burst = quiet_posts(NOW, NOW + timedelta(hours=1), per_hour=40, seed=9, first_id=50_000)
    await store(db, burst)
    clock.set(NOW + timedelta(hours=1, minutes=1))
    trends = watch(db, clock)
    assert (await trends.check()).surges == (RULE,)
    queued = await rows(db, "surge:")
    assert sorted(r.chat_id for r in queued) == [RULE_SUB, SURGE_SUB, QUIET]
    body = next(r.body for r in queued if r.chat_id == RULE_SUB)
    assert body.startswith("📈 <b>Surge: kndr</b>\n")
    assert " hits in the 2 h to 2026-11-18 17:00 EET; about " in body
    assert "<code>/digest 120m kndr</code>" in body
    assert any(ch in body for ch in "▁▂▃▄▅▆▇█")
    quiet = next(r for r in queued if r.chat_id == QUIET)
    assert quiet.not_before == datetime(2026, 11, 18, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo
    # the episode goes on: more hits, more checks, no second alert
    more = quiet_posts(clock.now(), clock.now() + timedelta(minutes=30), 40, 10, 60_000)
    await store(db, more)
    clock.advance(30 * 60)
    assert (await trends.check()).surges == ()
    assert len(await rows(db, "surge:")) == 3
    # a chat that subscribes mid-episode is not told it began, nor that it ended
    await subscribers.ensure(db, LATE, kind="user", title=None)
    await subscribers.subscribe(db, LATE, f"surge:{RULE}")
    # it subsides: one "over" note to each chat told it began
    clock.advance(4 * 3600)
    assert (await trends.check()).ended == (RULE,)
    assert sorted(r.chat_id for r in await rows(db, "surge-ended:")) == [RULE_SUB, SURGE_SUB, QUIET]
    assert (await trends.check()).ended == ()


async def test_a_rule_not_marked_surges_only_for_its_surge_subscribers(ready: Database) -> None:
    db = ready
    rule = await rules.get(db, RULE)
    await rules.update(
        db, RULE, query=rule.query, priority=rule.priority, scopes=(), paused=False, surge=False
    )
    await store(db, quiet_posts(NOW, NOW + timedelta(hours=1), 40, 9, 50_000))
    clock = FakeClock(NOW + timedelta(hours=1, minutes=1))
    assert (await watch(db, clock).check()).surges == (RULE,)
    assert [r.chat_id for r in await rows(db, "surge:")] == [SURGE_SUB]


async def test_no_surge_on_a_quiet_day_or_below_the_minimum(ready: Database) -> None:
    db = ready
    clock = FakeClock(NOW)
    for _ in range(8):  # two quiet hours go by, checked every quarter hour
        await store(db, quiet_posts(clock.now(), clock.now() + timedelta(minutes=15), 4, 3))
        clock.advance(15 * 60)
        assert (await watch(db, clock).check()).surges == ()
    strict = TrendOptions(surge=SurgeOptions(min_count=500))
    await store(db, quiet_posts(clock.now(), clock.now() + timedelta(hours=1), 40, 9, 50_000))
    clock.advance(3600)
    assert (await watch(db, clock, strict).check()).surges == ()
    assert await rows(db, "surge:") == []


async def test_a_story_on_four_channels_in_30_minutes_is_told_once_per_chat(
    ready: Database,
) -> None:
    db = ready
    clock = FakeClock(NOW)
    copies = story_posts(NOW - timedelta(minutes=40), 4, timedelta(minutes=30))
    await store(db, copies[:2])
    assert (await watch(db, clock).check()).stories == ()
    await store(db, copies[2:])
    trends = watch(db, clock)
    assert (await trends.check()).stories == (RULE,)
    queued = await rows(db, "story:")
    assert sorted(r.chat_id for r in queued) == [RULE_SUB, SURGE_SUB, QUIET]
    body = next(r.body for r in queued if r.chat_id == RULE_SUB)
    assert "4 channels carry one story" in body
    assert 'first <a href="https://t.me/svodki_prigran/100000">Сводки Приграничья</a>' in body
    assert "Прикордонний вісник" in body and "Border Watch OSINT" in body
    assert "within 30 min" in body and "(+30 min)" in body
    # a fifth channel and later checks add nothing: the story was told
    await store(db, story_posts(NOW - timedelta(minutes=5), 6, timedelta(minutes=1))[4:])
    clock.advance(600)
    assert (await trends.check()).stories == ()
    assert len(await rows(db, "story:")) == 3


async def test_two_channels_are_no_corroboration_unless_the_setting_says_two(
    ready: Database,
) -> None:
    db = ready
    clock = FakeClock(NOW)
    await store(db, story_posts(NOW - timedelta(minutes=20), 2, timedelta(minutes=10)))
    assert (await watch(db, clock).check()).stories == ()
    pairs = TrendOptions(corroboration=CorroborationOptions(channels=2))
    assert (await watch(db, clock, pairs).check()).stories == (RULE,)


async def test_a_story_spread_wider_than_the_window_is_no_corroboration(ready: Database) -> None:
    db = ready
    clock = FakeClock(NOW)
    await store(db, story_posts(NOW - timedelta(hours=9), 4, timedelta(hours=9)))
    assert (await watch(db, clock).check()).stories == ()
    wide = TrendOptions(corroboration=CorroborationOptions(window=timedelta(hours=6)))
    assert (await watch(db, clock, wide).check()).stories == (RULE,)


def test_the_settings_tune_detection() -> None:
    settings = load_settings(
        {
            "SURGE_WINDOW": "1h",
            "SURGE_MIN_HITS": "12",
            "CORROBORATION_CHANNELS": "5",
            "CORROBORATION_WINDOW": "45m",
        }
    )
    options = trend_options(settings)
    assert options.surge.window == timedelta(hours=1) and options.surge.width == 4
    assert options.surge.min_count == 12
    assert options.corroboration == CorroborationOptions(5, timedelta(minutes=45))
    assert trend_options(load_settings({})) == TrendOptions()


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SURGE_WINDOW", "10m", "SURGE_WINDOW must be a period from 30m to 24h"),
        ("SURGE_WINDOW", "50m", "in quarter hours"),
        ("SURGE_MIN_HITS", "0", "SURGE_MIN_HITS must be a whole number"),
        ("CORROBORATION_CHANNELS", "1", "CORROBORATION_CHANNELS must be a number of channels"),
        ("CORROBORATION_WINDOW", "3d", "CORROBORATION_WINDOW must be a period up to 24h"),
    ],
)
def test_bad_settings_say_what_is_wrong(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        load_settings({name: value})


async def test_a_version_6_database_upgrades_with_surges_on_and_rules_unmarked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v6.db"
    old = await open_database(path, migrations=bundled_migrations()[:6])
    await old.execute(
        "INSERT INTO rules (name, query, priority, paused, created_at, updated_at)"
        " VALUES ('kndr', 'КНДР', 'instant', 0, 1, 1)"
    )
    await old.execute(
        "INSERT INTO subscribers (chat_id, kind, created_at, updated_at) VALUES (9, 'user', 1, 1)"
    )
    await old.close()
    db = await open_database(path)
    try:
        assert (await rules.get(db, "kndr")).surge is False
        subscriber = await subscribers.get(db, 9)
        assert subscriber is not None and subscriber.surges is True
    finally:
        await db.close()


async def test_a_chat_asks_for_surges_and_turns_them_off_from_the_bot(bot: BotHarness) -> None:
    db = bot.db
    await prepare(db)
    await quiet_week(db)
    olena = bot.world.add_user("Олена", username="olena")
    await subscribers.allow(db, olena.id, username="olena", added_by="cli")
    [refused] = await bot.say(olena, "/subscribe surge:nosuch")
    assert "There is no rule 'nosuch'" in refused
    [answer] = await bot.say(olena, "/subscribe surge:kndr")
    assert "Subscribed to surge:kndr" in answer and "surge far above" in answer
    [shown] = await bot.say(olena, "/settings surges off")
    assert "Surge alerts: off" in shown
    [bad] = await bot.say(olena, "/settings surges maybe")
    assert "Use /settings surges on, or /settings surges off." in bad
    await store(db, quiet_posts(NOW, NOW + timedelta(hours=1), 40, 9, 50_000))
    clock = FakeClock(NOW + timedelta(hours=1, minutes=1))
    assert (await watch(db, clock).check()).surges == ()  # nobody listens: no episode either
    [shown] = await bot.say(olena, "/settings surges on")
    assert "Surge alerts: on" in shown
    assert (await watch(db, clock).check()).surges == (RULE,)
    assert [r.chat_id for r in await rows(db, "surge:")] == [olena.id]


async def test_the_watchlist_marks_a_rule_for_surges_and_exports_the_mark(db: Database) -> None:
    await prepare(db)
    assert (await rules.get(db, RULE)).surge
    current = await current_watchlist(db)
    assert "surge = true" in dump_watchlist(current)
    unmarked = parse_watchlist(WATCHLIST.replace("surge = true", "surge = false"))
    plan = await apply_watchlist(db, unmarked, "cli")
    assert plan.lines() == ["~ rule kndr: surge alerts off"]
    assert not (await rules.get(db, RULE)).surge
    with pytest.raises(WatchlistError, match=r"\(line 6\): must be true or false, not 'yes'"):
        parse_watchlist(WATCHLIST.replace("surge = true", 'surge = "yes"'))


async def test_rule_test_in_the_bot_shows_the_surges_a_query_would_have_raised(
    bot: BotHarness,
) -> None:
    now = bot.clock.now()
    burst = now - timedelta(hours=6)
    await store(bot.db, quiet_posts(now - timedelta(days=8), burst, per_hour=4))
    await store(bot.db, quiet_posts(burst, burst + timedelta(hours=1), 40, 9, 50_000))
    query = 'КНДР OR північнокорейськ* OR "North Korea"'
    [answer] = await bot.say(bot.operator(), f"/rule test {query}")
    assert "Surges it would have raised: 1\n• surge " in answer
    [quiet] = await bot.say(bot.operator(), "/rule test North Korea NEAR/1 convoy")
    assert quiet.endswith("Surges it would have raised: none")
