"""Destinations fed by the real pipeline and sent by the real deliverer to a real HTTP server
on 127.0.0.1: digests for destinations that subscribe to them (folded stories, Markdown or
JSON), edits that withdraw or re-word a waiting row, the per-destination rate limit, and a
variable the URL needs that is not set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.destinations.actions import save_destination
from bot.destinations.deliverer import DestinationDeliverer
from bot.destinations.digests import queue_due_digests
from bot.destinations.payload import decode
from bot.destinations.router import DestinationRouter, Routers
from bot.ops.status import collect_status, render_html, render_text
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from bot.watchlist.entries import DestinationSpec
from storage import destinations, outbox, rules
from storage.database import Database
from storage.destinations import DestinationValues
from tests.support.clock import FakeClock
from tests.support.digest_dataset import DAY, T0, store_day
from tests.support.http_receiver import receiver
from tests.support.waiting import eventually

SVODKI = ChannelInfo(1001, "Сводки Приграничья", "svodki_prigran")
NOW = datetime(2024, 10, 27, 12, tzinfo=UTC)


async def add(db: Database, name: str, url: str, *targets: str, **options: object) -> int:
    values = DestinationValues(url=url, targets=targets, **options)  # type: ignore[arg-type]
    return (await save_destination(db, "test", DestinationSpec(name, values))).id


async def test_a_destination_with_a_digest_schedule_gets_each_period_once(db: Database) -> None:
    await store_day(db)
    with receiver() as hook, receiver() as service:
        hook_id = await add(
            db, "hook", hook.url(), "rule:dprk-kursk", digest_schedule="daily 08:00"
        )
        await add(
            db, "chat", service.url(scheme="json"), "rule:dprk-kursk", digest_schedule="daily 08:00"
        )
        await add(db, "no-digest", hook.url("/never"), "rule:dprk-kursk")
        # Added before the day's posts: it counts from the fire before (26 Oct 08:00).
        assert await queue_due_digests(db, T0, "UTC") == 0
        after = DAY[1] + timedelta(hours=3)  # 28 Oct 09:00: the 08:00 fire is due
        assert await queue_due_digests(db, after, "UTC") == 2
        assert await queue_due_digests(db, after + timedelta(minutes=1), "UTC") == 0

        deliverer = DestinationDeliverer(db, {})
        assert await deliverer.deliver_due() == 2

    [request] = hook.received
    event = request.json()
    assert (event["schema"], event["type"], event["hits"], event["stories"]) == (
        "chanwatch.digest/1",
        "digest",
        3,
        2,
    )
    assert event["until"].startswith("2024-10-28T08:00")
    [rule] = event["rules"]
    repost = next(s for s in rule["stories"] if s["posts"] == 2)
    assert repost["first"]["link"] == "https://t.me/svodki_prigran/10"
    assert repost["channels"] == ["Сводки Приграничья", "Прикордонний вісник"]
    assert len(repost["story_id"]) == 16
    [note] = service.received
    message = note.json()["message"]
    assert note.json()["title"] == "Digest: 3 hits, 2 stories"
    assert "## dprk-kursk (3 hits)" in message
    assert (
        "- [Сводки Приграничья](https://t.me/svodki_prigran/10) (2 posts in 2 channels)" in message
    )
    rows = await destinations.rows_of(db, hook_id)
    assert [(r.kind, r.status) for r in rows] == [("digest", "sent")]


async def pipeline(db: Database) -> Pipeline:
    await rules.add(db, "dprk", "КНДР", priority="instant")
    clock = FakeClock(NOW)
    outbox_router = OutboxRouter(ZoneInfo("UTC"), clock=clock)
    return Pipeline(db, router=Routers(outbox_router, DestinationRouter(clock=clock)))


def post(text: str, *, edited: bool = False) -> IncomingMessage:
    return IncomingMessage(
        channel=SVODKI,
        message_id=7,
        date=NOW - timedelta(minutes=5),
        text=text,
        edit_date=NOW if edited else None,
    )


async def test_edits_withdraw_or_reword_a_waiting_destination_row(db: Database) -> None:
    ingest = await pipeline(db)
    first = await add(db, "first", "https://a.example.org/h", "rule:dprk")
    second = await add(db, "second", "ntfy://ntfy.sh/osint", "all")
    await ingest.ingest([post("Колонна КНДР у Суджи")])
    rows = {d: await destinations.rows_of(db, d) for d in (first, second)}
    assert [len(r) for r in rows.values()] == [1, 1]
    assert decode(rows[first][0].body)["snippet"] == "Колонна КНДР у Суджи"

    await ingest.ingest([post("Колонна КНДР у Суджи и Курска", edited=True)])
    reworded = await destinations.rows_of(db, first)
    assert [r.id for r in reworded] == [rows[first][0].id]  # same row, same place in line
    assert decode(reworded[0].body)["snippet"] == "Колонна КНДР у Суджи и Курска"

    await ingest.ingest([post("Колонна техники у Суджи", edited=True)])
    assert await destinations.rows_of(db, first) == []
    assert await destinations.rows_of(db, second) == []
    assert [r.kind for r in await outbox.list_items(db)] == []  # no chat subscribed


async def test_each_destination_has_its_own_rate_limit_and_an_unset_variable_waits(
    db: Database,
) -> None:
    ingest = await pipeline(db)
    with receiver() as hook:
        slow = await add(db, "slow", hook.url("/slow"), "rule:dprk", per_minute=2)
        fast = await add(db, "fast", hook.url("/fast"), "rule:dprk")
        unset = await add(db, "unset", hook.url("/x/${NOT_SET_ANYWHERE}"), "rule:dprk")
        batch = [
            IncomingMessage(SVODKI, n, NOW - timedelta(minutes=n), f"КНДР, сводка №{n}")
            for n in range(1, 6)
        ]
        await ingest.ingest(batch)
        deliverer = DestinationDeliverer(db, {})
        for _ in range(6):
            await deliverer.deliver_due()
        paths = [r.path for r in hook.received]
    assert paths.count("/fast") == 5
    assert paths.count("/slow") == 2  # its two a minute; the rest wait for the bucket
    assert [r.status for r in await destinations.rows_of(db, slow)] == ["sent"] * 2 + [
        "pending"
    ] * 3
    assert [r.status for r in await destinations.rows_of(db, fast)] == ["sent"] * 5
    waiting = await destinations.get(db, "unset")
    assert waiting.active and waiting.last_error is not None
    assert "NOT_SET_ANYWHERE is not set" in waiting.last_error
    [head, *_] = await destinations.rows_of(db, unset)
    assert (head.status, head.attempts) == ("pending", 0)


async def test_status_names_each_destination_and_why_one_is_inactive(db: Database) -> None:
    await add(db, "case-hook", "https://cases.example.org/h/${TOKEN}", "all")
    dead = await add(db, "newsroom-slack", "slack://${A}/${B}/${C}", "all")
    await destinations.deactivate(db, dead, "failing since 2024-10-27 12:00 UTC: <html> 404")
    report = await collect_status(db, NOW)
    assert render_text(report).splitlines()[-3:] == [
        "Destinations: 2",
        "  case-hook (webhook): active, 0 waiting",
        "  newsroom-slack (apprise): inactive: failing since 2024-10-27 12:00 UTC: <html> 404",
    ]
    html = render_html(report)
    assert "<b>Destinations:</b> 2" in html
    assert (
        "• newsroom-slack (apprise): inactive: failing since 2024-10-27 12:00 UTC: &lt;html&gt; 404"
        in html
    )
    assert "${TOKEN}" not in html and "cases.example.org" not in html


async def test_a_destination_slow_to_answer_does_not_keep_another_waiting(db: Database) -> None:
    ingest = await pipeline(db)
    with receiver() as slow, receiver() as quick:
        slow.hold_at = 0  # its first request hangs until released
        await add(db, "slow", slow.url(), "rule:dprk")
        await add(db, "quick", quick.url(), "rule:dprk")
        await ingest.ingest([post("Колонна КНДР у Суджи")])
        deliverer = DestinationDeliverer(db, {})
        passing = asyncio.create_task(deliverer.deliver_due())
        await eventually(
            lambda: bool(quick.received) and slow.held.is_set(), what="the quick one's alert"
        )
        await eventually(lambda: quick_sent(db), what="recorded as sent")
        assert not passing.done()  # the slow one's request is still in flight
        slow.release.set()
        assert await passing == 2
    assert [r.status for r in await destinations.rows_of(db, 1)] == ["sent"]


async def quick_sent(db: Database) -> bool:
    return [r.status for r in await destinations.rows_of(db, 2)] == ["sent"]
