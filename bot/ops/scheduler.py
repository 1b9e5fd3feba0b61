"""The one place the running service schedules work, as APScheduler 3.x jobs on its event
loop: each subscriber's digest, the settings reload, and the periodic jobs the service hands
it (retention pruning, the reader's catch-up sweep, the heartbeat, the trends check). Every
job runs one at a time, a backlog of missed runs collapses into one, and a job's failure is
logged and left to its next run.

The database is the only memory. Jobs are rebuilt from the subscribers' settings at start,
by :meth:`Scheduler.reload` (the bot calls it after ``/settings``) and by a periodic
diff (settings changed by another process). A digest's period ends at the schedule's fire
time, never at "now", and starts where the chat's previous digest ended
(``last_digest_at``). That makes a run idempotent: running the same fire twice — a
restart, a duplicate job, the start-up catch-up racing the timer — finds the period already
covered, and even a race past that check writes the same outbox ``dedup_key``s
(``digest:<chat>:<until>:<part>``), which the outbox ignores. Queuing the digest and
advancing ``last_digest_at`` is one transaction, so a crash loses or doubles nothing.

On start, a chat whose latest fire came while the service was down gets that digest once,
covering the whole gap since its last one. A chat that never had a digest is owed one only
if it had subscribed before that fire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock, SystemClock
from bot.digest.contents import DigestOptions, Period
from bot.digest.gather import MAX_PERIOD, Coverage, digest_for_coverage
from bot.digest.render import render_html
from bot.digest.schedule import Schedule, ScheduleError, make_trigger, parse_schedule, previous_fire
from bot.digest.stories import Fingerprints
from bot.errors import ChanwatchError
from bot.logs import fields
from storage import digests, outbox, subscribers
from storage.database import Database
from storage.errors import StorageError
from storage.outbox import NewOutboxItem
from storage.subscribers import Subscriber
from storage.unixtime import to_ts

log = logging.getLogger(__name__)

DIGEST_JOB = "digest:{chat_id}"
SETTINGS_JOB = "settings"
RELOAD_EVERY = timedelta(minutes=5)
# How many distinct post texts the shared fingerprint cache holds before starting afresh.
FINGERPRINT_TEXTS = 50_000
_FIRST_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Periodic:
    """A service job run every ``every`` (the first run one period after start)."""

    job_id: str
    every: timedelta
    run: Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """A chat's digest timing, as jobs are built from it; equal plans need no rebuild."""

    chat_id: int
    schedule: Schedule
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class DigestRun:
    """What one digest run queued (``parts == 0``: an empty period, nothing asked for)."""

    chat_id: int
    period: Period
    hits: int
    parts: int


def digest_period(
    schedule: Schedule, zone: ZoneInfo, until: datetime, last_digest_at: datetime | None
) -> Period | None:
    """The period a digest firing at ``until`` covers; ``None`` when already covered.

    From the previous digest on (the whole gap after downtime, at most ``MAX_PERIOD``); a
    chat's first digest covers one schedule interval.
    """
    if last_digest_at is not None:
        if last_digest_at >= until:
            return None
        return Period(max(last_digest_at, until - MAX_PERIOD), until)
    before = previous_fire(schedule, zone, until - _FIRST_SECOND)
    return Period(before or until - timedelta(days=1), until)


def plan_of(subscriber: Subscriber, default_zone: ZoneInfo) -> DigestPlan | None:
    """The chat's digest plan, or ``None`` when it gets no scheduled digests.

    Inactive chats, chats without subscriptions and schedules switched off get none. A
    setting that no longer parses (stored by an older version, or by hand) is logged and the
    chat skipped rather than taking the scheduler down.
    """
    if not subscriber.active or Coverage.of(subscriber.targets).empty:
        return None
    try:
        schedule = parse_schedule(subscriber.digest_schedule)
        zone = ZoneInfo(subscriber.timezone) if subscriber.timezone else default_zone
    except (ScheduleError, ZoneInfoNotFoundError, ValueError) as error:
        log.warning(
            "digest settings unusable", extra=fields(chat=subscriber.chat_id, error=str(error))
        )
        return None
    if schedule.kind == "off":
        return None
    return DigestPlan(subscriber.chat_id, schedule, zone)


