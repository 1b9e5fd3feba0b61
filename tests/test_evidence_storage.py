"""The evidence record in storage: versions upgrade from older databases, survive a backup,
and go with their post when retention prunes it; deletions keep their first time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import ChannelInfo, IncomingMessage
from storage import channels, deletions, messages, post_versions, rules
from storage.database import Database, bundled_migrations, connect, open_database
from storage.maintenance import backup

T0 = datetime(2024, 10, 20, 9, 0, tzinfo=UTC)
SUMY = ChannelInfo(1555000111, "Новини Сумщини", "sumy_news")


def post(message_id: int, text: str, *, edited: int | None = None) -> IncomingMessage:
    return IncomingMessage(
        channel=SUMY,
        message_id=message_id,
        date=T0 + timedelta(minutes=message_id),
        text=text,
        edit_date=None if edited is None else T0 + timedelta(hours=edited),
    )


async def pk_of(db: Database, message_id: int) -> int:
    row = await db.fetchone("SELECT id FROM messages WHERE message_id = ?", (message_id,))
    assert row is not None
    return int(row[0])


async def texts(db: Database, message_id: int) -> list[str]:
    return [v.text for v in await post_versions.history(db, await pk_of(db, message_id))]


async def test_an_older_database_upgrades_with_each_current_text_as_version_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    before = [m for m in bundled_migrations() if m.version < 5]
    db = await open_database(path, migrations=before)
    await db.execute(
        "INSERT INTO channels (id, telegram_id, ref, created_at, updated_at)"
        " VALUES (1, 101, '@sumy_news', 0, 0)"
    )
    await db.execute(
        "INSERT INTO messages (channel_id, message_id, date, edit_date, text, deleted,"
        " ingested_at) VALUES (1, 7, 100, 150, 'Обстріл Сум вночі', 1, 120)"
    )
    await db.close()
    async with connect(path) as db:
        [version] = await post_versions.history(db, await pk_of(db, 7))
        assert (version.number, version.text) == (1, "Обстріл Сум вночі")
        assert version.edit_date == datetime.fromtimestamp(150, UTC)
        assert version.seen_at == datetime.fromtimestamp(120, UTC)
        row = await db.fetchone("SELECT deleted, deleted_at, views FROM messages")
        assert row is not None and tuple(row) == (1, None, None)  # flagged before: no time
        await Pipeline(db).ingest([post(7, "Обстріл Сум вночі: уточнення")])  # older: ignored
        assert await texts(db, 7) == ["Обстріл Сум вночі"]


async def test_versions_survive_a_backup(db: Database, tmp_path: Path) -> None:
    pipeline = Pipeline(db)
    await pipeline.ingest([post(1, "Повітряна тривога в Сумах")])
    await pipeline.ingest([post(1, "Повітряна тривога в Сумах, відбій", edited=1)])
    await pipeline.ingest([post(1, "Відбій тривоги в Сумах", edited=2)])
    copy = tmp_path / "backup.db"
    await asyncio.to_thread(backup, db.path, copy)
    async with connect(copy) as restored:
        assert await texts(restored, 1) == [
            "Повітряна тривога в Сумах",
            "Повітряна тривога в Сумах, відбій",
            "Відбій тривоги в Сумах",
        ]


async def test_retention_removes_versions_with_their_post_and_keeps_hit_posts_whole(
    db: Database,
) -> None:
    await rules.add(db, "sumy", "Суми")
    pipeline = Pipeline(db)
    await pipeline.ingest([post(1, "Тиша в області"), post(2, "Обстріл Сум")])
    await pipeline.ingest(
        [post(1, "Тиша в області, оновлено", edited=1), post(2, "Обстріл Сум вночі", edited=1)]
    )
    kept = await pk_of(db, 2)
    assert await messages.prune_without_hits(db, T0 + timedelta(days=60)) == 1
    left = await db.fetchall("SELECT message_pk, version, text FROM message_versions")
    assert [tuple(r) for r in left] == [(kept, 1, "Обстріл Сум")]
    assert await texts(db, 2) == ["Обстріл Сум", "Обстріл Сум вночі"]


async def test_a_deletion_learned_twice_keeps_its_first_time_and_source(db: Database) -> None:
    await Pipeline(db).ingest([post(1, "Обстріл Сум")])
    channel = await channels.find(db, telegram_id=SUMY.telegram_id)
    assert channel is not None
    first = await deletions.mark_deleted(db, channel.id, [1, 99], via="live", at=T0)
    assert [(p.message_id, p.text) for p in first] == [(1, "Обстріл Сум")]
    later = T0 + timedelta(hours=1)
    assert await deletions.mark_deleted(db, channel.id, [1], via="check", at=later) == []
    row = await db.fetchone("SELECT deleted_at, deleted_via, text FROM messages")
    assert row is not None and tuple(row) == (int(T0.timestamp()), "live", "Обстріл Сум")
