"""The deliverer against a real TelegramClient (bot account) answered by the fake Telegram."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from telethon import TelegramClient, errors, types
from telethon.tl.functions.messages import SendMessageRequest

from bot.ops.metrics import Metrics
from bot.ops.status import collect_status, render_html
from bot.telegram.deliverer import MAX_BACKOFF_S, Deliverer
from bot.telegram.sender import TelethonSender
from storage import outbox, subscribers
from storage.database import Database
from storage.outbox import NewOutboxItem
from tests.faketg import FakeTelegram, forget_flood_waits, make_client, push
from tests.support.clock import FakeClock
from tests.support.waiting import eventually


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def bot(world: FakeTelegram) -> AsyncIterator[TelegramClient]:
    client = await make_client(world, bot=True, raise_last_call_error=True, request_retries=0)
    try:
        yield client
    finally:
        await client.disconnect()


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


async def queue(db: Database, clock: FakeClock, chat: int, *texts: str) -> None:
    await outbox.enqueue(
        db, [NewOutboxItem(f"t:{chat}:{t}", chat, "alert", t, clock.now()) for t in texts]
    )


async def drain(deliverer: Deliverer, rounds: int = 50) -> None:
    for _ in range(rounds):
        if not await deliverer.deliver_due():
            return


async def drained(db: Database) -> bool:
    return await outbox.depth(db) == 0


def texts_to(world: FakeTelegram, chat_id: int) -> list[str]:
    return [m.message for m in world.sent if getattr(m.peer_id, "user_id", None) == chat_id]


async def test_sends_in_order_per_chat_and_marks_sent(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    clock = FakeClock()
    await queue(db, clock, olena.id, "перше", "друге", "третє")
    await queue(db, clock, taras.id, "first")
    await drain(Deliverer(db, TelethonSender(bot), clock=clock))
    assert texts_to(world, olena.id) == ["перше", "друге", "третє"]
    assert texts_to(world, taras.id) == ["first"]
    rows = await outbox.list_items(db)
    assert {r.status for r in rows} == {"sent"}
    assert all(r.telegram_message_id for r in rows)


async def test_html_is_sent_as_formatting(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena = world.add_user("Олена")
    clock = FakeClock()
    await queue(db, clock, olena.id, "<b>КНДР</b> &amp; Курск")
    await drain(Deliverer(db, TelethonSender(bot), clock=clock))
    [request] = world.of(SendMessageRequest)
    assert request.message == "КНДР & Курск"
    assert isinstance(request.entities[0], types.MessageEntityBold)


async def test_flood_wait_sleeps_the_time_asked_then_resumes(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena = world.add_user("Олена")
    clock = FakeClock()
    await queue(db, clock, olena.id, "one", "two")
    world.fail(SendMessageRequest, errors.FloodWaitError, capture=42)
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock)
    assert await deliverer.deliver_due() == 1
    assert clock.sleeps == [42]
    assert texts_to(world, olena.id) == []
    forget_flood_waits(bot)  # Telethon remembers the wait in real time; the fake clock moved on
    await drain(deliverer)
    assert texts_to(world, olena.id) == ["one", "two"]
    assert [r.attempts for r in await outbox.list_items(db)] == [1, 1]  # the wait was not a try


async def test_blocked_bot_marks_subscriber_inactive_and_spares_other_chats(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    for user in (olena, taras):
        await subscribers.ensure(db, user.id, kind="user", title=user.first_name)
    clock = FakeClock()
    await queue(db, clock, olena.id, "one", "two")
    await queue(db, clock, taras.id, "hello")
    world.fail(
        SendMessageRequest, errors.UserIsBlockedError, when=lambda r: r.peer.user_id == olena.id
    )
    await drain(Deliverer(db, TelethonSender(bot), clock=clock))
    gone = await subscribers.get(db, olena.id)
    assert gone is not None and not gone.active
    assert gone.inactive_reason == "the user blocked the bot"
    assert {r.status for r in await outbox.list_items(db, chat_id=olena.id)} == {"failed"}
    assert texts_to(world, taras.id) == ["hello"]
    assert await outbox.depth(db) == 0


async def test_transient_errors_back_off_then_give_up(
    db: Database, world: FakeTelegram, bot: TelegramClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Telethon itself pauses 2 real seconds after "Telegram is having internal issues".
    monkeypatch.setattr("telethon.client.users.asyncio", SimpleNamespace(sleep=_no_wait))
    olena = world.add_user("Олена")
    clock = FakeClock()
    await queue(db, clock, olena.id, "one")
    world.fail(SendMessageRequest, errors.RpcCallFailError, times=3)
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock, max_attempts=3)
    await deliverer.deliver_due()
    [row] = await outbox.list_items(db)
    assert (row.status, row.not_before) == ("pending", clock.now() + timedelta(seconds=2))
    assert await deliverer.deliver_due() == 0  # backing off
    clock.advance(2)
    await deliverer.deliver_due()
    clock.advance(4)
    await deliverer.deliver_due()
    [row] = await outbox.list_items(db)
    assert row.status == "failed" and "after 3 attempts" in (row.last_error or "")


async def test_group_gets_at_most_twenty_a_minute(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    desk = world.add_channel("osint_desk", "OSINT desk", megagroup=True)
    admin = world.add_user("Олена")
    await push(bot, world, world.user_message(admin, "/start", group=desk))  # bot learns the group
    chat_id = int(f"-100{desk.id}")
    clock = FakeClock()
    await queue(db, clock, chat_id, *(f"alert {i}" for i in range(25)))
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock)
    before = len(world.sent)
    await drain(deliverer)
    assert len(world.sent) - before == 20
    clock.advance(6)  # 20 a minute: one more every 3 s
    await drain(deliverer)
    assert len(world.sent) - before == 22
    assert world.sent[-1].message == "alert 21"


class _DiesAfterSending:
    """The process is killed right after Telegram took the message, before it was marked."""

    def __init__(self, inner: TelethonSender) -> None:
        self.inner = inner

    async def send(self, chat_id: int, html: str, chart: bytes | None = None) -> int:
        await self.inner.send(chat_id, html, chart)
        raise asyncio.CancelledError


async def test_crash_between_send_and_mark_resends_only_that_row_once(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena = world.add_user("Олена")
    clock = FakeClock()
    await queue(db, clock, olena.id, "delivered", "in flight", "queued")
    sender = TelethonSender(bot)
    await Deliverer(db, sender, clock=clock).deliver_due()  # "delivered" is sent and marked
    with pytest.raises(asyncio.CancelledError):
        await Deliverer(db, _DiesAfterSending(sender), clock=clock).deliver_due()

    restarted = Deliverer(db, sender, clock=clock)
    task = asyncio.create_task(restarted.run())
    await eventually(lambda: drained(db), what="the outbox drained")
    restarted.stop()
    await asyncio.wait_for(task, 5)
    assert texts_to(world, olena.id) == ["delivered", "in flight", "in flight", "queued"]
    assert {r.status for r in await outbox.list_items(db)} == {"sent"}


async def test_metrics_count_sent_failed_and_flood_wait_seconds(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    clock = FakeClock()
    await queue(db, clock, olena.id, "one", "two")
    world.fail(SendMessageRequest, errors.FloodWaitError, capture=7)
    metrics = Metrics()
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock, metrics=metrics)
    await deliverer.deliver_due()
    forget_flood_waits(bot)
    await queue(db, clock, taras.id, "blocked")
    world.fail(
        SendMessageRequest, errors.UserIsBlockedError, when=lambda r: r.peer.user_id == taras.id
    )
    await drain(deliverer)

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    assert sample("chanwatch_messages_sent_total", kind="alert") == 2
    assert sample("chanwatch_send_failures_total", kind="alert") == 1
    assert sample("chanwatch_flood_wait_seconds_total", method="messages.SendMessage") == 7


class SleepyClock(FakeClock):
    """A sleep that lasts as long as asked, in real time: only a stop can cut it short."""

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.Event().wait()


async def test_stop_during_a_long_flood_wait_returns_at_once(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena = world.add_user("Олена")
    clock = SleepyClock()
    await queue(db, clock, olena.id, "one")
    world.fail(SendMessageRequest, errors.FloodWaitError, capture=3600)
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock)
    running = asyncio.create_task(deliverer.run())
    await eventually(lambda: bool(clock.sleeps), what="the deliverer began its flood wait")
    assert clock.sleeps == [3600]
    deliverer.stop()
    await asyncio.wait_for(running, 5)  # an hour's sleep would hang here
    [row] = await outbox.list_items(db)
    assert (row.status, row.not_before) == ("pending", clock.now() + timedelta(hours=1))


async def test_a_sending_limit_pauses_all_sending_and_shows_in_status(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    clock = FakeClock()
    await queue(db, clock, olena.id, "КНДР під Курськом")
    await queue(db, clock, taras.id, "North Korean troops near Kursk")
    world.fail(SendMessageRequest, errors.PeerFloodError, times=2)
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock)
    await deliverer.deliver_due()
    assert clock.sleeps == [600, 1200]  # every chat waits, longer while the limit lasts
    assert world.count(SendMessageRequest) == 2  # one try per pause, not eight per message
    report = render_html(await collect_status(db, clock.now(), zone=ZoneInfo("Europe/Kyiv")))
    assert "limited this account for sending" in report and "paused for 20 min" in report
    await drain(deliverer)
    assert texts_to(world, olena.id) == ["КНДР під Курськом"]
    assert texts_to(world, taras.id) == ["North Korean troops near Kursk"]
    assert [r.attempts for r in await outbox.list_items(db)] == [1, 1]  # the limit was no try
    world.fail(SendMessageRequest, errors.PeerFloodError)
    await queue(db, clock, olena.id, "Суджа")
    await drain(deliverer)
    assert clock.sleeps[-1] == 600  # a message got through since: the pause starts over


class _BreaksOn:
    """A sender with a bug that only one message brings out."""

    def __init__(self, inner: TelethonSender, poison: str) -> None:
        self.inner, self.poison = inner, poison

    async def send(self, chat_id: int, html: str, chart: bytes | None = None) -> int:
        if html == self.poison:
            raise TypeError("'NoneType' object is not subscriptable")
        return await self.inner.send(chat_id, html, chart)


async def test_an_unforeseen_error_is_retried_then_fails_its_row_and_delivery_goes_on(
    db: Database, world: FakeTelegram, bot: TelegramClient, caplog: pytest.LogCaptureFixture
) -> None:
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    clock = FakeClock()
    await queue(db, clock, olena.id, "секретний пост")
    await queue(db, clock, taras.id, "Kursk", "Sudzha")
    sender = _BreaksOn(TelethonSender(bot), "секретний пост")
    deliverer = Deliverer(db, sender, clock=clock, max_attempts=3)
    with caplog.at_level(logging.INFO, logger="bot.telegram.deliverer"):
        for _ in range(3):
            await drain(deliverer)
            clock.advance(MAX_BACKOFF_S)
    assert texts_to(world, taras.id) == ["Kursk", "Sudzha"]
    [row] = await outbox.list_items(db, chat_id=olena.id)
    assert row.status == "failed" and row.last_error == "unexpected TypeError (after 3 attempts)"
    warned = [r for r in caplog.records if r.getMessage() == "unexpected send error"]
    assert [r.levelno for r in warned] == [logging.WARNING]  # once, not on every try
    assert caplog.text.count("Traceback") == 1
    assert "секретний" not in caplog.text


async def test_a_bad_row_never_stops_the_deliverer(
    db: Database, world: FakeTelegram, bot: TelegramClient
) -> None:
    olena, taras = world.add_user("Олена"), world.add_user("Тарас")
    clock = FakeClock()
    await queue(db, clock, olena.id, "зіпсований рядок")
    await queue(db, clock, taras.id, "Kursk")
    await db.execute("UPDATE outbox SET chat_id = 'olena' WHERE chat_id = ?", (olena.id,))
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock, max_attempts=1)
    running = asyncio.create_task(deliverer.run())
    await eventually(lambda: drained(db), what="the outbox drained")
    assert not running.done()
    deliverer.stop()
    await asyncio.wait_for(running, 5)
    assert texts_to(world, taras.id) == ["Kursk"]
    assert sorted(r.status for r in await outbox.list_items(db)) == ["failed", "sent"]


async def test_a_row_queued_while_the_deliverer_looks_for_work_goes_out_at_once(
    db: Database, world: FakeTelegram, bot: TelegramClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wake-up for a row queued during the idle check for due rows was cleared after the
    check, so the row waited for the next idle poll (and a stop, for its whole length)."""
    monkeypatch.setattr("bot.telegram.deliverer.IDLE_POLL_S", 3600.0)  # no poll to hide behind
    olena = world.add_user("Олена")
    clock = FakeClock()
    deliverer = Deliverer(db, TelethonSender(bot), clock=clock)
    looked: list[bool] = []
    real_next_due = outbox.next_due

    async def queued_meanwhile(database: Database) -> datetime | None:
        due = await real_next_due(database)
        if not looked:
            looked.append(True)
            await queue(db, clock, olena.id, "Колона КНДР під Суджею")
            deliverer.notify()
        return due

    monkeypatch.setattr(outbox, "next_due", queued_meanwhile)
    running = asyncio.create_task(deliverer.run())
    await eventually(lambda: bool(texts_to(world, olena.id)), what="the alert went out")
    assert texts_to(world, olena.id) == ["Колона КНДР під Суджею"]
    deliverer.stop()
    await asyncio.wait_for(running, 30)
