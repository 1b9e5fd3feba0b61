"""The deliverer: sends outbox rows in order per chat, within Telegram's limits.

Limits: about 30 messages a second overall and 20 a minute to one group (token buckets on
an injectable clock). A FloodWait stops all sending for the time Telegram asks (it is the
bot that is limited, not the chat); slow mode holds only that chat. Network and server
errors retry with exponential backoff; a chat that cannot receive anything any more is
given up on and its subscriber marked inactive with the reason (seen in ``/status``). A
sending limit on the whole account (``PEER_FLOOD``) pauses all sending too, for ten minutes
doubling while it lasts, and is shown in ``/status`` as the last error. An error nobody
foresaw (a bug, a bad row) is retried like a network error: one row never stops delivery.

Crash safety comes from the outbox's states (see ``storage.outbox``): the row is committed
``sending`` before the send and ``sent`` after it; on start, rows left ``sending`` are sent
again — at most once more, and only the ones that may not have gone out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Protocol

from bot.clock import Clock, SystemClock, sleep_unless
from bot.logs import fields
from bot.ops import heartbeat
from bot.ops.metrics import Metrics
from bot.ratelimit import KeyedBuckets, TokenBucket
from bot.telegram.sender import ChatGone, DeliveryError, FloodWait, SendingLimited, Undeliverable
from storage import outbox, subscribers
from storage.database import Database
from storage.outbox import OutboxItem

log = logging.getLogger(__name__)

GLOBAL_PER_SECOND = 30.0
GROUP_PER_MINUTE = 20
MAX_ATTEMPTS = 8
MAX_BACKOFF_S = 600
LIMITED_PAUSE_S = 600  # the first pause of a sending limit; it doubles while the limit lasts
LIMITED_MAX_PAUSE_S = 2 * 3600
IDLE_POLL_S = 5.0
SEND_METHOD = "messages.SendMessage"  # the API method a FloodWait is counted against


class MessageSender(Protocol):
    async def send(self, chat_id: int, html: str, chart: bytes | None = None) -> int: ...


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … seconds after each failed attempt, capped at ten minutes."""
    return timedelta(seconds=min(2**attempts, MAX_BACKOFF_S))


def limited_pause(times: int) -> int:
    """Seconds to stop sending after the ``times``-th sending limit in a row: 10, 20, 40 …
    minutes, capped at two hours (Telegram does not say how long the limit lasts)."""
    return int(min(LIMITED_PAUSE_S * 2 ** (times - 1), LIMITED_MAX_PAUSE_S))


