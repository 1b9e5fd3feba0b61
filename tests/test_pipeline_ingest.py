"""The ingest pipeline over a real SQLite file: idempotence, edits, albums, scopes, routing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, HighWater, IncomingMessage, NewHit, RetractedHit
from storage import channels, hits, messages, rules
from storage.database import Database
from tests.support.hits import hit_rows

T0 = datetime(2024, 11, 5, 9, 30, tzinfo=UTC)
SVODKI = ChannelInfo(1987654321, "Сводки Приграничья", "svodki_prigran")
UA_NEWS = ChannelInfo(1555000111, "Новини Сумщини", "sumy_news")
EN_WIRE = ChannelInfo(1777000222, "Conflict Wire", None)


def msg(
    channel: ChannelInfo,
    message_id: int,
    text: str,
    *,
    minutes: int = 0,
    edited: int | None = None,
    grouped_id: int | None = None,
) -> IncomingMessage:
    return IncomingMessage(
        channel=channel,
        message_id=message_id,
        date=T0 + timedelta(minutes=minutes),
        text=text,
        edit_date=None if edited is None else T0 + timedelta(minutes=edited),
        grouped_id=grouped_id,
        has_media=grouped_id is not None,
    )


class RecordingRouter:
    def __init__(self) -> None:
        self.seen: list[NewHit] = []
        self.retracted: list[RetractedHit] = []
        self.kept: list[NewHit] = []

    async def enqueue(self, db: Database, new: Sequence[NewHit]) -> None:
        assert db.conn.in_transaction
        self.seen.extend(new)

    async def withdraw(self, db: Database, retracted: Sequence[RetractedHit]) -> None:
        assert db.conn.in_transaction
        self.retracted.extend(retracted)

    async def revise(self, db: Database, kept: Sequence[NewHit]) -> None:
        assert db.conn.in_transaction
        self.kept.extend(kept)


@pytest.fixture
async def kursk(db: Database) -> Database:
    await rules.add(db, "kursk", "Курск OR Курщина OR Kursk", priority="instant")
    await rules.add(db, "dprk", 'КНДР OR "North Korean" OR північнокорейський')
    return db


BATCH = [
    msg(SVODKI, 101, "Колонна бронетехники замечена под Курском, жители сообщают о взрывах."),
    msg(UA_NEWS, 7, "На Курщині помітили північнокорейських військових, повідомляє джерело."),
    msg(EN_WIRE, 55, "North Korean troops were seen near Kursk, officials say."),
    msg(SVODKI, 102, "Погода в Белгороде: дождь, +4."),
]


async def test_replaying_a_batch_twice_stores_nothing_twice(kursk: Database) -> None:
    router = RecordingRouter()
    pipeline = Pipeline(kursk, router=router)
    first = await pipeline.ingest(BATCH)
    assert (first.stored, first.updated, first.unchanged) == (4, 0, 0)
    assert sorted((h.message_id, h.rule) for h in first.new_hits) == [
        (7, "dprk"),
        (7, "kursk"),
        (55, "dprk"),
        (55, "kursk"),
        (101, "kursk"),
    ]
    assert sorted(h.message_id for h in router.seen) == [7, 55, 101]
    assert {h.rule for h in router.seen} == {"kursk"}

    again = await Pipeline(kursk, router=router).ingest(BATCH)
    assert (again.stored, again.updated, again.unchanged, again.new_hits) == (0, 0, 4, ())
    assert await messages.count(kursk) == 4
    assert await hits.count(kursk) == 5
    assert len(router.seen) == 3


async def test_new_hit_carries_what_an_alert_needs(kursk: Database) -> None:
    result = await Pipeline(kursk).ingest(BATCH[:1])
    (hit,) = result.new_hits
    text = BATCH[0].text
    assert hit.channel == SVODKI
    assert (hit.rule, hit.priority, hit.message_id, hit.date) == ("kursk", "instant", 101, T0)
    assert [text[s:e] for s, e in hit.spans] == ["Курском"]
    assert hit.words == ("Курском",)
    assert not hit.after_edit
    assert (await hits.for_messages(kursk, [1]))[0].id == hit.hit_id


async def test_edits_are_rematched_and_a_late_hit_counts_once(kursk: Database) -> None:
    pipeline = Pipeline(kursk)
    await pipeline.ingest([msg(SVODKI, 200, "Срочно: взрывы в приграничье, подробности позже.")])
    assert await hit_rows(kursk) == []

    edited = msg(SVODKI, 200, "Срочно: взрывы в Курской области, в Курске сирены.", edited=5)
    result = await pipeline.ingest([edited])
    assert (result.stored, result.updated) == (0, 1)
    assert [(h.rule, h.after_edit) for h in result.new_hits] == [("kursk", True)]
    assert await hit_rows(kursk) == [(200, "kursk", 1)]

    stale = msg(SVODKI, 200, "Срочно: взрывы в приграничье, подробности позже.")
    assert (await pipeline.ingest([stale])).unchanged == 1
    assert (await pipeline.ingest([edited])).new_hits == ()

    retracted = msg(SVODKI, 200, "Срочно: взрывы в Белгородской области.", edited=9)
    assert (await pipeline.ingest([retracted])).updated == 1
    assert await hit_rows(kursk) == []
    row = await kursk.fetchone("SELECT text FROM messages WHERE message_id = 200")
    assert row is not None and row[0] == retracted.text
    found = await kursk.fetchall(
        "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'Белгородской'"
    )
    assert len(found) == 1


async def test_an_edit_that_keeps_a_hit_does_not_alert_again(kursk: Database) -> None:
    router = RecordingRouter()
    pipeline = Pipeline(kursk, router=router)
    await pipeline.ingest([msg(EN_WIRE, 9, "Drone strike reported in Kursk overnight.")])
    update = "UPDATE: drone strike reported in Kursk city overnight."
    result = await pipeline.ingest([msg(EN_WIRE, 9, update, edited=3)])
    assert result.updated == 1 and result.new_hits == ()
    assert len(router.seen) == 1
    (stored,) = await hits.for_messages(kursk, [1])
    assert stored.words == ("Kursk",)
    start = update.index("Kursk")
    assert stored.spans == ((start, start + 5),)


async def test_an_album_is_one_post(kursk: Database) -> None:
    caption = "Північнокорейські військові на Курщині: фото з місця подій."
    album = [
        msg(UA_NEWS, 30, caption, grouped_id=9001),
        msg(UA_NEWS, 31, "", grouped_id=9001),
        msg(UA_NEWS, 32, "Курщина, ранок після обстрілу.", grouped_id=9001),
    ]
    result = await Pipeline(kursk).ingest(album)
    assert result.stored == 3
    assert sorted((h.message_id, h.rule) for h in result.new_hits) == [
        (30, "dprk"),
        (30, "kursk"),
    ]
    late = msg(UA_NEWS, 33, "Ще одне фото з Курщини.", grouped_id=9001)
    assert (await Pipeline(kursk).ingest([late])).new_hits == ()
    assert await messages.count(kursk) == 4


async def test_scopes_and_paused_rules(db: Database) -> None:
    await channels.watch(
        db,
        "@svodki_prigran",
        username="svodki_prigran",
        telegram_id=SVODKI.telegram_id,
        tags=["mil", "ru"],
    )
    await rules.add(db, "mil-only", "Курск", scopes=["tag:mil"])
    await rules.add(db, "ua-only", "Курщина OR Курск", scopes=["@sumy_news"])
    await rules.add(db, "everywhere", "Курск OR Kursk")
    await rules.add(db, "paused", "Курск OR Kursk OR Курщина", paused=True)
    pipeline = Pipeline(db)
    batch = [
        msg(SVODKI, 1, "Обстановка в Курске напряжённая."),
        msg(UA_NEWS, 2, "Обстріли в Курську та на Курщині."),
        msg(EN_WIRE, 3, "Kursk: sirens again."),
    ]
    result = await pipeline.ingest(batch)
    assert sorted((h.message_id, h.rule) for h in result.new_hits) == [
        (1, "everywhere"),
        (1, "mil-only"),
        (2, "ua-only"),
        (3, "everywhere"),
    ]
    await rules.set_paused(db, "paused", False)
    wire = await channels.find(db, telegram_id=EN_WIRE.telegram_id)
    assert wire is not None
    await channels.set_tags(db, wire.id, ["mil"])
    later = await pipeline.ingest([msg(EN_WIRE, 4, "Kursk region: a second wave of drones.")])
    assert sorted(h.rule for h in later.new_hits) == ["everywhere", "paused"]
    tagged = await pipeline.ingest([msg(EN_WIRE, 5, "Sirens in Курск again.")])
    assert sorted(h.rule for h in tagged.new_hits) == ["everywhere", "mil-only", "paused"]


async def test_a_failing_router_rolls_the_whole_batch_back(kursk: Database) -> None:
    class Broken(RecordingRouter):
        async def enqueue(self, db: Database, new: Sequence[NewHit]) -> None:
            raise RuntimeError("outbox unavailable")

    with pytest.raises(RuntimeError, match="outbox unavailable"):
        await Pipeline(kursk, router=Broken()).ingest(BATCH)
    assert await messages.count(kursk) == 0
    assert await hits.count(kursk) == 0
    retry = await Pipeline(kursk, router=RecordingRouter()).ingest(BATCH)
    assert retry.stored == 4


async def test_catch_up_batches_raise_the_high_water_mark(kursk: Database) -> None:
    await Pipeline(kursk).ingest(BATCH, mark=HighWater(SVODKI.telegram_id, 102))
    svodki = await channels.find(kursk, telegram_id=SVODKI.telegram_id)
    assert svodki is not None and svodki.high_water == 102
    assert svodki.last_post_at == T0


async def test_retention_prunes_only_messages_without_hits(kursk: Database) -> None:
    await Pipeline(kursk).ingest(BATCH)
    pruned = await messages.prune_without_hits(kursk, T0 + timedelta(days=1))
    assert pruned == 1
    assert await messages.count(kursk) == 3
    assert await hits.count(kursk) == 5
