"""``chanwatch backtest``: what a query would have caught, per day, with the latest hits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.matching import parse_query
from bot.pipeline.narrow import fts_expression
from tests.support.exports import chat, message, run_cli


@pytest.fixture
def db(tmp_path: Path) -> Path:
    day = 24 * 60  # message ids are minutes after START in pipeline_exports
    posts = [
        message(1, "Под Курском замечены военные из #КНДР."),
        message(2, "Под Kурском (латинская K) снова колонна."),
        message(day + 3, "Мэр Курска: школы переходят на дистанционное обучение."),
        message(day + 4, "Курщина: ночь прошла спокойно."),
        message(day + 5, "Weather in Kursk: rain."),
        message(2 * day + 6, "Погода в Белгороде: дождь."),
    ]
    export = tmp_path / "e.json"
    export.write_text(json.dumps(chat(posts), ensure_ascii=False), encoding="utf-8")
    path = tmp_path / "c.db"
    assert run_cli(["--db", str(path), "replay", str(export)])[0] == 0
    return path


def test_counts_per_day_and_latest_hits(db: Path) -> None:
    code, out, err = run_cli(["--db", str(db), "backtest", "Курск", "--since", "all"])
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "3 of 6 messages matched since all (full scan)."
    assert lines[1:4] == ["per day:", "  2024-10-25  2", "  2024-10-26  1"]
    assert lines[4] == "latest:"
    assert "https://t.me/c/1987654321/1443" in lines[5]
    assert "**Курска**" in lines[6]


def test_fast_narrowing_is_opt_in_and_only_for_exact_and_prefix_terms(db: Path) -> None:
    _, out, _ = run_cli(["--db", str(db), "backtest", "=курском", "--since", "all", "--fast"])
    assert (
        out.splitlines()[0]
        == "1 of 1 messages matched since all (narrowed by the full-text index)."
    )
    _, out, _ = run_cli(["--db", str(db), "backtest", "=курском", "--since", "all"])
    assert out.splitlines()[0] == "2 of 6 messages matched since all (full scan)."
    assert fts_expression(parse_query("курщ* AND =кндр")) == '("курщ"* AND "кндр")'
    assert fts_expression(parse_query("Курск AND =кндр")) == '("кндр")'
    assert fts_expression(parse_query("=кндр AND NOT =сводка")) == '("кндр")'
    for unsafe in ("Курск", "=кндр OR Курск", "/кур+ск/ AND Курск"):
        assert fts_expression(parse_query(unsafe)) is None


def test_a_bad_query_is_one_line_with_its_column(db: Path) -> None:
    code, out, err = run_cli(["--db", str(db), "backtest", "Курск AND (Суджа OR"])
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "at column" in err


def test_top_says_how_many_latest_hits_are_shown_and_zero_shows_none(db: Path) -> None:
    _, out, _ = run_cli(["--db", str(db), "backtest", "Курск", "--since", "all", "--top", "1"])
    assert out.count("https://t.me/") == 1
    assert "**Курска**" in out
    _, out, _ = run_cli(["--db", str(db), "backtest", "Курск", "--since", "all", "--top", "0"])
    assert out.splitlines()[0] == "3 of 6 messages matched since all (full scan)."
    assert "https://t.me/" not in out
