"""Operator actions shared by the CLI and the bot: validated, audited in the same transaction."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest

from bot.cli.main import main
from bot.watchlist import actions
from bot.watchlist.validate import InvalidField
from storage import audit, channels
from storage.database import Database, open_database
from storage.errors import ConflictError, NotFoundError


async def test_rule_lifecycle_is_audited_with_the_actor(db: Database) -> None:
    await actions.watch_channel(db, "cli", "https://t.me/Svodki_Prigran", ["mil"])
    rule = await actions.add_rule(
        db, "123456789", "dprk-kursk", "КНДР AND Курск", "instant", ["tag:mil", "@sumy_news"]
    )
    assert (rule.priority, rule.scopes) == ("instant", ("@sumy_news", "tag:mil"))
    assert (await actions.pause_rule(db, "123456789", "dprk-kursk")).paused
    assert not (await actions.resume_rule(db, "cli", "dprk-kursk")).paused
    await actions.remove_rule(db, "cli", "dprk-kursk")
    assert await actions.list_rules(db) == []
    log = [(e.actor, e.action, e.detail.get("name")) for e in reversed(await audit.recent(db))]
    assert log == [
        ("cli", "channel.watch", None),
        ("123456789", "rule.add", "dprk-kursk"),
        ("123456789", "rule.pause", "dprk-kursk"),
        ("cli", "rule.resume", "dprk-kursk"),
        ("cli", "rule.remove", "dprk-kursk"),
    ]


async def test_bad_input_is_refused_before_anything_is_written(db: Database) -> None:
    with pytest.raises(InvalidField, match=r"bad query: .* at column \d+"):
        await actions.add_rule(db, "cli", "kursk", "Курск AND (Суджа OR")
    with pytest.raises(InvalidField, match="unknown scope tag 'mil'"):
        await actions.add_rule(db, "cli", "kursk", "Курск", scopes=["tag:mil"])
    with pytest.raises(InvalidField, match="rule name 'two words'"):
        await actions.add_rule(db, "cli", "two words", "Курск")
    with pytest.raises(InvalidField, match="priority"):
        await actions.add_rule(db, "cli", "kursk", "Курск", priority="urgent")
    await actions.add_rule(db, "cli", "kursk", "Курск")
    with pytest.raises(ConflictError, match="a rule named 'kursk' already exists"):
        await actions.add_rule(db, "cli", "kursk", "Kursk")
    with pytest.raises(NotFoundError, match="no rule named 'no-such-rule'"):
        await actions.pause_rule(db, "cli", "no-such-rule")
    assert [e.action for e in await audit.recent(db)] == ["rule.add"]


async def test_channels_are_watched_by_canonical_reference(db: Database) -> None:
    first = await actions.watch_channel(db, "cli", "t.me/s/Sumy_News", ["UA", "border"])
    again = await actions.watch_channel(db, "cli", "@sumy_news")
    assert first.id == again.id and again.ref == "@sumy_news"
    assert (await actions.tag_channel(db, "cli", "@Sumy_News", ["ua"])).tags == ("ua",)
    await actions.watch_channel(db, "cli", "-1001987654321")
    assert [c.ref for c in await actions.list_channels(db)] == ["-1001987654321", "@sumy_news"]
    await actions.unwatch_channel(db, "cli", "https://t.me/sumy_news")
    assert [c.ref for c in await actions.list_channels(db)] == ["-1001987654321"]
    with pytest.raises(NotFoundError, match="channel @sumy_news is not watched"):
        await actions.tag_channel(db, "cli", "@sumy_news", ["ua"])
    with pytest.raises(InvalidField, match="'not a channel!' is not a channel reference"):
        await actions.unwatch_channel(db, "cli", "not a channel!")


async def _resolve(path: Path, ref: str, telegram_id: int, username: str | None) -> None:
    """What the reader stores once it resolved the channel (a rename included)."""
    db = await open_database(path)
    try:
        row = await channels.find(db, ref=ref)
        assert row is not None
        await channels.set_resolved(
            db, row.id, telegram_id=telegram_id, access_hash=1, username=username, title=None
        )
    finally:
        await db.close()


def test_the_cli_finds_a_channel_by_any_of_its_names_as_the_bot_does(tmp_path: Path) -> None:
    path = tmp_path / "chanwatch.db"

    def cli(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--db", str(path), *argv], environ={}, stdout=out, stderr=err)
        return code, out.getvalue(), err.getvalue()

    for ref in ("@kursk_news", "t.me/+AbCdEfGh123"):
        assert cli("channels", "add", ref)[0] == 0
    asyncio.run(_resolve(path, "@kursk_news", 1500000001, "kursk_24"))  # renamed since
    asyncio.run(_resolve(path, "t.me/+AbCdEfGh123", 1500000002, None))
    code, out, _ = cli("channels", "tag", "https://t.me/kursk_24/77", "mil")
    assert code == 0 and "@kursk_news" in out and "[mil]" in out
    code, out, _ = cli("channels", "remove", "https://t.me/c/1500000002/5")
    assert code == 0 and "Stopped watching t.me/+AbCdEfGh123" in out
    code, out, _ = cli("channels", "remove", "-1001500000001")
    assert code == 0 and "Stopped watching @kursk_news" in out
    code, _, err = cli("channels", "remove", "@kursk_24")
    assert code == 1 and err.strip() == "chanwatch: error: channel @kursk_24 is not watched"
