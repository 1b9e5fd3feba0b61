"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database, open_database
from tests.support.bot_harness import BotHarness, running_bot


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real SQLite file with every migration applied."""
    database = await open_database(tmp_path / "chanwatch.db")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[BotHarness]:
    """The bot with default settings (private access, one operator) over ``db``."""
    async with running_bot(db) as harness:
        yield harness
