"""Retention pruning: short transactions, and nothing else disturbed (FTS, albums, marks)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, HighWater, IncomingMessage
from storage import channels, hits, messages, rules
from storage.database import Database
from storage.messages import MessageRecord

T0 = datetime(2024, 9, 1, 6, 0, tzinfo=UTC)
LATER = T0 + timedelta(days=45)
SUMY = ChannelInfo(1555000111, "Новини Сумщини", "sumy_news")


def post(message_id: int, text: str, *, days: int = 0, album: int | None = None) -> IncomingMessage:
    return IncomingMessage(
        channel=SUMY,
        message_id=message_id,
        date=T0 + timedelta(days=days, minutes=message_id),
        text=text,
        grouped_id=album,
        has_media=album is not None,
    )


async def test_a_large_prune_lets_other_writers_in_between_batches(db: Database) -> None:
    channel = await channels.ensure_seen(
        db, SUMY.telegram_id, title=SUMY.title, username=SUMY.username
    )
    await messages.insert_many(
        db,
        [
            MessageRecord(
                channel,
                IncomingMessage(SUMY, i, T0, f"Повітряна тривога в Сумах, повідомлення {i}."),
            )
            for i in range(1, 1001)
        ],
    )
    seen_by_writer: list[int] = []

    async def writer() -> None:
        async with db.transaction():
            seen_by_writer.append(await messages.count(db))

    pruning = asyncio.create_task(messages.prune_without_hits(db, LATER, batch=100))
    await asyncio.sleep(0)  # the prune takes the write lock first
    await writer()
    assert await pruning == 1000
    assert await messages.count(db) == 0
    # One DELETE of every row would have kept the writer out until all 1000 were gone.
    assert 0 < seen_by_writer[0] < 1000


async def test_pruning_keeps_fts_albums_hits_and_high_water_marks(db: Database) -> None:
    await rules.add(db, "kursk", "Курщина OR Курск OR Kursk", priority="instant")
    pipeline = Pipeline(db)
    old = [
        post(10, "На Курщині помітили колону техніки, фото нижче.", album=77),
        post(11, "Ранок у Сумах: без змін.", album=77),
        post(12, "Погода в Сумах: дощ, +6."),
        post(13, "Kursk: sirens again, officials say."),
    ]
    await pipeline.ingest(old, mark=HighWater(SUMY.telegram_id, 13))
    await pipeline.ingest(
        [post(14, "Свіжі новини Сумщини.", days=44)], mark=HighWater(SUMY.telegram_id, 14)
    )

    assert await messages.prune_without_hits(db, LATER - timedelta(days=30), batch=2) == 2
    kept = await db.fetchall("SELECT message_id FROM messages ORDER BY message_id")
    assert [r[0] for r in kept] == [10, 13, 14]
    assert await hits.count(db) == 2
    channel = await channels.find(db, telegram_id=SUMY.telegram_id)
    assert channel is not None and channel.high_water == 14
    await db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')")
    gone = await db.fetchall("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'погода'")
    assert gone == []
    still = await db.fetchall("SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'колону'")
    assert len(still) == 1

    # The pruned album member comes back (an edit months later): the album's hit stays with
    # the member that carries it, so nothing new is alerted.
    again = await pipeline.ingest([post(11, "Курщина: ранок у Сумах.", album=77)])
    assert again.stored == 1 and again.new_hits == ()
