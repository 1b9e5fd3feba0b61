"""The destinations' deliverer: sends their outbox rows, in order per destination, within
each one's rate limit, beside (and independent of) the Telegram deliverer.

Each destination has its own token bucket (``per_minute``, with as many in a burst) and its
own head-of-line order, and each pass sends to every due destination at once, so a slow or
dead webhook holds back only itself: Telegram subscribers go on untouched, and the other
destinations lose at most one request's wait to it while it is retried. A failure that may
pass (network, 5xx, 429) is retried with backoff — 1, 2, 4 … seconds, at most 15 minutes —
or after the time a ``Retry-After`` asked for, which is not counted as the row's fault. A
destination failing without a single success for ``give_up_after`` (a day) is made inactive
with the reason, shown by ``/status`` and ``chanwatch status``, and its unsent rows are given
up; saving the destination again (``destinations add`` or ``apply``) makes it active.

Crash safety is the outbox's: ``sending`` is committed before the request and ``sent``
after; on start this deliverer puts its own rows left ``sending`` back to ``pending`` and
sends them again with the same ``Idempotency-Key``.

Secrets: a URL's ``${VARIABLE}`` values are added to the log redaction before the first
send, and every error kept for ``status`` is scrubbed of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from bot.clock import Clock, SystemClock
from bot.destinations.transport import (
    AppriseTransport,
    Delivered,
    Envelope,
    Rejected,
    Transport,
    WebhookTransport,
)
from bot.destinations.urls import DestinationUrlError, expand, kind_of
from bot.logs import REDACTED, fields
from bot.ratelimit import TokenBucket
from storage import destinations, outbox
from storage.database import Database
from storage.destinations import Destination, DueRow

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(days=1)
MAX_BACKOFF_S = 900
IDLE_POLL_S = 5.0
UNSET_WAIT = timedelta(minutes=1)  # a variable the URL needs is not set: look again soon


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_S))


def _after(now: datetime, wait: timedelta) -> datetime:
    """``now + wait`` rounded up to the second the outbox stores: a Retry-After is a least."""
    until = now + wait
    return until if not until.microsecond else until.replace(microsecond=0) + timedelta(seconds=1)


class DestinationDeliverer:
    def __init__(
        self,
        db: Database,
        environ: Mapping[str, str],
        *,
        clock: Clock | None = None,
        transports: Mapping[str, Transport] | None = None,
        give_up_after: timedelta = GIVE_UP_AFTER,
        redact: Callable[[Iterable[str]], None] = lambda _: None,
    ) -> None:
        self.db = db
        self.environ = environ
        self.clock = clock or SystemClock()
        self.transports: Mapping[str, Transport] = transports or {
            "webhook": WebhookTransport(),
            "apprise": AppriseTransport(),
        }
        self.give_up_after = give_up_after
        self.redact = redact
        self._buckets: dict[tuple[int, int], TokenBucket] = {}
        self._secrets: set[str] = set()
        self._wake = asyncio.Event()
        self._stopping = False

    def notify(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        resent = await destinations.recover(self.db)
        if resent:
            log.warning("resending to destinations after a crash", extra=fields(rows=resent))
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    if not await self.deliver_due():
                        await self._idle()
                except Exception:
                    log.exception("destination delivery pass failed; trying again shortly")
                    await self._sleep(IDLE_POLL_S)
        finally:
            for transport in self.transports.values():
                with contextlib.suppress(Exception):
                    await transport.close()

    async def _idle(self) -> None:
        due = await destinations.next_due(self.db)
        timeout = IDLE_POLL_S
        if due is not None:
            timeout = min(timeout, max(0.05, (due - self.clock.now()).total_seconds()))
        await self._sleep(timeout)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def deliver_due(self) -> int:
        """One pass: at most one row per destination whose bucket has a token, sent to all of
        them at once, so a destination slow to answer costs the others one request's wait
        (at most the 15 s timeout) rather than a turn each."""
        known = {d.id: d for d in await destinations.list_destinations(self.db, active_only=True)}
        chosen = [
            (known[due.destination_id], due)
            for due in await destinations.due_heads(self.db, self.clock.now())
            if not self._stopping
            and due.destination_id in known
            and self._bucket(known[due.destination_id]).try_take()
        ]
        await asyncio.gather(*(self._deliver(destination, due) for destination, due in chosen))
        return len(chosen)

    def _bucket(self, destination: Destination) -> TokenBucket:
        per_minute = destination.values.per_minute
        key = (destination.id, per_minute)
        if key not in self._buckets:
            self._buckets[key] = TokenBucket(per_minute / 60, per_minute, self.clock.monotonic)
        return self._buckets[key]

    def _scrub(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def _envelope(self, destination: Destination, due: DueRow) -> Envelope:
        values = destination.values
        url = expand(values.url, self.environ)
        secret = None
        if values.secret_env:
            secret = self.environ.get(values.secret_env) or None
            if secret is None:
                raise DestinationUrlError(
                    f"{values.secret_env} is not set (the destination signs with it)"
                )
        new = {s for s in (*url.secrets, secret) if s} - self._secrets
        if new:
            self._secrets |= new
            self.redact(new)
        return Envelope(
            url=url.url,
            body=due.item.body,
            event_id=due.item.dedup_key,
            kind=due.item.kind,
            fmt=values.format,
            secret=secret,
        )

    async def _deliver(self, destination: Destination, due: DueRow) -> None:
        row = due.item
        try:
            envelope = self._envelope(destination, due)
        except DestinationUrlError as error:
            await self._failed_attempt(destination, due, str(error), UNSET_WAIT, keep=True)
            return
        if not await outbox.mark_sending(self.db, row.id):
            return
        transport = self.transports[kind_of(destination.values.url)]
        try:
            outcome = await transport.send(envelope)
        except Exception as error:  # a bug or an odd library failure: one row never stops us
            log.warning(
                "unexpected destination error",
                extra=fields(destination=destination.name, error=type(error).__name__),
            )
            reason = f"unexpected {type(error).__name__}"
            await self._failed_attempt(
                destination, due, reason, backoff(row.attempts + 1), keep=True
            )
            return
        if isinstance(outcome, Delivered):
            async with self.db.transaction():
                await outbox.mark_sent(self.db, row.id, None)
                await destinations.record_success(self.db, destination.id)
            log.debug("sent", extra=fields(destination=destination.name, row=row.id))
        elif isinstance(outcome, Rejected):
            reason = self._scrub(outcome.reason)
            log.error("destination refused", extra=fields(destination=destination.name, why=reason))
            await outbox.mark_failed(self.db, row.id, reason)
        elif outcome.after is not None:  # the destination said when: not the row's fault
            wait = timedelta(seconds=outcome.after)
            await self._failed_attempt(destination, due, outcome.reason, wait, keep=False)
        else:
            wait = backoff(row.attempts + 1)
            await self._failed_attempt(destination, due, outcome.reason, wait, keep=True)

    async def _failed_attempt(
        self, destination: Destination, due: DueRow, reason: str, wait: timedelta, *, keep: bool
    ) -> None:
        """Record the failure; make the destination inactive after a day of them, else put
        the row back for ``wait`` (``keep=False``: the attempt was not the row's fault)."""
        reason = self._scrub(reason)
        now = self.clock.now()
        row = due.item
        async with self.db.transaction():
            await destinations.record_failure(self.db, destination.id, reason, now)
            since = (await destinations.get(self.db, destination.name)).failing_since
            if since is not None and now - since >= self.give_up_after:
                gave_up = await destinations.deactivate(
                    self.db, destination.id, f"failing since {since:%Y-%m-%d %H:%M} UTC: {reason}"
                )
            else:
                gave_up = None
                await outbox.mark_retry(
                    self.db, row.id, error=reason, not_before=_after(now, wait), count_attempt=keep
                )
        if gave_up is not None:
            log.warning(
                "destination inactive",
                extra=fields(destination=destination.name, why=reason, rows=gave_up),
            )
            return
        # The first failure of a row says why; its later retries (an outage) are for DEBUG.
        level = logging.INFO if row.attempts == 0 else logging.DEBUG
        log.log(
            level,
            "destination will retry",
            extra=fields(destination=destination.name, why=reason, seconds=wait.total_seconds()),
        )
