"""SIGKILL during a digest and during live ingest, then a restart: no post lost, no alert
or digest doubled, the database whole.

A real child process (``tests/support/kill_targets.py``) works on a SQLite file prepared here and
stops at a pause point just before or just after a commit; the test kills it there, looks at
what the kill left, restarts the work in-process and compares the result with an
uninterrupted run over a copy of the same database. The delivery side (outbox rows killed
while sending) is covered by ``tests/test_faults_delivery*.py``, a replay killed mid-way by
``tests/test_replay.py``.

A third case kills the reader while it records a deletion found after a restart: the
subscriber alerted to the post still gets exactly one "deleted" notice.

The digest day is the dataset's: 27 October 2024 in Kyiv (``tests/support/digest_dataset.py``),
plus generated posts spread over the days the service missed.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.ops.scheduler import Scheduler
from bot.pipeline.alert_router import OutboxRouter
from bot.pipeline.ingest import Pipeline
from bot.pipeline.values import IncomingMessage
from bot.telegram.deliverer import Deliverer
from bot.telegram.sender import TelethonSender
from storage import digests, outbox, rules, subscribers
from storage.database import Database, connect
from storage.unixtime import to_ts
from tests.faketg import make_client, push
from tests.faketg.readers import start_reader_into
from tests.support.clock import FakeClock
from tests.support.digest_dataset import OSINT, SVODKI, T0, VISNYK, add_subscriber, store_day
from tests.support.kill_targets import (
    BATCH_SIZE,
    DELETED_POST,
    KYIV,
    LIVE_BATCHES,
    LIVE_REFS,
    Pause,
    deletion_world,
    live_world,
    read_after_deletion,
)
from tests.support.killing import integrity, kill_at_pause

Row = tuple[object, ...]
Part = tuple[str, int, str]  # a queued digest message: dedup key, chat, body


# ---------------------------------------------------------------------------- the digest

FIRE = T0 + timedelta(days=1)  # 08:00 Kyiv on 28 October: the digest being queued
NEXT_FIRE = FIRE + timedelta(days=1)
CAUGHT_UP_AT = FIRE + timedelta(hours=2)  # the service came back and owes FIRE's digest
LAST_BEFORE_DOWN = T0 - timedelta(days=3)
ALL, KURSK = 501, 502  # chats; the scheduler handles them in this order
SAME_DAY = FIRE + timedelta(hours=5)  # restarted before the next fire
NEXT_DAY = NEXT_FIRE + timedelta(hours=1)  # restarted only after it

_PLACES = (
    ("Белгородом", "Белгород", SVODKI),
    ("Белгородской областью", "Белгород", SVODKI),
    ("Курщиной", "Курщина", VISNYK),
    ("Kursk", "Kursk", OSINT),
)
_EVENTS = (
    "сбиты {n} беспилотников, обломки упали на частный сектор",
    "эвакуированы жители {n} приграничных сёл, работают пункты временного размещения",
    "повреждена линия электропередачи, без света остались {n} тысяч абонентов",
    "закрыты {n} школ до конца недели, занятия переведены в дистанционный формат",
    "замечена колонна из {n} единиц техники КНДР, движется в сторону Суджи",
)


def _gap_post(number: int, when: datetime) -> IncomingMessage:
    """A distinct report: place, event and figures vary, so posts do not fold into stories."""
    phrase, keyword, channel = _PLACES[number % len(_PLACES)]
    event = _EVENTS[(number * 3) % len(_EVENTS)].format(n=number + 7)
    text = f"Над {phrase} ({keyword}): {event}. Сводка №{number}, {when:%d.%m %H:%M}."
    return IncomingMessage(channel=channel, message_id=100 + number, date=when, text=text)


async def prepare_digest_db(path: Path) -> None:
    """Two chats on ``daily 08:00`` in Kyiv whose last digest was three days before T0, and
    hits over the whole gap and the day after it."""
    async with connect(path) as db:
        await store_day(db)
        start = LAST_BEFORE_DOWN + timedelta(hours=1)
        posts = [_gap_post(n, start + n * timedelta(hours=2, minutes=55)) for n in range(40)]
        assert posts[-1].date < NEXT_FIRE and any(p.date > FIRE for p in posts)
        await Pipeline(db).ingest(posts)
        await add_subscriber(db, ALL, "all", schedule="daily 08:00", timezone="Europe/Kyiv")
        await add_subscriber(
            db, KURSK, "rule:dprk-kursk", "tag:ua", schedule="daily 08:00", timezone="Europe/Kyiv"
        )
        for chat in (ALL, KURSK):
            await digests.mark_digest_sent(db, chat, LAST_BEFORE_DOWN)


async def digest_outcome(path: Path) -> tuple[list[Part], dict[int, datetime | None]]:
    """Every queued digest part (key, chat, body) and each chat's ``last_digest_at``."""
    async with connect(path) as db:
        queued = sorted(
            (item.dedup_key, item.chat_id, item.body)
            for item in await outbox.list_items(db)
            if item.kind == "digest"
        )
        last = {}
        for chat in (ALL, KURSK):
            state = await digests.digest_state(db, chat)
            assert state is not None
            last[chat] = state.last_digest_at
    return queued, last


