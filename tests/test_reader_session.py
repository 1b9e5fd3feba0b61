"""The user session file is private, and running without one says how to log in."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.config import Settings
from bot.telegram.session import NotLoggedInError, open_reader_client, private_session
from tests.faketg import FakeTelegram, attach


def test_the_session_file_is_created_private(tmp_path: Path) -> None:
    session = private_session(tmp_path / "data" / "reader")
    session.save()
    path = tmp_path / "data" / "reader.session"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session.close()


async def test_run_without_a_session_says_how_to_log_in(tmp_path: Path) -> None:
    settings = Settings(session_path=tmp_path / "none.session", api_id=1, api_hash="0" * 32)
    with pytest.raises(NotLoggedInError, match="run `chanwatch login` first"):
        await open_reader_client(settings)


async def test_a_session_that_is_not_logged_in_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.telegram import session as module

    world = FakeTelegram()
    real_build = module.build_client

    def offline_build(settings: Settings):  # type: ignore[no-untyped-def]
        client = real_build(settings)
        attach(client, world, authorized=False)
        return client

    monkeypatch.setattr(module, "build_client", offline_build)
    settings = Settings(session_path=tmp_path / "user.session", api_id=1, api_hash="0" * 32)
    private_session(settings.session_path).close()
    with pytest.raises(NotLoggedInError, match="not logged in"):
        await open_reader_client(settings)
