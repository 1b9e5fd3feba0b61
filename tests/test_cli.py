from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.cli import status
from bot.cli.main import build_parser, main


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, environ=env or {}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_help_lists_every_registered_command() -> None:
    parser = build_parser()
    text = parser.format_help()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    names = list(subparsers.choices)  # type: ignore[union-attr]
    assert names, "at least one command"
    for name in names:
        assert name in text
        sub_help = subparsers.choices[name].format_help()  # type: ignore[index]
        assert sub_help.startswith("usage: chanwatch " + name)


def test_unknown_command_is_a_one_line_usage_error() -> None:
    code, _, err = run(["frobnicate"])
    assert code == 2
    assert err.startswith("chanwatch: error:") and "invalid choice" in err
    assert "Traceback" not in err


def test_missing_env_file_is_reported(tmp_path: Path) -> None:
    code, _, err = run(["--env-file", str(tmp_path / "nope.env"), "demo"])
    assert code == 2 and "no such file" in err


def test_env_file_values_are_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / "x.env"
    env_file.write_text("TIMEZONE=Mars/Olympus\n", encoding="utf-8")
    db = ["--db", str(tmp_path / "demo.db")]
    code, _, err = run(["--env-file", str(env_file), *db, "demo"])
    assert code == 1 and "TIMEZONE must be an IANA time zone" in err
    code, _, err = run(["--env-file", str(env_file), *db, "demo"], env={"TIMEZONE": "Europe/Kyiv"})
    assert code == 0, err


def test_a_settings_file_others_can_read_is_warned_about(tmp_path: Path) -> None:
    env_file = tmp_path / "x.env"
    env_file.write_text("TIMEZONE=Europe/Kyiv\n", encoding="utf-8")
    db = ["--db", str(tmp_path / "demo.db")]
    assert run([*db, "channels", "add", "@svodki_prigran"])[0] == 0
    env_file.chmod(0o644)
    code, _, err = run(["--env-file", str(env_file), *db, "status"])
    assert code == 0
    assert f"chanwatch: warning: {env_file} has mode 0644" in err and "chmod 600" in err
    env_file.chmod(0o600)
    code, _, err = run(["--env-file", str(env_file), *db, "status"])
    assert code == 0 and "warning" not in err


def test_a_bug_is_reported_as_one_with_secrets_redacted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

    async def broken(args: object, ctx: object) -> int:
        raise RuntimeError(f"POST https://api.telegram.org/bot{token}/sendMessage failed")

    monkeypatch.setattr(status, "handle", broken)
    code, _, err = run(["--db", str(tmp_path / "x.db"), "status"], env={"BOT_TOKEN": token})
    assert code == 70
    assert err.startswith("chanwatch: internal error (a bug, please report it):")
    assert "RuntimeError" in err and "Traceback" in err
    assert token not in err


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("| command | what it does |", 1)[1].split("\n\n", 1)[0]
    subparsers = next(a for a in build_parser()._actions if a.dest == "command")
    names = list(subparsers.choices)  # type: ignore[union-attr]
    missing = [name for name in names if f"`{name}" not in table]
    assert missing == [], f"commands missing from the README's command table: {missing}"
