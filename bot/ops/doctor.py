"""``chanwatch doctor``'s checks: each finds one kind of problem and says what to do about it.

The checks never change anything (the database is opened read-only and not migrated), and
one failing check does not stop the others: an operator fixes everything in one pass.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.config import Settings, load_settings
from bot.errors import ConfigError
from bot.ops.files import check_private
from storage.database import bundled_migrations
from storage.errors import StorageError
from storage.maintenance import inspect

Level = Literal["ok", "warn", "fail"]
FAIL_BELOW_BYTES = 100_000_000
WARN_BELOW_BYTES = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    level: Level
    detail: str
    advice: str | None = None


def _configuration(
    environ: Mapping[str, str], database_override: Path | None
) -> tuple[Check, Settings]:
    try:
        settings = load_settings(environ, telegram=True, database_path=database_override)
    except ConfigError as error:
        check = Check(
            "configuration",
            "fail",
            "\n".join(error.problems),
            "fix these in .env or the environment (see .env.example)",
        )
    else:
        return Check(
            "configuration", "ok", "settings valid, Telegram credentials present"
        ), settings
    try:
        return check, load_settings(environ, database_path=database_override)
    except ConfigError:
        defaults = Settings()
        paths = Settings(
            database_path=database_override
            or Path(environ.get("DATABASE_PATH") or defaults.database_path),
            session_path=Path(environ.get("SESSION_PATH") or defaults.session_path),
        )
        return check, paths


def _env_file(env_file: Path | None) -> Check:
    path = env_file or Path(".env")
    if not path.is_file():
        return Check(".env", "ok", f"no {path}; settings come from the environment")
    problem = check_private(path)
    if problem:
        return Check(".env", "warn", problem, "the file holds API_HASH and BOT_TOKEN")
    return Check(".env", "ok", f"{path} is private (0600)")


def session_file(path: Path) -> Path:
    """Where Telethon keeps a session given as ``path`` (it adds ``.session``)."""
    return path if path.suffix == ".session" else path.with_name(path.name + ".session")


def _session(settings: Settings) -> Check:
    path = session_file(settings.session_path)
    if not path.is_file():
        return Check("session", "fail", f"no session at {path}", "run: chanwatch login")
    problem = check_private(path)
    if problem:
        return Check("session", "fail", problem, "the session gives full access to the account")
    return Check("session", "ok", f"{path} exists and is private (0600)")


def _database(path: Path) -> list[Check]:
    if not path.exists():
        return [Check("database", "warn", f"no database at {path} yet", "it is created at start")]
    newest = bundled_migrations()[-1].version
    try:
        found = inspect(path)
    except StorageError as error:
        return [Check("database", "fail", str(error))]
    checks = []
    if found.schema_version > newest:
        checks.append(
            Check(
                "schema",
                "fail",
                f"schema version {found.schema_version}, newer than this chanwatch ({newest})",
                "upgrade chanwatch, or restore a backup made by this version",
            )
        )
    elif found.schema_version < newest:
        checks.append(
            Check(
                "schema",
                "warn",
                f"schema version {found.schema_version}; this chanwatch upgrades it to {newest}",
                f"back it up first (chanwatch backup {path.name}.bak); the upgrade runs at start",
            )
        )
    else:
        checks.append(Check("schema", "ok", f"schema version {found.schema_version} (current)"))
    if found.intact:
        checks.append(Check("integrity", "ok", "PRAGMA integrity_check: ok"))
    else:
        checks.append(
            Check(
                "integrity",
                "fail",
                f"PRAGMA integrity_check: {'; '.join(found.problems[:3])}",
                "stop the service and restore the latest backup (docs/operations.md)",
            )
        )
    problem = check_private(path)
    checks.append(
        Check("database mode", "warn", problem, "it holds every stored post and subscriber")
        if problem
        else Check("database mode", "ok", f"{path} is private (0600)")
    )
    return checks


def _existing_parent(path: Path) -> Path:
    directory = path.parent.resolve()
    while not directory.exists():
        directory = directory.parent
    return directory


def _writable(path: Path) -> Check:
    directory = _existing_parent(path)
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".chanwatch-doctor-"):
            pass
    except OSError as error:
        return Check(
            "data directory",
            "fail",
            f"cannot write in {directory}: {error.strerror}",
            f"give the service's user write access to {directory}",
        )
    return Check("data directory", "ok", f"{directory} is writable")


def _free_space(path: Path) -> Check:
    directory = _existing_parent(path)
    free = shutil.disk_usage(directory).free
    text = f"{free / 1e9:.1f} GB free in {directory}"
    if free < FAIL_BELOW_BYTES:
        return Check("disk space", "fail", text, "free space: ingest stops when the disk is full")
    if free < WARN_BELOW_BYTES:
        return Check("disk space", "warn", text, "free space or lower RETENTION_DAYS")
    return Check("disk space", "ok", text)


def diagnose(
    environ: Mapping[str, str], *, env_file: Path | None, database_override: Path | None
) -> list[Check]:
    """Every check, in the order an operator should fix them. Blocking: run in a thread."""
    config, settings = _configuration(environ, database_override)
    return [
        config,
        _env_file(env_file),
        _session(settings),
        *_database(settings.database_path),
        _writable(settings.database_path),
        _free_space(settings.database_path),
    ]
