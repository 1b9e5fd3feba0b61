"""``chanwatch history`` and ``chanwatch hits --deleted/--edited/--previous`` over a database
that replays built: a Desktop export's ``edited`` times become versions when a later export
carries an edit of a post already stored."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import channels, deletions
from storage.database import connect
from tests.support.exports import (
    CHANNEL_ID,
    START,
    apply_watchlist,
    chat,
    message,
    run_cli,
)

ORIGINAL = "Под Курском замечены военные из #КНДР."
EDITED = "Под Курском замечены военные. Информация о КНДР не подтвердилась."
EDITED_AT = START + 3600


def export(tmp_path: Path, name: str, messages: list[dict[str, object]]) -> Path:
    path = tmp_path / name
    chat_data = chat(messages)
    path.write_text(json.dumps(chat_data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Post 1 replayed, then replayed again as edited; post 2 deleted; post 3 untouched."""
    path = tmp_path / "c.db"
    apply_watchlist(path, tmp_path)
    first = [
        message(1, ORIGINAL),
        message(2, "North Korean troops near Kursk."),
        message(3, "Атака дронов на Белгород"),
    ]
    assert run_cli(["--db", str(path), "replay", str(export(tmp_path, "a.json", first))])[0] == 0
    later = [message(1, EDITED, edited="2024-10-25T08:00:00", edited_unixtime=str(EDITED_AT))]
    assert run_cli(["--db", str(path), "replay", str(export(tmp_path, "b.json", later))])[0] == 0

    async def delete_post_2() -> None:
        async with connect(path) as conn:
            row = await channels.find(conn, telegram_id=CHANNEL_ID)
            assert row is not None
            when = datetime.fromtimestamp(START + 7200, UTC)
            await deletions.mark_deleted(conn, row.id, [2], via="check", at=when)

    asyncio.run(delete_post_2())
    return path


def test_history_prints_every_version_with_the_exports_edit_time(db: Path) -> None:
    link = f"https://t.me/c/{CHANNEL_ID}/1"
    code, out, err = run_cli(["--db", str(db), "history", link])
    assert (code, err) == (0, "")
    edited = datetime.fromtimestamp(EDITED_AT, UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert "version 1 · original · stored" in out
    assert f"version 2 · edited {edited} · stored" in out
    assert out.index(ORIGINAL) < out.index(EDITED)
    assert "rules: dprk-kursk" in out
    same = run_cli(["--db", str(db), "history", str(CHANNEL_ID), "1"])
    assert same[1] == out


def test_history_shows_a_deletion_with_its_time_and_source(db: Path) -> None:
    code, out, _ = run_cli(["--db", str(db), "history", f"-100{CHANNEL_ID}", "2"])
    assert code == 0
    when = datetime.fromtimestamp(START + 7200, UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"deleted, seen {when} through the deletion check (the post was gone)" in out
    assert "North Korean troops near Kursk." in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["t.me/svodki_prigran"], "is not a post link"),
        (["@svodki_prigran", "abc"], "'abc' is not a message id"),
        (["@nobody_here", "1"], "no channel @nobody_here is stored"),
        ([f"t.me/c/{CHANNEL_ID}/99"], "post 99 of"),
        (["t.me/+AbCdEfGhIj", "1"], "an invite link names no post"),
    ],
)
def test_history_refuses_what_names_no_stored_post_in_one_line(
    db: Path, argv: list[str], message: str
) -> None:
    code, out, err = run_cli(["--db", str(db), "history", *argv])
    assert code == 1 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_hits_filters_deleted_and_edited_and_json_shows_the_previous_wording(db: Path) -> None:
    def ids(*flags: str) -> list[int]:
        code, out, _ = run_cli(
            ["--db", str(db), "hits", "--since", "all", "--format", "json", *flags]
        )
        assert code == 0
        return [json.loads(line)["message_id"] for line in out.splitlines()]

    assert ids() == [1, 2, 3]
    assert ids("--deleted") == [2]
    assert ids("--edited") == [1]
    code, out, _ = run_cli(
        ["--db", str(db), "hits", "--since", "all", "--format", "json", "--edited", "--previous"]
    )
    [line] = [json.loads(x) for x in out.splitlines()]
    assert (line["edited"], line["previous"], line["text"]) == (True, [ORIGINAL], EDITED)
    code, out, _ = run_cli(["--db", str(db), "hits", "--since", "all", "--format", "json"])
    deleted = [json.loads(x) for x in out.splitlines()][1]
    assert deleted["deleted"] is True and deleted["deleted_at"].endswith("Z")
    assert "previous" not in deleted
    code, out, _ = run_cli(["--db", str(db), "hits", "--since", "all", "--deleted"])
    assert "[deleted] North Korean troops" in out
    code, _, err = run_cli(["--db", str(db), "hits", "--previous", "--format", "csv"])
    assert code == 2 and "--previous needs --format json" in err
