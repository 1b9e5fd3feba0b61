"""``chanwatch match`` and ``chanwatch rules test`` through their command handlers."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from bot.cli import match
from bot.cli.context import CommandContext
from bot.cli.main import main
from bot.errors import ChanwatchError, WatchlistError

WATCHLIST = """
[[channels]]
ref = "@some_channel"
tags = ["mil"]

[[rules]]
name = "dprk-kursk"
query = '(КНДР OR северокорейский OR "North Korean") AND (Курск OR Курщина OR Kursk)'
priority = "instant"
channels = ["tag:mil"]

[[rules]]
name = "drones"
query = "дрон OR drone OR безпілотник"
"""


async def run_match(
    tmp_path: Path, messages: str | None, watchlist: str = WATCHLIST, stdin: str = ""
) -> tuple[int, str, str]:
    rules = tmp_path / "watchlist.toml"
    rules.write_text(watchlist, encoding="utf-8")
    source = "-"
    if messages is not None:
        source = str(tmp_path / "messages.jsonl")
        Path(source).write_bytes(messages.encode("utf-8", "surrogateescape"))
    parser = argparse.ArgumentParser()
    match.register(parser.add_subparsers())
    args = parser.parse_args(["match", "--rules", str(rules), source])
    out, err = io.StringIO(), io.StringIO()
    ctx = CommandContext(environ={}, stdout=out, stderr=err, stdin=io.StringIO(stdin))
    code = await args.handler(args, ctx)
    return code, out.getvalue(), err.getvalue()


def lines(*items: object) -> str:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)


async def test_one_output_line_per_input_line_in_order(tmp_path: Path) -> None:
    code, out, err = await run_match(
        tmp_path,
        lines(
            {"id": 1, "text": "Северокорейские военные под Курском, дроны в небе"},
            {"id": "b", "text": "ничего"},
            {"id": [3], "text": "North Korean troops near Kursk"},
        ),
    )
    assert (code, err) == (0, "")
    assert [json.loads(line) for line in out.splitlines()] == [
        {"id": 1, "rules": ["dprk-kursk", "drones"]},
        {"id": "b", "rules": []},
        {"id": [3], "rules": ["dprk-kursk"]},
    ]


async def test_bad_lines_are_reported_with_their_number_and_skipped(tmp_path: Path) -> None:
    messages = (
        lines({"id": 1, "text": "дрон"})
        + "not json\n"
        + lines({"text": "дрон"}, {"id": 4, "text": 5}, [1, 2])
        + "\n"
        + '{"id": 7, "text": "\udcff"}\n'  # written as the invalid UTF-8 byte 0xff
        + lines({"id": 8, "text": "drones"})
    )
    code, out, err = await run_match(tmp_path, messages)
    assert code == 0
    assert [json.loads(line)["id"] for line in out.splitlines()] == [1, 8]
    reported = [line.split(":")[0] for line in err.splitlines()]
    assert reported == ["line 2", "line 3", "line 4", "line 5", "line 7"]
    assert 'missing "id"' in err and '"text" must be a string' in err
    assert "line 7: not UTF-8 text; skipped" in err


async def test_reads_stdin_with_dash(tmp_path: Path) -> None:
    code, out, _ = await run_match(tmp_path, None, stdin=lines({"id": 1, "text": "drone"}))
    assert code == 0 and json.loads(out) == {"id": 1, "rules": ["drones"]}


async def test_a_bad_rule_aborts_naming_it(tmp_path: Path) -> None:
    watchlist = WATCHLIST + '\n[[rules]]\nname = "broken"\nquery = "(Курск OR"\n'
    with pytest.raises(WatchlistError, match=r"'broken' .*bad query: dangling OR"):
        await run_match(tmp_path, lines({"id": 1, "text": "x"}), watchlist=watchlist)


@pytest.mark.parametrize(
    ("watchlist", "message"),
    [
        ("[[rules]\n", "not valid TOML"),
        ('[[rules]]\nquery = "x"\n', r"\[\[rules\]\] #1 \(line 1\): missing field 'name'"),
        ('[[rules]]\nname = "x"\n', r"'x' .*missing field 'query'"),
        ('rules = "x"\n', "'rules' must be a list"),
    ],
)
async def test_malformed_watchlist_is_one_clear_error(
    tmp_path: Path, watchlist: str, message: str
) -> None:
    with pytest.raises(ChanwatchError, match=message):
        await run_match(tmp_path, "", watchlist=watchlist)


async def test_missing_messages_file_is_a_clear_error(tmp_path: Path) -> None:
    rules = tmp_path / "w.toml"
    rules.write_text(WATCHLIST, encoding="utf-8")
    parser = argparse.ArgumentParser()
    match.register(parser.add_subparsers())
    args = parser.parse_args(["match", "--rules", str(rules), str(tmp_path / "nope.jsonl")])
    ctx = CommandContext(
        environ={}, stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO()
    )
    with pytest.raises(ChanwatchError, match=r"cannot read .*nope\.jsonl"):
        await args.handler(args, ctx)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ={}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_rules_test_shows_the_matched_words() -> None:
    code, out, _ = run_cli(["rules", "test", "Курск OR Kursk", "Удар по Kурску и Kursk"])
    assert code == 0
    assert out.splitlines() == [
        "match",
        "words: Kурску, Kursk",
        "text:  Удар по [Kурску] и [Kursk]",
    ]


def test_rules_test_without_a_match_exits_1() -> None:
    code, out, _ = run_cli(["rules", "test", "Курск", "в Курской области"])
    assert (code, out) == (1, "no match\n")


def test_rules_test_reports_a_bad_query_as_one_line() -> None:
    code, _, err = run_cli(["rules", "test", '"Курск', "Курск"])
    assert code == 1
    assert err == "chanwatch: error: rule 'test': unclosed quote at column 1\n"