async def restart_scheduler(path: Path, now: datetime, *, first: Sequence[int] = ()) -> None:
    """A scheduler's start-up at ``now``, after it ran the digests of ``first`` uninterrupted
    at ``CAUGHT_UP_AT`` (how the reference reaches the state the kill left)."""
    async with connect(path) as db:
        if first:
            earlier = Scheduler(db, default_zone=KYIV, clock=FakeClock(CAUGHT_UP_AT))
            await earlier.reload()
            for chat in first:
                assert await earlier.run_digest(chat) is not None
        scheduler = Scheduler(db, default_zone=KYIV, clock=FakeClock(now))
        await scheduler.start()
        await scheduler.stop()


def parts_by_fire(queued: Sequence[Part]) -> dict[str, int]:
    """How many parts each queued digest (``digest:<chat>:<until>``) has; they must be
    numbered ``0..n-1``, each once."""
    parts: dict[str, list[int]] = {}
    for key, _, _ in queued:
        digest, _, part = key.rpartition(":")
        parts.setdefault(digest, []).append(int(part))
    for numbers in parts.values():
        assert sorted(numbers) == list(range(len(numbers)))
    return {digest: len(numbers) for digest, numbers in parts.items()}


@pytest.mark.parametrize("pause", ["uncommitted", "committed"])
@pytest.mark.parametrize("restart_at", [SAME_DAY, NEXT_DAY], ids=["same-day", "next-day"])
async def test_a_digest_killed_mid_catch_up_is_queued_exactly_once_after_restart(
    tmp_path: Path, pause: Pause, restart_at: datetime
) -> None:
    """The kill lands just before or just after chat ALL's digest commits; the restart comes
    the same day (FIRE still the latest fire) or the next (NEXT_FIRE passed while down).

    Checked by breaking the product once (not committed): without ``async with
    self.db.transaction():`` in ``Scheduler.run_digest`` both "uncommitted" cases fail
    at the kill (FIRE's parts queued, ``last_digest_at`` unmoved), and the next-day one fails
    again after the restart (its digest repeats every hit of FIRE's); with
    ``mark_digest_sent`` moved after the ``queued`` wake-up all four fail. A same-day restart
    after the commit is guarded three times over (``catch_up``'s ``last < missed``,
    ``digest_period`` returning ``None``, the outbox ``dedup_key``): it needs all three gone.
    """
    killed, reference = tmp_path / "killed.db", tmp_path / "reference.db"
    await prepare_digest_db(killed)
    shutil.copy(killed, reference)
    marker = tmp_path / "paused"
    args = ["--db", str(killed), "--pause", pause, "digest", "--now", CAUGHT_UP_AT.isoformat()]
    await asyncio.to_thread(kill_at_pause, args, marker, tmp_path / "child.log")

    committed = [ALL] if pause == "committed" else []
    await restart_scheduler(reference, restart_at, first=committed)
    expected, expected_last = await digest_outcome(reference)
    assert max(parts_by_fire(expected).values()) >= 2, "a digest should span several messages"

    queued, last = await digest_outcome(killed)
    assert integrity(killed) == [("ok",)]
    if pause == "uncommitted":  # nothing of the interrupted digest survived
        assert (queued, last) == ([], {ALL: LAST_BEFORE_DOWN, KURSK: LAST_BEFORE_DOWN})
    else:  # all of it did, and nothing of the next chat's
        assert queued == [
            row for row in expected if row[0].startswith(f"digest:{ALL}:{to_ts(FIRE)}:")
        ]
        assert last == {ALL: FIRE, KURSK: LAST_BEFORE_DOWN}

    await restart_scheduler(killed, restart_at)
    queued, last = await digest_outcome(killed)
    assert queued == expected
    fire = FIRE if restart_at == SAME_DAY else NEXT_FIRE
    assert last == expected_last == {ALL: fire, KURSK: fire}
    assert integrity(killed) == [("ok",)]


