"""What every command handler receives: the environment, the streams, and lazy settings.

Handlers never read ``os.environ`` or ``sys.stdout`` themselves, so tests call them with
their own environment and capture what they print.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from bot.config import Settings, load_settings
from bot.errors import ChanwatchError
from storage.database import Database, connect


def write_file(target: Path, data: bytes) -> None:
    """Write through a hidden partial file and a rename, so a reader (a feed reader, a later
    ``apply``) never sees half a file; a failure is one line."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ChanwatchError(f"cannot write {target}: {error.strerror or error}") from None


def path_argument(text: str) -> Path:
    """The argparse type of every file argument: a NUL byte, which no file name can hold,
    is refused as a usage error instead of failing deep inside whatever opens the file."""
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not a file path (it holds a NUL byte)")
    return Path(text)


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
    async def database(self, *, create: bool = False) -> AsyncIterator[Database]:
        """The open, upgraded database. Only commands that store something ``create`` it:
        a mistyped ``--db`` must not make ``status`` or ``hits`` report on a new, empty file
        (and leave it, and its directories, behind)."""
        path = self.settings().database_path
        if not create and not path.exists():
            raise ChanwatchError(
                f"no database at {path}: check --db or DATABASE_PATH (apply, replay, rules add,"
                " channels add and run create it)"
            )
        async with connect(path) as db:
            yield db
