from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from storage import audit, channels, rules, state
from storage.database import Database
from storage.errors import ConflictError, NotFoundError


async def test_rule_round_trip(db: Database) -> None:
    added = await rules.add(
        db,
        "dprk-kursk",
        '(КНДР OR "North Korean") AND Курск',
        priority="instant",
        scopes=["tag:mil", "@svodki_prigran"],
    )
    assert added.priority == "instant"
    assert added.scopes == ("@svodki_prigran", "tag:mil")
    paused = await rules.set_paused(db, "dprk-kursk", True)
    assert paused.paused
    assert not added.surge
    updated = await rules.update(
        db, "dprk-kursk", query="КНДР", priority="digest", scopes=[], paused=False, surge=True
    )
    assert (updated.query, updated.priority, updated.scopes, updated.paused, updated.surge) == (
        "КНДР",
        "digest",
        (),
        False,
        True,
    )
    assert [r.name for r in await rules.list_rules(db)] == ["dprk-kursk"]
    with pytest.raises(ConflictError, match="already exists"):
        await rules.add(db, "dprk-kursk", "x")
    await rules.remove(db, "dprk-kursk")
    with pytest.raises(NotFoundError, match="no rule named 'dprk-kursk'"):
        await rules.get(db, "dprk-kursk")


async def test_channel_watch_adopts_channel_seen_in_export(db: Database) -> None:
    seen = await channels.ensure_seen(db, 1987654321, title="Сводки Приграничья", username=None)
    assert await channels.ensure_seen(db, 1987654321, title=None, username="svodki_prigran") == seen
    watched = await channels.watch(
        db, "@svodki_prigran", username="svodki_prigran", tags=["ru", "mil"]
    )
    assert watched.id == seen
    assert watched.title == "Сводки Приграничья"
    assert watched.tags == ("mil", "ru")
    assert watched.watched and watched.state == "pending"


async def test_channel_state_and_high_water(db: Database) -> None:
    ch = await channels.watch(db, "t.me/+AbCdEf123")
    await channels.set_resolved(
        db, ch.id, telegram_id=42, access_hash=-7, username=None, title="Прикордонний вісник"
    )
    until = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    await channels.set_state(db, ch.id, "waiting", detail="FloodWait", wait_until=until)
    await channels.advance_high_water(db, ch.id, 120)
    await channels.advance_high_water(db, ch.id, 100)
    got = await channels.get(db, ch.id)
    assert (got.telegram_id, got.access_hash, got.state, got.wait_until, got.high_water) == (
        42,
        -7,
        "waiting",
        until,
        120,
    )
    assert (await channels.unwatch(db, "t.me/+AbCdEf123")).watched is False
    with pytest.raises(NotFoundError, match=r"channel t\.me/\+AbCdEf123 is not watched"):
        await channels.unwatch(db, "t.me/+AbCdEf123")


async def test_watching_again_retries_a_failed_channel_or_an_expired_wait(db: Database) -> None:
    failed = await channels.watch(db, "@kursk_later")
    await channels.set_state(db, failed.id, "failed", detail="no channel has this username")
    over = await channels.watch(db, "@sumy_news")
    await channels.set_state(
        db, over.id, "waiting", detail="FloodWait", wait_until=datetime(2020, 1, 1, tzinfo=UTC)
    )
    later = datetime(2999, 1, 1, tzinfo=UTC)
    parked = await channels.watch(db, "@svodki")
    await channels.set_state(db, parked.id, "waiting", detail="FloodWait", wait_until=later)
    fine = await channels.watch(db, "@ukr_front")
    await channels.set_state(db, fine.id, "ok")
    await channels.unwatch(db, "@kursk_later")
    again = [await channels.watch(db, ref) for ref in ("@kursk_later", "@sumy_news")]
    assert [(c.state, c.state_detail, c.wait_until) for c in again] == [("pending", None, None)] * 2
    kept = [await channels.watch(db, ref) for ref in ("@svodki", "@ukr_front")]
    assert [(c.state, c.wait_until) for c in kept] == [("waiting", later), ("ok", None)]


async def test_audit_and_state(db: Database) -> None:
    await audit.record(db, "cli", "rule.add", name="kursk", query="Курск")
    await state.put(db, "last_error", "boom")
    await state.put(db, "last_error", "calm")
    [entry] = await audit.recent(db)
    assert (entry.actor, entry.action, entry.detail) == (
        "cli",
        "rule.add",
        {"name": "kursk", "query": "Курск"},
    )
    assert await state.get(db, "last_error") == "calm"


async def test_failed_transaction_rolls_back_everything(db: Database) -> None:
    with pytest.raises(RuntimeError, match="crash in the middle"):
        async with db.transaction():
            await rules.add(db, "a", "Курск")
            await audit.record(db, "cli", "rule.add", name="a")
            raise RuntimeError("crash in the middle")
    assert await rules.list_rules(db) == []
    assert await audit.recent(db) == []


async def test_concurrent_tasks_do_not_share_a_transaction(db: Database) -> None:
    started = asyncio.Event()

    async def slow_failing() -> None:
        async with db.transaction():
            await rules.add(db, "doomed", "дрон")
            started.set()
            await asyncio.sleep(0.05)
            raise RuntimeError("rolled back")

    async def other() -> None:
        await started.wait()
        await rules.add(db, "kept", "drone")

    results = await asyncio.gather(slow_failing(), other(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and str(results[0]) == "rolled back"
    assert results[1] is None
    assert [r.name for r in await rules.list_rules(db)] == ["kept"]
