"""``chanwatch digest`` end to end: a ru/uk/en day stored by the pipeline, printed as JSON,
text and HTML, and the mistakes a user can make on the command line."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from bot.cli.main import main
from storage.database import connect
from tests.support.digest_dataset import store_day

PERIOD = ["--since", "2024-10-27T06:00+00:00", "--until", "2024-10-28T06:00+00:00"]


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digest") / "chanwatch.db"

    async def fill() -> None:
        async with connect(path) as db:
            await store_day(db)

    asyncio.run(fill())
    return path


def run(database: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(database), "digest", *args], environ={}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_json_has_the_issue_shape_and_folds_the_repost(database: Path) -> None:
    code, out, err = run(database, *PERIOD, "--format", "json", "--tz", "Europe/Kyiv")
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["since", "until", "rules"]
    assert data["since"] == "2024-10-27T08:00:00+02:00"
    assert data["until"] == "2024-10-28T08:00:00+02:00"
    assert [(r["rule"], r["hits"]) for r in data["rules"]] == [
        ("dprk-kursk", 3),
        ("belgorod", 1),
        ("kyiv-power", 1),
    ]
    for rule in data["rules"]:
        assert list(rule) == ["rule", "hits", "stories"]
        for story in rule["stories"]:
            assert list(story) == ["posts", "channels", "views", "first", "snippet"]
            assert list(story["first"]) == ["channel", "message_id", "date", "link", "edited"]
    repost = data["rules"][0]["stories"][0]
    assert repost["posts"] == 2
    assert repost["channels"] == ["Сводки Приграничья", "Прикордонний вісник"]
    assert repost["first"] == {
        "channel": "Сводки Приграничья",
        "message_id": 10,
        "date": "2024-10-27T09:00:00+02:00",
        "link": "https://t.me/svodki_prigran/10",
        "edited": False,
    }
    assert repost["snippet"].startswith("Под **Курском**")
    english = data["rules"][0]["stories"][1]
    assert english["posts"] == 1 and english["first"]["link"] == "https://t.me/c/1003/30"


def test_rule_filter_and_text_format(database: Path) -> None:
    code, out, _ = run(database, *PERIOD, "--rule", "kyiv-power", "--rule", "belgorod")
    assert code == 0
    assert out.startswith("Digest 27 Oct 06:00 – 28 Oct 06:00 (UTC)\n2 hits, 2 stories, 2 rules")
    assert "**підстанції**" in out and "**Белгороде**" in out and "Курск" not in out


def test_html_format_is_escaped_telegram_html(database: Path) -> None:
    code, out, _ = run(database, *PERIOD, "--format", "html", "--rule", "dprk-kursk")
    assert code == 0
    assert "<b>2 posts in 2 channels</b>" in out
    assert '<a href="https://t.me/svodki_prigran/10">Сводки Приграничья</a>' in out


def test_empty_period_says_nothing_new(database: Path) -> None:
    code, out, _ = run(database, "--since", "2024-11-01", "--until", "2024-11-02")
    assert code == 0 and out.startswith("Nothing new since 01 Nov 00:00 (UTC).")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "nope"], "no rule named 'nope'"),
        (["--since", "yesterday"], "neither a period"),
        (["--tz", "Mars/Olympus"], "unknown time zone"),
        (["--since", "2024-10-28", "--until", "2024-10-27"], "before it starts"),
    ],
)
def test_bad_input_is_one_line_without_traceback(
    database: Path, args: list[str], message: str
) -> None:
    code, out, err = run(database, *args)
    assert code != 0 and out == ""
    assert err.startswith("chanwatch: error:") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_demo_ends_with_the_sample_digest_folding_reposts_across_channels(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", str(tmp_path / "demo.db"), "demo"], environ={}, stdout=out, stderr=err)
    assert (code, err.getvalue()) == (0, "")
    digest = out.getvalue().split("\nDigest ", 1)[1]
    assert digest.startswith("25 Oct 00:00 – 29 Oct 00:00 (UTC)")
    assert re.search(r"\* [2-9] posts in [2-9] channels; first ", digest)
    assert "also Прикордонний вісник https://t.me/prykordonnyi_visnyk/" in digest
