"""``chanwatch replay`` end to end: idempotence, refusal of broken files, crash recovery."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.cli.replay import summary_lines
from bot.pipeline.replay import ReplaySummary
from tests.support.exports import (
    WATCHLIST,
    chat,
    message,
    run_cli,
    write_export,
)

ROOT = Path(__file__).resolve().parent.parent


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return list(conn.execute(sql))


def stored_hits(db: Path) -> list[tuple[object, ...]]:
    return rows(
        db,
        "SELECT m.message_id, r.name FROM hits h JOIN messages m ON m.id = h.message_pk"
        " JOIN rules r ON r.id = h.rule_id ORDER BY 1, 2",
    )


@pytest.fixture
def watchlist(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def test_replay_stores_once_and_reports_what_it_did(tmp_path: Path, watchlist: Path) -> None:
    db = tmp_path / "c.db"
    export = tmp_path / "result.json"
    items = [
        message(1, "Под Курском замечены военные из #КНДР."),
        message(2, ["Атака ", {"type": "bold", "text": "дронов"}, " на Белгород."]),
        message(3, "", photo="photos/1.jpg", caption_note="caption below"),
        {"id": 4, "type": "service", "date_unixtime": "1729830000", "action": "pin_message"},
        message(5, "North Korean troops near Kursk.", edited_unixtime="1729900000"),
    ]
    export.write_text(json.dumps(chat(items), ensure_ascii=False), encoding="utf-8")
    assert run_cli(["--db", str(db), "apply", str(watchlist)])[0] == 0

    code, out, err = run_cli(["--db", str(db), "replay", str(export)])
    assert code == 0, err
    assert "read     4 messages from 1 chat(s)" in out
    assert "stored   4 new, 0 updated, 0 already stored" in out
    assert "skipped  1: 1 service message" in out
    assert "dprk-kursk  2" in out and "drones      1" in out
    first = stored_hits(db)
    assert first == [(1, "dprk-kursk"), (2, "drones"), (5, "dprk-kursk")]

    code, out, _ = run_cli(["--db", str(db), "replay", str(export)])
    assert code == 0
    assert "stored   0 new, 0 updated, 4 already stored" in out
    assert "new hits: none" in out
    assert stored_hits(db) == first
    assert rows(db, "SELECT count(*) FROM messages") == [(4,)]


def test_truncated_export_is_refused_and_the_database_stays_whole(
    tmp_path: Path, watchlist: Path
) -> None:
    db = tmp_path / "c.db"
    whole = write_export(tmp_path / "whole.json", 250)
    data = whole.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) * 3 // 4])
    run_cli(["--db", str(db), "apply", str(watchlist)])

    code, out, err = run_cli(["--db", str(db), "replay", "--batch", "50", str(cut)])
    assert code == 1
    assert out == ""
    *progress, error = err.splitlines()
    assert all(line.startswith("replay: ") for line in progress)
    assert error.startswith("chanwatch: error: ") and "truncated or malformed near byte" in error
    (kept,) = rows(db, "SELECT count(*) FROM messages")[0]
    assert isinstance(kept, int) and kept % 50 == 0 and 0 < kept < 250
    assert f"kept the {kept} message(s)" in err
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]

    code, out, _ = run_cli(["--db", str(db), "replay", str(whole)])
    assert code == 0
    assert f"stored   {250 - kept} new, 0 updated, {kept} already stored" in out


def test_a_file_that_is_not_an_export_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.json"
    bogus.write_text('{"title": "not an export"}', encoding="utf-8")
    code, _, err = run_cli(["--db", str(tmp_path / "c.db"), "replay", str(bogus)])
    assert code == 1
    assert err.count("\n") == 1 and "not a Telegram Desktop export" in err


@pytest.mark.slow
def test_a_replay_killed_midway_completes_exactly_when_rerun(
    tmp_path: Path, watchlist: Path
) -> None:
    total, batch = 8_000, 200  # the kill lands after 3 batches of 40, long before the end
    export = write_export(tmp_path / "big.json", total)
    killed, reference = tmp_path / "killed.db", tmp_path / "reference.db"
    for db in (killed, reference):
        assert run_cli(["--db", str(db), "apply", str(watchlist)])[0] == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bot", "--db", str(killed), "replay", "--batch", str(batch)]
    process = subprocess.Popen(
        [*command, str(export)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if rows(killed, "SELECT count(*) FROM messages")[0][0] >= 3 * batch:
                break
            time.sleep(0.02)
        assert process.poll() is None, "the replay finished before it could be killed"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait()
    (partial,) = rows(killed, "SELECT count(*) FROM messages")[0]
    # Killed after three batches at the least (else the rerun proves nothing), never mid-batch.
    assert isinstance(partial, int) and 3 * batch <= partial < total and partial % batch == 0

    code, out, err = run_cli(["--db", str(killed), "replay", str(export)])
    assert code == 0, err
    assert f"stored   {total - partial} new, 0 updated, {partial} already stored" in out
    assert run_cli(["--db", str(reference), "replay", str(export)])[0] == 0
    assert rows(killed, "SELECT count(*), count(DISTINCT message_id) FROM messages") == [
        (total, total)
    ]
    assert stored_hits(killed) == stored_hits(reference)
    assert rows(killed, "PRAGMA integrity_check") == [("ok",)]


def test_the_summary_warns_only_when_the_slow_json_parser_did_the_work() -> None:
    slow = summary_lines(ReplaySummary(read=3, parser="python"))
    assert any("'python' backend" in line and "slower" in line for line in slow)
    assert not any(
        line.startswith("note") for line in summary_lines(ReplaySummary(parser="yajl2_c"))
    )
