"""``chanwatch access``: the CLI twin of /allow and /deny, sharing their code and audit log."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot.cli.main import main
from storage import audit, subscribers
from storage.database import connect


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), environ={}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def _state(path: Path) -> tuple[bool, bool, list[tuple[str, str, dict[str, object]]]]:
    async with connect(path) as db:
        user = await subscribers.is_allowed(db, 4242)
        group_member = await subscribers.is_allowed(db, 777, -1001234567890)
        log = [(e.actor, e.action, e.detail) for e in reversed(await audit.recent(db))]
    return user, group_member, log


def test_allow_list_and_deny_users_and_groups(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    assert run("--db", db, "access", "allow", "4242")[:2] == (0, "4242 may now use the bot.\n")
    assert run("--db", db, "access", "allow", "-1001234567890")[0] == 0
    code, out, _ = run("--db", db, "access", "list")
    assert code == 0
    assert out.splitlines()[0].startswith("-1001234567890 (group, by cli, ")
    assert out.splitlines()[1].startswith("4242 (user, by cli, ")
    assert asyncio.run(_state(Path(db)))[:2] == (True, True)

    assert run("--db", db, "access", "deny", "4242")[:2] == (0, "4242 may no longer use the bot.\n")
    code, _, err = run("--db", db, "access", "deny", "4242")
    assert (code, err) == (1, "chanwatch: error: 4242 was not on the allowlist\n")
    user, member, log = asyncio.run(_state(Path(db)))
    assert (user, member) == (False, True)
    assert [(actor, action) for actor, action, _ in log] == [
        ("cli", "user.allow"),
        ("cli", "group.allow"),
        ("cli", "user.deny"),
    ]
    assert log[1][2] == {"chat_id": -1001234567890, "username": None}


def test_names_need_the_bot_and_nothing_is_created(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    code, _, err = run("--db", str(db), "access", "allow", "@olena_kyiv")
    assert code == 2 and "is not a numeric id; use the bot's /allow for an @name" in err
    code, _, err = run("--db", str(db), "access", "list")
    assert code == 1 and "no database at" in err
    assert not db.exists()
