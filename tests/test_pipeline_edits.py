"""Edits and instant alerts through the real router and outbox: one alert per post and rule.

An alert's identity is the post and the rule, not the hit's row: edits that drop and restore
a match make new hit rows, and SQLite reuses a deleted top row id for the next hit.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage, NewHit
from storage import outbox, rules, subscribers
from storage.database import Database
from storage.outbox import OutboxItem
from tests.support.clock import FakeClock

T0 = datetime(2024, 11, 5, 9, 30, tzinfo=UTC)
SVODKI = ChannelInfo(1987654321, "Сводки Приграничья", "svodki_prigran")
SUMY = ChannelInfo(1555000111, "Новини Сумщини", "sumy_news")
EN_WIRE = ChannelInfo(1777000222, "Conflict Wire", "conflict_wire")
ANALYST = 501

MATCHES = "Взрывы в Курске, в городе сирены."
NO_MATCH = "Взрывы в Белгороде, в городе сирены."


def post(
    channel: ChannelInfo, message_id: int, text: str, edited: int | None = None
) -> IncomingMessage:
    return IncomingMessage(
        channel=channel,
        message_id=message_id,
        date=T0,
        text=text,
        edit_date=None if edited is None else T0 + timedelta(minutes=edited),
    )


@pytest.fixture
async def pipeline(db: Database) -> Pipeline:
    await rules.add(db, "kursk", "Курск OR Курщина OR Kursk", priority="instant")
    await subscribers.ensure(db, ANALYST, kind="user", title="Олена")
    await subscribers.subscribe(db, ANALYST, "all")
    return Pipeline(db, router=OutboxRouter(ZoneInfo("Europe/Kyiv"), clock=FakeClock(T0)))


async def alerts(db: Database) -> list[OutboxItem]:
    return [row for row in await outbox.list_items(db) if row.kind == "alert"]


async def deliver_all(db: Database) -> None:
    for row in await alerts(db):
        if row.status == "pending":
            assert await outbox.mark_sending(db, row.id)
            await outbox.mark_sent(db, row.id, telegram_message_id=row.id)


async def test_a_hit_row_id_freed_by_an_edit_does_not_swallow_the_next_alert(
    pipeline: Pipeline, db: Database
) -> None:
    await pipeline.ingest([post(SVODKI, 1, MATCHES)])
    await deliver_all(db)
    await pipeline.ingest([post(SVODKI, 1, NO_MATCH, edited=1)])  # the top hit row is deleted
    await pipeline.ingest([post(SUMY, 5, "Обстріли на Курщині вночі, є руйнування.")])
    links = [row.body for row in await alerts(db)]
    assert len(links) == 2
    assert "t.me/sumy_news/5" in links[1]


async def test_a_match_dropped_and_restored_by_edits_is_alerted_once(
    pipeline: Pipeline, db: Database
) -> None:
    await pipeline.ingest([post(SVODKI, 1, MATCHES)])
    await pipeline.ingest([post(SUMY, 2, "Курщина: повітряна тривога.")])
    await deliver_all(db)
    await pipeline.ingest([post(SVODKI, 1, NO_MATCH, edited=1)])
    restored = await pipeline.ingest([post(SVODKI, 1, MATCHES + " Уточнение.", edited=2)])
    assert [h.after_edit for h in restored.new_hits] == [True]
    assert [row.status for row in await alerts(db)] == ["sent", "sent"]


async def test_a_post_that_starts_matching_after_two_edits_is_alerted_once(
    pipeline: Pipeline, db: Database
) -> None:
    await pipeline.ingest([post(EN_WIRE, 9, "Sirens again overnight, details to follow.")])
    await pipeline.ingest([post(EN_WIRE, 9, "Sirens in Kursk overnight.", edited=1)])
    await pipeline.ingest(
        [post(EN_WIRE, 9, "Sirens in Kursk overnight, two drones down.", edited=2)]
    )
    [alert] = await alerts(db)
    assert alert.status == "pending" and "Kursk" in alert.body


async def test_an_edit_that_retracts_a_match_withdraws_its_waiting_alert(
    pipeline: Pipeline, db: Database
) -> None:
    await subscribers.set_quiet_hours(db, ANALYST, "10:00", "18:00")  # 11:30 in Kyiv: held
    await pipeline.ingest([post(SVODKI, 1, MATCHES), post(SVODKI, 2, "Курск: без изменений.")])
    assert len(await alerts(db)) == 2
    await pipeline.ingest([post(SVODKI, 1, NO_MATCH, edited=1)])
    [kept] = await alerts(db)
    assert "t.me/svodki_prigran/2" in kept.body
    # Restored before anything went out: the subscriber hears of it once, with today's words.
    await pipeline.ingest([post(SVODKI, 1, "Снова взрывы в Курске ночью.", edited=2)])
    bodies = [row.body for row in await alerts(db)]
    assert len(bodies) == 2 and "Снова" in bodies[1]


async def test_an_alert_already_handed_to_telegram_is_not_withdrawn(
    pipeline: Pipeline, db: Database
) -> None:
    await pipeline.ingest([post(SVODKI, 1, MATCHES)])
    [row] = await alerts(db)
    assert await outbox.mark_sending(db, row.id)
    await pipeline.ingest([post(SVODKI, 1, NO_MATCH, edited=1)])
    assert [r.status for r in await alerts(db)] == ["sending"]


# --- an edit that keeps the match, while the alert waits (quiet hours) -----------------

KEPT = "Взрывы в Курске, в городе сирены. Уточнение: пострадавших нет, горит склад."


async def test_an_edit_that_keeps_the_match_rewords_its_waiting_alert_in_place(
    pipeline: Pipeline, db: Database
) -> None:
    await subscribers.set_quiet_hours(db, ANALYST, "10:00", "18:00")  # 11:30 in Kyiv: held
    await pipeline.ingest([post(SVODKI, 1, MATCHES), post(SUMY, 2, "Курщина: повітряна тривога.")])
    before = await alerts(db)
    await pipeline.ingest([post(SVODKI, 1, KEPT, edited=3)])
    after = await alerts(db)
    assert [(r.id, r.dedup_key, r.not_before, r.status) for r in after] == [
        (r.id, r.dedup_key, r.not_before, r.status) for r in before
    ]  # same rows, same keys, same place in the queue, still waiting
    edited, other = (
        next(r for r in after if f":{ch.telegram_id}:" in r.dedup_key) for ch in (SVODKI, SUMY)
    )
    assert (
        "<b>Курске</b>, в городе сирены. Уточнение: пострадавших нет, горит склад." in edited.body
    )
    assert other.body == next(r.body for r in before if r.id == other.id)  # not edited


async def test_an_alert_already_handed_to_telegram_keeps_the_words_it_went_out_with(
    pipeline: Pipeline, db: Database
) -> None:
    await pipeline.ingest([post(SVODKI, 1, MATCHES), post(EN_WIRE, 3, "Sirens in Kursk.")])
    first, second = await alerts(db)
    assert await outbox.mark_sending(db, first.id)
    await outbox.mark_sent(db, first.id, telegram_message_id=77)
    assert await outbox.mark_sending(db, second.id)
    await pipeline.ingest(
        [post(SVODKI, 1, KEPT, edited=1), post(EN_WIRE, 3, "Sirens in Kursk, drones down.", 1)]
    )
    assert [(r.status, r.body) for r in await alerts(db)] == [
        ("sent", first.body),
        ("sending", second.body),
    ]


def kept_hit(text: str, word: str) -> NewHit:
    at = text.index(word)
    return NewHit(
        hit_id=1,
        rule="kursk",
        priority="instant",
        channel=SVODKI,
        message_id=1,
        date=T0,
        text=text,
        spans=((at, at + len(word)),),
        words=(word,),
    )


async def test_the_router_rewords_each_chats_waiting_alert_in_that_chats_zone(
    pipeline: Pipeline, db: Database
) -> None:
    await subscribers.set_quiet_hours(db, ANALYST, "10:00", "18:00")
    await subscribers.ensure(db, 777, kind="user", title="Jane")
    await subscribers.subscribe(db, 777, "rule:kursk")
    await subscribers.set_timezone(db, 777, "America/New_York")
    await subscribers.set_quiet_hours(db, 777, "00:00", "08:00")  # 04:30 in New York: held
    await pipeline.ingest([post(SVODKI, 1, MATCHES)])
    await subscribers.deactivate(db, 777, "blocked the bot")  # its waiting alert still exists
    router = OutboxRouter(ZoneInfo("Europe/Kyiv"), clock=FakeClock(T0))
    async with db.transaction():
        await router.revise(db, [kept_hit(KEPT, "Курске")])
    kyiv, new_york = await alerts(db)
    assert "горит склад" in kyiv.body and "2024-11-05 11:30 EET" in kyiv.body
    assert "горит склад" in new_york.body and "2024-11-05 04:30 EST" in new_york.body
    await deliver_all(db)
    async with db.transaction():
        await router.revise(db, [kept_hit("Курск: всё спокойно.", "Курск")])
    assert all("горит склад" in r.body for r in await alerts(db))  # sent: left as it went
