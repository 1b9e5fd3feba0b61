"""``chanwatch doctor`` on a good setup and on each kind of broken one."""

from __future__ import annotations

import asyncio
import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.ops.doctor import Check, diagnose
from bot.ops.files import check_private
from storage.database import connect


async def create_database(path: Path) -> None:
    async with connect(path):
        pass


API_HASH = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, str]:
    """A healthy installation: private .env, a logged-in session, a current database."""
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"API_ID=12345\nAPI_HASH={API_HASH}\nALERT_CHAT=@newsroom\n", encoding="utf-8"
    )
    env_file.chmod(0o600)
    session = tmp_path / "data" / "user.session"
    session.parent.mkdir()
    session.write_bytes(b"")
    session.chmod(0o600)
    database = tmp_path / "data" / "chanwatch.db"
    asyncio.run(create_database(database))
    return {
        "ENV_FILE": str(env_file),
        "SESSION_PATH": str(tmp_path / "data" / "user"),
        "DATABASE_PATH": str(database),
    }


def doctor(setup: dict[str, str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in setup.items() if k != "ENV_FILE"}
    code = main(
        ["--env-file", setup["ENV_FILE"], "doctor"], environ=environ, stdout=out, stderr=err
    )
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue()


def by_name(setup: dict[str, str]) -> dict[str, Check]:
    environ = {k: v for k, v in setup.items() if k != "ENV_FILE"}
    environ.update(API_ID="12345", API_HASH=API_HASH, ALERT_CHAT="@newsroom")
    checks = diagnose(environ, env_file=Path(setup["ENV_FILE"]), database_override=None)
    return {c.name: c for c in checks}


def test_healthy_setup_passes_every_check(setup: dict[str, str]) -> None:
    code, out = doctor(setup)
    assert code == 0, out
    assert "FAIL" not in out and "WARN" not in out
    for name in ("configuration", ".env", "session", "schema", "integrity", "data directory"):
        assert f"OK    {name}:" in out
    assert "0 failed, 0 warning(s)" in out


def test_loose_env_file_is_a_warning_with_the_fix(setup: dict[str, str]) -> None:
    Path(setup["ENV_FILE"]).chmod(0o644)
    code, out = doctor(setup)
    assert code == 0
    assert "WARN  .env:" in out and "mode 0644" in out and f"chmod 600 {setup['ENV_FILE']}" in out


def test_missing_session_fails_and_says_login(setup: dict[str, str]) -> None:
    Path(setup["SESSION_PATH"] + ".session").unlink()
    code, out = doctor(setup)
    assert code == 1
    assert "FAIL  session: no session at" in out and "→ run: chanwatch login" in out
    assert "OK    integrity:" in out  # the other checks still ran


def test_readable_session_fails(setup: dict[str, str]) -> None:
    Path(setup["SESSION_PATH"] + ".session").chmod(0o640)
    assert by_name(setup)["session"].level == "fail"


def test_corrupt_database_fails(setup: dict[str, str]) -> None:
    Path(setup["DATABASE_PATH"]).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    code, out = doctor(setup)
    assert code == 1
    assert "FAIL  database:" in out and "restore it from a backup" in out


def test_damaged_pages_fail_the_integrity_check(setup: dict[str, str]) -> None:
    path = Path(setup["DATABASE_PATH"])
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute(
            "INSERT INTO channels (id, telegram_id, ref, created_at, updated_at)"
            " VALUES (1, 101, '@rybar', 0, 0)"
        )
        conn.executemany(
            "INSERT INTO messages (channel_id, message_id, date, text, ingested_at)"
            " VALUES (1, ?, ?, ?, 0)",
            [(n, n * 7, "Курськ " * 40) for n in range(2000)],
        )
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        leaf = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'messages_date' AND pagetype = 'leaf'"
        ).fetchall()[1][0]
    conn.close()
    with path.open("r+b") as raw:  # scribble over index entries, as a bad disk would
        raw.seek(leaf * page_size - 30)
        raw.write(b"\x01" * 30)
    code, out = doctor(setup)
    assert code == 1
    assert "FAIL  integrity: PRAGMA integrity_check:" in out
    assert "missing from index messages_date" in out
    assert "→ stop the service and restore the latest backup" in out


def test_newer_schema_fails_and_older_warns(setup: dict[str, str]) -> None:
    path = Path(setup["DATABASE_PATH"])
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)")
    conn.close()
    schema = by_name(setup)["schema"]
    assert schema.level == "fail" and "newer" in schema.detail
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM schema_migrations WHERE version > 1")
    conn.close()
    schema = by_name(setup)["schema"]
    assert schema.level == "warn" and schema.advice and "chanwatch backup" in schema.advice


def test_doctor_never_creates_or_upgrades_the_database(setup: dict[str, str]) -> None:
    path = Path(setup["DATABASE_PATH"])
    path.unlink()
    checks = by_name(setup)
    assert checks["database"].level == "warn"
    assert not path.exists()


def test_bad_configuration_is_reported_and_checks_go_on(setup: dict[str, str]) -> None:
    Path(setup["ENV_FILE"]).write_text("API_ID=twelve\nTIMEZONE=Mars/Olympus\n", encoding="utf-8")
    code, out = doctor(setup)
    assert code == 1
    assert "FAIL  configuration:" in out
    assert "API_ID must be a positive number" in out and "TIMEZONE must be" in out
    assert "OK    integrity:" in out  # paths still came from the environment


def test_secrets_are_never_echoed(setup: dict[str, str]) -> None:
    Path(setup["ENV_FILE"]).write_text(
        "API_ID=1\nAPI_HASH=not-hex-but-very-secret-value-xyz\nBOT_TOKEN=oops-secret-token\n",
        encoding="utf-8",
    )
    _, out = doctor(setup)
    assert "API_HASH must be" in out
    assert "very-secret" not in out and "oops-secret" not in out


def test_check_private(tmp_path: Path) -> None:
    path = tmp_path / "секрет.env"
    assert check_private(path) is None  # missing files are someone else's problem
    path.write_text("x", encoding="utf-8")
    path.chmod(0o600)
    assert check_private(path) is None
    path.chmod(0o604)
    problem = check_private(path)
    assert problem is not None and "0604" in problem and "chmod 600" in problem
