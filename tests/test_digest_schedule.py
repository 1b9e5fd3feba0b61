"""Digest schedules: parsing, wall-clock firing across DST, and missed digests on restart."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.digest import ScheduleError, fires_between, make_trigger, parse_schedule, previous_fire
from bot.errors import ChanwatchError

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("daily 08:00,20:00", "daily 08:00,20:00"),
        ("Daily 8:00", "daily 08:00"),
        ("daily 20:30, 8:00", "daily 08:00,20:30"),
        ("every 6h", "every 6h"),
        ("every 30m", "every 30m"),
        ("every 60m", "every 1h"),
        ("weekly mon 09:00", "weekly mon 09:00"),
        ("weekly thursday,mon 9:00,18:00", "weekly mon,thu 09:00,18:00"),
        ("off", "off"),
        ("  OFF ", "off"),
    ],
)
def test_parse_and_canonical_spelling(typed: str, canonical: str) -> None:
    assert str(parse_schedule(typed)) == canonical
    assert parse_schedule(canonical) == parse_schedule(typed)


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("", "empty"),
        ("daily", "needs times"),
        ("daily 24:00", "not a time of day"),
        ("daily 8:00,", "needs times"),
        ("daily 8.00", "not a time of day"),
        ("every 5h", "does not divide a day"),
        ("every 45m", "does not divide an hour"),
        ("every often", "needs an interval"),
        ("weekly funday 09:00", "not a weekday"),
        ("hourly", "unknown digest schedule"),
        ("off please", "unknown digest schedule"),
    ],
)
def test_bad_schedules_get_one_line_errors(typed: str, complaint: str) -> None:
    with pytest.raises(ScheduleError) as raised:
        parse_schedule(typed)
    assert complaint in str(raised.value)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ChanwatchError)


def local_fires(typed: str, tz: ZoneInfo, since: datetime, until: datetime) -> list[str]:
    return [
        f.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
        for f in fires_between(parse_schedule(typed), tz, since, until)
    ]


def test_daily_fires_at_local_time_across_autumn_dst_change() -> None:
    fires = local_fires(
        "daily 08:00",
        KYIV,
        datetime(2024, 10, 26, tzinfo=UTC),
        datetime(2024, 10, 28, 12, tzinfo=UTC),
    )
    assert fires == ["2024-10-26 08:00 EEST", "2024-10-27 08:00 EET", "2024-10-28 08:00 EET"]


def test_daily_fires_at_local_time_across_spring_dst_change() -> None:
    fires = local_fires(
        "daily 08:00,20:00",
        KYIV,
        datetime(2025, 3, 29, 12, tzinfo=UTC),
        datetime(2025, 3, 31, tzinfo=UTC),
    )
    assert fires == ["2025-03-29 20:00 EET", "2025-03-30 08:00 EEST", "2025-03-30 20:00 EEST"]


def test_fire_in_the_repeated_autumn_hour_does_not_loop() -> None:
    fires = fires_between(
        parse_schedule("daily 03:30"),
        KYIV,
        datetime(2024, 10, 26, 12, tzinfo=UTC),
        datetime(2024, 10, 27, 12, tzinfo=UTC),
    )
    # APScheduler fires at both 03:30s of the repeated hour; an hour apart, never more.
    assert [f.astimezone(UTC).strftime("%H:%M") for f in fires] == ["00:30", "01:30"]


def test_every_6h_is_aligned_to_the_local_clock() -> None:
    fires = local_fires(
        "every 6h",
        NEW_YORK,
        datetime(2024, 6, 1, 3, tzinfo=UTC),
        datetime(2024, 6, 2, 3, tzinfo=UTC),
    )
    assert fires == [
        "2024-06-01 00:00 EDT",
        "2024-06-01 06:00 EDT",
        "2024-06-01 12:00 EDT",
        "2024-06-01 18:00 EDT",
    ]


def test_every_30m_fires_twice_an_hour() -> None:
    since = datetime(2024, 6, 1, 10, 0, tzinfo=UTC)
    fires = fires_between(parse_schedule("every 30m"), KYIV, since, since + timedelta(hours=2))
    assert [f.astimezone(UTC).strftime("%H:%M") for f in fires] == [
        "10:30",
        "11:00",
        "11:30",
        "12:00",
    ]


def test_same_schedule_differs_by_time_zone() -> None:
    now = datetime(2024, 6, 1, 11, tzinfo=UTC)
    kyiv = previous_fire(parse_schedule("daily 08:00"), KYIV, now)
    new_york = previous_fire(parse_schedule("daily 08:00"), NEW_YORK, now)
    assert kyiv == datetime(2024, 6, 1, 5, tzinfo=UTC)
    assert new_york == datetime(2024, 5, 31, 12, tzinfo=UTC)


def test_missed_digest_after_restart_is_the_latest_fire_once() -> None:
    schedule = parse_schedule("daily 08:00,20:00")
    last_sent = datetime(2024, 10, 26, 17, tzinfo=UTC)  # 20:00 EEST
    restart = datetime(2024, 10, 28, 9, tzinfo=UTC)  # down for two days
    missed = fires_between(schedule, KYIV, last_sent, restart)
    owed = previous_fire(schedule, KYIV, restart)
    assert len(missed) == 3  # 27th 08:00 and 20:00, 28th 08:00
    assert owed == missed[-1] == datetime(2024, 10, 28, 6, tzinfo=UTC)
    # Once the owed digest is sent, nothing more is owed until the next fire.
    assert fires_between(schedule, KYIV, owed, restart) == []


def test_previous_fire_includes_now_and_weekly_looks_back_a_week() -> None:
    schedule = parse_schedule("weekly mon 09:00")
    monday_nine = datetime(2025, 3, 31, 9, tzinfo=KYIV)
    assert previous_fire(schedule, KYIV, monday_nine) == monday_nine
    sunday = datetime(2025, 3, 30, 23, tzinfo=KYIV)
    assert previous_fire(schedule, KYIV, sunday) == datetime(2025, 3, 24, 9, tzinfo=KYIV)


def test_trigger_is_a_cron_trigger_in_the_subscribers_zone() -> None:
    trigger = make_trigger(parse_schedule("daily 08:00"), KYIV)
    assert isinstance(trigger, CronTrigger)
    assert trigger.timezone == KYIV
    assert make_trigger(parse_schedule("off"), KYIV) is None
    assert previous_fire(parse_schedule("off"), KYIV, datetime(2024, 1, 1, tzinfo=UTC)) is None
    assert parse_schedule("daily 8:00").times == (time(8, 0),)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        previous_fire(parse_schedule("daily 08:00"), KYIV, datetime(2024, 1, 1))


def test_the_first_of_two_0300_fires_is_not_mistaken_for_the_second() -> None:
    """Just after 03:00 EEST the latest fire is that one, not 03:00 EET an hour ahead (two
    datetimes of one zone compare by wall clock, so fires come back in UTC)."""
    hourly = parse_schedule("every 1h")
    first = datetime(2024, 10, 27, 0, tzinfo=UTC)  # 03:00 EEST
    just_after = (first + timedelta(minutes=1)).astimezone(KYIV)
    assert previous_fire(hourly, KYIV, just_after) == first
    assert previous_fire(hourly, KYIV, just_after).tzinfo is UTC  # type: ignore[union-attr]
    second = (first + timedelta(hours=1, minutes=1)).astimezone(KYIV)  # 03:01 EET
    fires = fires_between(hourly, KYIV, first.astimezone(KYIV), second)
    assert fires == [first + timedelta(hours=1)]
