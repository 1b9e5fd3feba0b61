"""What every command handler receives: the environment, the streams, and lazy settings.

Handlers never read ``os.environ`` or ``sys.stdout`` themselves, so tests call them with
their own environment and capture what they print.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.config import Settings, load_settings
from storage.database import Database, connect


@dataclass
class CommandContext:
    environ: Mapping[str, str]
    stdout: TextIO
    stderr: TextIO
    stdin: TextIO
    database_override: Path | None = None

    def settings(self, *, telegram: bool = False, delivery: bool = True) -> Settings:
        """Validated settings; ``telegram=True`` also demands the credentials (and, unless
        ``delivery=False``, a bot token or an alert chat)."""
        return load_settings(
            self.environ,
            telegram=telegram,
            delivery=delivery,
            database_path=self.database_override,
        )

    @asynccontextmanager
    async def database(self) -> AsyncIterator[Database]:
        async with connect(self.settings().database_path) as db:
            yield db
