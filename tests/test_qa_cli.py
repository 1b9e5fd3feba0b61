"""What a first user hits on the command line: each case is a bug found by abusing it once.

Every case goes through ``bot.cli.main`` as a user would, and checks the one-line message,
the exit code, and that nothing was created, damaged or deleted.
"""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.sample import EXPORT_PATH, WATCHLIST_PATH


def cli(argv: list[str], stdout: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = stdout or io.StringIO(), io.StringIO()
    code = main(argv, environ={}, stdout=out, stderr=err, stdin=io.StringIO(""))
    assert "Traceback" not in out.getvalue() + err.getvalue()
    return code, out.getvalue(), err.getvalue()


def one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith("replay: ")]
    assert len(lines) == 1 and lines[0].startswith("chanwatch: error: "), err
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database with the bundled watchlist and sample replayed (ru, uk and en posts)."""
    path = tmp_path / "c.db"
    assert cli(["--db", str(path), "apply", str(WATCHLIST_PATH)])[0] == 0
    assert cli(["--db", str(path), "replay", str(EXPORT_PATH)])[0] == 0
    return path


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.mark.parametrize(
    "argv",
    [
        ["status"],
        ["hits", "--since", "all"],
        ["digest"],
        ["backtest", "Курськ"],
        ["export", "-"],
        ["rules", "list"],
        ["channels", "list"],
        ["rules", "pause", "dprk-kursk"],
    ],
)
def test_a_mistyped_db_is_refused_not_created(tmp_path: Path, argv: list[str]) -> None:
    missing = tmp_path / "typo" / "chanwatch.db"
    code, out, err = cli(["--db", str(missing), *argv])
    assert code == 1 and out == ""
    assert f"no database at {missing}" in one_line_error(err)
    assert not missing.parent.exists()


def test_commands_that_store_create_the_database(tmp_path: Path) -> None:
    path = tmp_path / "new" / "chanwatch.db"
    assert cli(["--db", str(path), "channels", "add", "@svodki_prigran"])[0] == 0
    code, out, _ = cli(["--db", str(path), "status"])
    assert code == 0 and "1 watched" in out


def test_demo_never_deletes_an_existing_database(db: Path) -> None:
    before = count(db, "messages")
    code, out, err = cli(["--db", str(db), "demo"])
    assert code == 2 and out == ""
    assert "already exists and the demo would delete it" in one_line_error(err)
    assert count(db, "messages") == before


def test_an_empty_watchlist_does_not_wipe_rules_and_hits(db: Path, tmp_path: Path) -> None:
    empty = tmp_path / "watchlist.toml"
    empty.write_text("# моя підписка\n", encoding="utf-8")
    hits = count(db, "hits")
    code, _, err = cli(["--db", str(db), "apply", str(empty)])
    assert code == 2 and "--allow-empty" in one_line_error(err)
    assert count(db, "hits") == hits > 0 and count(db, "rules") == 8
    code, out, _ = cli(["--db", str(db), "apply", "--dry-run", str(empty)])
    assert code == 0 and "- rule dprk-kursk (its hits are deleted)" in out
    assert cli(["--db", str(db), "apply", "--allow-empty", str(empty)])[0] == 0
    assert count(db, "rules") == 0


def test_hits_of_an_unknown_rule_is_an_error_like_digest(db: Path) -> None:
    for argv in (["hits", "--rule", "курск"], ["digest", "--rule", "курск"]):
        code, out, err = cli(["--db", str(db), *argv])
        assert code in (1, 2) and out == ""
        assert "курск" in one_line_error(err)
    code, out, _ = cli(["--db", str(db), "hits", "--since", "all", "--rule", "sudzha"])
    assert code == 0 and "Суджи" in out


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--since", "0001-01-01", "--tz", "Asia/Tokyo"], "--since"),
        (["--since", "24h", "--until", "9999-12-31T23:59", "--tz", "America/New_York"], "--until"),
        (["--since", "вчора"], "--since"),
        (["--since", "2024-13-45"], "--since"),
    ],
)
def test_digest_period_errors_name_the_option(db: Path, argv: list[str], option: str) -> None:
    code, out, err = cli(["--db", str(db), "digest", *argv])
    assert code == 2 and out == ""
    assert one_line_error(err).startswith(f"chanwatch: error: {option}: ")


def test_a_nul_byte_in_a_path_is_a_usage_error(tmp_path: Path) -> None:
    for argv in (
        ["--db", "c\0.db", "status"],
        ["apply", "watch\0list.toml"],
        ["replay", "result\0.json"],
        ["match", "--rules", str(WATCHLIST_PATH), "a\0.jsonl"],
        ["backup", "b\0.db"],
    ):
        code, _, err = cli(argv)
        assert code == 2 and "NUL byte" in one_line_error(err), argv


def test_replay_of_a_file_it_never_read_claims_nothing_kept(db: Path, tmp_path: Path) -> None:
    for name, content in (("missing.json", None), ("notes.json", '{"title": "Курськ"}')):
        path = tmp_path / name
        if content is not None:
            path.write_text(content, encoding="utf-8")
        code, _, err = cli(["--db", str(db), "replay", str(path)])
        assert code == 1 and "kept the" not in one_line_error(err)


def test_binary_garbage_export_gives_the_parsers_words_only(tmp_path: Path) -> None:
    garbage = tmp_path / "result.json"
    garbage.write_bytes(b'{"name": "\xd0\x9a", "messages": [\x00\x91\x1f\n\xe8\xcf' * 50)
    code, _, err = cli(["--db", str(tmp_path / "c.db"), "replay", str(garbage)])
    line = one_line_error(err)
    assert code == 1 and "truncated or malformed" in line
    assert "b'" not in line and "\\x" not in line and "\x00" not in line


def test_backup_of_a_damaged_database_names_the_database(db: Path, tmp_path: Path) -> None:
    data = bytearray(db.read_bytes())
    data[4096 * 5 : 4096 * 5 + 4000] = b"\xde\xad" * 2000
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(bytes(data))
    code, _, err = cli(["--db", str(damaged), "backup", str(tmp_path / "copy.db")])
    line = one_line_error(err)
    assert code == 1 and str(damaged) in line and "partial" not in line
    assert not (tmp_path / "copy.db").exists()


def test_match_reports_where_a_line_is_broken(tmp_path: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    lines = [
        json.dumps({"id": 1, "text": "Під Курськом колона техніки"}, ensure_ascii=False),
        '{"id": 2, "text": "обрыв\x01строки"}',
        json.dumps({"id": 3, "text": "North Korean troops near Kursk"}),
    ]
    messages.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out, err = cli(["match", "--rules", str(WATCHLIST_PATH), str(messages)])
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 3]
    assert err.strip() == "line 2: not valid JSON (Invalid control character at column 25); skipped"


class _ClosedPipe(io.StringIO):
    """Standard output whose reader went away after the first line, like ``| head -1``."""

    def write(self, text: str) -> int:
        if self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_match_into_a_closed_pipe_is_not_a_read_error(tmp_path: Path) -> None:
    messages = tmp_path / "messages.jsonl"
    messages.write_text(
        "".join(json.dumps({"id": i, "text": "КНДР під Курськом"}) + "\n" for i in range(50)),
        encoding="utf-8",
    )
    out = _ClosedPipe()
    code, _, err = cli(["match", "--rules", str(WATCHLIST_PATH), str(messages)], stdout=out)
    assert code == 0 and err == ""
    assert out.getvalue() == '{"id": 0, "rules": ["dprk-kursk"]}\n'