class Deliverer:
    def __init__(
        self,
        db: Database,
        sender: MessageSender,
        *,
        clock: Clock | None = None,
        per_second: float = GLOBAL_PER_SECOND,
        group_per_minute: int = GROUP_PER_MINUTE,
        max_attempts: int = MAX_ATTEMPTS,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.clock = clock or SystemClock()
        self.metrics = metrics
        self.max_attempts = max_attempts
        self._overall = TokenBucket(per_second, per_second, self.clock.monotonic)
        self._groups: KeyedBuckets[int] = KeyedBuckets(
            group_per_minute / 60, group_per_minute, self.clock.monotonic
        )
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._stopping = False
        self._group_hold = 0.0  # seconds until a group skipped for its limit may send again
        self._limited = 0  # sending limits met in a row, reset by a message that goes out

    def notify(self) -> None:
        """New rows were queued: stop idling."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the send in progress, then return from :meth:`run`."""
        self._stopping = True
        self._stopped.set()
        self._wake.set()

    async def run(self) -> None:
        resent = await outbox.recover(self.db)
        if resent:
            log.warning("resending alerts interrupted by a crash", extra=fields(rows=resent))
        while not self._stopping:
            self._wake.clear()  # before looking for work: a notify or stop from now on is kept
            try:
                if not await self.deliver_due():
                    await self._idle()
            except Exception:
                # The database, most likely (locked, disk full): the rows wait, delivery goes on.
                log.exception("delivery pass failed; trying again shortly")
                await self._pause(IDLE_POLL_S)

    async def _idle(self) -> None:
        due = await outbox.next_due(self.db)
        timeout = IDLE_POLL_S
        if due is not None:
            wait = max(self._group_hold, (due - self.clock.now()).total_seconds())
            timeout = min(timeout, max(0.05, wait))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)

    async def deliver_due(self) -> int:
        """One pass over the chats with a due row: at most one row each. Returns rows handled."""
        handled = 0
        self._group_hold = 0.0
        for row in await outbox.due_heads(self.db, self.clock.now()):
            if self._stopping:
                break
            try:
                handled += await self._offer(row)
            except Exception as error:
                await self._unexpected(row, error)
                handled += 1
        return handled

    async def _offer(self, row: OutboxItem) -> int:
        """Send the row unless its group had its share this minute; 1 if it was handled."""
        if row.chat_id < 0 and not self._groups[row.chat_id].try_take():
            wait = self._groups[row.chat_id].wait_time()  # it had its 20 a minute
            self._group_hold = min(self._group_hold or wait, wait)
            return 0
        while not self._overall.try_take():
            await self.clock.sleep(self._overall.wait_time())
        await self._deliver(row)
        return 1

    async def _deliver(self, row: OutboxItem) -> None:
        if not await outbox.mark_sending(self.db, row.id):
            return
        try:
            message_id = await self.sender.send(row.chat_id, row.body, row.chart)
        except FloodWait as wait:
            await self._flood_wait(row, wait)
        except SendingLimited as limited:
            await self._sending_limited(row, limited.reason)
        except ChatGone as gone:
            await self._give_up_chat(row, gone.reason)
        except Undeliverable as bad:
            log.error("message refused", extra=fields(chat=row.chat_id, row=row.id, why=bad.reason))
            await outbox.mark_failed(self.db, row.id, bad.reason)
            self._failed(row)
        except DeliveryError as error:
            await self._retry(row, error.reason)
        else:
            self._limited = 0
            await outbox.mark_sent(self.db, row.id, message_id)
            log.debug("sent", extra=fields(chat=row.chat_id, row=row.id, kind=row.kind))
            if self.metrics is not None:
                self.metrics.alert_sent(row.kind)

    def _failed(self, row: OutboxItem) -> None:
        if self.metrics is not None:
            self.metrics.send_failed(row.kind)

    async def _flood_wait(self, row: OutboxItem, wait: FloodWait) -> None:
        log.warning("flood wait", extra=fields(chat=row.chat_id, seconds=wait.seconds))
        if self.metrics is not None:
            self.metrics.flood_wait(wait.seconds, SEND_METHOD)
        until = self.clock.now() + timedelta(seconds=wait.seconds)
        await outbox.mark_retry(
            self.db, row.id, error=wait.reason, not_before=until, count_attempt=False
        )
        if not wait.chat_only:
            await self._pause(wait.seconds)

    async def _sending_limited(self, row: OutboxItem, reason: str) -> None:
        """The account may not send to anyone for a while: retrying each row (eight tries a
        message) would only burn them all; stop everything and try one row again later."""
        self._limited += 1
        seconds = limited_pause(self._limited)
        log.warning("sending limited", extra=fields(chat=row.chat_id, seconds=seconds))
        await outbox.mark_retry(
            self.db,
            row.id,
            error=reason,
            not_before=self.clock.now() + timedelta(seconds=seconds),
            count_attempt=False,
        )
        await heartbeat.record_error(
            self.db, f"{reason}; sending paused for {seconds // 60} min", self.clock.now()
        )
        await self._pause(seconds)

    async def _unexpected(self, row: OutboxItem, error: Exception) -> None:
        """An error no rule foresaw: retried with backoff, so a passing fault costs a delay
        and a lasting one fails only its row. The traceback is logged on the row's first try
        (not the message: it may quote a private post)."""
        if row.attempts == 0:
            log.warning(
                "unexpected send error",
                exc_info=error,
                extra=fields(chat=row.chat_id, row=row.id, error=type(error).__name__),
            )
        await self._retry(row, f"unexpected {type(error).__name__}")

    async def _pause(self, seconds: float) -> None:
        """Sleep, unless told to stop first: a FloodWait may be hours, a stop must be prompt
        (the row is already rescheduled for when Telegram allows it)."""
        await sleep_unless(self.clock, seconds, self._stopped)

    async def _give_up_chat(self, row: OutboxItem, reason: str) -> None:
        log.warning("chat gone", extra=fields(chat=row.chat_id, why=reason))
        async with self.db.transaction():
            await outbox.fail_chat(self.db, row.chat_id, reason)
            await subscribers.deactivate(self.db, row.chat_id, reason)
        self._failed(row)  # the row that failed; the chat's later rows were never tried

    async def _retry(self, row: OutboxItem, reason: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            log.error("giving up", extra=fields(chat=row.chat_id, row=row.id, why=reason))
            await outbox.mark_failed(self.db, row.id, f"{reason} (after {attempts} attempts)")
            self._failed(row)
            return
        # The first failure of a row says why; its later retries (an outage) are for DEBUG.
        level = logging.INFO if attempts == 1 else logging.DEBUG
        log.log(level, "will retry", extra=fields(chat=row.chat_id, row=row.id, why=reason))
        await outbox.mark_retry(
            self.db, row.id, error=reason, not_before=self.clock.now() + backoff(attempts)
        )