# ---------------------------------------------------------------------------- live ingest

DPRK = (
    '(КНДР OR северокорейский OR північнокорейський OR "North Korean")'
    " AND (Курск OR Курщина OR Kursk)"
)
ANALYST, NEWSROOM = 5_550_001, -1_001_234_567_890
KILL_BATCH = 5  # of LIVE_BATCHES: the reader is killed while storing it, or just after


async def prepare_ingest_db(path: Path) -> None:
    async with connect(path) as db:
        await rules.add(db, "dprk-kursk", DPRK, priority="instant")
        await rules.add(db, "belgorod", "Белгород OR Belgorod", priority="digest")
        await subscribers.ensure(db, ANALYST, kind="user", title=None)
        await subscribers.subscribe(db, ANALYST, "rule:dprk-kursk")
        await subscribers.ensure(db, NEWSROOM, kind="group", title=None)
        await subscribers.subscribe(db, NEWSROOM, "all")


async def read_live(path: Path, *, catch_up_only: bool) -> None:
    """The reader over the fake Telegram into the real pipeline.

    Uninterrupted (the reference): every batch arrives live. ``catch_up_only`` (the restart):
    every post is already in the channels' history, and the reader fetches what is above
    each channel's high-water mark, as after any restart.
    """
    live = live_world()
    async with connect(path) as db:
        pipeline = Pipeline(db, router=OutboxRouter(KYIV))
        if catch_up_only:
            live.post_all()
            harness = await start_reader_into(pipeline, live.world, db, [])
        else:
            harness = await start_reader_into(pipeline, live.world, db, LIVE_REFS)
            for updates in live.batches():
                await push(harness.client, live.world, *updates)
                await harness.reader.sync()
        await harness.stop()


async def ingest_outcome(path: Path) -> dict[str, list[Row]]:
    """What ingest stored, by content (row ids differ between runs)."""
    queries = {
        "messages": "SELECT c.username, m.message_id, m.date, m.text FROM messages m"
        " JOIN channels c ON c.id = m.channel_id",
        "hits": "SELECT c.username, m.message_id, r.name, h.after_edit FROM hits h"
        " JOIN messages m ON m.id = h.message_pk JOIN rules r ON r.id = h.rule_id"
        " JOIN channels c ON c.id = m.channel_id",
        "alerts": "SELECT o.chat_id, c.username, m.message_id, o.kind, o.status, o.body"
        " FROM outbox o JOIN hits h JOIN messages m ON m.id = h.message_pk"
        " JOIN channels c ON c.id = m.channel_id JOIN rules r ON r.id = h.rule_id"
        " WHERE o.dedup_key = 'alert:' || o.chat_id || ':' || c.telegram_id || ':'"
        " || m.message_id || ':' || r.name",
        "outbox": "SELECT count(*), count(DISTINCT dedup_key) FROM outbox",
        "marks": "SELECT username, high_water FROM channels",
    }
    with sqlite3.connect(path) as conn:
        return {name: sorted(conn.execute(sql)) for name, sql in queries.items()}


