"""The outbox: dedup, order per chat, crash-safe states, and the ingest router writing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.pipeline.alert_router import OutboxRouter
from storage import channels, outbox, subscribers
from storage.database import Database
from storage.outbox import NewOutboxItem
from tests.support.clock import FakeClock
from tests.support.hits import KURSK_NEWS, new_hit

NOW = datetime(2024, 10, 20, 12, 0, tzinfo=UTC)


def item(key: str, chat: int, at: datetime = NOW) -> NewOutboxItem:
    return NewOutboxItem(key, chat, "alert", f"<b>{key}</b>", at)


async def test_same_dedup_key_is_queued_once(db: Database) -> None:
    assert await outbox.enqueue(db, [item("alert:1:5", 1), item("alert:1:5", 1)]) == 1
    assert await outbox.enqueue(db, [item("alert:1:5", 1)]) == 0
    assert await outbox.depth(db) == 1


async def test_heads_keep_order_per_chat_and_respect_not_before(db: Database) -> None:
    await outbox.enqueue(
        db,
        [
            item("a1", 1),
            item("b1", 2, NOW + timedelta(hours=1)),
            item("a2", 1),
            item("c1", 3),
        ],
    )
    heads = await outbox.due_heads(db, NOW)
    assert [h.dedup_key for h in heads] == ["a1", "c1"]
    await outbox.mark_sending(db, heads[0].id)
    assert [h.dedup_key for h in await outbox.due_heads(db, NOW)] == ["c1"]  # a2 waits for a1
    await outbox.mark_sent(db, heads[0].id, 900)
    assert [h.dedup_key for h in await outbox.due_heads(db, NOW)] == ["a2", "c1"]
    assert await outbox.next_due(db) == NOW
    later = await outbox.due_heads(db, NOW + timedelta(hours=1))
    assert "b1" in [h.dedup_key for h in later]


async def test_recover_resends_only_rows_that_may_not_have_gone_out(db: Database) -> None:
    await outbox.enqueue(db, [item("sent", 1), item("inflight", 2), item("queued", 3)])
    rows = {r.dedup_key: r for r in await outbox.list_items(db)}
    await outbox.mark_sending(db, rows["sent"].id)
    await outbox.mark_sent(db, rows["sent"].id, 11)
    await outbox.mark_sending(db, rows["inflight"].id)
    # crash here: "inflight" was handed to Telegram, the acknowledgement never recorded
    assert await outbox.recover(db) == 1
    due = [h.dedup_key for h in await outbox.due_heads(db, NOW)]
    assert due == ["inflight", "queued"]
    assert (await outbox.get(db, rows["sent"].id)).status == "sent"  # type: ignore[union-attr]


async def test_fail_chat_gives_up_on_every_unsent_row(db: Database) -> None:
    await outbox.enqueue(db, [item("a1", 1), item("a2", 1), item("b1", 2)])
    assert await outbox.fail_chat(db, 1, "bot blocked") == 2
    assert await outbox.depth(db) == 1


async def test_router_writes_one_row_per_subscribed_chat_and_hit(db: Database) -> None:
    await subscribers.ensure(db, 501, kind="user", title="Олена")
    await subscribers.subscribe(db, 501, "rule:dprk-kursk")
    await subscribers.ensure(db, -1001, kind="group", title="OSINT desk")
    await subscribers.subscribe(db, -1001, "tag:mil")
    await subscribers.ensure(db, 502, kind="user", title="quiet")
    await subscribers.subscribe(db, 502, "all")
    await subscribers.set_quiet_hours(db, 502, "14:00", "16:00")
    await subscribers.set_timezone(db, 502, "Europe/Kyiv")
    await subscribers.ensure(db, 503, kind="user", title="blocked")
    await subscribers.subscribe(db, 503, "all")
    await subscribers.deactivate(db, 503, "bot blocked")
    await channels.ensure_seen(db, KURSK_NEWS.telegram_id, title="Курские", username="kursk_news")
    known = await channels.find(db, telegram_id=KURSK_NEWS.telegram_id)
    assert known is not None
    await channels.set_tags(db, known.id, ["mil"])

    router = OutboxRouter(ZoneInfo("UTC"), clock=FakeClock(NOW))
    async with db.transaction():
        await router.enqueue(db, [new_hit(1), new_hit(2, priority="digest")])
        await router.enqueue(db, [new_hit(1)])  # ingest retried: nothing doubles
    rows = await outbox.list_items(db)
    subject = "1500000001:42:dprk-kursk"
    assert sorted(r.dedup_key for r in rows) == [
        f"alert:-1001:{subject}",
        f"alert:501:{subject}",
        f"alert:502:{subject}",
    ]
    held = next(r for r in rows if r.chat_id == 502)
    assert held.not_before == datetime(2024, 10, 20, 13, 0, tzinfo=UTC)  # 16:00 Kyiv
    assert "2024-10-20 15:00 EEST" in held.body
