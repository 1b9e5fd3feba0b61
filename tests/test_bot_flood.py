"""FloodWait on the bot's own replies: they go outside the outbox, so they wait themselves."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from telethon import errors
from telethon.tl.functions.messages import SendMessageRequest

from bot.config import Settings
from bot.telegram.clients import build_bot_client
from storage.database import Database
from tests.faketg import forget_flood_waits
from tests.support.bot_harness import BotHarness, running_bot


def _sleeps(bot: BotHarness, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the reply's sleeps instead of sleeping; Telethon's memory of the wait is wall
    time, which the test does not spend."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        forget_flood_waits(bot.client)

    monkeypatch.setattr("bot.telegram.frontend.asyncio", SimpleNamespace(sleep=sleep))
    return slept


async def test_a_reply_held_up_by_a_flood_wait_is_sent_after_it(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(db) as bot:
        slept = _sleeps(bot, monkeypatch)
        bot.world.fail(SendMessageRequest, errors.FloodWaitError, capture=7)
        [reply] = await bot.say(bot.operator(), "/watch @kursk_news")
        assert "Watching @kursk_news" in reply
        assert slept == [7]


async def test_a_reply_held_up_for_long_is_dropped_rather_than_sent_an_hour_late(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(db) as bot:
        slept = _sleeps(bot, monkeypatch)
        bot.world.fail(SendMessageRequest, errors.FloodWaitError, capture=3600)
        assert await bot.say(bot.operator(), "/channels") == []
        assert slept == []
        forget_flood_waits(bot.client)
        [later] = await bot.say(bot.operator(), "/channels")
        assert "No channels watched yet" in later


def test_the_bot_client_leaves_every_flood_wait_to_chanwatch(tmp_path: Path) -> None:
    settings = replace(
        Settings(), api_id=12345, api_hash="0" * 32, session_path=tmp_path / "user.session"
    )
    client = build_bot_client(settings)
    assert client.flood_sleep_threshold == 0
