"""The watchlist file: every problem reported at once, apply/export round trip, audit log."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import WatchlistError
from bot.watchlist import dump_watchlist, parse_watchlist
from bot.watchlist.actions import apply_watchlist, current_watchlist
from storage import audit, rules
from storage.database import Database
from tests.support.exports import run_cli

GOOD = """
[[channels]]
ref = "https://t.me/Svodki_Prigran"
tags = ["ru", "mil"]

[[channels]]
ref = "@sumy_news"
tags = ["ua"]

[[rules]]
name = "dprk-kursk"
query = '(КНДР OR північнокорейський OR "North Korean") AND (Курск OR Курщина OR Kursk)'
priority = "instant"
channels = ["tag:mil", "t.me/sumy_news"]

[[rules]]
name = "drones"
query = "дрон OR drone OR БПЛА"
paused = true
"""

BAD = """
[[channels]]
ref = "t.me/"
tags = ["ru"]
colour = "red"

[[rules]]
name = "dprk-kursk"
query = "КНДР AND (Курск OR"

[[rules]]
name = "dprk-kursk"
query = "КНДР"
priority = "urgent"

[[rules]]
name = "evac"
query = "эвакуация OR евакуація"
channels = ["tag:border", "not a channel!"]
"""


def test_every_kind_of_problem_is_reported_together_with_its_location() -> None:
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist(BAD, "watchlist.toml")
    problems = caught.value.problems
    assert problems == [
        "[[channels]] #1 't.me/' (line 5): unknown field 'colour' (expected ref, tags)",
        "[[channels]] #1 't.me/' (line 3): bad channel reference: 't.me/' names no channel:"
        " add the channel name after t.me/",
        "[[rules]] #1 'dprk-kursk' (line 9): bad query: dangling OR: it needs a term after it"
        " at column 17",
        '[[rules]] #2 \'dprk-kursk\' (line 14): priority must be "instant" or "digest",'
        " not 'urgent'",
        "[[rules]] #2 'dprk-kursk' (line 12): duplicate name, first used by [[rules]] #1",
        "[[rules]] #3 'evac' (line 19): unknown scope tag 'border' (channel tags: ru)",
        "[[rules]] #3 'evac' (line 19): bad channel reference: 'not a channel!' is not a channel"
        " reference: a username has 4-32 letters, digits or underscores and starts with a"
        " letter; links look like t.me/name or t.me/+hash",
    ]
    message = str(caught.value)
    assert message.startswith("7 problem(s) in watchlist.toml, nothing was changed:")


def test_a_toml_syntax_error_names_its_line() -> None:
    with pytest.raises(WatchlistError) as caught:
        parse_watchlist('[[rules]]\nname = "x\n', "w.toml")
    assert caught.value.problems[0].startswith("not valid TOML:")
    assert "line 2" in caught.value.problems[0]


def test_references_and_scopes_are_stored_in_canonical_form() -> None:
    parsed = parse_watchlist(GOOD)
    assert [(c.ref, c.tags) for c in parsed.channels] == [
        ("@svodki_prigran", ("mil", "ru")),
        ("@sumy_news", ("ua",)),
    ]
    dprk, drones = parsed.rules
    assert dprk.scopes == ("@sumy_news", "tag:mil")
    assert (dprk.priority, drones.priority, drones.paused) == ("instant", "digest", True)


async def test_apply_then_export_round_trips_and_reapplying_is_a_no_op(db: Database) -> None:
    plan = await apply_watchlist(db, parse_watchlist(GOOD), "cli")
    assert plan.lines()[:2] == ["+ channel @svodki_prigran [mil, ru]", "+ channel @sumy_news [ua]"]
    exported = dump_watchlist(await current_watchlist(db))
    again = await apply_watchlist(db, parse_watchlist(exported), "cli")
    assert again.empty
    assert parse_watchlist(exported) == await current_watchlist(db)
    assert (await rules.get(db, "drones")).paused


async def test_a_changed_file_plans_adds_changes_and_removals(db: Database) -> None:
    await apply_watchlist(db, parse_watchlist(GOOD), "cli")
    changed = GOOD.replace('priority = "instant"', 'priority = "digest"').replace(
        '[[channels]]\nref = "@sumy_news"\ntags = ["ua"]\n', ""
    )
    changed = changed.replace(', "t.me/sumy_news"', "") + (
        '\n[[rules]]\nname = "helicopters"\nquery = "вертолет OR гелікоптер OR helicopter"\n'
    )
    dry = await apply_watchlist(db, parse_watchlist(changed), "cli", dry_run=True)
    assert dry.lines() == [
        "- channel @sumy_news (stops being watched; stored posts stay)",
        "+ rule helicopters (digest): вертолет OR гелікоптер OR helicopter",
        "~ rule dprk-kursk: priority instant -> digest, channels tag:mil",
    ]
    assert (await rules.get(db, "dprk-kursk")).priority == "instant"
    applied = await apply_watchlist(db, parse_watchlist(changed), "cli")
    assert applied == dry
    assert (await rules.get(db, "dprk-kursk")).scopes == ("tag:mil",)
    actions = [e.action for e in reversed(await audit.recent(db))]
    assert actions[-3:] == ["channel.unwatch", "rule.update", "rule.add"]
    assert {e.actor for e in await audit.recent(db)} == {"cli"}


def test_cli_apply_refuses_a_bad_file_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    code, out, _ = run_cli(["--db", str(db), "apply", "--dry-run", str(good)])
    assert code == 0 and out.endswith("Dry run: nothing was changed.\n")
    code, out, err = run_cli(["--db", str(db), "apply", str(bad)])
    assert code == 1 and out == ""
    assert err.startswith(f"chanwatch: error: 7 problem(s) in {bad}, nothing was changed:")
    code, out, _ = run_cli(["--db", str(db), "rules", "list"])
    assert out.startswith("No rules yet")
    assert run_cli(["--db", str(db), "apply", str(good)])[0] == 0
    exported = tmp_path / "exported.toml"
    assert run_cli(["--db", str(db), "export", str(exported)])[0] == 0
    code, out, _ = run_cli(["--db", str(db), "apply", str(exported)])
    assert out == "Nothing to change: the database already matches the file.\n"