class Scheduler:
    """Owns the ``AsyncIOScheduler``; call :meth:`start` from the running event loop."""

    def __init__(
        self,
        db: Database,
        *,
        default_zone: ZoneInfo,
        periodic: Sequence[Periodic] = (),
        options: DigestOptions | None = None,
        clock: Clock | None = None,
        wake_deliverer: Callable[[], None] | None = None,
        scheduler: AsyncIOScheduler | None = None,
    ) -> None:
        self.db = db
        self.default_zone = default_zone
        self.periodic = tuple(periodic)
        self.options = options or DigestOptions()
        self.clock = clock or SystemClock()
        self.wake_deliverer = wake_deliverer
        self.scheduler = scheduler or AsyncIOScheduler(timezone=UTC)
        self.fingerprints = Fingerprints(max_texts=FINGERPRINT_TEXTS)
        self.plans: dict[int, DigestPlan] = {}
        self._locks: dict[int, asyncio.Lock] = {}
        self._reloading = asyncio.Lock()

    async def start(self) -> list[DigestRun]:
        """Build every job from the database, send digests missed while down, start ticking.

        Returns the catch-up runs (what was owed and queued now).
        """
        await self.reload()
        owed = await self.catch_up()
        self._add_service_jobs()
        self.scheduler.start()
        return owed

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn

    def request_reload(self) -> None:
        """Rebuild the jobs soon, from synchronous code (the bot after ``/settings``,
        ``/subscribe`` or ``/unsubscribe``): the settings job runs now instead of later."""
        job = self.scheduler.get_job(SETTINGS_JOB) if self.scheduler.running else None
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def _add_service_jobs(self) -> None:
        self._add(SETTINGS_JOB, self.reload, IntervalTrigger(seconds=_secs(RELOAD_EVERY)))
        for job in self.periodic:
            self._add(job.job_id, job.run, IntervalTrigger(seconds=_secs(job.every)))

    def _add(
        self, job_id: str, func: Callable[..., Awaitable[Any]], trigger: Any, *args: Any
    ) -> None:
        # One instance at a time; a backlog of missed runs collapses into one; a late run still
        # runs (the loop may have been busy), since every job here is idempotent.
        self.scheduler.add_job(
            _guarded(job_id, func),
            trigger,
            args=list(args),
            id=job_id,
            name=job_id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )

    async def reload(self) -> None:
        """Make the digest jobs match the subscribers' settings: add, replace, remove."""
        async with self._reloading:
            wanted: dict[int, DigestPlan] = {}
            for subscriber in await subscribers.list_subscribers(self.db, active_only=True):
                plan = plan_of(subscriber, self.default_zone)
                if plan is not None:
                    wanted[plan.chat_id] = plan
            for chat_id in self.plans.keys() - wanted.keys():
                job_id = DIGEST_JOB.format(chat_id=chat_id)
                if self.scheduler.get_job(job_id) is not None:
                    self.scheduler.remove_job(job_id)
            for chat_id, plan in wanted.items():
                if self.plans.get(chat_id) != plan:
                    trigger = make_trigger(plan.schedule, plan.zone)
                    self._add(DIGEST_JOB.format(chat_id=chat_id), self.run_digest, trigger, chat_id)
            self.plans = wanted

    async def catch_up(self) -> list[DigestRun]:
        """Queue, once, each digest whose fire passed while the service was down."""
        now = self.clock.now()
        runs = []
        for chat_id, plan in sorted(self.plans.items()):
            # One chat's broken digest must not keep the service from starting, nor the
            # other chats from their digests.
            with _contained(DIGEST_JOB.format(chat_id=chat_id)):
                run = await self._owed(chat_id, plan, now)
                if run is not None:
                    runs.append(run)
        return runs

    async def _owed(self, chat_id: int, plan: DigestPlan, now: datetime) -> DigestRun | None:
        missed = previous_fire(plan.schedule, plan.zone, now)
        state = await digests.digest_state(self.db, chat_id)
        if missed is None or state is None:
            return None
        last = state.last_digest_at
        owed = last < missed if last is not None else _subscribed_before(state, missed)
        return await self.run_digest(chat_id, now=now) if owed else None

    async def run_digest(self, chat_id: int, *, now: datetime | None = None) -> DigestRun | None:
        """The digest of the chat's latest fire at or before ``now``, unless already queued."""
        async with self._locks.setdefault(chat_id, asyncio.Lock()):
            now = now or self.clock.now()
            plan = self.plans.get(chat_id)
            subscriber = await subscribers.get(self.db, chat_id)
            state = await digests.digest_state(self.db, chat_id)
            if plan is None or subscriber is None or not subscriber.active or state is None:
                return None
            until = previous_fire(plan.schedule, plan.zone, now)
            if until is None:
                return None
            period = digest_period(plan.schedule, plan.zone, until, state.last_digest_at)
            if period is None:
                return None
            options = replace(self.options, show_empty=state.send_empty)
            digest = await digest_for_coverage(
                self.db,
                Coverage.of(subscriber.targets),
                period,
                plan.zone,
                options,
                self.fingerprints,
            )
            items = [
                NewOutboxItem(
                    dedup_key=f"digest:{chat_id}:{to_ts(until)}:{part}",
                    chat_id=chat_id,
                    kind="digest",
                    body=body,
                    not_before=now,
                )
                for part, body in enumerate(render_html(digest))
            ]
            async with self.db.transaction():
                await outbox.enqueue(self.db, items)
                await digests.mark_digest_sent(self.db, chat_id, until)
            if items and self.wake_deliverer is not None:
                self.wake_deliverer()
            log.info(
                "digest queued",
                extra=fields(chat=chat_id, since=period.since, until=until, parts=len(items)),
            )
            return DigestRun(chat_id, period, digest.hits, len(items))


def _subscribed_before(state: digests.DigestState, moment: datetime) -> bool:
    return state.subscribed_at is not None and state.subscribed_at < moment


def _secs(length: timedelta) -> int:
    return int(length.total_seconds())


def _guarded(job_id: str, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[None]]:
    """A job that logs its failure in one line and lets the next run try again."""

    async def job(*args: Any) -> None:
        with _contained(job_id):
            await func(*args)

    return job


@contextlib.contextmanager
def _contained(job_id: str) -> Iterator[None]:
    """One job's failure stays its own: logged, never raised to the scheduler or the service.

    An expected failure (locked database, disk full) is a warning; anything else is a bug
    and keeps its traceback.
    """
    try:
        yield
    except (ChanwatchError, StorageError) as error:
        log.warning("scheduled job failed", extra=fields(job=job_id, error=str(error)))
    except Exception:
        log.exception("scheduled job crashed", extra=fields(job=job_id))
