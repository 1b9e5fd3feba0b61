"""``chanwatch destinations add|list|remove|test`` and ``[[destinations]]`` in the watchlist
file: audited, exported and applied, secrets only as ``${VARIABLE}``s, every mistake one
line. ``test`` sends to a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from bot.cli.main import main
from tests.support.http_receiver import receiver

WATCHLIST = """
[[channels]]
ref = "@svodki"
tags = ["mil"]

[[rules]]
name = "dprk-kursk"
query = "КНДР AND Курск"
priority = "instant"

[[destinations]]
name = "newsroom-slack"
url = "slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#osint"
rules = ["dprk-kursk"]
digest = "daily 08:00"

[[destinations]]
name = "case-hook"
url = "https://cases.example.org/hook/${HOOK_TOKEN}"
rules = ["tag:mil", "all"]
secret = "HOOK_SECRET"
format = "text"
per_minute = 10
instant = false
"""


def cli(tmp_path: Path, *argv: str, **env: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = ["--db", str(tmp_path / "c.db"), *argv]
    code = main(args, environ=env, stdout=out, stderr=err, stdin=io.StringIO())
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.toml"
    path.write_text(WATCHLIST, encoding="utf-8")
    code, out, err = cli(tmp_path, "apply", str(path))
    assert (code, err) == (0, ""), out
    assert "+ destination newsroom-slack: slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#osint" in out
    return path


def audit(tmp_path: Path) -> list[tuple[str, str, dict[str, object]]]:
    with sqlite3.connect(tmp_path / "c.db") as conn:
        rows = conn.execute("SELECT actor, action, detail FROM audit_log ORDER BY id").fetchall()
    return [(a, b, json.loads(c)) for a, b, c in rows if b.startswith("destination.")]


def test_a_watchlist_file_with_destinations_applies_exports_and_reapplies_as_a_no_op(
    tmp_path: Path, applied: Path
) -> None:
    code, exported, _ = cli(tmp_path, "export", "-")
    assert code == 0
    assert 'url = "https://cases.example.org/hook/${HOOK_TOKEN}"' in exported
    again = tmp_path / "again.toml"
    again.write_text(exported, encoding="utf-8")
    assert cli(tmp_path, "apply", str(again))[1] == (
        "Nothing to change: the database already matches the file.\n"
    )
    code, listed, _ = cli(tmp_path, "destinations", "list")
    assert listed == (
        "case-hook (webhook, text, active) https://cases.example.org/hook/${HOOK_TOKEN}\n"
        "  rules all, tag:mil; no instant alerts; signed with $HOOK_SECRET\n"
        "newsroom-slack (apprise, markdown, active)"
        " slack://${SLACK_A}/${SLACK_B}/${SLACK_C}/#osint\n"
        "  rules dprk-kursk; digest daily 08:00\n"
    )
    assert [(a, b) for a, b, _ in audit(tmp_path)] == [
        ("cli", "destination.add"),
        ("cli", "destination.add"),
    ]


def test_a_file_without_destinations_leaves_them_and_one_with_an_empty_list_removes_them(
    tmp_path: Path, applied: Path
) -> None:
    plain = tmp_path / "plain.toml"
    plain.write_text(WATCHLIST.split("[[destinations]]")[0], encoding="utf-8")
    assert "Nothing to change" in cli(tmp_path, "apply", str(plain))[1]
    plain.write_text("destinations = []\n" + WATCHLIST.split("[[destinations]]")[0], "utf-8")
    _, out, _ = cli(tmp_path, "apply", str(plain))
    assert out.splitlines() == [
        "- destination case-hook",
        "- destination newsroom-slack",
        "Applied.",
    ]
    assert cli(tmp_path, "destinations", "list")[1].startswith("No destinations")


def test_every_mistake_in_a_destination_is_listed_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        WATCHLIST.split("[[destinations]]")[0]
        + '[[destinations]]\nname = "x"\nurl = "https://u:hunter2secret@example.org/h"\n'
        'rules = ["nope"]\nformat = "pdf"\nsecret = "not a name"\n'
        '[[destinations]]\nname = "y"\nurl = "gopher://example.org"\nrules = ["all"]\n'
        'digest = "sometimes"\nper_minute = 0\n',
        encoding="utf-8",
    )
    code, _, err = cli(tmp_path, "apply", str(path))
    assert code == 1
    assert "hunter2secret" not in err
    for expected in (
        "[[destinations]] #1 'x' (line 13): the URL holds a password: write it as ${VARIABLE}",
        "[[destinations]] #1 'x' (line 14): unknown rule 'nope'",
        "[[destinations]] #1 'x' (line 15): format must be",
        "[[destinations]] #1 'x' (line 16): secret must name an environment variable",
        "[[destinations]] #2 'y' (line 19): gopher:// is not a service Apprise knows",
        "[[destinations]] #2 'y' (line 21): bad digest schedule",
        "[[destinations]] #2 'y' (line 22): per_minute must be a whole number from 1 to 600",
    ):
        assert expected in err, err
    assert "Traceback" not in err


def test_add_list_remove_in_one_command_each_audited_with_the_url_as_written(
    tmp_path: Path, applied: Path
) -> None:
    code, out, err = cli(
        tmp_path, "destinations", "add", "ntfy-osint", "ntfys://ntfy.sh/${NTFY_TOPIC}",
        "--rules", "dprk-kursk",
    )  # fmt: skip
    assert (code, err) == (0, "")
    assert out == (
        "Destination ntfy-osint (apprise) saved.\n"
        "Note: NTFY_TOPIC not set here; `chanwatch run` needs it in its environment or .env.\n"
    )
    assert cli(tmp_path, "destinations", "remove", "ntfy-osint")[1] == (
        "Destination ntfy-osint removed.\n"
    )
    *_, added, removed = audit(tmp_path)
    assert added[:2] == ("cli", "destination.add")
    assert added[2]["url"] == "ntfys://ntfy.sh/${NTFY_TOPIC}"
    assert added[2]["targets"] == ["rule:dprk-kursk"]
    assert removed[:2] == ("cli", "destination.remove")
    assert cli(tmp_path, "destinations", "remove", "ntfy-osint")[2] == (
        "chanwatch: error: no destination named 'ntfy-osint'\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["x", "https://example.org/h?token=abc123def", "--rules", "all"],
            "the URL's token= parameter looks like a secret: write it as ${VARIABLE}",
        ),
        (["x", "example.org/hook", "--rules", "all"], "is not a URL: start it with a scheme"),
        (["x", "https://example.org/h", "--rules", "nope"], "unknown rule 'nope'"),
        (["x", "https://example.org/h", "--rules", "tag:navy"], "unknown tag 'navy'"),
        (["has space", "https://example.org/h", "--rules", "all"], "destination name"),
        (["x", "https://e.org/h", "--rules", "all", "--per-minute", "0"], "per_minute must be"),
    ],
)
def test_add_refuses_bad_input_in_one_line(
    tmp_path: Path, applied: Path, argv: list[str], message: str
) -> None:
    code, _, err = cli(tmp_path, "destinations", "add", *argv)
    assert code == 1
    assert len(err.splitlines()) == 1 and message in err, err
    assert "abc123def" not in err


def test_a_service_url_apprise_cannot_read_is_refused_when_its_variables_are_set(
    tmp_path: Path, applied: Path
) -> None:
    argv = ["destinations", "add", "team", "slack://${SLACK_A}/#osint", "--rules", "all"]
    code, _, err = cli(tmp_path, *argv, SLACK_A="not-a-token-form")
    assert code == 1
    assert err == (
        "chanwatch: error: Apprise cannot read slack://${SLACK_A}/#osint (with its variables put"
        " in): check the URL's form for the service at https://github.com/caronc/apprise/wiki\n"
    )
    good = ["destinations", "add", "team", "ntfy://ntfy.sh/${TOPIC}", "--rules", "all"]
    assert cli(tmp_path, *good, TOPIC="osint-kursk")[0] == 0
    again = ["destinations", "add", "team", "ntfy://ntfy.sh/${TOPIC}", "--rules", "dprk-kursk"]
    assert cli(tmp_path, *again, TOPIC="osint-kursk")[1] == "Destination team (apprise) saved.\n"
    assert [(a, b) for a, b, _ in audit(tmp_path)][-2:] == [
        ("cli", "destination.add"),
        ("cli", "destination.update"),
    ]


def test_test_sends_a_signed_message_now_and_reports_a_failure_in_one_line(
    tmp_path: Path, applied: Path
) -> None:
    with receiver() as hook:
        url = hook.url("/in/${HOOK_TOKEN}")
        cli(tmp_path, "destinations", "add", "local", url, "--rules", "all", "--secret", "KEY")
        code, out, _ = cli(
            tmp_path, "destinations", "test", "local", HOOK_TOKEN="tok-123456", KEY="k3y-secret"
        )
        assert (code, out) == (0, "Test message delivered to local.\n")
        [request] = hook.received
        assert request.path == "/in/tok-123456"
        assert request.json()["test"] is True
        assert request.headers["x-chanwatch-signature-256"].startswith("sha256=")

    code, _, err = cli(tmp_path, "destinations", "test", "local", KEY="k")
    assert (code, err) == (
        1,
        "chanwatch: error: HOOK_TOKEN is not set (the destination URL needs it: set it in the"
        " environment or .env)\n",
    )
    code, _, err = cli(tmp_path, "destinations", "test", "local", HOOK_TOKEN="tok-123456")
    assert code == 1 and "did not take the test message: network error" in err
    assert "tok-123456" not in err
