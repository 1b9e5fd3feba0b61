"""Digest schedules: what a subscriber types, the APScheduler trigger, and missed fires.

Accepted forms (case-insensitive, spaces free)::

    off
    daily 08:00            daily 8:00,20:30
    weekly mon 09:00       weekly mon,thu 09:00,18:00
    every 6h               every 30m

Every schedule is a wall-clock schedule in the subscriber's time zone, so ``daily 08:00``
fires at 08:00 local on both sides of a DST change. ``every N`` is clock-aligned too
(``every 6h`` fires at 00, 06, 12 and 18 local), which is why N must divide a day (hours) or
an hour (minutes): analysts want digests at predictable times, not drifting ones.

The trigger is the single source of fire times: ``previous_fire`` and ``fires_between``
replay the same trigger, so "the digest missed while down" on restart is computed by exactly
the rule that would have fired it. They return UTC: Python compares and subtracts two
datetimes of the same zone by their wall clocks, so on a fall-back night 03:00 EET would
count as "at or before" 03:01 EEST, an hour before it happens, and a digest would close early.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.errors import ChanwatchError

Kind = Literal["off", "daily", "weekly", "every"]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOUR_STEPS = (1, 2, 3, 4, 6, 8, 12, 24)
_MINUTE_STEPS = (5, 10, 15, 20, 30, 60)
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_EVERY = re.compile(r"(\d{1,4})\s*(h|m)")
_SYNTAX = "use e.g. 'daily 08:00,20:00', 'weekly mon 09:00', 'every 6h', 'every 30m' or 'off'"


class ScheduleError(ChanwatchError):
    """A digest schedule the user typed that cannot be understood."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule; ``str()`` gives its canonical spelling."""

    kind: Kind
    times: tuple[time, ...] = ()
    weekdays: tuple[int, ...] = ()
    every: timedelta | None = None

    def __str__(self) -> str:
        clock = ",".join(t.strftime("%H:%M") for t in self.times)
        if self.kind == "daily":
            return f"daily {clock}"
        if self.kind == "weekly":
            return f"weekly {','.join(WEEKDAYS[d] for d in self.weekdays)} {clock}"
        if self.kind == "every" and self.every is not None:
            minutes = int(self.every.total_seconds()) // 60
            return f"every {minutes // 60}h" if minutes % 60 == 0 else f"every {minutes}m"
        return "off"


OFF = Schedule("off")


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule as typed in ``/settings`` or the CLI; raise ``ScheduleError``."""
    words = text.strip().lower().split(maxsplit=1)
    if not words:
        raise ScheduleError(f"empty digest schedule: {_SYNTAX}")
    head, rest = words[0], (words[1] if len(words) > 1 else "")
    if head == "off" and not rest:
        return OFF
    if head == "daily":
        return Schedule("daily", times=_parse_times(rest, text))
    if head == "weekly":
        days, _, clock = rest.partition(" ")
        return Schedule("weekly", times=_parse_times(clock, text), weekdays=_parse_days(days))
    if head == "every":
        return Schedule("every", every=_parse_every(rest))
    raise ScheduleError(f"unknown digest schedule {text.strip()!r}: {_SYNTAX}")


def _parse_times(clock: str, text: str) -> tuple[time, ...]:
    items = [item.strip() for item in clock.split(",")]
    if not clock.strip() or not all(items):
        raise ScheduleError(f"digest schedule {text.strip()!r} needs times like 08:00,20:00")
    times: set[time] = set()
    for item in items:
        found = _TIME.fullmatch(item)
        if found is None:
            raise ScheduleError(f"{item!r} is not a time of day: use HH:MM, e.g. 08:00 or 20:30")
        times.add(time(int(found[1]), int(found[2])))
    return tuple(sorted(times))


def _parse_days(days: str) -> tuple[int, ...]:
    picked: set[int] = set()
    for day in days.split(","):
        key = day.strip()[:3]
        if key not in WEEKDAYS or not day.strip().startswith(key):
            raise ScheduleError(f"{day.strip()!r} is not a weekday: use {', '.join(WEEKDAYS)}")
        picked.add(WEEKDAYS.index(key))
    return tuple(sorted(picked))


def _parse_every(rest: str) -> timedelta:
    found = _EVERY.fullmatch(rest.strip())
    if found is None:
        raise ScheduleError(f"'every {rest.strip()}' needs an interval like 6h or 30m")
    amount, unit = int(found[1]), found[2]
    if unit == "h" and amount not in _HOUR_STEPS:
        steps = ", ".join(f"{n}h" for n in _HOUR_STEPS)
        raise ScheduleError(f"every {amount}h does not divide a day evenly: use one of {steps}")
    if unit == "m" and amount not in _MINUTE_STEPS:
        steps = ", ".join(f"{n}m" for n in _MINUTE_STEPS)
        raise ScheduleError(f"every {amount}m does not divide an hour evenly: use one of {steps}")
    return timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount)


def make_trigger(schedule: Schedule, tz: ZoneInfo) -> BaseTrigger | None:
    """The APScheduler 3.x trigger for ``schedule`` in ``tz``; ``None`` when it is off."""
    if schedule.kind == "off":
        return None
    if schedule.kind == "every" and schedule.every is not None:
        minutes = int(schedule.every.total_seconds()) // 60
        if minutes % 60 == 0:
            return CronTrigger(hour=f"*/{minutes // 60}", minute=0, timezone=tz)
        return CronTrigger(minute=f"*/{minutes}", timezone=tz)
    days = ",".join(WEEKDAYS[d] for d in schedule.weekdays) if schedule.kind == "weekly" else "*"
    triggers = [
        CronTrigger(day_of_week=days, hour=t.hour, minute=t.minute, timezone=tz)
        for t in schedule.times
    ]
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def _lookback(schedule: Schedule) -> timedelta:
    """Longer than the longest gap between two fires, DST shifts included."""
    if schedule.kind == "weekly":
        return timedelta(days=8)
    if schedule.kind == "every" and schedule.every is not None:
        return schedule.every + timedelta(hours=2)
    return timedelta(days=2)


def fires_between(
    schedule: Schedule, tz: ZoneInfo, since: datetime, until: datetime, limit: int = 10_000
) -> list[datetime]:
    """Fire times in ``(since, until]`` as UTC datetimes, oldest first (at most ``limit``)."""
    _require_aware(since, until)
    trigger = make_trigger(schedule, tz)
    fires: list[datetime] = []
    if trigger is None:
        return fires
    # Step and compare in UTC (see the module docstring): wall-clock arithmetic on an aware
    # local time would land back inside the repeated hour and return the same fire forever.
    end = until.astimezone(UTC)
    fire = trigger.get_next_fire_time(None, _after(since))
    while fire is not None and (moment := fire.astimezone(UTC)) <= end and len(fires) < limit:
        fires.append(moment)
        fire = trigger.get_next_fire_time(fire, _after(moment))
    return fires


def _after(moment: datetime) -> datetime:
    return moment.astimezone(UTC) + timedelta(seconds=1)


def previous_fire(schedule: Schedule, tz: ZoneInfo, now: datetime) -> datetime | None:
    """The latest fire at or before ``now`` (``None`` when off).

    On restart, a digest is owed when this is later than the last digest sent; one digest
    then covers the whole gap.
    """
    _require_aware(now)
    now = now.astimezone(UTC)
    fires = fires_between(schedule, tz, now - _lookback(schedule), now)
    return fires[-1] if fires else None


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"naive datetime {moment!r}: schedules need aware times")