@pytest.mark.parametrize("pause", ["uncommitted", "committed"])
async def test_live_ingest_killed_mid_batch_loses_and_doubles_nothing_after_restart(
    tmp_path: Path, pause: Pause
) -> None:
    """The reader is killed while storing batch KILL_BATCH (its posts and hits written, its
    first alert about to be) or just after committing it; the restart catches up from the
    high-water marks with every post already in the channels' history.

    Checked by breaking the product once (not committed): without both ``async with
    db.transaction():`` in ``Pipeline.ingest`` and ``async with self._db.transaction():`` in
    ``Reader._store`` the "uncommitted" case fails at the kill (a partial batch), and again
    after the restart (its posts are found stored, so their two alerts are never queued).
    Either transaction alone still covers the batch, and the test passes. The "committed"
    case checks that the restart neither re-alerts the committed batch nor skips the rest.
    """
    killed, reference = tmp_path / "killed.db", tmp_path / "reference.db"
    for path in (killed, reference):
        await prepare_ingest_db(path)
    marker = tmp_path / "paused"
    args = ["--db", str(killed), "--pause", pause, "ingest", "--batch", str(KILL_BATCH)]
    await asyncio.to_thread(kill_at_pause, args, marker, tmp_path / "child.log")

    await read_live(reference, catch_up_only=False)
    expected = await ingest_outcome(reference)
    assert len(expected["messages"]) == len(LIVE_REFS) + LIVE_BATCHES * BATCH_SIZE
    assert len(expected["alerts"]) == LIVE_BATCHES * 2  # one instant hit a batch, two chats

    at_kill = await ingest_outcome(killed)
    assert integrity(killed) == [("ok",)]
    whole = KILL_BATCH - 1 if pause == "uncommitted" else KILL_BATCH
    assert len(at_kill["messages"]) == len(LIVE_REFS) + whole * BATCH_SIZE  # whole batches
    assert len(at_kill["alerts"]) == whole * 2

    await read_live(killed, catch_up_only=True)
    assert await ingest_outcome(killed) == expected
    assert integrity(killed) == [("ok",)]


# ---------------------------------------------------------------------------- a deletion

DELETION_RULE = "КНДР AND (Курск OR Kursk)"
OLENA = 100_001  # the first user a FakeTelegram adds


async def notices(db: Database) -> list[tuple[str, str]]:
    rows = await db.fetchall("SELECT dedup_key, status FROM outbox WHERE kind = 'notice'")
    return [(r[0], r[1]) for r in rows]


async def flagged(db: Database) -> list[tuple[int, str | None]]:
    rows = await db.fetchall("SELECT message_id, deleted_via FROM messages WHERE deleted = 1")
    return [(r[0], r[1]) for r in rows]


async def prepare(path: Path) -> None:
    """The post was stored with its hit and its alert sent, before chanwatch went down."""
    async with connect(path) as db:
        await rules.add(db, "dprk-kursk", DELETION_RULE, priority="instant")
        await subscribers.ensure(db, OLENA, kind="user", title=None)
        await subscribers.subscribe(db, OLENA, "rule:dprk-kursk")
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
    assert world.add_user("Олена").id == OLENA
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
        assert key.startswith(f"deleted:{OLENA}:") and status == "pending"
        sent = await deliver_to_analyst(db)
    [notice] = sent
    assert "deleted after" in notice and DELETED_POST in notice
