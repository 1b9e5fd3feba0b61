"""SIGKILL while the reader records a deletion it found after a restart: the subscriber who
got the alert still gets exactly one "deleted" notice, and the post is flagged once.

The child (``python -m tests.kill_targets deletion``) starts the reader on a world where the
alerted post was deleted while chanwatch was down; its catch-up check finds it gone and
queues the notice with the flag in one transaction. It is killed inside that transaction or
just after it commits; then the service starts again (twice) and the deliverer sends.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.telegram.deliverer import Deliverer
from bot.telegram.sender import TelethonSender
from storage import outbox, rules, subscribers
from storage.database import Database, connect
from tests.faketg import make_client
from tests.faketg.readers import start_reader_into
from tests.kill_targets import DELETED_POST, KYIV, Pause, deletion_world, read_after_deletion
from tests.test_faults_kill import integrity, kill_at_pause

DPRK = "КНДР AND (Курск OR Kursk)"
ANALYST = 100_001  # the first user a FakeTelegram adds


async def notices(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall("SELECT dedup_key, status FROM outbox WHERE kind = 'notice'")
    return [(r[0], r[1]) for r in rows]


async def flagged(db: Database) -> list[tuple[int, str | None]]:
    rows = await db.fetchall("SELECT message_id, deleted_via FROM messages WHERE deleted = 1")
    return [(r[0], r[1]) for r in rows]


async def prepare(path: Path) -> None:
    """The post was stored with its hit and its alert sent, before chanwatch went down."""
    async with connect(path) as db:
        await rules.add(db, "dprk-kursk", DPRK, priority="instant")
        await subscribers.ensure(db, ANALYST, kind="user", title=None)
        await subscribers.subscribe(db, ANALYST, "rule:dprk-kursk")
        world, _ = deletion_world()
        harness = await start_reader_into(
            Pipeline(db, router=OutboxRouter(KYIV)), world, db, ["@svodki_front"]
        )
        await harness.stop()
        [alert] = await outbox.list_items(db)
        assert await outbox.mark_sending(db, alert.id)
        await outbox.mark_sent(db, alert.id, 1)


async def deliver_to_analyst(db: Database) -> list[str]:
    world, _ = deletion_world()
    assert world.add_user("Олена").id == ANALYST
    bot = await make_client(world, bot=True)
    deliverer = Deliverer(db, TelethonSender(bot), clock=SystemClock())
    while await deliverer.deliver_due():
        pass
    await bot.disconnect()
    return [m.message for m in world.sent]


@pytest.mark.parametrize("pause", ["uncommitted", "committed"])
async def test_a_deletion_found_after_a_restart_is_told_exactly_once_across_a_kill(
    tmp_path: Path, pause: Pause
) -> None:
    path = tmp_path / "chanwatch.db"
    await prepare(path)
    marker = tmp_path / "paused"
    args = ["--db", str(path), "--pause", pause, "deletion"]
    await asyncio.to_thread(kill_at_pause, args, marker, tmp_path / "child.log")

    assert integrity(path) == [("ok",)]
    async with connect(path) as db:
        if pause == "uncommitted":  # neither the flag nor the notice
            assert await flagged(db) == [] and await notices(db) == []
        else:
            assert await flagged(db) == [(1, "check")]
            assert len(await notices(db)) == 1
        for _ in range(2):  # the restart, and one more
            await read_after_deletion(db)
        assert await flagged(db) == [(1, "check")]
        [(key, status)] = await notices(db)
        assert key.startswith(f"deleted:{ANALYST}:") and status == "pending"
        sent = await deliver_to_analyst(db)
    [notice] = sent
    assert "deleted after" in notice and DELETED_POST in notice
