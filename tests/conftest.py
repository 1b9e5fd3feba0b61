"""Fixtures shared by every test module."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.database import Database, open_database
from tests.support.bot_harness import BotHarness, running_bot


@pytest.fixture(scope="session")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database file with every migration applied, made once per test process."""
    path = tmp_path_factory.mktemp("migrated") / "chanwatch.db"

    async def make() -> None:
        await (await open_database(path)).close()

    asyncio.run(make())
    return path


@pytest.fixture
async def db(tmp_path: Path, migrated: Path) -> AsyncIterator[Database]:
    """A real SQLite file with every migration applied: a copy of ``migrated`` (a quarter of
    the time of migrating afresh), which ``open_database`` opens as any other."""
    path = tmp_path / "chanwatch.db"
    shutil.copy(migrated, path)  # keeps its 0600 mode
    database = await open_database(path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def bot(db: Database) -> AsyncIterator[BotHarness]:
    """The bot with default settings (private access, one operator) over ``db``."""
    async with running_bot(db) as harness:
        yield harness
