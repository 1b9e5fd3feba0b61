"""``chanwatch login`` against the fake Telegram: code, 2FA (real SRP), QR; and ``run``
without a session refusing to prompt."""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from telethon import TelegramClient

from bot.cli import login as login_command
from bot.cli.context import CommandContext
from bot.cli.main import main
from bot.config import Settings
from bot.telegram import session as session_module
from tests.faketg import API_HASH, API_ID, FakeTelegram, attach
from tests.faketg.auth import PHONE, LoginDesk
from tests.support.waiting import eventually


def environment(tmp_path: Path) -> dict[str, str]:
    return {
        "API_ID": str(API_ID),
        "API_HASH": API_HASH,
        "SESSION_PATH": str(tmp_path / "secrets" / "reader.session"),
        "DATABASE_PATH": str(tmp_path / "chanwatch.db"),
    }


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> FakeTelegram:
    """Every client ``chanwatch login`` builds talks to this world, logged out at first."""
    world = FakeTelegram()
    real_build: Callable[[Settings], TelegramClient] = session_module.build_client

    def build_on_fake(settings: Settings) -> TelegramClient:
        client = real_build(settings)
        attach(client, world, authorized=False)
        return client

    monkeypatch.setattr(login_command, "build_client", build_on_fake)
    return world


def run_login(tmp_path: Path, answers: str, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["login", *argv],
        environ=environment(tmp_path),
        stdout=out,
        stderr=err,
        stdin=io.StringIO(answers),
    )
    return code, out.getvalue(), err.getvalue()


def session_mode(tmp_path: Path) -> int:
    return stat.S_IMODE((tmp_path / "secrets" / "reader.session").stat().st_mode)


def test_phone_and_code_log_in_into_a_private_session_file(
    tmp_path: Path, world: FakeTelegram
) -> None:
    desk = LoginDesk(world)
    code, out, err = run_login(tmp_path, f"{PHONE}\n{desk.code}\n")
    assert (code, err) == (0, "")
    assert "Logged in as Analyst (@analyst)" in out
    assert (desk.codes_sent, desk.signed_in) == (1, 1)
    assert session_mode(tmp_path) == 0o600


def test_a_wrong_code_is_refused_in_plain_words(tmp_path: Path, world: FakeTelegram) -> None:
    desk = LoginDesk(world)
    code, _, err = run_login(tmp_path, f"{PHONE}\n00000\n")
    assert code == 1
    assert err == "chanwatch: error: the code was wrong or expired: run `chanwatch login` again\n"
    assert desk.signed_in == 0


def test_an_unknown_phone_number_is_refused(tmp_path: Path, world: FakeTelegram) -> None:
    LoginDesk(world)
    code, _, err = run_login(tmp_path, "+1 555 0100\n")
    assert code == 1
    assert err.startswith("chanwatch: error: Telegram refused the phone number")


def test_two_factor_password_is_checked_by_srp(tmp_path: Path, world: FakeTelegram) -> None:
    desk = LoginDesk(world, password="Слава-Україні-2024")
    code, out, err = run_login(tmp_path, f"{PHONE}\n{desk.code}\nСлава-Україні-2024\n")
    assert (code, err) == (0, "")
    assert "2FA password: " in out
    assert "Logged in as Analyst" in out
    assert session_mode(tmp_path) == 0o600


def test_a_wrong_two_factor_password_is_refused(tmp_path: Path, world: FakeTelegram) -> None:
    desk = LoginDesk(world, password="правильний пароль")
    code, _, err = run_login(tmp_path, f"{PHONE}\n{desk.code}\nwrong password\n")
    assert code == 1
    assert err == "chanwatch: error: the 2FA password was wrong\n"
    assert desk.signed_in == 0


async def login_by_qr(
    tmp_path: Path, world: FakeTelegram, desk: LoginDesk, answers: str = ""
) -> tuple[int, str]:
    """Run ``chanwatch login --qr`` and scan the code it prints, as a phone would."""
    out = io.StringIO()
    ctx = CommandContext(
        environ=environment(tmp_path), stdout=out, stderr=io.StringIO(), stdin=io.StringIO(answers)
    )
    task = asyncio.create_task(login_command.handle(argparse.Namespace(qr=True), ctx))
    await eventually(lambda: "tg://login?token=" in out.getvalue(), what="the QR code")
    encoded = out.getvalue().split("tg://login?token=")[1].split()[0]
    desk.scan(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    code = await asyncio.wait_for(task, 5)
    return code, out.getvalue()


async def test_qr_login(tmp_path: Path, world: FakeTelegram) -> None:
    desk = LoginDesk(world)
    code, out = await login_by_qr(tmp_path, world, desk)
    assert code == 0
    assert "Settings > Devices > Link Desktop Device" in out
    assert "Logged in as Analyst (@analyst)" in out
    assert desk.signed_in == 1
    assert session_mode(tmp_path) == 0o600


async def test_qr_login_with_two_factor_password(tmp_path: Path, world: FakeTelegram) -> None:
    desk = LoginDesk(world, password="hunter2-Київ")
    code, out = await login_by_qr(tmp_path, world, desk, answers="hunter2-Київ\n")
    assert code == 0
    assert "2FA password: " in out and "Logged in as Analyst" in out


def test_run_without_a_session_says_how_to_log_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No prompt, no network attempt, no session file created: exit 1 with what to do."""

    def no_network(*args: object, **kwargs: object) -> None:
        raise ConnectionError("test: chanwatch run went to the network without a session")

    monkeypatch.setattr(TelegramClient, "connect", no_network)
    out, err = io.StringIO(), io.StringIO()
    env = {**environment(tmp_path), "ALERT_CHAT": "@analyst"}  # run needs somewhere to alert
    code = main(["run"], environ=env, stdout=out, stderr=err, stdin=io.StringIO())
    session = tmp_path / "secrets" / "reader.session"
    assert err.getvalue() == (
        f"chanwatch: error: no Telegram session at {session}: run `chanwatch login` first\n"
    )
    assert (code, out.getvalue()) == (1, "")
    assert not session.exists()
