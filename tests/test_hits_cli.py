"""``chanwatch hits``: JSON Lines, CSV and Markdown over stored hits, with links and filters."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.hits import parse_since
from bot.errors import UsageError
from tests.support.exports import apply_watchlist, chat, message, run_cli


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Two channels' posts: one public (a username is known), one private."""
    path = tmp_path / "c.db"
    apply_watchlist(path, tmp_path)
    private = chat(
        [message(7, "Атака дронов на Белгород | ночью"), message(8, "Погода: дождь.")],
        channel_id=1555000111,
    )
    private["name"] = "Закрытый канал"
    public = chat(
        [
            message(1, "Под Курском замечены военные из #КНДР, атака дронов."),
            message(2, "North Korean troops near Kursk."),
        ]
    )
    export = {"chats": {"list": [public, private]}}
    (tmp_path / "e.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    assert run_cli(["--db", str(path), "replay", str(tmp_path / "e.json")])[0] == 0
    # Exports carry no usernames; the reader learns the public channel's, as seeded here.
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE channels SET username = 'svodki_prigran' WHERE telegram_id = 1987654321"
        )
    return path


def test_json_lines_have_the_documented_fields(db: Path) -> None:
    code, out, _ = run_cli(["--db", str(db), "hits", "--since", "all", "--format", "json"])
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(x["message_id"], x["rules"]) for x in lines] == [
        (1, ["dprk-kursk", "drones"]),
        (2, ["dprk-kursk"]),
        (7, ["drones"]),
    ]
    first = lines[0]
    assert set(first) == {
        "channel_id",
        "channel",
        "message_id",
        "date",
        "rules",
        "link",
        "text",
        "edited",
        "deleted",
        "deleted_at",
        "views",
        "forwards",
        "reactions",
    }
    assert (first["edited"], first["deleted"], first["deleted_at"]) == (False, False, None)
    assert first["channel_id"] == 1987654321
    assert first["channel"] == "Сводки Приграничья"
    assert first["link"] == "https://t.me/svodki_prigran/1"
    assert lines[2]["link"] == "https://t.me/c/1555000111/7"
    assert datetime.fromisoformat(first["date"]) == datetime(2024, 10, 25, 4, 1, tzinfo=UTC)
    assert first["date"].endswith("Z")
    assert first["text"] == "Под Курском замечены военные из #КНДР, атака дронов."


def test_rule_filter_csv_and_markdown(db: Path) -> None:
    code, out, _ = run_cli(
        ["--db", str(db), "hits", "--since", "all", "--rule", "drones", "--format", "csv"]
    )
    assert code == 0
    table = list(csv.DictReader(io.StringIO(out)))
    assert [(r["message_id"], r["rules"]) for r in table] == [
        ("1", "dprk-kursk drones"),
        ("7", "drones"),
    ]
    code, out, _ = run_cli(["--db", str(db), "hits", "--since", "all", "--format", "md"])
    header, rule, *rows = out.splitlines()
    assert header.startswith("| date (UTC) | channel |") and rule.startswith("|---")
    assert len(rows) == 3
    assert "Атака дронов на Белгород \\| ночью" in rows[2]


def test_since_limits_the_period(db: Path) -> None:
    code, out, _ = run_cli(["--db", str(db), "hits", "--since", "24h", "--format", "json"])
    assert code == 0 and out == ""


def test_since_parsing() -> None:
    now = datetime(2024, 11, 5, 12, tzinfo=UTC)
    assert parse_since("24h", now) == now - timedelta(hours=24)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2w", now) == now - timedelta(weeks=2)  # as chanwatch digest reads it
    assert parse_since("all", now) is None
    for bad in ("yesterday", "0d", "-5h", "7y"):
        with pytest.raises(UsageError, match="24h or 7d"):
            parse_since(bad, now)
